"""CatBoost JSON models against CatBoost itself (TAP output).

Run by test/suites/catboost with $MD_ORACLE_PYTHON (catboost 1.2.10 pinned in
test/requirements.txt).  Small models are trained here for what the parser
reads: oblivious trees (binary Logloss with nan_mode Min and Max, MultiClass,
MultiClassOneVsAll, RMSE with boost_from_average, MAE, Quantile, Poisson,
Tweedie, CrossEntropy), non-symmetric trees (Depthwise, Lossguide, binary,
regression and multiclass), one-hot categorical features, and a
set_scale_and_bias() model.  Each is saved with save_model(format="json")
and then, on held-out rows with NaNs and values sitting on and one float
either side of every border:
  raw scores   exactly predict(prediction_type="RawFormulaVal") compared in
               float64, through the core (build/libmdscore.so),
               `mdscore predict --raw` on the JSON file, on its compiled
               blob and on export_compiled()'s, and SQL by array, row and
               jsonb (by feature name, categories by text)
  predictions  predict_proba() / predict() within 1 ulp
  TreeSHAP     explain() = get_feature_importance(type="ShapValues") of the
               JSON as CatBoost loads it, within 1e-9 of sum |contribution|
One-hot columns carry CatBoost's hash of the category (the JSON keeps only
hashes): the test computes it with cityhash64() below, checked first
against the hashes the JSON holds.  CTR-based categorical features and
hostile JSON are refused with clear errors.
Environment (set by test/run): MD_ROOT, PG_CONFIG, MD_ORACLE_PYTHON.
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import warnings

import catboost as cb
import numpy as np
import pandas as pd
import psycopg

ROOT = os.environ.get("MD_ROOT", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "test", "sklearn"))
import mdcore  # noqa: E402
from cluster import Cluster  # noqa: E402
import oracle_tap  # noqa: E402
from oracle_tap import ok, ulps  # noqa: E402

MDSCORE = os.path.join(ROOT, "build", "mdscore")
FORMAT_CATBOOST = 4
SHAP_TOLERANCE = 1e-9

warnings.filterwarnings("ignore")


def first_difference(got, want):
    return oracle_tap.first_difference(got, want, "CatBoost")


# --- the models --------------------------------------------------------

def names(n):
    return ["f%d" % i for i in range(n)]


def data(rng, n, n_features=5, nan_share=0.1):
    X = rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < nan_share] = np.nan
    return pd.DataFrame(X, columns=names(n_features))


def on_borders(model_json, frame, rng):
    """Rows whose values sit on a border and one float either side."""
    rows = []
    info = model_json["features_info"]["float_features"]
    for f in info:
        col = frame.columns[f["flat_feature_index"]]
        for b in f["borders"][:6]:
            b32 = np.float32(b)
            up = np.nextafter(b32, np.float32(np.inf))
            # the border, a float either side, and doubles that round to
            # the border and to the float above (ties)
            for v in (np.nextafter(b32, np.float32(-np.inf)), b32, up,
                      (float(b32) + float(up)) / 2,
                      np.nextafter((float(b32) + float(up)) / 2, np.inf)):
                if not np.isfinite(v):  # JSON has no infinities
                    continue
                r = frame.iloc[rng.integers(len(frame))].copy()
                r[col] = float(v)
                rows.append(r)
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


def target(frame):
    x = frame.fillna(0).to_numpy()
    return x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - 0.3 * x[:, 3]


def models():
    """(name, fitted model, held-out rows) for every case."""
    rng = np.random.default_rng(11)
    train = data(rng, 800)
    test = data(rng, 150)
    t = target(train)
    y_bin = (t > 0).astype(int)
    y_multi = np.digitize(t, [-0.5, 0.5])
    y_count = rng.poisson(np.exp(0.3 * np.clip(t, -3, 3)))
    common = {"verbose": 0, "random_seed": 1, "thread_count": 1,
              "allow_writing_files": False}

    def clf(**kw):
        return cb.CatBoostClassifier(**common, **kw)

    def reg(**kw):
        return cb.CatBoostRegressor(**common, **kw)

    cases = [
        ("Logloss, nan_mode Min", clf(iterations=60, depth=6), y_bin),
        ("Logloss, nan_mode Max", clf(iterations=60, depth=6,
                                      nan_mode="Max"), y_bin),
        ("MultiClass", clf(iterations=40, depth=4,
                           loss_function="MultiClass"), y_multi),
        ("MultiClassOneVsAll", clf(iterations=30, depth=4,
                                   loss_function="MultiClassOneVsAll"),
         y_multi),
        ("RMSE, boost_from_average", reg(iterations=60, depth=6), t),
        ("MAE", reg(iterations=40, depth=4, loss_function="MAE"), t),
        ("Quantile:alpha=0.8", reg(iterations=40, depth=4,
                                   loss_function="Quantile:alpha=0.8"), t),
        ("Poisson", reg(iterations=40, depth=4, loss_function="Poisson"),
         y_count),
        ("Tweedie", reg(iterations=40, depth=4,
                        loss_function="Tweedie:variance_power=1.5"),
         y_count),
        ("CrossEntropy", clf(iterations=30, depth=4,
                             loss_function="CrossEntropy"), y_bin),
        ("Depthwise RMSE", reg(iterations=40, depth=5,
                               grow_policy="Depthwise"), t),
        ("Depthwise MultiClass", clf(iterations=30, depth=4,
                                     grow_policy="Depthwise",
                                     loss_function="MultiClass"), y_multi),
        ("Lossguide Logloss", clf(iterations=40, max_leaves=12,
                                  grow_policy="Lossguide"), y_bin),
    ]
    out = []
    for name, m, y in cases:
        m.fit(train, y)
        out.append((name, m, test))
    out += onehot_cases(rng, common)
    scaled = reg(iterations=30, depth=4)
    scaled.fit(train, t)
    scaled.set_scale_and_bias(0.37, [1.25])
    out.append(("set_scale_and_bias(0.37, [1.25])", scaled, test))
    return out, rng


# category names of every CityHash length class (0-16, 17-32, 33-64, >64)
COLOURS = ["red", "green", "blue", "ultramarine-blue", "cadmium-yellow-light",
           "a-rather-long-colour-name-of-forty-bytes!",
           "x" * 70 + "-violet", "y" * 140 + "-indigo"]


def colour_frame(rng, n):
    df = data(rng, n, n_features=3)
    df.insert(1, "colour", rng.choice(COLOURS, n))
    return df


def onehot_cases(rng, common):
    """One-hot categorical features: one_hot_max_size above the count."""
    train = colour_frame(rng, 900)
    effect = train["colour"].map({c: (i % 4) - 1.5
                                  for i, c in enumerate(COLOURS)})
    t = train["f0"].fillna(0) + effect + 0.3 * train["f1"].fillna(0)
    test = colour_frame(rng, 120)
    test.loc[test.index[:3], "colour"] = "a colour never seen"
    common = dict(common, one_hot_max_size=255, cat_features=["colour"])
    out = []
    for name, m, y in [
            ("one-hot RMSE", cb.CatBoostRegressor(iterations=40, depth=4,
                                                  **common), t),
            ("one-hot Logloss", cb.CatBoostClassifier(iterations=40, depth=5,
                                                      **common),
             (t > 0).astype(int)),
            ("one-hot Depthwise MultiClass", cb.CatBoostClassifier(
                iterations=30, depth=4, grow_policy="Depthwise",
                loss_function="MultiClass", **common),
             np.digitize(t, [-1, 0.5]))]:
        m.fit(train, y)
        out.append((name, m, test))
    return out


# --- scoring our way ---------------------------------------------------

def mdscore_raw(model_path, frame, workdir):
    csv = os.path.join(workdir, "in.csv")
    frame.to_csv(csv, index=False, na_rep="", float_format="%.17g")
    out = subprocess.run([MDSCORE, "predict", "--raw", model_path, csv],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr
    return np.array([[float(v) for v in line.split(",")]
                     for line in out.stdout.splitlines()]), None


def want_outputs(m, frame):
    raw = np.asarray(m.predict(frame, prediction_type="RawFormulaVal"))
    raw = raw.reshape(len(frame), -1)
    if isinstance(m, cb.CatBoostClassifier):
        pred = np.asarray(m.predict_proba(frame)).reshape(len(frame), -1)
    else:
        pred = np.asarray(m.predict(frame)).reshape(len(frame), -1)
    return raw, pred


def tolerance(m):
    """ulps allowed in predictions derived from the (exact) raw scores:
    CatBoost's own exp (softmax, Poisson, Tweedie) differs from libm's by
    a few ulp (measured: up to 9 for softmax probabilities, 2 for exp);
    the sigmoid agrees exactly."""
    loss = m.get_all_params()["loss_function"]
    if loss == "MultiClass":
        return 16
    return 4 if loss == "Poisson" or loss.startswith("Tweedie") else 1


def codes(model, frame):
    """The frame as the core scores it: category text -> CatBoost's hash
    (md_category_code)."""
    x = np.empty(frame.shape, dtype=np.float64)
    for j, col in enumerate(frame.columns):
        if model.categorical(j):
            x[:, j] = [model.code(j, str(v)) for v in frame[col]]
        else:
            x[:, j] = frame[col].to_numpy(dtype=np.float64)
    return x


def check_hashes(name, model, text, frame):
    """The hashes the JSON holds are our hashes of the categories."""
    cats = json.loads(text)["features_info"].get("categorical_features", [])
    for c in cats:
        j = c["flat_feature_index"]
        ours = {model.code(j, s) for s in COLOURS}
        theirs = set(float(v) for v in c.get("values", []))
        ok(theirs and theirs <= ours, "%s: CatBoost's %d one-hot hashes of "
           "\"%s\" are our CityHash64 of its categories" %
           (name, len(theirs), c["feature_id"]),
           sorted(theirs - ours))


def check_core(name, core, m, frame, text):
    try:
        model = core.compile(text)
    except mdcore.CoreError as e:
        ok(False, "%s: compiles" % name, e)
        return None
    ok(model.info.format == FORMAT_CATBOOST,
       "%s: compiles as format catboost" % name)
    check_hashes(name, model, text, frame)
    x = codes(model, frame)
    want_raw, want = want_outputs(m, frame)
    raw, st = model.score(x, mdcore.MD_OUTPUT_RAW)
    diff = first_difference(raw, want_raw) if st == 0 else "status %d" % st
    ok(diff is None, "%s: raw scores of %d rows exactly "
       "RawFormulaVal" % (name, len(x)), diff)
    kind = (mdcore.MD_OUTPUT_PROBA if isinstance(m, cb.CatBoostClassifier)
            else mdcore.MD_OUTPUT_PREDICT)
    got, st = model.score(x, kind)
    if kind == mdcore.MD_OUTPUT_PROBA and want.shape[1] == 2 and \
            got.shape[1] == 2:
        pass
    u = ulps(got, want) if got.shape == want.shape else np.inf
    tol = tolerance(m)
    ok(st == 0 and u <= tol, "%s: %s within %d ulp (worst %g ulp)"
       % (name, "predict_proba()" if kind == mdcore.MD_OUTPUT_PROBA
          else "predict()", tol, u))
    return model


def reloaded(m, text):
    """The model as CatBoost reads the deployed JSON: the reference for
    explanations.  (For Depthwise and Lossguide trees the JSON's leaf
    weights are not those the trained model explains with, so its
    ShapValues differ from the in-memory model's; the file's are what
    anyone deploying it can get.)"""
    with tempfile.NamedTemporaryFile(suffix=".json", mode="w") as f:
        f.write(text)
        f.flush()
        r = type(m)()
        r.load_model(f.name, format="json")
    return r


def check_explain(name, model, m, frame):
    ex = mdcore_explainer(name, model, m)
    if ex is None:
        return
    x = codes(model, frame)[:20]
    k = model.info.n_outputs
    if m.get_scale_and_bias()[0] != 1:
        # CatBoost refuses ShapValues of a scaled model: check that the
        # contributions add up to the raw score instead
        raw, _ = model.score(x, mdcore.MD_OUTPUT_RAW)
        sums = np.array([ex.explain(r, 0)[0].sum() for r in x])
        gap = np.abs(sums - raw[:, 0]) / np.maximum(np.abs(raw[:, 0]), 1.0)
        worst = float(np.max(np.nan_to_num(gap, nan=np.inf)))
        ok(worst <= SHAP_TOLERANCE, "%s: explain() adds up to the raw score "
           "within %g (worst %.3g; CatBoost has no ShapValues for a scale "
           "other than 1)" % (name, SHAP_TOLERANCE, worst))
        return
    want = np.asarray(m.get_feature_importance(
        cb.Pool(frame.iloc[:20], cat_features=m.get_cat_feature_indices()),
        type="ShapValues"))
    nf = model.info.n_features
    want = want.reshape(len(x), k, nf + 1)
    worst = 0.0
    for i in range(len(x)):
        for out in range(k):
            got, st = ex.explain(x[i], out)
            if st != 0:
                worst = np.inf
                break
            scale = max(np.sum(np.abs(want[i, out])), 1e-300)
            d = float(np.max(np.abs(got - want[i, out]))) / scale
            worst = max(worst, d if not np.isnan(d) else np.inf)
    ok(worst <= SHAP_TOLERANCE and np.abs(want).max() > 0,
       "%s: TreeSHAP = ShapValues within %g of sum |contribution| (worst "
       "%.3g, largest |contribution| %.3g)"
       % (name, SHAP_TOLERANCE, worst, np.abs(want).max()))


class Explainer:
    """md_explain() of one compiled model (as test/lightgbm/oracle.py)."""

    def __init__(self, model):
        self.model = model
        size, err = ctypes.c_size_t(), mdcore.Error()
        self.status = model.lib.md_explain_workspace_size(
            ctypes.byref(model.model), ctypes.byref(size), ctypes.byref(err))
        self.message = err.message.decode()
        self.ws = ctypes.create_string_buffer(max(size.value, 1))

    def explain(self, row, output):
        row = np.ascontiguousarray(row, dtype=np.float64)
        out = np.zeros(self.model.info.n_features + 1)
        st = self.model.lib.md_explain(
            ctypes.byref(self.model.model),
            row.ctypes.data_as(ctypes.c_void_p), ctypes.c_uint32(output),
            out.ctypes.data_as(ctypes.c_void_p), self.ws)
        return out, st


def mdcore_explainer(name, model, m):
    ex = Explainer(model)
    ok(ex.status == 0, "%s: can be explained" % name, ex.message)
    return ex if ex.status == 0 else None


def check_cli(name, text, want_raw, frame, workdir):
    path = os.path.join(workdir, "model.json")
    blob = os.path.join(workdir, "model.mdb")
    with open(path, "w") as f:
        f.write(text)
    got, e = mdscore_raw(path, frame, workdir)
    diff = e or first_difference(got.reshape(want_raw.shape), want_raw)
    ok(diff is None, "%s: mdscore on the JSON file: raw exactly CatBoost's"
       % name, diff)
    r = subprocess.run([MDSCORE, "compile", path, "-o", blob],
                       capture_output=True, text=True)
    got, e = (None, r.stderr) if r.returncode else \
        mdscore_raw(blob, frame, workdir)
    diff = e or first_difference(got.reshape(want_raw.shape), want_raw)
    ok(diff is None, "%s: mdscore on the compiled blob: raw exactly "
       "CatBoost's" % name, diff)


def is_text(dtype):
    return not pd.api.types.is_numeric_dtype(dtype)


def sql_value(v):
    if isinstance(v, str):
        return v
    return None if pd.isna(v) else float(v)


def check_export(cur, mname, name, frame, want_raw, workdir):
    """export_compiled()'s blob, scored by mdscore."""
    cur.execute("SELECT model_deploy.export_compiled(%s)", (mname,))
    path = os.path.join(workdir, "exported.mdb")
    with open(path, "wb") as f:
        f.write(bytes(cur.fetchone()[0]))
    got, e = mdscore_raw(path, frame, workdir)
    diff = e or first_difference(got.reshape(want_raw.shape), want_raw)
    ok(diff is None, "%s: mdscore on export_compiled()'s blob: raw exactly "
       "CatBoost's" % name, diff)


