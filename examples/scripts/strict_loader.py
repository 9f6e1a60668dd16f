"""Loads the `input` channel and refuses to go on without data rows.

Run it on an empty dataset (`--rows 0`) to see sf report the failure with its traceback.
"""
import csv
import glob
import json
import os


def main(input_paths, output_paths, environ_vars, job_args):
    rows = []
    for path in sorted(glob.glob(os.path.join(input_paths["input"], "*.csv"))):
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    if not rows:
        raise ValueError(f"no data rows in {input_paths['input']}")
    summary = {"rows": len(rows), "columns": list(rows[0])}
    with open(os.path.join(output_paths["output"], "summary.json"), "w") as f:
        json.dump(summary, f)
