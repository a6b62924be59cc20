#!/usr/bin/python3
"""Write the small XGBoost models that seed the fuzzers: test/fuzz/seeds/xgboost/
(JSON) and test/fuzz/seeds/xgboost-ubj/ (the same models as UBJSON).

The reference fixtures (test/fixtures/xgboost) are tens to hundreds of kB each,
which makes every fuzzing iteration slow.  These models cover the same code
paths (each booster, objective family, categorical splits, feature names or
none, the 1.5 and 3.1 spellings, 3.1+ category names, several targets) with
two or three shallow trees, so that one
input is a few kB and the fuzzer mutates real structure quickly.

Run with Debian's python3 (xgboost 1.7): /usr/bin/python3 test/fuzz/make_seeds.py
"""
import json
import os
import re

import numpy as np
import xgboost as xgb

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "xgboost")
# the same models as UBJSON (.ubj), for the UBJSON reader's fuzz target
OUT_UBJ = OUT + "-ubj"


def data(n_features, kind, rng):
    X = rng.normal(size=(60, n_features))
    X[rng.random(X.shape) < 0.1] = np.nan
    s = np.nan_to_num(X[:, 0])
    if kind == "binary":
        y = (s > 0).astype(float)
    elif kind == "multi":
        y = np.digitize(s, [-0.5, 0.5]).astype(float)
    elif kind == "count":
        y = np.floor(np.abs(s) * 3)
    elif kind == "positive":
        y = np.abs(s) + 0.1
    else:
        y = s * 2 + 1
    return X, y


SPECS = [
    # name, objective, extra params, features, named, kind
    ("reg", "reg:squarederror", {}, 3, True, "reg"),
    ("reg_unnamed", "reg:squarederror", {}, 2, False, "reg"),
    ("binary", "binary:logistic", {}, 3, True, "binary"),
    ("logitraw", "binary:logitraw", {}, 2, False, "binary"),
    ("hinge", "binary:hinge", {}, 2, False, "binary"),
    ("poisson", "count:poisson", {}, 2, False, "count"),
    ("gamma", "reg:gamma", {}, 2, False, "positive"),
    ("softprob", "multi:softprob", {"num_class": 3}, 3, True, "multi"),
    ("softmax", "multi:softmax", {"num_class": 3}, 2, False, "multi"),
    ("dart", "reg:squarederror", {"booster": "dart", "rate_drop": 0.5}, 2, False, "reg"),
    ("linear", "binary:logistic", {"booster": "gblinear"}, 3, True, "binary"),
    ("linear_multi", "multi:softprob", {"booster": "gblinear", "num_class": 3}, 2, False, "multi"),
    ("parallel", "reg:squarederror", {"num_parallel_tree": 2}, 2, False, "reg"),
]


def train(name, objective, extra, n_features, named, kind, categorical=False):
    rng = np.random.default_rng(len(name))
    X, y = data(n_features, kind, rng)
    types = None
    if categorical:
        X[:, 1] = rng.integers(0, 40, size=len(X)).astype(float)
        y = y + np.where(X[:, 1] % 3 == 0, 3.0, -1.0)     # worth splitting on
        types = ["q", "c"] + ["q"] * (n_features - 2)
    names = ["f_%s_%d" % (name, j) for j in range(n_features)] if named else None
    d = xgb.DMatrix(X, label=y, feature_names=names, feature_types=types,
                    enable_categorical=categorical, nthread=1)
    params = dict(objective=objective, max_depth=2, eta=0.5, seed=1, nthread=1,
                  **extra)
    if categorical:
        params.update(tree_method="hist", max_cat_to_onehot=1)
    bst = xgb.train(params, d, num_boost_round=2)
    path = os.path.join(OUT, name + ".json")
    bst.save_model(path)
    bst.save_model(os.path.join(OUT_UBJ, name + ".ubj"))
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(OUT_UBJ, exist_ok=True)
    for spec in SPECS:
        train(*spec)
    path = train("categorical", "reg:squarederror", {}, 3, True, "reg",
                 categorical=True)
    text = open(path).read()
    # the spellings of older and newer XGBoost versions
    with open(os.path.join(OUT, "v15_booleans.json"), "w") as f:
        f.write(re.sub(r'"default_left":\[([01,]*)\]',
                       lambda m: '"default_left":[' + ",".join(
                           "true" if v == "1" else "false"
                           for v in m.group(1).split(",")) + "]",
                       open(os.path.join(OUT, "reg.json")).read()))
    with open(os.path.join(OUT, "bs_array.json"), "w") as f:
        f.write(re.sub(r'"base_score":"([^"\[\]]*)"', r'"base_score":"[\1]"',
                       open(os.path.join(OUT, "softprob.json")).read()))
    json.loads(text.replace("NaN", "null"))     # stays JSON after the edits
    write_newer_spellings(text)


def write_newer_spellings(categorical):
    """What 1.7 cannot write, derived from its models: the category names of
    XGBoost 3.1+ ("cats", the categorical model's feature 1 named c00..c39)
    and a model of two targets, one tree each (num_target, tree_info)."""
    names = [("c%02d" % i).encode() for i in range(40)]
    offsets = [0]
    for n in names:
        offsets.append(offsets[-1] + len(n))
    cats = {"enc": [{"offsets": [], "values": []},
                    {"offsets": offsets, "values": list(b"".join(names))},
                    {"offsets": [], "values": []}],
            "feature_segments": [0, 0, 40, 40],
            "sorted_idx": list(range(40))}
    m = json.loads(categorical.replace("NaN", "null"))
    m["version"] = [3, 4, 1]
    m["learner"]["gradient_booster"]["model"]["cats"] = cats
    with open(os.path.join(OUT, "cats.json"), "w") as f:
        json.dump(m, f, separators=(",", ":"))
    m = json.load(open(os.path.join(OUT, "reg.json")))
    lmp = m["learner"]["learner_model_param"]
    lmp["num_target"] = "2"
    lmp["base_score"] = "[%s,%s]" % (lmp["base_score"], lmp["base_score"])
    model = m["learner"]["gradient_booster"]["model"]
    model["tree_info"] = [t % 2 for t in range(len(model["trees"]))]
    with open(os.path.join(OUT, "multi_target.json"), "w") as f:
        json.dump(m, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