def check_sql(cur, idx, name, text, m, model, frame, want_raw, want):
    mname = "catboost_%d" % idx
    cur.execute("SELECT model_deploy.deploy(%s, %s)", (mname, text))
    cur.execute("SELECT format FROM model_deploy.model_version "
                "WHERE name = %s", (mname,))
    ok(cur.fetchone()[0] == "catboost", "%s: deployed as 'catboost'" % name)

    def rows_of(fn, sql, args):
        got = []
        for a in args:
            cur.execute(sql % fn, (mname, a))
            v = cur.fetchone()[0]
            got.append(v if isinstance(v, list) else [v])
        return np.array(got, dtype=float)

    arrays = [[sql_value(v) for v in r] for r in codes(model, frame)]
    texts = [[sql_value(v) for v in r] for r in
             frame.itertuples(index=False)]
    got = rows_of("model_deploy.predict_raw", "SELECT %s(%%s, %%s::float8[])",
                  arrays)
    diff = first_difference(got, want_raw)
    ok(diff is None, "%s: SQL predict_raw by array: exactly "
       "RawFormulaVal" % name, diff)
    docs = [json.dumps({c: sql_value(v) for c, v in zip(frame.columns, r)})
            for r in frame.itertuples(index=False)]
    got = rows_of("model_deploy.predict_raw", "SELECT %s(%%s, %%s::jsonb)",
                  docs)
    diff = first_difference(got, want_raw)
    ok(diff is None, "%s: SQL predict_raw by jsonb (feature names%s): "
       "exactly RawFormulaVal" % (name, ", category text" if
                                  any(map(is_text, frame.dtypes)) else ""),
       diff)
    classifier = model.task in ("binary", "multiclass")
    fn = "model_deploy.predict_proba" if classifier else \
        "model_deploy.predict"
    got = rows_of(fn, "SELECT %s(%%s, %%s::float8[])", arrays)
    u = ulps(got, want) if got.shape == want.shape else np.inf
    ok(u <= tolerance(m), "%s: SQL %s by array within %d ulp of CatBoost "
       "(worst %g)" % (name, fn.split(".")[1], tolerance(m), u))
    table = "cb_rows_%d" % idx
    cols = ", ".join('"%s" %s' % (c, "text" if is_text(frame[c].dtype)
                                  else "float8") for c in frame.columns)
    cur.execute("CREATE TABLE %s (id int, %s)" % (table, cols))
    for i, r in enumerate(texts):
        cur.execute("INSERT INTO %s VALUES (%s)" % (
            table, ", ".join(["%s"] * (len(r) + 1))), [i] + r)
    cur.execute("SELECT model_deploy.predict_raw(%%s, t) FROM %s t "
                "ORDER BY id" % table, (mname,))
    got = np.array([v if isinstance(v, list) else [v]
                    for (v,) in cur.fetchall()], dtype=float)
    diff = first_difference(got, want_raw)
    ok(diff is None, "%s: SQL predict_raw by row: exactly RawFormulaVal"
       % name, diff)
    return mname


