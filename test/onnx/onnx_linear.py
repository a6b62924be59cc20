"""The ONNX linear models and pre-processing cases of test/onnx/oracle.py.

converter_cases(): skl2onnx's graphs of the scikit-learn pipelines of
test/sklearn/cases.py whose inputs are numbers (StandardScaler as Scaler,
SimpleImputer as Imputer, MinMaxScaler as Cast, Mul and Add; linear and
logistic regressions as LinearRegressor and LinearClassifier, multinomial
ones followed by Normalizer; trees after a scaler or an imputer).
hand_cases(): onnx.helper graphs for what those never show: every
post_transform, one score of two classes, string labels, every norm, a
Scaler of one value or on a double tensor, an Imputer of a number.
check_hostile(): malformed graphs that must be refused naming the node.
Each case is (name, model bytes, rows, classifier, columns), scored by
oracle.check against ONNX Runtime.
"""

import warnings

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_iris,
                              load_wine)

import mdcore
from oracle_tap import ok

warnings.filterwarnings("ignore")


def _holes(X, rng, share=0.08):
    X = X.copy()
    X[rng.random(X.shape) < share] = np.nan
    return X


def converter_cases():
    from skl2onnx import to_onnx
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression,
                                      LogisticRegression,
                                      LogisticRegressionCV, Ridge,
                                      SGDRegressor)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    rng = np.random.default_rng(5)
    Xb, yb = load_breast_cancer(return_X_y=True)
    Xw, yw = load_wine(return_X_y=True)
    Xi, yi = load_iris(return_X_y=True)
    Xd, yd = load_diabetes(return_X_y=True)
    iris_names = np.array(["setosa", "versicolor", "virginica"])[yi]
    std = StandardScaler
    pipes = [
        ("LinearRegression", LinearRegression(), Xd, yd, False, False),
        ("Ridge", Ridge(alpha=0.5), Xd, yd, False, False),
        ("StandardScaler + Lasso", make_pipeline(std(), Lasso(alpha=0.01)),
         Xd, yd, False, False),
        ("StandardScaler + SGDRegressor", make_pipeline(
            std(), SGDRegressor(random_state=0)), Xd, yd, False, False),
        ("MinMaxScaler + ElasticNet", make_pipeline(
            MinMaxScaler(), ElasticNet(alpha=0.01)), Xd, yd, False, False),
        ("SimpleImputer(median) + StandardScaler + LinearRegression",
         make_pipeline(SimpleImputer(strategy="median"), std(),
                       LinearRegression()), Xd, yd, False, True),
        ("StandardScaler + LogisticRegression binary", make_pipeline(
            std(), LogisticRegression(max_iter=2000)), Xb, yb, True, False),
        ("StandardScaler + LogisticRegression multinomial", make_pipeline(
            std(), LogisticRegression(max_iter=2000)), Xw, yw, True, False),
        ("StandardScaler + LogisticRegressionCV", make_pipeline(
            std(), LogisticRegressionCV(cv=3, max_iter=2000)), Xw, yw, True,
         False),
        ("SimpleImputer(mean) + LogisticRegression, string labels",
         make_pipeline(SimpleImputer(), std(),
                       LogisticRegression(max_iter=2000)), Xi, iris_names,
         True, True),
        ("StandardScaler + ExtraTreesRegressor", make_pipeline(
            std(), ExtraTreesRegressor(n_estimators=10, random_state=0)),
         Xd, yd, False, False),
        ("SimpleImputer + RandomForestClassifier", make_pipeline(
            SimpleImputer(strategy="median"),
            RandomForestClassifier(n_estimators=10, max_depth=5,
                                   random_state=0)), Xb, yb, True, True),
    ]
    cases = []
    for name, est, X, y, cls, holes in pipes:
        train = _holes(X, rng) if holes else X
        est.fit(train, y)
        m = to_onnx(est, X[:1].astype(np.float32),
                    options={"zipmap": False} if cls else None)
        test = X[::3].astype(np.float32)
        cases.append(("skl2onnx " + name, m.SerializeToString(),
                      _holes(test, rng) if holes else test, cls, None))
    return cases


def graph(nodes, n_features, outputs, double=False, inits=(), ml=1):
    elem = TensorProto.DOUBLE if double else TensorProto.FLOAT
    g = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("X", elem, [None, n_features])],
        [helper.make_tensor_value_info(o, t, None) for o, t in outputs],
        initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ai.onnx.ml",
                                                                ml)])
    m.ir_version = 8
    return m.SerializeToString()


def classifier(n_features, coef, intercepts, post, labels, norm=None,
               prep=(), inits=(), double=False):
    nodes = list(prep)
    x = nodes[-1].output[0] if nodes else "X"
    kw = {"classlabels_strings" if isinstance(labels[0], str)
          else "classlabels_ints": labels}
    if len(intercepts):
        kw["intercepts"] = list(intercepts)
    scores = "S0" if norm else "S"
    nodes.append(helper.make_node(
        "LinearClassifier", [x], ["L", scores], domain="ai.onnx.ml",
        coefficients=list(coef), post_transform=post, **kw))
    if norm:
        nodes.append(helper.make_node("Normalizer", ["S0"], ["S"],
                                      domain="ai.onnx.ml", norm=norm))
    lt = TensorProto.STRING if isinstance(labels[0], str) \
        else TensorProto.INT64
    return graph(nodes, n_features, [("L", lt), ("S", TensorProto.FLOAT)],
                 double, inits)


