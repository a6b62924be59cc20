"""Train small XGBoost models with whichever xgboost this Python imports and
write, for each, what the oracle suite (test/suites/xgboost-current) checks
model_deploy against:

  OUT/<case>.json, OUT/<case>.ubj   Booster.save_model() in both formats
  OUT/<case>.csv                    input rows (header f0..; empty = missing)
  OUT/<case>.expect.json            this release's margins and predictions:
                                    Booster.predict(output_margin=True) and
                                    Booster.predict(), float32 values

Models trained on pandas categorical columns (3.1+, CAT_CASES) also have
  OUT/<case>.codes.csv              the rows with category codes, not names
and their expectations are XGBoost's predictions on the DataFrame (names,
recoded by XGBoost) and on the codes (margin_codes).

Usage: python train.py OUT.  Runs under XGBoost 1.7 to 3.4: a case a
release cannot train is not written (OUT/cases.json lists those written;
its "refused" ones are written without expectations, see REFUSED).
Deterministic: fixed seeds, one thread.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

OUT = sys.argv[1]
VERSION = tuple(int(p) for p in xgb.__version__.split(".")[:2])
N_ROWS = 300
N_FEATURES = 6
NAMES = ["f%d" % i for i in range(N_FEATURES)]


def data(seed, n=N_ROWS):
    """Features with missing values, and a signal in the first three."""
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, N_FEATURES))
    x[rng.uniform(size=x.shape) < 0.08] = np.nan
    z = np.nan_to_num(x)
    signal = z[:, 0] + 0.5 * z[:, 1] * z[:, 2] - 0.3 * z[:, 3]
    return x, signal, rng


def label(kind, signal, rng):
    n = len(signal)
    if kind == "reg":
        return signal + 0.1 * rng.normal(size=n)
    if kind == "binary":
        return (signal + 0.3 * rng.normal(size=n) > 0).astype(float)
    if kind == "multi":
        return np.digitize(signal, [-0.5, 0.5]).astype(float)
    if kind == "count":
        return rng.poisson(np.exp(0.3 * signal)).astype(float)
    if kind == "cox":
        # survival times, negative when right-censored
        t = np.exp(0.5 * signal + 0.2 * rng.normal(size=n))
        return np.where(rng.uniform(size=n) < 0.2, -t, t)
    if kind == "reg2":
        return np.column_stack([signal, signal ** 2 + rng.normal(size=n)])
    if kind == "binary2":
        return np.column_stack([signal > 0, signal ** 2 > 1]).astype(float)
    raise ValueError(kind)


def dmatrix(kind, x, signal, rng):
    """The training matrix; AFT takes its labels as intervals."""
    if kind != "aft":
        return xgb.DMatrix(x, label=label(kind, signal, rng), nthread=1,
                           feature_names=NAMES)
    d = xgb.DMatrix(x, nthread=1, feature_names=NAMES)
    lower = np.exp(0.5 * signal + 0.2 * rng.normal(size=len(signal)))
    upper = np.where(rng.uniform(size=len(signal)) < 0.2, np.inf, lower)
    d.set_float_info("label_lower_bound", lower)
    d.set_float_info("label_upper_bound", upper)
    return d


# name: (label kind, parameters, rounds, first release that trains it)
CASES = {
    "reg": ("reg", {"objective": "reg:squarederror", "max_depth": 4}, 20, (1, 0)),
    "binary": ("binary", {"objective": "binary:logistic", "max_depth": 3}, 20, (1, 0)),
    "multi": ("multi", {"objective": "multi:softprob", "num_class": 3,
                        "max_depth": 3}, 10, (1, 0)),
    "poisson": ("count", {"objective": "count:poisson", "max_depth": 3}, 15, (1, 0)),
    "dart_reg": ("reg", {"booster": "dart", "objective": "reg:squarederror",
                         "rate_drop": 0.3, "skip_drop": 0.0, "max_depth": 3},
                 15, (1, 0)),
    "dart_binary": ("binary", {"booster": "dart", "objective": "binary:logistic",
                               "rate_drop": 0.4, "skip_drop": 0.0,
                               "normalize_type": "forest", "max_depth": 3},
                    15, (1, 0)),
    "dart_multi": ("multi", {"booster": "dart", "objective": "multi:softprob",
                             "num_class": 3, "rate_drop": 0.3,
                             "skip_drop": 0.0, "max_depth": 3}, 8, (1, 0)),
    "quantile": ("reg", {"objective": "reg:quantileerror",
                         "quantile_alpha": 0.7, "max_depth": 3}, 15, (2, 0)),
    "aft": ("aft", {"objective": "survival:aft", "aft_loss_distribution":
                    "normal", "max_depth": 3}, 15, (1, 0)),
    "cox": ("cox", {"objective": "survival:cox", "max_depth": 3}, 15, (1, 0)),
    # several targets: one tree per target, vector leaves, two quantiles
    "multi_target": ("reg2", {"objective": "reg:squarederror",
                              "tree_method": "hist", "max_depth": 3}, 5, (2, 0)),
    "vector_leaf": ("reg2", {"objective": "reg:squarederror",
                             "tree_method": "hist",
                             "multi_strategy": "multi_output_tree",
                             "max_depth": 3}, 5, (2, 0)),
    "quantiles": ("reg", {"objective": "reg:quantileerror",
                          "quantile_alpha": [0.2, 0.8], "max_depth": 3}, 5,
                  (2, 0)),
    "quantiles_vector": ("reg", {"objective": "reg:quantileerror",
                                 "quantile_alpha": [0.1, 0.5, 0.9],
                                 "tree_method": "hist",
                                 "multi_strategy": "multi_output_tree",
                                 "max_depth": 3}, 5, (2, 0)),
}

# Models model_deploy refuses (SQLSTATE 0A000 naming the feature): the
# oracle suite checks that they are refused, never scored.
REFUSED = {
    # several targets where predictions are not the margins
    "multi_label": ("binary2", {"objective": "binary:logistic",
                                "tree_method": "hist", "max_depth": 3}, 5,
                    (2, 0)),
}


# Models trained on a pandas DataFrame with categorical columns (XGBoost
# 3.1+ keeps their category names): name: (label kind, parameters, rounds,
# categories per categorical column).  Categories are listed in the order
# pandas codes them, not always sorted; "utf8" has non-ASCII names, which
# XGBoost before 3.4 saves cut short; "int" has whole-number categories.
CAT_CASES = {
    "cat_reg": ("reg", {"objective": "reg:squarederror", "max_depth": 4}, 12,
                {"colour": ["red", "blue", "green", "violet"],
                 "shape": ["hex", "sq", "tri"]}),
    "cat_onehot": ("binary", {"objective": "binary:logistic", "max_depth": 3,
                              "max_cat_to_onehot": 8}, 10,
                   {"colour": ["red", "blue", "green", "violet"]}),
    "cat_many": ("binary", {"objective": "binary:logistic", "max_depth": 4},
                 12, {"code": ["c%02d" % i for i in range(45)]}),
    "cat_multi": ("multi", {"objective": "multi:softprob", "num_class": 3,
                            "max_depth": 3}, 6,
                  {"colour": ["red", "blue", "green", "violet"]}),
    "cat_utf8": ("reg", {"objective": "reg:squarederror", "max_depth": 3}, 10,
                 {"city": ["Zürich", "Genève", "Köln", "Bern", "東京"]}),
    "cat_int": ("reg", {"objective": "reg:squarederror", "max_depth": 3}, 10,
                {"grade": [10, 20, 35]}),
}


def cat_frame(seed, cats, n=N_ROWS):
    """numeric f0..f2 and the categorical columns; a signal in both."""
    import pandas as pd
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 3))
    x[rng.uniform(size=x.shape) < 0.08] = np.nan
    df = pd.DataFrame(x, columns=["f0", "f1", "f2"])
    signal = np.nan_to_num(x[:, 0]) - 0.5 * np.nan_to_num(x[:, 1])
    for name, values in cats.items():
        codes = rng.randint(0, len(values), size=n)
        codes[rng.uniform(size=n) < 0.08] = -1      # missing
        df[name] = pd.Categorical.from_codes(codes, categories=values)
        effect = rng.normal(size=len(values))
        signal = signal + np.where(codes >= 0, effect[codes], 0.0)
    return df, signal, rng


def cat_codes(df):
    """The same rows with each category as its code (NaN: missing)."""
    out = df.copy()
    for c in df.columns:
        if str(df[c].dtype) == "category":
            codes = df[c].cat.codes.astype(float)
            out[c] = codes.where(codes >= 0, np.nan)
    return out.astype(float)


def cell(v):
    """A CSV field: empty for a missing value, repr() for a float."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def write_frame_csv(path, df):
    """Categories by name; empty = missing."""
    with open(path, "w") as f:
        f.write(",".join(df.columns) + "\n")
        for row in df.itertuples(index=False):
            f.write(",".join(cell(v) for v in row) + "\n")


