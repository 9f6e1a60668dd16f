"""The pandas/numpy way of generating the `training` profile, timed the same way as sf's.

Usage: python pandas_generate.py ROWS REPEAT OUT_DIR
Prints one line: `median_ms min_ms`.
"""
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd


def generate(rows, seed, path):
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((rows, 10)).round(6)
    noise = rng.standard_normal(rows)
    target = (features[:, 0] + 0.5 * features[:, 1] + 0.5 * noise > 0).astype(int)
    df = pd.DataFrame(features, columns=[f"feature_{i}" for i in range(10)])
    df["target"] = target
    df.to_csv(path, index=False)


def main():
    rows, repeat, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    path = os.path.join(out, "pandas_training.csv")
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        generate(rows, 42 + i, path)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{statistics.median(times):.1f} {min(times):.1f}")


if __name__ == "__main__":
    main()
