"""Write the small CatBoost JSON models that seed the fuzzers:
test/fuzz/seeds/catboost/*.json.

Each covers one path of parse_catboost.c (oblivious trees with both NaN
modes, MultiClass, Depthwise and Lossguide trees, one-hot categorical
features, a scaled model) with two or three shallow trees, and only the
model_info the parser reads (params.loss_function), so that an input is a
few kB and the fuzzer mutates real structure quickly.

Run with the oracle environment (catboost 1.2.10):
  $(tools/venv oracle test/requirements.txt) test/fuzz/make_catboost_seeds.py
"""
import json
import os
import tempfile

import catboost as cb
import numpy as np
import pandas as pd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds",
                   "catboost")


def frame(rng, n=200):
    df = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    df.loc[rng.random(n) < 0.1, "a"] = np.nan
    df["colour"] = rng.choice(["red", "green", "blue"], n)
    return df


def save(name, m):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        m.save_model(f.name, format="json")
        j = json.load(open(f.name))
    loss = j["model_info"]["params"]["loss_function"]
    j["model_info"] = {"params": {"loss_function": loss}}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(j, f, indent=1)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2)
    df = frame(rng)
    floats = df[["a", "b", "c"]]
    y = (df["a"].fillna(0) + (df["colour"] == "red") > 0.2).astype(int)
    common = {"iterations": 3, "depth": 2, "verbose": 0, "random_seed": 1,
              "allow_writing_files": False}
    cases = [
        ("logloss_min", cb.CatBoostClassifier(**common), floats, y),
        ("logloss_max", cb.CatBoostClassifier(**common, nan_mode="Max"),
         floats, y),
        ("multiclass", cb.CatBoostClassifier(**common,
                                             loss_function="MultiClass"),
         floats, np.digitize(df["b"], [-0.5, 0.5])),
        ("depthwise", cb.CatBoostRegressor(**common,
                                           grow_policy="Depthwise"),
         floats, df["b"]),
        ("lossguide", cb.CatBoostRegressor(
            iterations=3, max_leaves=4, verbose=0, random_seed=1,
            allow_writing_files=False, grow_policy="Lossguide"),
         floats, df["b"]),
        ("onehot", cb.CatBoostClassifier(**common, one_hot_max_size=4,
                                         cat_features=["colour"]), df, y),
    ]
    for name, m, X, target in cases:
        m.fit(X, target)
        save(name, m)
    m = cb.CatBoostRegressor(**common)
    m.fit(floats, df["b"])
    m.set_scale_and_bias(0.5, [1.0])
    save("scaled", m)


if __name__ == "__main__":
    main()