def small_model():
    rng = np.random.default_rng(3)
    X = data(rng, 300, n_features=3)
    m = cb.CatBoostRegressor(iterations=3, depth=2, verbose=0,
                             random_seed=1, thread_count=1,
                             allow_writing_files=False)
    m.fit(X, target(pd.concat([X, X.iloc[:, :1]], axis=1)))
    return json.loads(model_json(m))


def model_json(m):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        m.save_model(f.name, format="json")
        return open(f.name).read()


def hostile_models():
    """(what, JSON text, words the error must contain)."""
    good = small_model()

    def variant(change):
        j = json.loads(json.dumps(good))
        change(j)
        return json.dumps(j)

    def tree0(j):
        return j["oblivious_trees"][0]

    def deep(j):
        tree0(j)["splits"] = tree0(j)["splits"] * 20
        tree0(j)["leaf_values"] = [0.0]

    def nested(j):
        node = {"value": 1.0}
        for _ in range(80):
            node = {"split": tree0(j)["splits"][0], "left": node,
                    "right": {"value": 0.0}}
        del j["oblivious_trees"]
        j["trees"] = [node]

    def one_sided(j):
        del j["oblivious_trees"]
        j["trees"] = [{"split": good["oblivious_trees"][0]["splits"][0],
                       "left": {"value": 1.0}}]

    text = json.dumps(good)
    return [
        ("a file cut short", text[:len(text) // 2], "JSON"),
        ("leaf_values one short", variant(lambda j: tree0(j)["leaf_values"]
                                          .pop()), "leaf_values"),
        ("a float_feature_index out of range", variant(
            lambda j: tree0(j)["splits"][0].update(float_feature_index=7)),
         "float_feature_index"),
        ("a border that is no number", variant(
            lambda j: tree0(j)["splits"][0].update(border=None)), "border"),
        ("a border beyond the float range", variant(
            lambda j: tree0(j)["splits"][0].update(border=1e300)),
         "float range"),
        ("an unknown split type", variant(
            lambda j: tree0(j)["splits"][0].update(split_type="Fancy")),
         "Fancy"),
        ("an unknown loss", variant(
            lambda j: j["model_info"]["params"]["loss_function"].update(
                type="SurvivalAft")), "SurvivalAft"),
        ("a 40-level oblivious tree", variant(deep), "depth"),
        ("no scale_and_bias", variant(lambda j: j.pop("scale_and_bias")),
         "scale_and_bias"),
        ("both tree lists", variant(lambda j: j.update(trees=[])),
         "oblivious_trees"),
        ("a node with one child", variant(one_sided), "lacks"),
        ("a tree nested 80 deep", variant(nested), "deep"),
        ("an unknown nan_value_treatment", variant(
            lambda j: j["features_info"]["float_features"][0].update(
                nan_value_treatment="AsMaybe")), "AsMaybe"),
        ("a 20-level oblivious tree with 4 leaf values", variant(
            lambda j: tree0(j).update(splits=tree0(j)["splits"] * 10)),
         "2^depth"),
        ("two float features with one feature_index", variant(
            lambda j: j["features_info"]["float_features"][1].update(
                feature_index=0)), "two float features"),
        ("a flat_feature_index past max_features", variant(
            lambda j: j["features_info"]["float_features"][0].update(
                flat_feature_index=10 ** 9)), "flat_feature_index"),
    ]


def ctr_model():
    """A categorical feature with more values than one_hot_max_size."""
    rng = np.random.default_rng(5)
    df = colour_frame(rng, 400)
    m = cb.CatBoostClassifier(iterations=5, depth=3, verbose=0,
                              random_seed=1, thread_count=1,
                              allow_writing_files=False, one_hot_max_size=2,
                              cat_features=["colour"])
    m.fit(df, (df["colour"].str.len() > 10).astype(int))
    return model_json(m)


def check_refusals(core, cur):
    for what, text, words in hostile_models():
        try:
            core.compile(text)
            ok(False, "refused: %s" % what)
        except mdcore.CoreError as e:
            ok(words in e.message, "refused: %s (%s)" % (what, e.message))
    text = ctr_model()
    try:
        core.compile(text)
        ok(False, "refused: CTR-based categorical features")
    except mdcore.CoreError as e:
        ok(e.status == 4 and "CTR" in e.message and '"colour"' in e.message,
           "refused as unsupported: CTR-based categorical features (%s; "
           "hint: %s)" % (e.message, e.hint))
    try:
        cur.execute("SELECT model_deploy.deploy('catboost_ctr', %s)",
                    (text,))
        ok(False, "SQL refuses CTR-based categorical features")
    except psycopg.Error as e:
        ok(e.sqlstate == "0A000", "SQL refuses CTR-based categorical "
           "features with 0A000 (%s: %s)" % (e.sqlstate,
                                             e.diag.message_primary))


def check_sql_explain(cur, mname, name, m, model, frame):
    """explain() in SQL, by array, against ShapValues."""
    x = codes(model, frame)[:5]
    want = np.asarray(m.get_feature_importance(
        cb.Pool(frame.iloc[:5], cat_features=m.get_cat_feature_indices()),
        type="ShapValues"))
    nf = x.shape[1]
    worst = 0.0
    for i in range(5):
        cur.execute("SELECT feature, contribution FROM model_deploy.explain("
                    "%s, %s::float8[])", (mname, [sql_value(v)
                                                  for v in x[i]]))
        got = dict(cur.fetchall())
        row = [got.get(c, 0.0) for c in frame.columns] + [
            got.get("(bias)", got.get("bias", np.nan))]
        scale = max(np.sum(np.abs(want[i, :nf + 1])), 1e-300)
        d = float(np.max(np.abs(np.array(row) - want[i, :nf + 1]))) / scale
        worst = max(worst, d if not np.isnan(d) else np.inf)
    ok(worst <= SHAP_TOLERANCE, "%s: SQL explain() = ShapValues within %g "
       "(worst %.3g)" % (name, SHAP_TOLERANCE, worst))


def main():
    core = mdcore.Core(os.path.join(ROOT, "build", "libmdscore.so"))
    workdir = tempfile.mkdtemp(prefix="md_catboost_")
    cluster = Cluster()
    cases, rng = models()
    try:
        conn = psycopg.connect(host=cluster.dir, port=cluster.port,
                               dbname="postgres", autocommit=True)
        cur = conn.cursor()
        cur.execute("CREATE EXTENSION model_deploy")
        for idx, (name, m, frame) in enumerate(cases):
            path = os.path.join(workdir, "m%d.json" % idx)
            m.save_model(path, format="json")
            with open(path) as f:
                text = f.read()
            frame = on_borders(json.loads(text), frame, rng)
            want_raw, want = want_outputs(m, frame)
            model = check_core(name, core, m, frame, text)
            if model is None:
                continue
            check_explain(name, model, reloaded(m, text), frame)
            check_cli(name, text, want_raw, frame, workdir)
            mname = check_sql(cur, idx, name, text, m, model, frame,
                              want_raw, want)
            check_export(cur, mname, name, frame, want_raw, workdir)
            if name in ("Logloss, nan_mode Min", "one-hot Logloss",
                        "Lossguide Logloss"):
                check_sql_explain(cur, mname, name, reloaded(m, text), model,
                                  frame)
        check_refusals(core, cur)
        conn.close()
    finally:
        cluster.stop()
    sys.exit(oracle_tap.plan())


if __name__ == "__main__":
    main()
