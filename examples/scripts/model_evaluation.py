"""Scores a packaged model on one job-type folder of data.

Inputs:
  model_input/      model.tar.gz holding model.json (weights, features, categories, label)
  processed_data/   <job_type>/ folder with gzip-compressed CSV shards or files
Outputs:
  eval_output/      metrics.json with the accuracy and the number of rows scored
"""
import argparse
import csv
import glob
import gzip
import json
import math
import os
import tarfile


def rows_of(folder):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.csv*"))):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", newline="") as f:
            rows.extend(csv.DictReader(f))
    return rows


def main(input_paths, output_paths, environ_vars, job_args):
    with tarfile.open(os.path.join(input_paths["model_input"], "model.tar.gz")) as tar:
        model = json.load(tar.extractfile("model.json"))
    folder = os.path.join(input_paths["processed_data"], job_args.job_type)
    rows = rows_of(folder)
    if not rows:
        raise ValueError(f"no rows to score in {folder}")
    hits = 0
    for row in rows:
        x = []
        for name in model["features"]:
            cats = model["categories"].get(name)
            if cats is not None:
                x.extend(1.0 if row[name] == c else 0.0 for c in cats)
            else:
                x.append(float(row[name]) if row[name] not in ("", "NaN") else 0.0)
        x.append(1.0)
        score = sum(w * v for w, v in zip(model["weights"], x))
        hits += int((score > 0) == (row[model["label"]] == "1"))
    result = {"accuracy": hits / len(rows), "rows": len(rows)}
    with open(os.path.join(output_paths["eval_output"], "metrics.json"), "w") as f:
        json.dump(result, f)
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", required=True)
    main(
        {"model_input": "/opt/ml/processing/input/model", "processed_data": "/opt/ml/processing/input/data"},
        {"eval_output": "/opt/ml/processing/output/eval"},
        dict(os.environ),
        parser.parse_args(),
    )