def regressor(n_features, coef, intercepts, post="NONE", prep=(), inits=(),
              double=False):
    nodes = list(prep)
    x = nodes[-1].output[0] if nodes else "X"
    kw = {"intercepts": list(intercepts)} if intercepts is not None else {}
    nodes.append(helper.make_node(
        "LinearRegressor", [x], ["Y"], domain="ai.onnx.ml",
        coefficients=list(coef), post_transform=post, **kw))
    return graph(nodes, n_features, [("Y", TensorProto.FLOAT)], double,
                 inits)


def hand_cases():
    rng = np.random.default_rng(8)
    nf = 6
    X = (rng.normal(size=(80, nf)) * [1, 3, 0.1, 10, 1, 2]).astype(
        np.float32)
    X[::7, 2] = 0.0
    coef = rng.normal(size=3 * nf).astype(np.float32)
    icpt = [0.25, -0.5, 0.125]
    cases = []
    for post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]:
        c = coef / 4 if post == "PROBIT" else coef
        cases.append(("hand-built LinearClassifier, 3 classes, %s" % post,
                      classifier(nf, c, icpt, post, [3, 5, 7]), X, True,
                      None))
    for post in ["NONE", "LOGISTIC", "SOFTMAX"]:
        cases.append(("hand-built LinearClassifier, one score of two "
                      "classes, %s" % post,
                      classifier(nf, coef[:nf] / 10, [0.1], post, [0, 1]),
                      X / 8, True, None))
    cases.append(("hand-built LinearClassifier, two classes, string labels",
                  classifier(nf, coef[:2 * nf], icpt[:2], "LOGISTIC",
                             ["no", "yes"]), X, True, None))
    for norm in ["MAX", "L1", "L2"]:
        cases.append(("hand-built LinearClassifier + Normalizer %s" % norm,
                      classifier(nf, coef, icpt, "NONE", [0, 1, 2], norm),
                      X, True, None))
    cases.append(("hand-built LinearRegressor, no intercepts",
                  regressor(nf, coef[:nf], None), X, False, None))
    cases.append(("hand-built LinearRegressor, PROBIT",
                  regressor(nf, coef[:nf] / 50, [0.1], "PROBIT"), X, False,
                  None))
    # a Scaler of one value, an Imputer of 0 by one value, Mul/Add of one
    prep = [helper.make_node("Imputer", ["X"], ["I"], domain="ai.onnx.ml",
                             imputed_value_floats=[1.5],
                             replaced_value_float=0.0),
            helper.make_node("Scaler", ["I"], ["Sc"], domain="ai.onnx.ml",
                             offset=[0.5], scale=[1.0 / 3]),
            helper.make_node("Mul", ["Sc", "m"], ["Mu"]),
            helper.make_node("Add", ["Mu", "a"], ["Ad"])]
    inits = [numpy_helper.from_array(np.array([0.7], np.float32), "m"),
             numpy_helper.from_array(np.array([-0.1], np.float32), "a")]
    cases.append(("hand-built Imputer(0 -> 1.5), Scaler of one value, Mul "
                  "and Add of one value, LinearRegressor",
                  regressor(nf, coef[:nf], [0.3], prep=prep, inits=inits),
                  X, False, None))
    # a double input: Scaler computes in double; Cast(float) then Imputer
    Xd = X.astype(np.float64) * (1 + 1e-9)
    Xd[::5, 1] = np.nan
    prep = [helper.make_node("Scaler", ["X"], ["Sc"], domain="ai.onnx.ml",
                             offset=list(rng.normal(size=nf)),
                             scale=list(rng.random(nf) + 0.5)),
            helper.make_node("Cast", ["Sc"], ["C"], to=TensorProto.FLOAT),
            helper.make_node("Imputer", ["C"], ["I"], domain="ai.onnx.ml",
                             imputed_value_floats=list(rng.normal(size=nf)),
                             replaced_value_float=np.nan)]
    cases.append(("hand-built double input: Scaler in double, Cast, Imputer "
                  "of NaN, LinearClassifier",
                  classifier(nf, coef, icpt, "SOFTMAX", [0, 1, 2],
                             prep=prep, double=True), Xd, True, None))
    cases.append(("hand-built double input: Cast to float, "
                  "LinearRegressor",
                  regressor(nf, coef[:nf], [0.3], prep=[helper.make_node(
                      "Cast", ["X"], ["C"], to=TensorProto.FLOAT)],
                      double=True), Xd, False, None))
    return cases


def ulps(got, want):
    """The largest distance in float32 units in the last place."""
    a = np.asarray(got, np.float32).view(np.int32).astype(np.int64)
    b = np.asarray(want, np.float32).view(np.int32).astype(np.int64)
    return int(np.abs(a - b).max())


