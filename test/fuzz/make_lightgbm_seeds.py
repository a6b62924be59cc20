"""Write the small LightGBM text models that seed the fuzzers:
test/fuzz/seeds/lightgbm/*.txt.

Each covers one path of parse_lightgbm.c (an objective family, the three
missing-value rules, categorical bitsets with pandas category names, linear
trees, single-leaf trees, rf) with two or three trees of a few leaves, so
that an input is a few kB and the fuzzer mutates real structure quickly.

Run with the oracle environment (lightgbm 4.7.0):
  $(tools/venv oracle test/requirements.txt) test/fuzz/make_lightgbm_seeds.py
"""
import os

import lightgbm as lgb
import numpy as np
import pandas as pd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds",
                   "lightgbm")


def main():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    s = np.nan_to_num(X[:, 0])
    base = {"verbose": -1, "num_leaves": 4, "min_data_in_leaf": 5,
            "num_threads": 1, "deterministic": True, "seed": 1}
    df = pd.DataFrame({"size": X[:, 0], "colour": pd.Categorical(
        rng.choice(["blue", "green", "red"], 200)), "weight": X[:, 1]})
    cases = {
        "binary_nan": ({"objective": "binary"}, X, s > 0),
        "binary_zero": ({"objective": "binary", "zero_as_missing": True},
                        X, s > 0),
        "regression_none": ({"objective": "regression",
                             "use_missing": False}, X, s),
        "multiclass": ({"objective": "multiclass", "num_class": 3}, X,
                       np.digitize(s, [-0.5, 0.5])),
        "regression_sqrt": ({"objective": "regression", "reg_sqrt": True},
                         X, s * s),
        "rf": ({"objective": "binary", "boosting": "rf", "bagging_freq": 1,
                "bagging_fraction": 0.7}, X, s > 0),
        "linear": ({"objective": "regression", "linear_tree": True}, X, s),
        "single_leaf": ({"objective": "regression"}, X, np.ones(200)),
        "categorical": ({"objective": "binary", "min_data_per_group": 5,
                         "cat_smooth": 1, "max_cat_to_onehot": 1}, df,
                        (df["colour"] == "red") | (s > 1)),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, (p, data, y) in cases.items():
        booster = lgb.train({**base, **p}, lgb.Dataset(data, y),
                            num_boost_round=2)
        booster.save_model(os.path.join(OUT, name + ".txt"))


if __name__ == "__main__":
    main()
