"""Trains a small logistic-regression model (standard library only) in the SageMaker layout.

Inputs:
  input_data/       train/, test/, val/ folders with <split>_processed_data.csv
  hyperparameters/  hyperparameters.json: label_name, cat_field_list, learning_rate, epochs
  signature/        signature: one header line naming the columns
Outputs:
  model_output/       model.tar.gz holding model.json (weights, features, categories)
  evaluation_output/  metrics.json (accuracy on test and val)
"""
import csv
import io
import json
import math
import os
import tarfile


def sigmoid(z):
    # Stable for large |z|: math.exp never sees a large positive argument.
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


def read_split(folder, split):
    path = os.path.join(folder, split, f"{split}_processed_data.csv")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def encode(row, features, categories):
    x = []
    for name in features:
        if name in categories:
            x.extend(1.0 if row[name] == c else 0.0 for c in categories[name])
        else:
            x.append(float(row[name]) if row[name] not in ("", "NaN") else 0.0)
    return x


def accuracy(rows, weights, features, categories, label):
    if not rows:
        return None
    hits = 0
    for row in rows:
        x = encode(row, features, categories)
        p = sigmoid(sum(w * v for w, v in zip(weights, x + [1.0])))
        hits += int((p > 0.5) == (row[label] == "1"))
    return hits / len(rows)


def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(input_paths["hyperparameters"], "hyperparameters.json")) as f:
        hp = json.load(f)
    with open(os.path.join(input_paths["signature"], "signature")) as f:
        columns = f.readline().strip().split(",")
    label = hp["label_name"]
    features = [c for c in columns if c != label]
    splits = {s: read_split(input_paths["input_data"], s) for s in ("train", "test", "val")}
    train = splits["train"]
    missing = [c for c in columns if c not in train[0]]
    if missing:
        raise KeyError(f"columns {missing} from the signature are not in the training data")
    categories = {c: sorted({r[c] for r in train}) for c in hp.get("cat_field_list", [])}

    xs = [encode(r, features, categories) + [1.0] for r in train]
    ys = [1.0 if r[label] == "1" else 0.0 for r in train]
    weights = [0.0] * len(xs[0])
    rate = hp.get("learning_rate", 0.1) / max(1.0, max(abs(v) for x in xs for v in x))
    for _ in range(hp.get("epochs", 20)):
        grad = [0.0] * len(weights)
        for x, y in zip(xs, ys):
            p = sigmoid(sum(w * v for w, v in zip(weights, x)))
            for i, v in enumerate(x):
                grad[i] += (p - y) * v
        weights = [w - rate * g / len(xs) for w, g in zip(weights, grad)]

    model = {"weights": weights, "features": features, "categories": categories, "label": label}
    payload = json.dumps(model).encode()
    with tarfile.open(os.path.join(output_paths["model_output"], "model.tar.gz"), "w:gz") as tar:
        info = tarfile.TarInfo("model.json")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    metrics = {s: accuracy(splits[s], weights, features, categories, label) for s in ("test", "val")}
    with open(os.path.join(output_paths["evaluation_output"], "metrics.json"), "w") as f:
        json.dump(metrics, f)
    print(f"trained on {len(train)} rows: {metrics}")


if __name__ == "__main__":
    main(
        {
            "input_data": "/opt/ml/processing/input/data",
            "hyperparameters": "/opt/ml/processing/input/config",
            "signature": "/opt/ml/processing/input/signature",
        },
        {"model_output": "/opt/ml/processing/output/model", "evaluation_output": "/opt/ml/processing/output/eval"},
        dict(os.environ),
        None,
    )
