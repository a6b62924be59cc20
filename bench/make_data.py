#!/usr/bin/env python3
"""Training data, models and table data for bench/run (run with the bench
venv's python: tools/venv bench bench/requirements.txt).

    make_data.py DIR ROWS

Writes into DIR:
  m500x6.json, m1000x8.json, m3class.json, mwide.json   XGBoost models
  l500x6.txt, l1000x8.txt, l3class.txt, l500x63.txt, lwide.txt
                  LightGBM text models of the same sizes, and a 500-tree
                  63-leaf one
  c500x6.cbm, c1000x8.cbm, c3class.cbm, cwide.cbm   CatBoost models
  models.json     the shapes and their models (read by bench.py, peers.py)
  data.f32        ROWS x 30 float32, row-major (for the C benchmarks)
  wide.f32        PEER_ROWS x 300 float32, the rows of the wide models
  data.csv, wide.csv   the first PEER_ROWS rows of each, for mdscore
  t.copy, tw.copy the same rows as PostgreSQL binary COPY data for
                  (id int, f float4[]), id = 1..
  expected.tsv    model, id, output, margin: each library's own raw margins
                  (XGBoost output_margin=True, LightGBM raw_score=True) of
                  the first CHECK_ROWS rows
  NAME.pred.f64   each library's own predictions (probabilities) of the
                  first CHECK_ROWS rows: the oracle of every scorer
The rows come from sklearn's make_classification with 1% of the values
replaced by NaN (missing), so the default directions of splits are used too.
The models are trained on the first TRAIN_ROWS rows only (training time is
not what is measured; one thread, the machine may be shared) with feature names f1..fN, the column names of the
bench's tables by columns.  BENCH_QUICK=1 trains a tenth of the trees.
"""
import json
import os
import sys
import time

import catboost
import lightgbm as lgb
import numpy as np
import xgboost as xgb
from sklearn.datasets import make_classification

QUICK = os.environ.get("BENCH_QUICK") == "1"
PEER_ROWS = int(os.environ["BENCH_PEER_ROWS"])
TRAIN_ROWS = int(os.environ.get("BENCH_TRAIN_ROWS",
                                "5000" if QUICK else "20000"))
CHECK_ROWS = 2000
WIDE = 300