def unknown_raises(bst, df, column, values):
    """Does this release refuse a category it was not trained with?  The
    unseen one sorts between two known ones (3.1 and 3.2 took the next)."""
    import pandas as pd
    one = df.iloc[:1].copy()
    first = sorted(values)[0]
    one[column] = pd.Categorical([first + 1 if isinstance(first, int)
                                  else first + "~"])
    try:
        bst.predict(xgb.DMatrix(one, enable_categorical=True, nthread=1))
        return False
    except (ValueError, xgb.core.XGBoostError):
        return True


def train_categorical(name, kind, params, rounds, cats):
    df, signal, rng = cat_frame(sum(map(ord, name)), cats)
    params = dict(params, seed=1, nthread=1, eta=0.3, tree_method="hist")
    d = xgb.DMatrix(df, label=label(kind, signal, rng), nthread=1,
                    enable_categorical=True)
    bst = xgb.train(params, d, rounds)
    path = os.path.join(OUT, name)
    bst.save_model(path + ".json")
    bst.save_model(path + ".ubj")
    bst = xgb.Booster(model_file=path + ".json")
    bst.set_param({"nthread": 1})
    d = xgb.DMatrix(df, nthread=1, enable_categorical=True)
    codes = cat_codes(df)
    dc = xgb.DMatrix(codes.values, nthread=1, feature_names=list(df.columns),
                     feature_types=["q" if str(df[c].dtype) != "category"
                                    else "c" for c in df.columns],
                     enable_categorical=True)
    write_frame_csv(path + ".csv", df)
    write_frame_csv(path + ".codes.csv", codes)
    ascii_names = all(str(v).isascii() for vs in cats.values() for v in vs)
    with open(path + ".expect.json", "w") as f:
        json.dump({"xgboost": xgb.__version__, "objective": params["objective"],
                   "rows": len(df),
                   "margin": floats(bst.predict(d, output_margin=True)),
                   "predict": floats(bst.predict(d)),
                   "margin_codes": floats(bst.predict(dc, output_margin=True)),
                   "margin_shape": list(np.shape(bst.predict(
                       d, output_margin=True))),
                   "categorical": list(cats),
                   "text": [c for c, vs in cats.items()
                            if isinstance(vs[0], str)],
                   # XGBoost < 3.4 measured the names in characters
                   "by_name": VERSION >= (3, 4) or ascii_names,
                   "unknown_raises": unknown_raises(bst, df, *next(
                       iter(cats.items())))},
                  f)


