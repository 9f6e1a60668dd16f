"""Totals the amounts per source currency, in cents.

Input channel `input`: CSV files with from_currency, to_currency, amount, date.
Output channel `output`: summary.csv with currency, rows, total_cents.

It has a planted edge-case bug for sf's property mode to find: an amount that is missing, NaN or
infinite crashes the conversion to cents. On the generated `currency` data (always finite amounts)
it passes; `#[script_test(proptest(...))]` finds the failing row and shrinks it to one row.
"""
import csv
import glob
import os


def main(input_paths, output_paths, environ_vars, job_args):
    totals = {}
    for path in sorted(glob.glob(os.path.join(input_paths["input"], "*.csv"))):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                cents = int(round(float(row["amount"]) * 100))  # the bug: NaN, inf, ""
                count, total = totals.get(row["from_currency"], (0, 0))
                totals[row["from_currency"]] = (count + 1, total + cents)
    with open(os.path.join(output_paths["output"], "summary.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["currency", "rows", "total_cents"])
        for currency, (count, total) in sorted(totals.items()):
            writer.writerow([currency, count, total])