def trees(n):
    return max(2, n // 10) if QUICK else n


# shape: description, features, classes, XGBoost/LightGBM/CatBoost
# parameters (None: no model of that library), rounds
SHAPES = [
    ("500x6", "500 trees, depth 6, binary", 30, 2,
     {"max_depth": 6}, {"max_depth": 6, "num_leaves": 64}, {"depth": 6}, 500),
    ("1000x8", "1000 trees, depth 8, binary", 30, 2,
     {"max_depth": 8}, {"max_depth": 8, "num_leaves": 255}, {"depth": 8},
     1000),
    ("3class", "3 classes x 200 trees, depth 6", 30, 3,
     {"max_depth": 6}, {"max_depth": 6, "num_leaves": 64}, {"depth": 6}, 200),
    ("500x63", "500 trees, 63 leaves (LightGBM), binary", 30, 2,
     None, {"num_leaves": 63}, None, 500),
    ("wide", "500 trees, depth 6, 300 features, binary", WIDE, 2,
     {"max_depth": 6}, {"max_depth": 6, "num_leaves": 64}, {"depth": 6},
     500),
]


def make_rows(n, n_features, seed):
    x, y = make_classification(n_samples=n, n_features=n_features,
                               n_informative=15, n_redundant=5, n_classes=3,
                               random_state=seed)
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


def write_csv(path, x):
    """Header f1..fN, a missing value as an empty field (mdscore)."""
    names = ",".join(f"f{i + 1}" for i in range(x.shape[1]))
    text = np.char.mod("%.9g", x)
    text[np.isnan(x)] = ""
    with open(path, "w") as f:
        f.write(names + "\n")
        f.write("\n".join(",".join(r) for r in text) + "\n")


def proba(p, classes):
    """Probabilities as (rows, width): the positive class alone for a
    binary model, every class otherwise."""
    p = np.asarray(p, dtype=np.float64)
    if classes == 2:
        return (p[:, 1] if p.ndim == 2 else p).reshape(-1, 1)
    return p.reshape(len(p), classes)


def train_xgb(out, name, x, y, classes, params, rounds, check, margins):
    names = [f"f{i + 1}" for i in range(x.shape[1])]
    p = dict(params, tree_method="hist", nthread=1, eta=0.1)
    if classes == 2:
        p["objective"] = "binary:logistic"
        label = (y == 1).astype(np.float32)
    else:
        p.update(objective="multi:softprob", num_class=classes)
        label = y
    bst = xgb.train(p, xgb.DMatrix(x, label=label, feature_names=names),
                    trees(rounds))
    bst.save_model(f"{out}/{name}.json")
    # the saved file's outputs, as a user would load it
    saved = xgb.Booster(model_file=f"{out}/{name}.json")
    d = xgb.DMatrix(check, feature_names=names)
    margins[name] = saved.predict(d, output_margin=True).reshape(
        len(check), -1).astype(np.float32)
    return f"{name}.json", bst.num_boosted_rounds() * (
        1 if classes == 2 else classes), saved.predict(d)


def train_lgb(out, name, x, y, classes, params, rounds, check, margins):
    p = dict(params, learning_rate=0.1, num_threads=1, verbose=-1, seed=1)
    if classes == 2:
        p["objective"] = "binary"
        label = (y == 1).astype(np.float32)
    else:
        p.update(objective="multiclass", num_class=classes)
        label = y
    names = [f"f{i + 1}" for i in range(x.shape[1])]
    bst = lgb.train(p, lgb.Dataset(x, label=label, feature_name=names),
                    trees(rounds))
    bst.save_model(f"{out}/{name}.txt")
    saved = lgb.Booster(model_file=f"{out}/{name}.txt")
    margins[name] = saved.predict(check, raw_score=True).reshape(
        len(check), -1)
    return f"{name}.txt", saved.num_trees(), saved.predict(check)


def train_cat(out, name, x, y, classes, params, rounds, check, margins):
    model = catboost.CatBoostClassifier(
        iterations=trees(rounds), learning_rate=0.1, thread_count=1,
        verbose=0, random_seed=1, allow_writing_files=False,
        loss_function="Logloss" if classes == 2 else "MultiClass", **params)
    label = (y == 1).astype(int) if classes == 2 else y
    model.fit(x, label)
    model.save_model(f"{out}/{name}.cbm")
    saved = catboost.CatBoostClassifier()
    saved.load_model(f"{out}/{name}.cbm")
    return f"{name}.cbm", saved.tree_count_, saved.predict_proba(check)


LIBRARIES = [("xgboost", "m", 4, train_xgb), ("lightgbm", "l", 5, train_lgb),
             ("catboost", "c", 6, train_cat)]


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    x, y = make_rows(max(n, TRAIN_ROWS), 30, 42)
    xw, yw = make_rows(max(PEER_ROWS, TRAIN_ROWS), WIDE, 43)
    manifest, margins = [], {}
    for shape in SHAPES:
        key, desc, n_features, classes = shape[:4]
        rx, ry = (xw, yw) if n_features == WIDE else (x, y)
        models = []
        for lib, prefix, col, train in LIBRARIES:
            params = shape[col]
            if params is None:
                continue
            name = prefix + key
            t0 = time.perf_counter()
            path, n_trees, pred = train(out, name, rx[:TRAIN_ROWS], ry[:TRAIN_ROWS],
                                        classes, params, shape[7],
                                        rx[:CHECK_ROWS], margins)
            proba(pred, classes).tofile(f"{out}/{name}.pred.f64")
            print(f"bench: trained {name} ({n_trees} trees) in "
                  f"{time.perf_counter() - t0:.1f} s", file=sys.stderr,
                  flush=True)
            models.append({"name": name, "library": lib, "file": path,
                           "trees": int(n_trees)})
        manifest.append({
            "shape": key, "desc": desc, "features": n_features,
            "classes": classes, "width": 1 if classes == 2 else classes,
            "data": "wide.f32" if n_features == WIDE else "data.f32",
            "csv": "wide.csv" if n_features == WIDE else "data.csv",
            "table": "tw" if n_features == WIDE else "t",
            "models": models})
    with open(f"{out}/models.json", "w") as f:
        json.dump(manifest, f, indent=1)
    with open(f"{out}/expected.tsv", "w") as f:
        for name, m in margins.items():
            for i in range(CHECK_ROWS):
                for k, v in enumerate(m[i]):
                    f.write(f"{name}\t{i + 1}\t{k + 1}\t{float(v)!r}\n")
    x[:n].tofile(f"{out}/data.f32")
    write_copy(f"{out}/t.copy", x[:n])
    write_csv(f"{out}/data.csv", x[:min(n, PEER_ROWS)])
    xw = xw[:PEER_ROWS]
    xw.tofile(f"{out}/wide.f32")
    write_copy(f"{out}/tw.copy", xw)
    write_csv(f"{out}/wide.csv", xw)


if __name__ == "__main__":
    main()