def floats(a):
    """float32 values as JSON numbers that read back to the same float32."""
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def write_csv(path, x):
    with open(path, "w") as f:
        f.write(",".join(NAMES) + "\n")
        for row in x:
            f.write(",".join("" if np.isnan(v) else repr(float(v))
                             for v in row) + "\n")


def train(name, kind, params, rounds):
    x, signal, rng = data(sum(map(ord, name)))
    params = dict(params, seed=1, nthread=1, eta=0.3)
    bst = xgb.train(params, dmatrix(kind, x, signal, rng), rounds)
    path = os.path.join(OUT, name)
    bst.save_model(path + ".json")
    bst.save_model(path + ".ubj")
    if name in REFUSED:
        return
    # the oracle is the file as this release reads it back
    bst = xgb.Booster(model_file=path + ".json")
    bst.set_param({"nthread": 1})
    d = xgb.DMatrix(x, nthread=1, feature_names=NAMES)
    margin = bst.predict(d, output_margin=True)
    pred = bst.predict(d)
    extra = {}
    if name == "multi_target":
        # TreeSHAP per target (XGBoost cannot explain vector leaves)
        extra["contribs"] = bst.predict(d, pred_contribs=True)[:20].tolist()
    write_csv(path + ".csv", x)
    with open(path + ".expect.json", "w") as f:
        json.dump({"xgboost": xgb.__version__, "objective": params["objective"],
                   "rows": len(x), "margin": floats(margin),
                   "margin_shape": list(np.shape(margin)),
                   "predict": floats(pred),
                   "predict_shape": list(np.shape(pred)), **extra}, f)


os.makedirs(OUT, exist_ok=True)
written = {"xgboost": xgb.__version__, "cases": [], "refused": [],
           "categorical": []}
if VERSION >= (3, 1):
    for name, (kind, params, rounds, cats) in CAT_CASES.items():
        train_categorical(name, kind, params, rounds, cats)
        written["categorical"].append(name)
for key, table in (("cases", CASES), ("refused", REFUSED)):
    for name, (kind, params, rounds, since) in table.items():
        if VERSION >= since:
            train(name, kind, params, rounds)
            written[key].append(name)
with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(written, f)
