"""LightGBM text models against LightGBM itself (TAP output).

Run by test/suites/lightgbm with $MD_ORACLE_PYTHON (lightgbm 4.7.0 pinned in
test/requirements.txt).  Small models are trained here, on data sets that
scikit-learn ships, for every objective and tree feature the parser reads:
binary, multiclass, multiclassova, the regression family (L2, sqrt, L1,
huber, fair, quantile, mape), poisson, gamma, tweedie, cross_entropy,
cross_entropy_lambda, lambdarank, rank_xendcg; boosting=rf
(average_output), dart, goss; the three missing-value rules (NaN, Zero, None);
categorical splits from a pandas categorical column scored by category
name; linear trees; single-leaf trees.  Each is saved with
Booster.save_model() and then, on held-out rows with missing values, zeros
and tiny values mixed in:

  raw scores   exactly Booster.predict(raw_score=True), through the core
               (build/libmdscore.so), `mdscore predict --raw` on the text
               file and on its compiled blob, and SQL by array, row and
               jsonb
  predictions  Booster.predict() within 1 ulp (probabilities, values)
  TreeSHAP     explain() = predict(pred_contrib=True) within 1e-9 of the
               row's sum |contribution| (the same algorithm in double; the
               operation order differs a little)

Environment (set by test/run): MD_ROOT, PG_CONFIG, MD_ORACLE_PYTHON.
"""

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import psycopg
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_iris,
                              load_wine)

ROOT = os.environ.get("MD_ROOT", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "test", "sklearn"))

import mdcore  # noqa: E402
from cluster import Cluster  # noqa: E402
import oracle_tap  # noqa: E402
from oracle_tap import ok, ulps  # noqa: E402

MDSCORE = os.path.join(ROOT, "build", "mdscore")
SHAP_TOLERANCE = 1e-9
warnings.filterwarnings("ignore")


def first_difference(got, want):
    return oracle_tap.first_difference(got, want, "LightGBM")


# --- the models --------------------------------------------------------

def names(n):
    return ["f%d" % i for i in range(n)]


def with_missing(X, rng, share=0.1):
    """Some values NaN, some exactly 0, some tiny (below 1e-35)."""
    X = X.copy()
    m = rng.random(X.shape)
    X[m < share] = np.nan
    X[(m >= share) & (m < share * 1.5)] = 0.0
    X[(m >= share * 1.5) & (m < share * 1.6)] = 1e-40
    return X


def params(**kw):
    p = {"verbose": -1, "num_leaves": 7, "min_data_in_leaf": 5,
         "learning_rate": 0.3, "seed": 1, "num_threads": 1,
         "deterministic": True}
    p.update(kw)
    return p


