"""ONNX tree ensembles and linear models against ONNX Runtime itself (TAP
output).

Run by test/suites/onnx with $MD_ORACLE_PYTHON (onnxruntime 1.31.1, onnx,
skl2onnx, onnxmltools pinned in test/requirements.txt).  Models are made
here by the real converters -- skl2onnx for scikit-learn's decision trees,
random forests and gradient boosting (classifier and regressor, float and
double input), onnxmltools for XGBoost and LightGBM -- and by onnx.helper
for what converters never emit (every node mode, missing values tracking
true, MIN/MAX/AVERAGE, every post_transform, base values, double
attributes).  Linear models and pre-processing (onnx_linear.py): skl2onnx's
graphs of the scikit-learn pipelines of test/sklearn/cases.py that have
numbers only (Scaler, Imputer, Mul and Add before LinearRegressor,
LinearClassifier, Normalizer, or trees), and onnx.helper graphs for every
post_transform, norm and attribute variant.  On rows with missing values, each is scored by ONNX Runtime
(one thread: its tree order of summation) and by model_deploy through the
core (build/libmdscore.so), `mdscore predict` and SQL (array and row); the
outputs must be identical as float32 values, bit for bit.  TreeEnsemble
(opset 5) with several targets: predictions (core, mdscore) equal ONNX
Runtime's output, raw values (core, mdscore --raw, SQL predict_raw) its
output for the same graph without post_transform, and SQL predict() is
refused with 42809.  Hostile bytes
(truncated, huge lengths, unknown operators) must be refused with a clear
error.

Environment (set by test/run): MD_ROOT, PG_CONFIG, MD_ORACLE_PYTHON.
"""

import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

ROOT = os.environ.get("MD_ROOT", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "test", "sklearn"))
sys.path.insert(0, os.path.join(ROOT, "test", "onnx"))

import mdcore  # noqa: E402
import onnx_linear  # noqa: E402
from cluster import Cluster  # noqa: E402
import oracle_tap  # noqa: E402
from oracle_tap import ok  # noqa: E402

MDSCORE = os.path.join(ROOT, "build", "mdscore")
PREDICT, PROBA, RAW, CLASS = 0, 1, 2, 3
warnings.filterwarnings("ignore")


