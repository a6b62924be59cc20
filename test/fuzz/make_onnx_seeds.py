"""Write the small ONNX models that seed the fuzzers:
test/fuzz/seeds/onnx/*.onnx.

Each covers one path of parse_onnx.c and onnx_trees.c (a converter's graph
around a classifier or a regressor, ZipMap, Cast, Concat of named inputs,
every node mode, missing values tracking true, double attributes; and
onnx_prep.c and onnx_linear.c: Scaler, Imputer, Mul and Add before a
LinearRegressor or LinearClassifier, Normalizer after it) with two or
three trees of a few nodes (or a linear model of six features), so that an input is a few hundred bytes and
the fuzzer mutates real structure quickly.  Seeds of test/onnx/oracle.py's
hand-built graphs come from the same builder.

Run with the oracle environment (onnx, skl2onnx, onnxmltools):
  $(tools/venv oracle test/requirements.txt) test/fuzz/make_onnx_seeds.py
"""
import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "onnx"))
sys.path.insert(0, os.path.join(HERE, "..", "sklearn"))
OUT = os.path.join(HERE, "seeds", "onnx")
warnings.filterwarnings("ignore")


def main():
    import lightgbm
    import onnxmltools
    import xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    from skl2onnx import to_onnx
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.tree import DecisionTreeClassifier

    import onnx_linear
    import oracle

    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y2 = (X[:, 0] + X[:, 1] > 0).astype(int)
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    seeds = {}
    dt = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y3)
    seeds["skl2onnx_tree_zipmap"] = to_onnx(dt, X[:1])
    gb = GradientBoostingRegressor(n_estimators=3, max_depth=2).fit(X, X[:, 2])
    seeds["skl2onnx_gb_regressor"] = to_onnx(gb, X[:1])
    seeds["skl2onnx_gb_regressor_double"] = to_onnx(gb, X[:1].astype(float))
    types = [("input", FloatTensorType([None, 3]))]
    xg = xgboost.XGBClassifier(n_estimators=2, max_depth=2).fit(X, y2)
    seeds["onnxmltools_xgboost_binary"] = onnxmltools.convert_xgboost(
        xg, initial_types=types)
    lg = lightgbm.LGBMClassifier(n_estimators=2, num_leaves=3,
                                 verbose=-1).fit(X, y3)
    seeds["onnxmltools_lightgbm_multiclass"] = onnxmltools.convert_lightgbm(
        lg, initial_types=types, zipmap=False)
    os.makedirs(OUT, exist_ok=True)
    for name, m in seeds.items():
        with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())


    for name, data, _, _, _ in oracle.hand_cases():
        key = None
        if name.startswith("hand-built regressor BRANCH_") and \
                "(1, 0, 1)" in name:
            key = "hand_" + name.split()[2].split("/")[0].lower()
        elif "double input" in name:
            key = "hand_double_as_tensor"
        elif "one input per column" in name:
            key = "hand_named_columns"
        elif name.startswith("hand-built regressor MAX, PROBIT"):
            key = "hand_max_probit"
        elif "SOFTMAX_ZERO, 3 classes" in name and "base None" in name:
            key = "hand_softmax_zero"
        elif "string labels" in name:
            key = "hand_string_labels"
        elif "opset 5) modes [0, 1, 2], MEMBER, tracks_true (1, 1, 1)" in name:
            key = "hand_v5_member"
        elif "opset 5) aggregate 2, post_transform 4, double" in name:
            key = "hand_v5_min_probit_double"
        if key:
            with open(os.path.join(OUT, key + ".onnx"), "wb") as f:
                f.write(data)
    for name, data, _, _ in oracle.v5_target_cases(X):
        if "aggregate 1, post_transform 2, float" in name:
            with open(os.path.join(OUT, "hand_v5_targets_softmax.onnx"),
                      "wb") as f:
                f.write(data)
    # linear models and pre-processing (onnx_linear.py)
    linear = {"3 classes, SOFTMAX_ZERO": "hand_linear_softmax_zero",
              "one score of two classes, LOGISTIC": "hand_linear_one_score",
              "Normalizer L2": "hand_linear_normalizer_l2",
              "Imputer(0 -> 1.5)": "hand_linear_impute_scale_mul_add",
              "Scaler in double": "hand_linear_double_scaler"}
    for name, data, _, _, _ in onnx_linear.hand_cases():
        for needle, key in linear.items():
            if needle in name:
                with open(os.path.join(OUT, key + ".onnx"), "wb") as f:
                    f.write(data)



if __name__ == "__main__":
    main()