def models():
    """(name, booster, test rows as a DataFrame) for every case."""
    rng = np.random.default_rng(7)
    bc = load_breast_cancer()
    Xb = bc.data[:, :8]
    yb = bc.target
    db = load_diabetes()
    Xd, yd = db.data, db.target
    ir = load_iris()
    wi = load_wine()

    def frame(X):
        return pd.DataFrame(X, columns=names(X.shape[1]))

    def train(p, X, y, rounds=8, **ds):
        return lgb.train(p, lgb.Dataset(frame(X), y, **ds),
                         num_boost_round=rounds)

    Xb_nan = with_missing(Xb, rng)
    Xd_nan = with_missing(Xd, rng)
    test_b = frame(with_missing(Xb[::3], rng))
    test_d = frame(with_missing(Xd[::3], rng))
    cases = [
        ("binary (NaN missing)", train(params(objective="binary"),
                                       Xb_nan, yb), test_b),
        ("binary sigmoid 0.7", train(params(objective="binary", sigmoid=0.7),
                                     Xb, yb), test_b),
        ("binary zero_as_missing", train(params(objective="binary",
                                                zero_as_missing=True),
                                         Xb_nan, yb), test_b),
        ("binary use_missing=false", train(params(objective="binary",
                                                  use_missing=False),
                                           Xb, yb), test_b),
        ("rf (average_output)", train(params(objective="binary",
                                             boosting="rf", bagging_freq=1,
                                             bagging_fraction=0.7),
                                      Xb_nan, yb), test_b),
        ("dart", train(params(objective="binary", boosting="dart"), Xb_nan,
                       yb), test_b),
        ("goss", train(params(objective="binary",
                              data_sample_strategy="goss"), Xb_nan, yb),
         test_b),
        # 63 leaves grown leaf-wise on few rows: trees 9 to 20 deep, too
        # deep for a complete layout (dtree_fast.c steps them by nodes)
        ("deep trees (63 leaves)", train(params(objective="regression",
                                                num_leaves=63,
                                                min_data_in_leaf=1),
                                         Xd_nan, yd), test_d),
        ("deep trees zero_as_missing", train(params(objective="binary",
                                                    num_leaves=63,
                                                    min_data_in_leaf=1,
                                                    zero_as_missing=True),
                                             Xb_nan, yb), test_b),
        ("multiclass", train(params(objective="multiclass", num_class=3),
                             with_missing(ir.data, rng), ir.target),
         frame(with_missing(ir.data[::2], rng))),
        ("multiclassova", train(params(objective="multiclassova",
                                       num_class=3),
                                wi.data, wi.target),
         frame(with_missing(wi.data[::2], rng))),
    ]
    for obj in ["regression", "regression_l1", "huber", "fair", "quantile",
                "mape", "poisson", "gamma", "tweedie"]:
        cases.append((obj, train(params(objective=obj), Xd_nan, yd), test_d))
    cases.append(("regression sqrt", train(params(objective="regression",
                                                  reg_sqrt=True),
                                           Xd_nan, yd), test_d))
    y01 = (yd - yd.min()) / (yd.max() - yd.min())
    for obj in ["cross_entropy", "cross_entropy_lambda"]:
        cases.append((obj, train(params(objective=obj), Xd_nan, y01),
                      test_d))
    rel = np.digitize(yd, np.percentile(yd, [40, 70, 90]))
    group = [20] * (len(yd) // 20) + [len(yd) % 20]
    for obj in ["lambdarank", "rank_xendcg"]:
        cases.append((obj, train(params(objective=obj), Xd_nan, rel,
                                 group=[g for g in group if g]), test_d))
    cases.append(("linear trees", train(params(objective="regression",
                                               linear_tree=True),
                                        Xd_nan, yd), test_d))
    cases.append(("single-leaf trees", train(params(objective="regression"),
                                             Xd, np.full(len(yd), 3.5),
                                             rounds=3), test_d))
    cases += categorical_cases(rng)
    return cases


COLOURS = ["blue", "green", "red", "violet", "yellow"]


def colour_frame(rng, n):
    df = pd.DataFrame({
        "size": rng.normal(size=n),
        "colour": pd.Categorical(rng.choice(COLOURS, n), categories=COLOURS),
        "weight": rng.normal(size=n),
    })
    df.loc[rng.random(n) < 0.1, "size"] = np.nan
    df.loc[rng.random(n) < 0.05, "colour"] = np.nan
    return df


def categorical_cases(rng):
    df = colour_frame(rng, 600)
    effect = df["colour"].map({"blue": 0.0, "green": 1.5, "red": -1.0,
                               "violet": 2.0, "yellow": 0.5}).astype(float)
    y = (df["size"].fillna(0) + effect.fillna(0) + 0.3 * df["weight"] > 0.8)
    test = colour_frame(rng, 200)
    cat = lgb.train(params(objective="binary", min_data_per_group=5,
                           cat_smooth=1, max_cat_to_onehot=2),
                    lgb.Dataset(df, y), num_boost_round=10)
    yl = 2 * df["size"].fillna(0) + effect.fillna(0) - df["weight"]
    lin = lgb.train(params(objective="regression", linear_tree=True,
                           min_data_per_group=5, cat_smooth=1),
                    lgb.Dataset(df, yl), num_boost_round=10)
    return [("categorical (pandas, by name)", cat, test),
            ("categorical + linear trees", lin, test)]


# --- scoring our way ---------------------------------------------------

def codes(model, frame):
    """The frame as the core scores it: categories by name -> codes."""
    x = np.empty(frame.shape, dtype=np.float64)
    for j, col in enumerate(frame.columns):
        if model.categorical(j):
            x[:, j] = [np.nan if pd.isna(v) else model.code(j, str(v))
                       for v in frame[col]]
        else:
            x[:, j] = frame[col].to_numpy(dtype=np.float64)
    return x


class Explainer:
    def __init__(self, model):
        self.model = model
        lib = model.lib
        size, err = ctypes.c_size_t(), mdcore.Error()
        self.status = lib.md_explain_workspace_size(
            ctypes.byref(model.model), ctypes.byref(size), ctypes.byref(err))
        self.message = err.message.decode()
        self.ws = ctypes.create_string_buffer(max(size.value, 1))

    def explain(self, row, output):
        n = self.model.info.n_features
        row = np.ascontiguousarray(row, dtype=np.float64)
        out = np.zeros(n + 1)
        st = self.model.lib.md_explain(
            ctypes.byref(self.model.model),
            row.ctypes.data_as(ctypes.c_void_p), ctypes.c_uint32(output),
            out.ctypes.data_as(ctypes.c_void_p), self.ws)
        return out, st


def mdscore_raw(model_path, frame, workdir):
    csv = os.path.join(workdir, "in.csv")
    frame.to_csv(csv, index=False, na_rep="")
    out = subprocess.run([MDSCORE, "predict", "--raw", model_path, csv],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr
    return np.array([[float(v) for v in line.split(",")]
                     for line in out.stdout.splitlines()]), None


# --- the checks --------------------------------------------------------

def check_core(name, core, booster, frame, text):
    try:
        model = core.compile(text)
    except mdcore.CoreError as e:
        ok(False, "%s: compiles" % name, e)
        return None, None
    ok(model.info.format == 3, "%s: compiles as format lightgbm" % name)
    x = codes(model, frame)
    want_raw = booster.predict(frame, raw_score=True)
    want = booster.predict(frame)
    k = model.info.n_outputs
    raw, st = model.score(x, mdcore.MD_OUTPUT_RAW)
    ok(st == 0 and first_difference(raw.reshape(want_raw.shape),
                                    want_raw) is None,
       "%s: raw scores of %d rows exactly predict(raw_score=True)"
       % (name, len(x)), first_difference(raw.reshape(want_raw.shape),
                                          want_raw))
    if model.task in ("binary", "multiclass"):
        got, st = model.score(x, mdcore.MD_OUTPUT_PROBA)
        if model.task == "binary":
            got = got[:, 1]
    else:
        got, st = model.score(x, mdcore.MD_OUTPUT_PREDICT)
        got = got[:, 0]
    u = ulps(got.reshape(want.shape), want)
    ok(st == 0 and u <= 1, "%s: predictions within 1 ulp of predict() "
       "(worst %g ulp)" % (name, u))
    if k > 1:
        cls, _ = model.score(x, mdcore.MD_OUTPUT_CLASS)
        ok(np.array_equal(cls[:, 0], np.argmax(want, axis=1)),
           "%s: class = argmax of the probabilities" % name)
    return model, x


def check_explain(name, model, booster, frame, x):
    ex = Explainer(model)
    linear = any("is_linear=1" in line
                 for line in booster.model_to_string().splitlines())
    if linear:
        ok(ex.status == 4 and "linear" in ex.message,
           "%s: explain() refused for linear trees (unsupported): %s"
           % (name, ex.message))
        return
    if not ok(ex.status == 0, "%s: can be explained" % name, ex.message):
        return
    want = booster.predict(frame, pred_contrib=True)
    k = model.info.n_outputs
    nf = model.info.n_features
    want = np.asarray(want).reshape(len(x), k, nf + 1)
    worst = 0.0
    for i in range(len(x)):
        for out in range(k):
            got, st = ex.explain(x[i], out)
            if st != 0:
                worst = np.inf
                break
            scale = max(np.sum(np.abs(want[i, out])), 1e-300)
            worst = max(worst, float(np.max(np.abs(got - want[i, out])))
                        / scale)
    ok(worst <= SHAP_TOLERANCE, "%s: TreeSHAP = pred_contrib=True within "
       "%g of sum |contribution| (worst %.3g)" % (name, SHAP_TOLERANCE,
                                                  worst))


def check_cli(name, text, want_raw, frame, workdir):
    path = os.path.join(workdir, "model.txt")
    blob = os.path.join(workdir, "model.mdb")
    with open(path, "w") as f:
        f.write(text)
    got, e = mdscore_raw(path, frame, workdir)
    diff = e or first_difference(got.reshape(want_raw.shape), want_raw)
    ok(diff is None, "%s: mdscore on the text file: raw exactly LightGBM's"
       % name, diff)
    r = subprocess.run([MDSCORE, "compile", path, "-o", blob],
                       capture_output=True, text=True)
    got, e = (None, r.stderr) if r.returncode else \
        mdscore_raw(blob, frame, workdir)
    diff = e or first_difference(got.reshape(want_raw.shape), want_raw)
    ok(diff is None, "%s: mdscore on the compiled blob: raw exactly "
       "LightGBM's" % name, diff)


def sql_value(v):
    if pd.isna(v):
        return None
    return v if isinstance(v, str) else float(v)


def check_sql(cur, idx, name, text, model, frame, x, want_raw):
    mname = "lgbm_%d" % idx
    cur.execute("SELECT model_deploy.deploy(%s, %s)", (mname, text))
    cur.execute("SELECT format FROM model_deploy.model_version "
                "WHERE name = %s", (mname,))
    ok(cur.fetchone()[0] == "lightgbm", "%s: deployed as 'lightgbm'" % name)
    k = model.info.n_outputs
    shape = (len(x), k) if k > 1 else (len(x),)

    def raw_rows(sql, args):
        got = []
        for a in args:
            cur.execute(sql, (mname, a))
            v = cur.fetchone()[0]
            got.append(v if isinstance(v, list) else [v])
        return np.array(got, dtype=float).reshape(shape)

    fn = "model_deploy.predict_raw"
    got = raw_rows("SELECT %s(%%s, %%s::float8[])" % fn,
                   [[None if np.isnan(v) else float(v) for v in row]
                    for row in x])
    diff = first_difference(got, want_raw)
    ok(diff is None, "%s: SQL by array: raw exactly LightGBM's" % name, diff)
    docs = [json.dumps({c: sql_value(v) for c, v in zip(frame.columns, r)})
            for r in frame.itertuples(index=False)]
    got = raw_rows("SELECT %s(%%s, %%s::jsonb)" % fn, docs)
    diff = first_difference(got, want_raw)
    ok(diff is None, "%s: SQL by jsonb (categories by name): raw exactly "
       "LightGBM's" % name, diff)
    cols = ", ".join('"%s" %s' % (c, "text" if model.categorical(j)
                                  else "float8")
                     for j, c in enumerate(frame.columns))
    cur.execute('DROP TABLE IF EXISTS lgbm_rows; '
                'CREATE TABLE lgbm_rows (id int, %s)' % cols)
    with cur.copy("COPY lgbm_rows FROM STDIN") as cp:
        for i, r in enumerate(frame.itertuples(index=False)):
            cp.write_row([i] + [sql_value(v) for v in r])
    cur.execute("SELECT %s(%%s, t) FROM lgbm_rows t ORDER BY id" % fn,
                (mname,))
    got = np.array([v[0] if isinstance(v[0], list) else [v[0]]
                    for v in cur.fetchall()], dtype=float).reshape(shape)
    diff = first_difference(got, want_raw)
    ok(diff is None, "%s: SQL by row (text columns by name): raw exactly "
       "LightGBM's" % name, diff)
    return mname


def check_sql_explain(cur, mname, name, booster, frame, x):
    want = np.asarray(booster.predict(frame.iloc[:5], pred_contrib=True))
    nf = x.shape[1]
    worst = 0.0
    for i in range(5):
        cur.execute("SELECT feature, contribution FROM model_deploy.explain("
                    "%s, %s::float8[])", (mname, [None if np.isnan(v)
                                                  else float(v)
                                                  for v in x[i]]))
        got = dict(cur.fetchall())
        row = [got.get(c, 0.0) for c in frame.columns] + [
            got.get("(bias)", got.get("bias", np.nan))]
        scale = max(np.sum(np.abs(want[i, :nf + 1])), 1e-300)
        worst = max(worst, float(np.max(np.abs(np.array(row) -
                                               want[i, :nf + 1]))) / scale)
    ok(worst <= SHAP_TOLERANCE, "%s: SQL explain() = pred_contrib=True "
       "within %g (worst %.3g)" % (name, SHAP_TOLERANCE, worst))


def check_refusals(core, cur):
    good = lgb.train(params(objective="binary"),
                     lgb.Dataset(pd.DataFrame(load_iris().data[:100]),
                                 load_iris().target[:100]),
                     num_boost_round=2).model_to_string()
    hostile = [
        ("a file cut inside its trees", good[:good.index("Tree=1") + 40],
         "tree 1"),
        ("a child index out of its tree",
         good.replace("left_child=", "left_child=9", 1), "child"),
        ("a NaN threshold", good.replace("threshold=", "threshold=nan ", 1),
         "threshold"),
        ("an unknown objective", good.replace("objective=binary",
                                              "objective=ranknet", 1),
         "not supported"),
    ]
    for what, text, words in hostile:
        try:
            core.compile(text)
            ok(False, "refused: %s" % what)
        except mdcore.CoreError as e:
            ok(words in e.message, "refused: %s (%s)" % (what, e.message))
    cur.execute("SELECT model_deploy.deploy('lgbm_bad', %s, 'lightgbm')",
                (good.replace("objective=binary", "objective=ranknet"),))
    ok(False, "SQL refuses an unknown objective")


def main():
    core = mdcore.Core(os.path.join(ROOT, "build", "libmdscore.so"))
    workdir = tempfile.mkdtemp(prefix="md_lgbm_")
    cluster = Cluster()
    try:
        conn = psycopg.connect(host=cluster.dir, port=cluster.port,
                               dbname="postgres", autocommit=True)
        cur = conn.cursor()
        cur.execute("CREATE EXTENSION model_deploy")
        for idx, (name, booster, frame) in enumerate(models()):
            text = booster.model_to_string()
            want_raw = booster.predict(frame, raw_score=True)
            model, x = check_core(name, core, booster, frame, text)
            if model is None:
                continue
            check_explain(name, model, booster, frame, x)
            check_cli(name, text, want_raw, frame, workdir)
            mname = check_sql(cur, idx, name, text, model, frame, x,
                              want_raw)
            if idx == 0:
                check_sql_explain(cur, mname, name, booster, frame, x)
        try:
            check_refusals(core, cur)
        except psycopg.Error as e:
            ok(e.sqlstate == "0A000", "SQL refuses an unknown objective "
               "with 0A000 (%s)" % e.sqlstate)
        conn.close()
    finally:
        cluster.stop()
    sys.exit(oracle_tap.plan())


if __name__ == "__main__":
    main()