def first_difference(got, want):
    """None if got equals want as ONNX Runtime's values: float32, or float64
    where its output is double (TreeEnsemble with a double input); NaN
    equal to NaN."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want)
    if want.dtype != np.float64:
        want = want.astype(np.float32).astype(np.float64)
    if got.shape != want.shape:
        return "shapes %s and %s" % (got.shape, want.shape)
    bad = np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want))))
    if len(bad) == 0:
        return None
    i = tuple(bad[0])
    return "%d differ; first at %s: %r, ONNX Runtime %r" % (
        len(bad), i, float(got[i]), float(want[i]))


# --- ONNX Runtime --------------------------------------------------------

def ort_run(model_bytes, X, columns=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(model_bytes, so,
                             providers=["CPUExecutionProvider"])
    if columns:
        feeds = {c: X[:, [j]] for j, c in enumerate(columns)}
    else:
        feeds = {s.get_inputs()[0].name: X}
    return s.run(None, feeds)


def tree_outputs(model_bytes, X, classifier, columns=None):
    """(label or None, scores [n, k]) as the estimator writes them: a tree
    ensemble's own outputs, or the graph's (a linear model and the
    Normalizer after it)."""
    import onnx
    m = onnx.load_from_string(model_bytes)
    te = [n for n in m.graph.node if n.op_type.startswith("TreeEnsemble")]
    if not te:
        out = ort_run(model_bytes, X, columns)
        if classifier:
            return out[0], out[1]
        return None, out[0].reshape(len(X), -1)
    te = te[0]
    if te.op_type == "TreeEnsemble":
        return None, ort_run(model_bytes, X, columns)[0].reshape(len(X), -1)
    del m.graph.output[:]
    for name in te.output:
        m.graph.output.append(helper.make_empty_tensor_value_info(name))
    out = ort_run(m.SerializeToString(), X, columns)
    if classifier:
        return out[0], out[1]
    return None, out[0].reshape(len(X), -1)


# --- the models ----------------------------------------------------------

def with_missing(X, rng, share=0.1):
    X = X.copy()
    X[rng.random(X.shape) < share] = np.nan
    return X


def converter_cases(rng):
    from skl2onnx import to_onnx
    from sklearn.ensemble import (GradientBoostingClassifier,
                                  GradientBoostingRegressor,
                                  RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
    import lightgbm
    import onnxmltools
    import xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType

    Xb, yb = load_breast_cancer(return_X_y=True)
    Xi, yi = load_iris(return_X_y=True)
    Xd, yd = load_diabetes(return_X_y=True)
    tb = Xb[::4].astype(np.float32)
    ti = Xi[::2].astype(np.float32)
    td = Xd[::3].astype(np.float32)
    cases = []
    sk = [("DecisionTreeClassifier binary", DecisionTreeClassifier(
              max_depth=5, random_state=0), Xb, yb, tb, True),
          ("DecisionTreeClassifier 3 classes", DecisionTreeClassifier(
              max_depth=4, random_state=0), Xi, yi, ti, True),
          ("RandomForestClassifier binary", RandomForestClassifier(
              n_estimators=20, max_depth=6, random_state=0), Xb, yb, tb, True),
          ("RandomForestClassifier 3 classes", RandomForestClassifier(
              n_estimators=15, max_depth=4, random_state=0), Xi, yi, ti, True),
          ("GradientBoostingClassifier binary", GradientBoostingClassifier(
              n_estimators=30, max_depth=3, random_state=0), Xb, yb, tb, True),
          ("GradientBoostingClassifier 3 classes",
           GradientBoostingClassifier(n_estimators=20, max_depth=2,
                                      random_state=0), Xi, yi, ti, True),
          ("DecisionTreeRegressor", DecisionTreeRegressor(
              max_depth=6, random_state=0), Xd, yd, td, False),
          ("RandomForestRegressor", RandomForestRegressor(
              n_estimators=20, max_depth=5, random_state=0), Xd, yd, td,
           False),
          ("GradientBoostingRegressor", GradientBoostingRegressor(
              n_estimators=40, max_depth=3, random_state=0), Xd, yd, td,
           False)]
    for name, est, X, y, t, cls in sk:
        est.fit(X, y)
        m = to_onnx(est, X[:1].astype(np.float32),
                    options={id(est): {"zipmap": False}} if cls else None)
        cases.append(("skl2onnx " + name, m.SerializeToString(), t, cls,
                      None))
        if not cls:
            m = to_onnx(est, X[:1].astype(np.float64))
            cases.append(("skl2onnx %s (double input)" % name,
                          m.SerializeToString(), t.astype(np.float64), cls,
                          None))
    # ZipMap kept: the default output of a skl2onnx classifier
    est = RandomForestClassifier(n_estimators=5, max_depth=3,
                                 random_state=1).fit(Xi, yi)
    cases.append(("skl2onnx RandomForestClassifier with ZipMap",
                  to_onnx(est, Xi[:1].astype(np.float32))
                  .SerializeToString(), ti, True, None))
    xg = [("XGBClassifier binary", xgboost.XGBClassifier(
              n_estimators=30, max_depth=4), Xb, yb, tb, True),
          ("XGBClassifier 3 classes", xgboost.XGBClassifier(
              n_estimators=20, max_depth=3), Xi, yi, ti, True),
          ("XGBRegressor", xgboost.XGBRegressor(
              n_estimators=40, max_depth=4), Xd, yd, td, False)]
    lg = [("LGBMClassifier binary", lightgbm.LGBMClassifier(
              n_estimators=30, num_leaves=15, verbose=-1), Xb, yb, tb, True),
          ("LGBMClassifier 3 classes", lightgbm.LGBMClassifier(
              n_estimators=20, num_leaves=7, verbose=-1), Xi, yi, ti, True),
          ("LGBMRegressor", lightgbm.LGBMRegressor(
              n_estimators=40, num_leaves=15, verbose=-1), Xd, yd, td, False)]
    for name, est, X, y, t, cls in xg + lg:
        est.fit(with_missing(X, rng), y)
        types = [("input", FloatTensorType([None, X.shape[1]]))]
        if name.startswith("XGB"):
            m = onnxmltools.convert_xgboost(est, initial_types=types)
        else:
            m = onnxmltools.convert_lightgbm(est, initial_types=types,
                                             zipmap=False)
        cases.append(("onnxmltools " + name, m.SerializeToString(), t, cls,
                      None))
    return cases


def ensemble(op, n_classes, attrs, n_features=3, double=False,
             columns=None):
    """A graph of one tree ensemble, as onnx.helper builds it."""
    elem = TensorProto.DOUBLE if double else TensorProto.FLOAT
    nodes = []
    if columns:
        inputs = [helper.make_tensor_value_info(c, elem, [None, 1])
                  for c in columns]
        nodes.append(helper.make_node("Concat", columns, ["X"], axis=1))
    else:
        inputs = [helper.make_tensor_value_info("X", elem,
                                                [None, n_features])]
    outs = ["label", "scores"] if op == "TreeEnsembleClassifier" else ["Y"]
    nodes.append(helper.make_node(op, ["X"], outs, domain="ai.onnx.ml",
                                  **attrs))
    if op == "TreeEnsembleClassifier":
        outputs = [helper.make_tensor_value_info("label", TensorProto.INT64,
                                                 [None]),
                   helper.make_tensor_value_info("scores", TensorProto.FLOAT,
                                                 [None, n_classes])]
    else:
        outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT,
                                                 [None, 1])]
    g = helper.make_graph(nodes, "g", inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("ai.onnx.ml",
                                                                3)])
    m.ir_version = 8
    return m.SerializeToString()


def ensemble_v5(attrs, double=False, n_features=3):
    """A graph of one TreeEnsemble (ai.onnx.ml opset 5)."""
    elem = TensorProto.DOUBLE if double else TensorProto.FLOAT
    node = helper.make_node("TreeEnsemble", ["X"], ["Y"],
                            domain="ai.onnx.ml", **attrs)
    g = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", elem,
                                                    [None, n_features])],
        [helper.make_tensor_value_info("Y", elem,
                                       [None, max(attrs["n_targets"], 1)])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21),
                                            helper.make_opsetid("ai.onnx.ml",
                                                                5)])
    m.ir_version = 10
    return m.SerializeToString()


def v5_trees(modes, tracks, agg, post, double):
    """Tree 0: a split, then a MEMBER node; tree 1: two splits; tree 2: a
    single leaf (a root whose two branches lead to leaf 0)."""
    real = np.float64 if double else np.float32
    return dict(
        tree_roots=[0, 2, 4],
        nodes_featureids=[0, 1, 2, 0, 0],
        nodes_modes=numpy_helper.from_array(
            np.array([modes[0], 6, modes[1], modes[2], 0], dtype=np.uint8)),
        nodes_splits=numpy_helper.from_array(
            np.array([0.25, 0, 1.0, -0.5, 0], dtype=real)),
        nodes_truenodeids=[1, 1, 3, 4, 0],
        nodes_trueleafs=[0, 1, 1, 1, 1],
        nodes_falsenodeids=[0, 2, 3, 5, 0],
        nodes_falseleafs=[1, 1, 0, 1, 1],
        nodes_missing_value_tracks_true=[tracks[0], tracks[1], 0, tracks[2],
                                         0],
        membership_values=numpy_helper.from_array(
            np.array([-1.0, 1.0, 2.0, np.nan], dtype=real)),
        leaf_targetids=[0] * 6,
        leaf_weights=numpy_helper.from_array(
            np.array([0.5, -1.25, 2.0, 0.125, -0.75, 0.3], dtype=real)),
        n_targets=1, aggregate_function=agg, post_transform=post)


def v5_cases(X):
    cases = []
    for i in range(6):
        for tracks in [(0, 0, 0), (1, 1, 1)]:
            modes = [i, (i + 1) % 6, (i + 2) % 6]
            cases.append(("hand-built TreeEnsemble (opset 5) modes %s, "
                          "MEMBER, tracks_true %s" % (modes, tracks),
                          ensemble_v5(v5_trees(modes, tracks, 1, 0, False)),
                          X, False, None))
    for agg in range(4):
        for post in [0, 4]:
            for double in [False, True]:
                cases.append(("hand-built TreeEnsemble (opset 5) aggregate "
                              "%d, post_transform %d, %s" %
                              (agg, post, "double" if double else "float"),
                              ensemble_v5(v5_trees([0, 3, 1], (1, 0, 1), agg,
                                                   post, double), double),
                              X.astype(np.float64) if double else X, False,
                              None))
    return cases


def v5_targets(agg, post, double, n_targets=4):
    """v5_trees with its six leaves spread over targets 0 to 2 (two
    trees weigh on target 1; target 3, if there, has no leaf)."""
    a = v5_trees([0, 3, 1], (1, 0, 1), agg, post, double)
    a.update(leaf_targetids=[0, 1, 2, 1, 2, 0], n_targets=n_targets)
    return a


def v5_target_cases(X):
    """(name, model, the same model without its post_transform, X) of
    TreeEnsemble with several targets: every aggregate function, every
    post_transform (numbered as ONNX Runtime numbers them), float and
    double."""
    cases = []
    for agg in range(4):
        for post in range(5):
            for double in [False, True]:
                a = v5_targets(agg, post, double)
                raw = dict(a, post_transform=0)
                cases.append(("hand-built TreeEnsemble (opset 5), 4 targets, "
                              "aggregate %d, post_transform %d, %s" %
                              (agg, post, "double" if double else "float"),
                              ensemble_v5(a, double), ensemble_v5(raw, double),
                              X.astype(np.float64) if double else X))
    cases.append(("hand-built TreeEnsemble (opset 5), 3 targets, "
                  "every one weighed on",
                  ensemble_v5(v5_targets(1, 2, False, 3)),
                  ensemble_v5(v5_targets(1, 0, False, 3)), X))
    return cases


def two_trees(modes, tracks=(0, 0, 0, 0)):
    """Tree 0: split f0 then f1; tree 1: split f2 (node ids out of order)."""
    return dict(
        nodes_treeids=[0, 0, 0, 0, 0, 1, 1, 1],
        nodes_nodeids=[0, 1, 2, 3, 4, 2, 0, 1],
        nodes_featureids=[0, 1, 0, 0, 0, 0, 2, 0],
        nodes_modes=[modes[0], modes[1], "LEAF", "LEAF", "LEAF", "LEAF",
                     modes[2], "LEAF"],
        nodes_values=[0.25, -0.5, 0, 0, 0, 0, 1.0, 0],
        nodes_truenodeids=[1, 3, 0, 0, 0, 0, 1, 0],
        nodes_falsenodeids=[2, 4, 0, 0, 0, 0, 2, 0],
        nodes_missing_value_tracks_true=[tracks[0], tracks[1], 0, 0, 0, 0,
                                         tracks[2], 0])


LEAVES = [(0, 2), (0, 3), (0, 4), (1, 1), (1, 2)]


def hand_cases():
    rng = np.random.default_rng(3)
    X = rng.choice([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, np.nan],
                   size=(64, 3)).astype(np.float32)
    X[:, 0] += rng.normal(scale=0.01, size=64).astype(np.float32) * (
        rng.random(64) < 0.5)
    cases = []
    modes = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT",
             "BRANCH_EQ", "BRANCH_NEQ"]
    weights = [0.5, -1.25, 2.0, 0.125, -0.75]

    def reg(mode3, tracks, agg, post, base):
        a = two_trees(mode3, tracks)
        a.update(target_treeids=[t for t, _ in LEAVES],
                 target_nodeids=[n for _, n in LEAVES],
                 target_ids=[0] * 5, target_weights=weights, n_targets=1,
                 aggregate_function=agg, post_transform=post)
        if base is not None:
            a["base_values"] = base
        return a

    for i, m in enumerate(modes):
        mode3 = [m, modes[(i + 1) % 6], modes[(i + 2) % 6]]
        for tracks in [(0, 0, 0, 0), (1, 0, 1, 0)]:
            cases.append(("hand-built regressor %s/%s/%s, tracks_true %s"
                          % (mode3[0], mode3[1], mode3[2], tracks[:3]),
                          ensemble("TreeEnsembleRegressor", 1,
                                   reg(mode3, tracks, "SUM", "NONE", None)),
                          X, False, None))
    for agg in ["SUM", "AVERAGE", "MIN", "MAX"]:
        for post, base in [("NONE", [0.375]), ("PROBIT", None),
                           ("LOGISTIC", [-0.25])]:
            cases.append(("hand-built regressor %s, %s, base %s"
                          % (agg, post, base),
                          ensemble("TreeEnsembleRegressor", 1,
                                   reg(["BRANCH_LEQ", "BRANCH_GT",
                                        "BRANCH_LT"], (1, 0, 0, 0), agg,
                                       post, base)), X, False, None))
    # classifiers: every post transform, base values, class layouts
    for post in ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]:
        for n_cls, ids, base in [(3, [0, 1, 2, 0, 2], None),
                                 (3, [0, 1, 2, 1, 0], [0.1, -0.2, 0.3]),
                                 (2, [0, 0, 0, 0, 0], None),
                                 (2, [1, 1, 1, 1, 1], [0.25]),
                                 (2, [0, 1, 0, 1, 1], None),
                                 (2, [0, 1, 0, 1, 1], [0.5, -0.5])]:
            a = two_trees(["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE"],
                          (0, 1, 0, 0))
            a.update(class_treeids=[t for t, _ in LEAVES],
                     class_nodeids=[n for _, n in LEAVES], class_ids=ids,
                     class_weights=weights, post_transform=post,
                     classlabels_int64s=list(range(10, 10 + n_cls)))
            if base is not None:
                a["base_values"] = base
            cases.append(("hand-built classifier %s, %d classes, ids %s, "
                          "base %s" % (post, n_cls, ids, base),
                          ensemble("TreeEnsembleClassifier", n_cls, a), X,
                          True, None))
    # positive weights, binary case: [1 - p, p]
    a = two_trees(["BRANCH_LEQ", "BRANCH_LEQ", "BRANCH_LEQ"])
    a.update(class_treeids=[t for t, _ in LEAVES],
             class_nodeids=[n for _, n in LEAVES], class_ids=[0] * 5,
             class_weights=[0.1, 0.3, 0.2, 0.25, 0.4],
             classlabels_strings=["no", "yes"])
    cases.append(("hand-built classifier, positive weights, string labels",
                  ensemble("TreeEnsembleClassifier", 2, a), X, True, None))
    # double input, double attributes (opset 3 *_as_tensor)
    a = reg(["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GT"], (1, 0, 0, 0), "SUM",
            "NONE", None)
    a["nodes_values_as_tensor"] = numpy_helper.from_array(
        np.array(a.pop("nodes_values"), dtype=np.float64) + 1e-9)
    a["target_weights_as_tensor"] = numpy_helper.from_array(
        np.array(a.pop("target_weights"), dtype=np.float64) / 3.0)
    Xd = X.astype(np.float64) + 1e-9 * (rng.random(X.shape) < 0.5)
    cases.append(("hand-built regressor, double input and *_as_tensor",
                  ensemble("TreeEnsembleRegressor", 1, a, double=True), Xd,
                  False, None))
    # one input per column: feature names
    a = reg(["BRANCH_LEQ", "BRANCH_GT", "BRANCH_EQ"], (0, 0, 0, 0), "SUM",
            "NONE", [1.5])
    cases += v5_cases(X)
    cases.append(("hand-built regressor, one input per column",
                  ensemble("TreeEnsembleRegressor", 1, a,
                           columns=["a", "b", "c"]), X, False,
                  ["a", "b", "c"]))
    return cases


# --- the checks ----------------------------------------------------------

def mdscore(args, model_path, X, columns, workdir):
    csv = os.path.join(workdir, "in.csv")
    cols = columns or ["f%d" % j for j in range(X.shape[1])]
    with open(csv, "w") as f:
        f.write(",".join(cols) + "\n")
        for row in X:
            f.write(",".join("" if np.isnan(v) else repr(float(v))
                             for v in row) + "\n")
    r = subprocess.run([MDSCORE, "predict"] + args + [model_path, csv],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr
    return np.array([[float(v) for v in line.split(",")]
                     for line in r.stdout.splitlines()]), None


def check(core, cur, idx, name, data, X, classifier, columns, workdir):
    label, scores = tree_outputs(data, X, classifier, columns)
    try:
        model = core.compile(data)
    except mdcore.CoreError as e:
        ok(False, "%s: compiles" % name, e)
        return
    ok(model.info.format == 5, "%s: recognised as ONNX" % name)
    x = X.astype(np.float64)
    if classifier:
        got, st = model.score(x, PROBA)
        if np.isnan(got[:, 1]).all() and scores.shape[1] == 2:
            # one score left (PROBIT, or no second class): ONNX Runtime
            # writes Z[:, 0] only; its Z[:, 1] is whatever memory held
            scores = scores.copy()
            scores[:, 1] = np.nan
        ok(st == 0 and first_difference(got, scores) is None,
           "%s: core probabilities equal ONNX Runtime's" % name,
           first_difference(got, scores))
        got, st = model.score(x, CLASS)
        labels = [model.class_label(int(k)) for k in got[:, 0]]
        names = [model.class_label(k) for k in range(scores.shape[1])]
        want = [str(v.decode() if isinstance(v, bytes) else v)
                for v in label]
        # two classes with weights on both: ONNX Runtime answers 0 or 1,
        # the class's index, not its label (TreeAggregatorClassifier's
        # positive_label_/negative_label_); model_deploy names the class
        want = [names[int(v)] if v not in names else v for v in want]
        ok(labels == want, "%s: core class labels equal ONNX Runtime's"
           % name, (labels[:8], want[:8]))
        want_sql = scores
        fn = "predict_proba"
    else:
        got, st = model.score(x, PREDICT)
        ok(st == 0 and first_difference(got, scores) is None,
           "%s: core predictions equal ONNX Runtime's" % name,
           first_difference(got, scores))
        want_sql = scores
        fn = "predict"
    path = os.path.join(workdir, "m%d.onnx" % idx)
    with open(path, "wb") as f:
        f.write(data)
    got, e = mdscore(["--proba"] if classifier else [], path, X, columns,
                     workdir)
    ok(e is None and first_difference(got, want_sql) is None,
       "%s: mdscore equals ONNX Runtime" % name,
       e or first_difference(got, want_sql))
    mname = "onnx_%d" % idx
    cur.execute("SELECT model_deploy.deploy(%s, %s::bytea, 'onnx')",
                (mname, data))
    rows = [[None if np.isnan(v) else float(v) for v in r] for r in x]
    got = []
    for r in rows:
        cur.execute("SELECT model_deploy.%s(%%s, %%s::float8[])" % fn,
                    (mname, r))
        v = cur.fetchone()[0]
        got.append(v if isinstance(v, list) else [v])
    got = np.array(got, dtype=float).reshape(np.shape(want_sql))
    ok(first_difference(got, want_sql) is None,
       "%s: SQL %s by array equals ONNX Runtime" % (name, fn),
       first_difference(got, want_sql))
    if columns:
        cur.execute("DROP TABLE IF EXISTS onnx_rows; CREATE TABLE onnx_rows "
                    "(id int, %s)" % ", ".join("%s float8" % c
                                               for c in columns))
        for i, r in enumerate(rows):
            cur.execute("INSERT INTO onnx_rows VALUES (%s)" %
                        ", ".join(["%s"] * (len(r) + 1)), [i] + r)
        cur.execute("SELECT model_deploy.%s(%%s, t) FROM onnx_rows t "
                    "ORDER BY id" % fn, (mname,))
        got = np.array([v[0] for v in cur.fetchall()],
                       dtype=float).reshape(np.shape(want_sql))
        ok(first_difference(got, want_sql) is None,
           "%s: SQL %s by row (columns by name) equals ONNX Runtime"
           % (name, fn), first_difference(got, want_sql))


def check_targets(core, cur, idx, name, data, raw_data, X, workdir):
    """Several targets: predict (core, mdscore) is ONNX Runtime's output;
    raw values (core, mdscore --raw, SQL predict_raw) are its output for
    the same model without post_transform; SQL predict() is refused."""
    want = tree_outputs(data, X, False)[1]
    want_raw = tree_outputs(raw_data, X, False)[1]
    try:
        model = core.compile(data)
    except mdcore.CoreError as e:
        ok(False, "%s: compiles" % name, e)
        return
    x = X.astype(np.float64)
    for kind, label, expect in ((PREDICT, "predictions", want),
                                (RAW, "raw values", want_raw)):
        got, st = model.score(x, kind)
        ok(st == 0 and first_difference(got, expect) is None,
           "%s: core %s equal ONNX Runtime's" % (name, label),
           first_difference(got, expect))
    path = os.path.join(workdir, "t%d.onnx" % idx)
    with open(path, "wb") as f:
        f.write(data)
    for args, label, expect in (([], "predict", want),
                                (["--raw"], "predict --raw", want_raw)):
        got, e = mdscore(args, path, X, None, workdir)
        ok(e is None and first_difference(got, expect) is None,
           "%s: mdscore %s equals ONNX Runtime" % (name, label),
           e or first_difference(got, expect))
    mname = "onnx_targets_%d" % idx
    cur.execute("SELECT model_deploy.deploy(%s, %s::bytea, 'onnx')",
                (mname, data))
    got = []
    for r in x:
        cur.execute("SELECT model_deploy.predict_raw(%s, %s::float8[])",
                    (mname, [None if np.isnan(v) else float(v) for v in r]))
        got.append(cur.fetchone()[0])
    got = np.array(got, dtype=float)
    ok(first_difference(got, want_raw) is None,
       "%s: SQL predict_raw equals ONNX Runtime without post_transform"
       % name, first_difference(got, want_raw))
    try:
        cur.execute("SELECT model_deploy.predict(%s, %s::float8[])",
                    (mname, [0.0] * X.shape[1]))
        ok(False, "%s: SQL predict() is refused" % name)
    except Exception as e:
        diag = getattr(e, "diag", None)
        hint = getattr(diag, "message_hint", None) or ""
        ok(getattr(e, "sqlstate", None) == "42809" and
           "predict_raw()" in hint and "targets" in str(e),
           "%s: SQL predict() is refused with 42809, hinting predict_raw()"
           % name, (e, hint))


def check_hostile(core, cur, data):
    import onnx
    m = onnx.load_from_string(data)
    cases = [("truncated", data[:len(data) // 2], "not a valid protobuf"),
             ("truncated to 3 bytes", data[:3], "not a valid protobuf"),
             ("a length of 2^31", data[:2] + b"\x3a\xff\xff\xff\xff\x07"
              + data[2:], "not a valid protobuf")]
    exp = m.__class__()
    exp.CopyFrom(m)
    exp.graph.node.append(helper.make_node("Exp", ["Y"], ["Z"]))
    cases.append(("an Exp node", exp.SerializeToString(), "Exp"))
    lin = m.__class__()
    lin.CopyFrom(m)
    [n for n in lin.graph.node
     if n.op_type.startswith("Tree")][0].op_type = "LinearRegressor"
    cases.append(("a LinearRegressor", lin.SerializeToString(),
                  "LinearRegressor"))
    cyc = m.__class__()
    cyc.CopyFrom(m)
    trees = [n for n in cyc.graph.node if n.op_type.startswith("Tree")][0]
    for a in trees.attribute:
        if a.name == "nodes_truenodeids":
            a.ints[1] = 0
    cases.append(("a cycle", cyc.SerializeToString(), "cycle"))
    a = v5_trees([0, 1, 2], (0, 0, 0), 1, 0, False)
    a["membership_values"] = numpy_helper.from_array(
        np.array([-0.5, 1.0, np.nan], dtype=np.float32))
    cases.append(("TreeEnsemble with a non-integer BRANCH_MEMBER value",
                  ensemble_v5(a), "not an integer"))
    for what, change, needle in (
            ("a target id of n_targets", dict(leaf_targetids=[0, 1, 2, 1, 4,
                                                              0]),
             "leaf 4 is for target 4, and n_targets is 4"),
            ("a negative target id", dict(leaf_targetids=[0, 1, -1, 1, 2,
                                                          0]),
             "leaf 2 is for target -1"),
            ("n_targets 0", dict(n_targets=0), "one target or more"),
            ("n_targets -3", dict(n_targets=-3), "one target or more"),
            ("n_targets 2^40", dict(n_targets=2 ** 40), "targets"),
            ("post_transform 5", dict(post_transform=5), "out of range"),
            ("leaf_targetids shorter than leaf_weights",
             dict(leaf_targetids=[0, 1, 2]), "wrong length")):
        a = v5_targets(1, 2, False)
        a.update(change)
        cases.append(("TreeEnsemble with several targets, " + what,
                      ensemble_v5(a), needle))
    for what, bad, needle in cases:
        try:
            core.compile(bad)
            ok(False, "hostile ONNX (%s): refused" % what)
        except mdcore.CoreError as e:
            ok(needle in str(e), "hostile ONNX (%s): refused, naming it"
               % what, e)
    a = v5_targets(1, 2, False)
    a["leaf_targetids"] = [0, 1, 2, 1, 7, 0]
    try:
        cur.execute("SELECT model_deploy.deploy('hostile', %s::bytea, "
                    "'onnx')", (ensemble_v5(a),))
        ok(False, "SQL: a TreeEnsemble target id out of range is refused")
    except Exception as e:
        ok(getattr(e, "sqlstate", None) == "22023" and
           "leaf 4 is for target 7" in str(e),
           "SQL: a TreeEnsemble target id out of range is refused with "
           "22023 naming the leaf", e)
    try:
        cur.execute("SELECT model_deploy.deploy('hostile', %s::bytea, "
                    "'onnx')", (exp.SerializeToString(),))
        ok(False, "SQL: an Exp node is refused")
    except Exception as e:
        ok(getattr(e, "sqlstate", None) == "0A000" and "Exp" in str(e),
           "SQL: an ONNX Exp node is refused with 0A000 naming it", e)


def main():
    core = mdcore.Core(os.path.join(ROOT, "build", "libmdscore.so"))
    rng = np.random.default_rng(11)
    cases = converter_cases(rng) + hand_cases()
    linear = onnx_linear.converter_cases() + onnx_linear.hand_cases()
    cluster = Cluster()
    try:
        conn = cluster.connect()
        cur = conn.cursor()
        cur.execute("CREATE EXTENSION model_deploy")
        with tempfile.TemporaryDirectory() as workdir:
            for i, (name, data, X, cls, cols) in enumerate(cases):
                if not np.isnan(X).any():
                    X = with_missing(X, rng, 0.05)
                check(core, cur, i, name, data, X, cls, cols, workdir)
            rng = np.random.default_rng(5)
            for i, (name, data, raw, X) in enumerate(
                    v5_target_cases(cases[-1][2])):
                check_targets(core, cur, i, name, data, raw,
                              with_missing(X, rng, 0.05), workdir)
            for i, (name, data, X, cls, cols) in enumerate(linear):
                check(core, cur, len(cases) + i, name, data, X, cls, cols,
                      workdir)
        check_hostile(core, cur, cases[-1][1])
        onnx_linear.check_softmax_bound(core, tree_outputs)
        onnx_linear.check_hostile(core, cur)
    finally:
        cluster.stop()
    status = oracle_tap.plan()
    print("# %d passed, %d failed" % (oracle_tap.n_tests - oracle_tap.n_failed,
                                       oracle_tap.n_failed))
    return status


if __name__ == "__main__":
    sys.exit(main())