def check_softmax_bound(core, tree_outputs):
    """SOFTMAX over 5 or more scores: ONNX Runtime's MlasComputeSoftmax
    (its own exp and summation) against ComputeSoftmax's arithmetic; the
    labels (chosen before the transform) equal.  Measured on these rows: 2,
    4 and 4 ulps for 5, 7 and 12 classes; asserted within 6."""
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 6)).astype(np.float32)
    for k in [5, 7, 12]:
        data = classifier(6, rng.normal(size=k * 6).astype(np.float32),
                          list(rng.normal(size=k)), "SOFTMAX",
                          list(range(k)))
        label, scores = tree_outputs(data, X, True)
        m = core.compile(data)
        got, st = m.score(X.astype(np.float64), 1)
        d = ulps(got, scores)
        ok(st == 0 and d <= 6, "hand-built LinearClassifier, %d classes, "
           "SOFTMAX: core probabilities within 6 ulps of ONNX Runtime's "
           "(measured %d)" % (k, d), d)
        got, st = m.score(X.astype(np.float64), 3)
        ok([int(m.class_label(int(c))) for c in got[:, 0]] == list(label),
           "hand-built LinearClassifier, %d classes: class labels equal "
           "ONNX Runtime's" % k)


def _refused(core, what, data, needle):
    try:
        core.compile(data)
        ok(False, "hostile ONNX (%s): refused" % what)
    except mdcore.CoreError as e:
        ok(needle in str(e), "hostile ONNX (%s): refused, naming it" % what,
           e)


def check_hostile(core, cur):
    nf = 3
    coef = [0.5, -1.0, 2.0]
    scaler = helper.make_node("Scaler", ["X"], ["Sc"], domain="ai.onnx.ml",
                              name="sc", offset=[0.0, 1.0], scale=[1.0])
    cases = [
        ("LinearRegressor with 2 coefficients for 3 features",
         regressor(nf, coef[:2], [0.0]), "2 coefficients"),
        ("LinearClassifier without intercepts",
         classifier(nf, coef, [], "NONE", [0, 1]), "no intercepts"),
        ("LinearClassifier with 3 labels for 2 intercepts",
         classifier(nf, coef * 2, [0.0, 1.0], "NONE", [0, 1, 2]),
         "one intercept per class label"),
        ("LinearClassifier, one score of two classes, PROBIT",
         classifier(nf, coef, [0.0], "PROBIT", [0, 1]), "PROBIT"),
        ("LinearRegressor with 2 targets",
         graph([helper.make_node("LinearRegressor", ["X"], ["Y"],
                                 domain="ai.onnx.ml", coefficients=coef * 2,
                                 targets=2)], nf,
               [("Y", TensorProto.FLOAT)]), "several targets"),
        ("Scaler with 2 offsets and 1 scale",
         regressor(nf, coef, [0.0], prep=[scaler]), "Scaler"),
        ("Scaler with 2 values for 3 features",
         regressor(nf, coef, [0.0], prep=[helper.make_node(
             "Scaler", ["X"], ["Sc"], domain="ai.onnx.ml",
             offset=[0.0, 1.0], scale=[1.0, 2.0])]), "one per feature"),
        ("Imputer of integers",
         regressor(nf, coef, [0.0], prep=[helper.make_node(
             "Imputer", ["X"], ["I"], domain="ai.onnx.ml",
             imputed_value_int64s=[1], replaced_value_int64=0)]),
         "Imputer"),
        ("Mul by a double constant",
         regressor(nf, coef, [0.0], prep=[helper.make_node(
             "Mul", ["X", "m"], ["M"])], inits=[numpy_helper.from_array(
                 np.array([2.0]), "m")]), "double"),
        ("Normalizer with norm L3",
         classifier(nf, coef * 2, [0.0, 1.0], "NONE", [0, 1], "L3"), "L3"),
        ("a MatMul before the model",
         regressor(nf, coef, [0.0], prep=[helper.make_node(
             "MatMul", ["X", "w"], ["M"])], inits=[numpy_helper.from_array(
                 np.eye(3, dtype=np.float32), "w")]), "MatMul"),
    ]
    two = helper.make_graph(
        [helper.make_node("LinearRegressor", ["X"], ["Y"],
                          domain="ai.onnx.ml", coefficients=coef),
         helper.make_node("LinearRegressor", ["X"], ["Z"],
                          domain="ai.onnx.ml", coefficients=coef)], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, nf])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    m = helper.make_model(two, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 1)])
    cases.append(("two estimators", m.SerializeToString(),
                  "more than one estimator"))
    for what, data, needle in cases:
        _refused(core, what, data, needle)
    exp = regressor(nf, coef, [0.0], prep=[helper.make_node(
        "Exp", ["X"], ["E"], name="e")])
    try:
        cur.execute("SELECT model_deploy.deploy('hostile_exp', %s::bytea, "
                    "'onnx')", (exp,))
        ok(False, "SQL: an Exp before a LinearRegressor is refused")
    except Exception as e:
        ok(getattr(e, "sqlstate", None) == "0A000" and "Exp" in str(e),
           "SQL: an ONNX Exp before a LinearRegressor is refused with 0A000 "
           "naming it", e)
