"""Cleans tabular data and writes train/test/val splits.

Input channel `input`: CSV files (plain or gzip-compressed, for example part-00000.csv.gz shards)
with id, feature_1, feature_2, feature_3, target.
Output channel `output`: train/, test/ and val/ folders, each with <split>_processed_data.csv.
Missing feature_1 values are imputed with the column mean; feature_3 is one-hot encoded.
DROP_COLUMNS (comma-separated) removes output columns: the broken pipeline of examples/broken.toml
uses it to play an upstream step that stops writing a column the next step needs.
"""
import argparse
import csv
import glob
import gzip
import os
import random


def main(input_paths, output_paths, environ_vars, job_args):
    label = environ_vars.get("LABEL_FIELD", "target")
    files = sorted(glob.glob(os.path.join(input_paths["input"], "*.csv*")))
    rows = []
    for path in files:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", newline="") as f:
            rows.extend(csv.DictReader(f))
    if not rows:
        raise ValueError("no input rows")
    if label not in rows[0]:
        raise KeyError(f"label column {label!r} missing; columns are {list(rows[0])}")

    present = [float(r["feature_1"]) for r in rows if r["feature_1"] != ""]
    mean = sum(present) / len(present) if present else 0.0
    categories = sorted({r["feature_3"] for r in rows})
    processed = []
    for r in rows:
        out = {
            "id": r["id"],
            "feature_1": float(r["feature_1"]) if r["feature_1"] != "" else mean,
            "feature_2": float(r["feature_2"]),
        }
        for c in categories:
            out[f"feature_3_{c}"] = int(r["feature_3"] == c)
        out[label] = r[label]
        processed.append(out)

    random.Random(int(environ_vars.get("SPLIT_SEED", "0"))).shuffle(processed)
    n = len(processed)
    cut_train, cut_test = int(n * 0.7), int(n * 0.85)
    splits = {
        "train": processed[:cut_train],
        "test": processed[cut_train:cut_test],
        "val": processed[cut_test:],
    }
    dropped = [c for c in environ_vars.get("DROP_COLUMNS", "").split(",") if c]
    for row in processed:
        for column in dropped:
            row.pop(column, None)
    for split, part in splits.items():
        folder = os.path.join(output_paths["output"], split)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{split}_processed_data.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(processed[0]))
            writer.writeheader()
            writer.writerows(part)
        print(f"{split}: {len(part)} rows")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", default="training")
    args = parser.parse_args()
    main(
        {"input": "/opt/ml/processing/input/data"},
        {"output": "/opt/ml/processing/output"},
        dict(os.environ),
        args,
    )
