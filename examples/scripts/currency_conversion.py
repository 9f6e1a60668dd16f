"""Converts every amount to a target currency (USD by default).

Input channel `input`: CSV files with from_currency, to_currency, amount, date.
Optional input channel `rates`: rates.json mapping currency codes to USD per unit.
Output channel `output`: converted.csv with the original columns plus amount_<target>.
"""
import csv
import glob
import json
import os

# Units of USD per unit of each currency.
RATES_TO_USD = {
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CAD": 0.73,
    "AUD": 0.66, "CHF": 1.12, "CNY": 0.14, "INR": 0.012, "SGD": 0.74,
}


def convert(amount, currency, target, rates):
    return amount * rates[currency] / rates[target]


def main(input_paths, output_paths, environ_vars, job_args):
    rates = dict(RATES_TO_USD)
    if "rates" in input_paths:
        with open(os.path.join(input_paths["rates"], "rates.json")) as f:
            rates.update(json.load(f))
    target = getattr(job_args, "target_currency", None) or environ_vars.get("TARGET_CURRENCY", "USD")
    if target not in rates:
        raise ValueError(f"unknown target currency {target!r}")
    files = sorted(glob.glob(os.path.join(input_paths["input"], "*.csv")))
    if not files:
        raise FileNotFoundError(f"no CSV files in {input_paths['input']}")
    out_dir = output_paths["output"]
    os.makedirs(out_dir, exist_ok=True)
    column = f"amount_{target.lower()}"
    rows = 0
    with open(os.path.join(out_dir, "converted.csv"), "w", newline="") as out:
        writer = None
        for path in files:
            with open(path, newline="") as f:
                for row in csv.DictReader(f):
                    if writer is None:
                        writer = csv.DictWriter(out, fieldnames=list(row) + [column])
                        writer.writeheader()
                    row[column] = f"{convert(float(row['amount']), row['from_currency'], target, rates):.2f}"
                    writer.writerow(row)
                    rows += 1
    print(f"converted {rows} rows to {target}")


if __name__ == "__main__":
    main(
        {"input": "/opt/ml/processing/input/data"},
        {"output": "/opt/ml/processing/output"},
        dict(os.environ),
        None,
    )
