#!/usr/bin/python3
"""Training data, models and table data for bench/run.

    make_data.py DIR ROWS

Writes into DIR:
  m500x6.json, m1000x8.json, m3class.json   XGBoost models (Booster.save_model)
  data.f32        ROWS x 30 float32, row-major (for the C benchmarks)
  t.copy          the same rows as PostgreSQL binary COPY data for
                  (id int, f float4[]), id = 1..ROWS
  expected.tsv    model, id, output, margin: xgboost's raw margins
                  (output_margin=True) of the first CHECK_ROWS rows
The rows come from sklearn's make_classification with 1% of the values
replaced by NaN (missing), so the default directions of splits are used too.
The models are trained on the first TRAIN_ROWS rows only (training time is
not what is measured) with feature names f1..f30, the column names of the
bench's table by columns.
"""
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import make_classification

N_FEATURES = 30
NAMES = [f"f{i + 1}" for i in range(N_FEATURES)]
TRAIN_ROWS = 50000
CHECK_ROWS = 2000
MODELS = [
    # name, params, rounds
    ("m500x6", {"objective": "binary:logistic", "max_depth": 6}, 500),
    ("m1000x8", {"objective": "binary:logistic", "max_depth": 8}, 1000),
    ("m3class", {"objective": "multi:softprob", "num_class": 3,
                 "max_depth": 6}, 200),
]


def make_rows(n):
    x, y = make_classification(n_samples=n, n_features=N_FEATURES,
                               n_informative=15, n_redundant=5, n_classes=3,
                               random_state=42)
    x = x.astype(np.float32)
    rng = np.random.default_rng(7)
    x[rng.random(x.shape) < 0.01] = np.nan
    return x, y


def write_copy(path, x):
    """PostgreSQL binary COPY: (id int4, f float4[]) per row, big-endian."""
    n, k = x.shape
    row = np.dtype([("nfields", ">i2"), ("id_len", ">i4"), ("id", ">i4"),
                    ("arr_len", ">i4"), ("ndim", ">i4"), ("hasnull", ">i4"),
                    ("elemtype", ">i4"), ("dim", ">i4"), ("lbound", ">i4"),
                    ("elems", [("len", ">i4"), ("val", ">f4")], (k,))])
    rows = np.zeros(n, dtype=row)
    rows["nfields"] = 2
    rows["id_len"] = 4
    rows["id"] = np.arange(1, n + 1)
    rows["arr_len"] = 20 + 8 * k
    rows["ndim"] = 1
    rows["elemtype"] = 700  # float4
    rows["dim"] = k
    rows["lbound"] = 1
    rows["elems"]["len"] = 4
    rows["elems"]["val"] = x
    with open(path, "wb") as f:
        f.write(b"PGCOPY\n\xff\r\n\0" + (0).to_bytes(4, "big") * 2)
        f.write(rows.tobytes())
        f.write((-1).to_bytes(2, "big", signed=True))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    x, y = make_rows(max(n, TRAIN_ROWS))
    train = xgb.DMatrix(x[:TRAIN_ROWS], label=y[:TRAIN_ROWS],
                        feature_names=NAMES)
    check = xgb.DMatrix(x[:CHECK_ROWS], feature_names=NAMES)
    with open(f"{out}/expected.tsv", "w") as f:
        for name, params, rounds in MODELS:
            p = dict(params, tree_method="hist", nthread=2, eta=0.1)
            if p["objective"] == "binary:logistic":
                train.set_label((y[:TRAIN_ROWS] == 1).astype(np.float32))
            else:
                train.set_label(y[:TRAIN_ROWS])
            bst = xgb.train(p, train, rounds)
            bst.save_model(f"{out}/{name}.json")
            # margins of the saved file, as a user would load it
            margins = xgb.Booster(model_file=f"{out}/{name}.json").predict(
                check, output_margin=True)
            margins = margins.reshape(CHECK_ROWS, -1)
            for i in range(CHECK_ROWS):
                for k, v in enumerate(margins[i]):
                    f.write(f"{name}\t{i + 1}\t{k + 1}\t{np.float32(v)!r}\n")
    x = x[:n]
    x.tofile(f"{out}/data.f32")
    write_copy(f"{out}/t.copy", x)


if __name__ == "__main__":
    main()
