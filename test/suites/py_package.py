"""The Python package model_deploy against the database, mdscore and the
libraries that trained the models (run by test/suites/python, with the
package pip-installed into a fresh venv; TAP output).

- every fixture (test/fixtures/xgboost, test/fixtures/native): predict,
  predict_proba, predict_raw, predict_class of Model equal, bit for bit,
  what SQL returns for the same rows, and what mdscore prints; XGBoost's raw
  margins and contributions (expected.csv, contribs.csv) bit for bit too;
  float32 and float64, C and Fortran order, 1 and 3 threads, the JSON and
  the exported blob all give the same bits;
- frames: pandas and pyarrow, columns by name in any order, text columns as
  categories, nulls as missing, against SQL scoring the same table's rows;
- bad input: clear errors, never a crash;
- the model-deploy command: deploy (a file sent as a bind parameter),
  list, activate, export-compiled, export sklearn;
- MLflow: models logged with the xgboost, lightgbm, sklearn, onnx and
  catboost flavours to a sqlite store, registered, deployed with
  `model-deploy deploy NAME models:/NAME/1` and scored in SQL: equal to the
  flavour's own predictions; run id, version and URI in versions.metadata;
- Spark (local[2]): 200,000 rows scored by model_deploy.spark.score equal
  SQL's scores of the same rows, bit for bit.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdsuite import FIXTURES, ROOT, Cluster, Tap, read_csv  # noqa: E402

import model_deploy  # noqa: E402
from model_deploy import Model, ModelError  # noqa: E402

NATIVE = os.path.join(ROOT, "test", "fixtures", "native")
MDSCORE = os.path.join(ROOT, "build", "mdscore")
CLI = os.path.join(os.path.dirname(sys.executable), "model-deploy")
TMP = tempfile.mkdtemp(prefix="md_py_")

tap = Tap()
cluster = Cluster()
conn = cluster.connect()
DSN = "host=%s port=%d dbname=postgres" % (cluster.dir, cluster.port)


def sql(query, args=None):
    cur = conn.cursor()
    cur.execute(query, args)
    return cur.fetchall() if cur.description else None


sql("CREATE EXTENSION model_deploy")


def same_bits(a, b):
    """Equal as doubles, bit for bit (any NaN equals any NaN)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    nan = np.isnan(a) & np.isnan(b)
    return bool(np.all((a.view(np.uint64) == b.view(np.uint64)) | nan))


def first_difference(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return "shape %s vs %s" % (a.shape, b.shape)
    bad = np.argwhere(~((a == b) | (np.isnan(a) & np.isnan(b))))
    if len(bad) == 0:
        return "signs of zero differ"
    i = tuple(bad[0])
    return "%d values differ, first at %s: %r vs %r" % (len(bad), i, a[i],
                                                        b[i])


def check_same(a, b, what):
    tap.ok(same_bits(a, b), what, None if same_bits(a, b)
           else first_difference(a, b))


def sql_array(row):
    return [None if np.isnan(v) else float(v) for v in row]


# --- the installed package --------------------------------------------------

tap.ok(model_deploy.core_version == open(os.path.join(
    ROOT, "src", "core", "mdscore.h")).read().split(
    '#define MDSCORE_VERSION "')[1].split('"')[0],
    "the installed package carries the core of this tree (%s)"
    % model_deploy.core_version)
tap.ok(os.path.dirname(model_deploy.__file__).find(
    os.path.join(ROOT, "python")) != 0,
    "model_deploy is imported from the venv, not the source tree")


# --- every XGBoost fixture: Python = SQL = mdscore = XGBoost ----------------

def sql_scores(name, x, kinds):
    """SQL's outputs for the rows of x, scored by array, per kind."""
    sql("DROP TABLE IF EXISTS rows_in")
    sql("CREATE TABLE rows_in (id int, x float8[])")
    cur = conn.cursor()
    cur.executemany("INSERT INTO rows_in VALUES (%s, %s)",
                    [(i, sql_array(r)) for i, r in enumerate(x)])
    out = {}
    for kind in kinds:
        fn = {"predict": "predict", "proba": "predict_proba",
              "raw": "predict_raw", "class": "predict_class"}[kind]
        rows = sql("SELECT model_deploy.%s(%%s, x) FROM rows_in ORDER BY id"
                   % fn, (name,))
        out[kind] = [r[0] for r in rows]
    return out


def mdscore_scores(model_path, input_path, flag):
    res = subprocess.run([MDSCORE, "predict"] + ([flag] if flag else []) +
                         [model_path, input_path], capture_output=True,
                         text=True)
    if res.returncode != 0:
        return None, res.stderr
    return [[float(v) for v in line.split(",")]
            for line in res.stdout.splitlines()], None


def python_scores(m, x, kind, **kw):
    if kind == "predict":
        return m.predict(x, **kw)
    if kind == "proba":
        return m.predict_proba(x, **kw)
    if kind == "raw":
        return m.predict_raw(x, **kw)
    return m.predict_class(x, **kw)


def expected_columns(name, prefix):
    path = os.path.join(FIXTURES, name + ".expected.csv")
    header, values = read_csv(path)
    cols = [i for i, h in enumerate(header) if h.startswith(prefix)]
    return values[:, cols]


def xgboost_fixture(name):
    path = os.path.join(FIXTURES, name + ".model.json")
    input_path = os.path.join(FIXTURES, name + ".input.csv")
    _, x = read_csv(input_path)
    m = Model.load(path)
    info = m.info()
    kinds = ["predict", "raw"] + (["proba", "class"] if info["n_classes"]
                                  else [])
    sql("SELECT model_deploy.deploy(%s, %s)", ("fx_" + name, open(path).read()))
    want = sql_scores("fx_" + name, x, kinds)
    ok = []
    for kind in kinds:
        got = python_scores(m, x, kind)
        if kind == "class":
            good = [str(v) for v in got] == want[kind]
            ok.append(good or "class: %r vs %r" % (list(got[:5]),
                                                   want[kind][:5]))
            continue
        w = np.array(want[kind], dtype=np.float64).reshape(got.shape)
        ok.append(same_bits(got, w) or "%s: %s" % (kind,
                                                   first_difference(got, w)))
    bad = [o for o in ok if o is not True]
    tap.ok(not bad, "%s: predict, predict_raw%s equal SQL's on %d rows"
           % (name, ", predict_proba, predict_class" if info["n_classes"]
              else "", len(x)), "\n".join(bad))

    raw = m.predict_raw(x)
    check_same(raw, expected_columns(name, "m"),
               "%s: raw margins equal XGBoost's (expected.csv)" % name)
    for kind, flag in (("raw", "--raw"), ("predict", None)):
        got, err = mdscore_scores(path, input_path, flag)
        py = python_scores(m, x, kind).reshape(len(x), -1)
        if got is None:
            tap.ok(False, "%s: mdscore %s" % (name, kind), err)
        else:
            check_same(py, np.array(got), "%s: %s equals mdscore's"
                       % (name, kind))

    # the same bits whatever the layout, precision, threads or source
    blob = bytes(sql("SELECT model_deploy.export_compiled(%s)",
                     ("fx_" + name,))[0][0])
    variants = {
        "float32": x.astype(np.float32),
        "Fortran order": np.asfortranarray(x),
        "a column slice": np.hstack([x, x])[:, :x.shape[1]],
    }
    for what, xv in variants.items():
        check_same(m.predict_raw(xv), raw, "%s: %s input" % (name, what))
    check_same(m.predict_raw(np.repeat(x, 20, axis=0), threads=3),
               np.repeat(raw, 20, axis=0),
               "%s: 3 threads over %d rows" % (name, 20 * len(x)))
    check_same(Model.load(blob).predict_raw(x), raw,
               "%s: the blob export_compiled() returns scores the same"
               % name)
    check_same(Model.load(m.to_bytes()).predict(x), m.predict(x),
               "%s: Model.to_bytes() loads back the same" % name)

    contribs = os.path.join(FIXTURES, name + ".contribs.csv")
    if os.path.exists(contribs) and info["n_outputs"] == 1:
        _, c = read_csv(contribs)
        check_same(m.explain(x), c,
                   "%s: explain() equals XGBoost's pred_contribs" % name)
        row = sql("SELECT model_deploy.explain_json(%s, %s::float8[])",
                  ("fx_" + name, sql_array(x[0])))[0][0]
        e = m.explain(x[:1])[0]
        by_name = {c["feature"]: c["contribution"]
                   for c in row["contributions"]}
        names = [n if n else "f%d" % i for i, n in
                 enumerate(m.feature_names)]
        got = np.array([by_name.get(n, np.nan) for n in names] +
                       [row["bias"]], dtype=np.float64)
        check_same(e, got, "%s: explain() of row 0 equals SQL's "
                   "explain_json()" % name)
    sql("SELECT model_deploy.drop_model(%s)", ("fx_" + name,))


fixtures = sorted(f[:-len(".model.json")] for f in os.listdir(FIXTURES)
                  if f.endswith(".model.json"))
for name in fixtures:
    try:
        xgboost_fixture(name)
    except Exception as e:           # report, and go on with the others
        tap.ok(False, "%s: scored without an exception" % name, repr(e))


# --- UBJSON and LightGBM text: the same bits as the JSON / SQL ------------
SEEDS = os.path.join(ROOT, "test", "fuzz", "seeds")
rng = np.random.default_rng(7)
for name in sorted(f[:-len(".ubj")]
                   for f in os.listdir(os.path.join(SEEDS, "xgboost-ubj"))):
    from_json = Model.load(os.path.join(SEEDS, "xgboost", name + ".json"))
    ubj_path = os.path.join(SEEDS, "xgboost-ubj", name + ".ubj")
    x = rng.normal(size=(50, from_json.info()["n_features"]))
    with open(ubj_path, "rb") as f:
        ubj = f.read()
    for what, m in (("path", Model.load(ubj_path)), ("bytes", Model.load(ubj))):
        check_same(m.predict_raw(x), from_json.predict_raw(x),
                   "UBJSON %s (%s): the same margins as its JSON" % (name, what))
lgb = os.path.join(SEEDS, "lightgbm", "categorical.txt")
with open(lgb, "rb") as f:
    lgb_text = f.read()
sql("SELECT model_deploy.deploy('py_lgb', %s)", (lgb_text.decode(),))
m = Model.load(lgb)
x = rng.integers(0, 4, size=(50, m.info()["n_features"])).astype(float)
x[::7, 0] = np.nan
want = np.array([sql("SELECT model_deploy.predict_raw('py_lgb', %s::float8[])",
                     (sql_array(row),))[0][0] for row in x])
check_same(m.predict_raw(x), want,
           "LightGBM text: predict_raw() equals SQL's on 50 rows with NaNs")

# --- native fixtures, by column name: pandas and pyarrow = SQL's rows -----

import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402

from model_deploy import _mdscore  # noqa: E402

KIND_CODES = {"predict": _mdscore.PREDICT, "proba": _mdscore.PROBA,
              "raw": _mdscore.RAW, "class": _mdscore.CLASS}


def kinds_of(m):
    return [k for k, c in KIND_CODES.items() if m._core.output_width(c)]


def native_frame(m, n, rng):
    """n rows of the model's features (numbers, category names), an id and
    an extra column, in an order the model's is not."""
    cols = {"id": np.arange(n), "unused": rng.normal(size=n)}
    for name, kind, cats in m._features:
        if kind == "categorical":
            cols[name] = rng.choice(cats, size=n).astype(object)
        else:
            cols[name] = np.round(rng.normal(40, 15, size=n), 3)
    return pd.DataFrame(dict(reversed(list(cols.items()))))


def native_fixture(name, rng):
    path = os.path.join(NATIVE, name + ".json")
    m = Model.load(path)
    df = native_frame(m, 2000, rng)
    sql("SELECT model_deploy.deploy(%s, %s)", ("nx_" + name, open(path).read()))
    sql("DROP TABLE IF EXISTS nrows")
    sql("CREATE TABLE nrows (id int, %s)" % ", ".join(
        '"%s" %s' % (n, "text" if k == "categorical" else "float8")
        for n, k, _ in m._features))
    cur = conn.cursor()
    names = m.feature_names
    cur.executemany("INSERT INTO nrows VALUES (%s)" % ", ".join(
        ["%s"] * (len(names) + 1)), [
            tuple([int(r["id"])] + [r[n] if isinstance(r[n], str)
                                    else float(r[n]) for n in names])
            for _, r in df.iterrows()])
    table = pa.Table.from_pandas(df)
    for kind in kinds_of(m):
        fn = {"predict": "predict", "proba": "predict_proba",
              "raw": "predict_raw", "class": "predict_class"}[kind]
        want = [r[0] for r in sql(
            "SELECT model_deploy.%s(%%s, r) FROM nrows r ORDER BY id" % fn,
            ("nx_" + name,))]
        for what, frame in (("pandas", df), ("pyarrow", table)):
            got = python_scores(m, frame, kind)
            if kind == "class":
                tap.ok([str(v) for v in got] == want,
                       "%s: predict_class of a %s frame equals SQL's by row"
                       % (name, what), "%r vs %r" % (list(got[:3]), want[:3]))
            else:
                check_same(got, np.array(want, dtype=np.float64).reshape(
                    got.shape), "%s: %s of a %s frame equals SQL's by row"
                    % (name, fn, what))
    # mdscore reads the same rows as CSV, columns by name
    csv_path = os.path.join(TMP, name + ".csv")
    df[names].to_csv(csv_path, index=False)
    got, err = mdscore_scores(path, csv_path, "--raw")
    if got is None:
        tap.ok(False, "%s: mdscore --raw" % name, err)
    else:
        check_same(m.predict_raw(df), np.array(got),
                   "%s: predict_raw equals mdscore's" % name)
    sql("SELECT model_deploy.drop_model(%s)", ("nx_" + name,))
    return m, df


rng = np.random.default_rng(18)
natives = {}
for name in sorted(f[:-5] for f in os.listdir(NATIVE) if f.endswith(".json")):
    try:
        natives[name] = native_fixture(name, rng)
    except Exception as e:
        tap.ok(False, "%s: scored without an exception" % name, repr(e))


# --- frames and bad input ---------------------------------------------------

def raises(fn, exc, pattern, what):
    try:
        fn()
    except exc as e:
        tap.ok(pattern in str(e), what, "message: %s" % e)
        return
    except Exception as e:
        tap.ok(False, what, "raised %r" % e)
        return
    tap.ok(False, what, "no error")


churn, churn_df = natives["churn"]
nulls = churn_df.copy()
nulls.loc[:4, "plan"] = None
sql("SELECT model_deploy.deploy('nulls', %s)",
    (open(os.path.join(NATIVE, "churn.json")).read(),))
want = []
for age in nulls["age"][:5]:
    try:
        want.append(sql("SELECT model_deploy.predict('nulls', "
                        "jsonb_build_object('age', %s::float8, 'plan', null))",
                        (float(age),))[0][0])
    except Exception:
        conn.rollback() if not conn.autocommit else None
        want.append(np.nan)         # refused by SQL: NaN with errors='nan'
check_same(churn.predict(nulls, errors="nan")[:5], np.array(want),
           "a null category is a missing value, as in SQL")
raises(lambda: churn.predict(churn_df.drop(columns=["plan"])), ModelError,
       "no column 'plan'", "a missing column is an error naming it")
bad = churn_df.copy()
bad.loc[3, "plan"] = "platinum"
try:
    churn.predict(bad)
    tap.ok(True, "an unknown category scores as the encoder says "
           "(handle_unknown='ignore')")
except ModelError as e:
    tap.ok("platinum" in str(e) and "row 3" in str(e),
           "an unknown category is refused, naming the row and the value",
           str(e))
raises(lambda: churn.predict(churn_df.assign(age=churn_df["plan"])),
       TypeError, "age", "a text column for a numeric feature is an error")
raises(lambda: churn.predict(churn_df.assign(plan=1.0)), TypeError,
       "plan", "a numeric column for a categorical feature is an error")
raises(lambda: churn.predict(np.zeros((3, 2), dtype=np.int64)), TypeError,
       "category codes", "an integer array for a model with categories is "
       "refused")
raises(lambda: Model.load(b"mdscore\0" + b"\0" * 100), ModelError, "",
       "a corrupt blob is refused")
raises(lambda: Model.load(b"{\"learner\": 1}"), ModelError, "",
       "JSON that is no model is refused")
raises(lambda: Model.load(b"\x00\x01garbage"), ModelError, "",
       "bytes that are no model are refused")
diabetes = Model.load(os.path.join(FIXTURES, "diabetes_reg.model.json"))
raises(lambda: diabetes.predict(np.zeros((2, 3))), ValueError,
       "the model takes 10", "the wrong number of columns is refused")
raises(lambda: diabetes.predict_proba(np.zeros((2, 10))), ModelError,
       "no proba", "predict_proba of a regression is refused")
tap.ok(diabetes.predict(np.zeros((0, 10))).shape == (0,),
       "zero rows give zero predictions")
iris = Model.load(os.path.join(FIXTURES, "iris_softprob.model.json"))
raises(lambda: iris.explain(np.zeros((1, 4))), ValueError, "output=",
       "explain() of a multi-class model needs output=")
tap.ok(iris.explain(np.zeros((1, 4)), output=2).shape == (1, 5),
       "explain(output=2) explains the third margin")


# --- the model-deploy command ----------------------------------------------

def cli(*args, env=None):
    res = subprocess.run([CLI] + list(args), capture_output=True, text=True,
                         env=dict(os.environ, **(env or {})))
    return res.returncode, res.stdout, res.stderr


iris_path = os.path.join(FIXTURES, "iris_softprob.model.json")
_, iris_x = read_csv(os.path.join(FIXTURES, "iris_softprob.input.csv"))
rc, out, err = cli("deploy", "--dsn", DSN, "cli_iris", iris_path)
tap.ok(rc == 0 and out.startswith("deployed cli_iris version 1: xgboost "
                                  "multi:softprob"),
       "deploy NAME FILE prints the version and a summary", out + err)
if rc == 0:
    print("# " + out.replace("\n", "\n# "))
got = np.array([r[0] for r in sql(
    "SELECT model_deploy.predict_raw('cli_iris', %s::float8[]) FROM "
    "generate_series(1, 1)", (sql_array(iris_x[0]),))])
check_same(got, iris.predict_raw(iris_x[:1]),
           "the deployed file scores in SQL as Model does")
rc, out, err = cli("deploy", "--dsn", DSN, "--metadata", '{"ticket": "T-18"}',
                   "--record-file", "cli_iris", iris_path)
meta = sql("SELECT metadata FROM model_deploy.versions WHERE name = "
           "'cli_iris' AND version = 2")
tap.ok(rc == 0 and meta and meta[0][0] == {"ticket": "T-18",
                                           "file": iris_path},
       "deploy --metadata --record-file records them with the version",
       "%s %s %r" % (out, err, meta))
rc, out, err = cli("list", "--dsn", DSN, "cli_iris")
lines = out.splitlines()
tap.ok(rc == 0 and len(lines) == 3 and "T-18" in lines[2] and
       "*" in lines[2].split()[2], "list shows both versions, the active one "
       "and the metadata", out + err)
rc, out, err = cli("activate", "--dsn", DSN, "cli_iris", "1")
tap.ok(rc == 0 and sql("SELECT version FROM model_deploy.models WHERE name "
                       "= 'cli_iris'")[0][0] == 1,
       "activate NAME 1 makes version 1 the one that scores", out + err)
mdb = os.path.join(TMP, "iris.mdb")
rc, out, err = cli("export-compiled", "--dsn", DSN, "cli_iris", "-o", mdb)
tap.ok(rc == 0 and open(mdb, "rb").read() == bytes(sql(
    "SELECT model_deploy.export_compiled('cli_iris')")[0][0]),
    "export-compiled -o writes the blob export_compiled() returns", out + err)
got, err = mdscore_scores(mdb, os.path.join(FIXTURES,
                                            "iris_softprob.input.csv"), "--raw")
check_same(np.array(got), iris.predict_raw(iris_x),
           "mdscore scores the exported file as Model does")
broken = os.path.join(TMP, "broken.json")
with open(broken, "w") as f:
    f.write('{"learner": {"gradient_booster": {}}}')
rc, out, err = cli("deploy", "--dsn", DSN, "cli_iris", broken)
tap.ok(rc == 1 and "model-deploy: error:" in err and not out and
       sql("SELECT count(*) FROM model_deploy.versions WHERE name = "
           "'cli_iris'")[0][0] == 2,
       "a broken model file is refused before it is sent", err)
rc, out, err = cli("deploy", "--dsn", DSN, "cli_iris", "/nonexistent.json")
tap.ok(rc == 1 and "No such file" in err, "a missing file is an error", err)
rc, out, err = cli("activate", "--dsn", DSN, "cli_iris", "9")
tap.ok(rc == 1 and "SQLSTATE" in err, "the server's errors are reported "
       "with their SQLSTATE", err)

# export sklearn: the exporter of the package, against scikit-learn itself
import pickle  # noqa: E402

from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

sk_df = pd.DataFrame({"age": rng.normal(45, 12, 500).round(1),
                      "plan": rng.choice(["basic", "pro", "premium"], 500)})
sk_y = (sk_df["age"] + (sk_df["plan"] == "pro") * 10 +
        rng.normal(0, 8, 500) > 50).map({True: "churn", False: "stay"})
forest = make_pipeline(
    ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"),
                        ["plan"]), ("age", StandardScaler(), ["age"])]),
    RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0))
forest.fit(sk_df, sk_y)
pkl = os.path.join(TMP, "forest.pkl")
with open(pkl, "wb") as f:
    pickle.dump(forest, f)
native_json = os.path.join(TMP, "forest.json")
rc, out, err = cli("export", "sklearn", pkl, native_json)
tap.ok(rc == 0 and "wrote" in out, "export sklearn MODEL.pkl OUT.json",
       out + err)
if rc == 0:
    exported = Model.load(native_json)
    check_same(exported.predict_proba(sk_df), forest.predict_proba(sk_df),
               "the exported forest's probabilities equal scikit-learn's")
    tap.ok(list(exported.predict_class(sk_df)) == list(forest.predict(sk_df)),
           "its classes are scikit-learn's labels")


# --- MLflow: log, register, deploy with one command, score in SQL ---------

os.environ["MLFLOW_TRACKING_URI"] = "sqlite:///%s/mlflow.db" % TMP
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
import mlflow  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402

mlflow.set_experiment(experiment_id=mlflow.create_experiment(
    "model_deploy", artifact_location="file://%s/artifacts" % TMP))

ml_x = pd.DataFrame({"age": rng.normal(45, 12, 400).round(1),
                     "fee": rng.normal(50, 20, 400).round(2),
                     "tenure": rng.integers(1, 60, 400).astype(np.float64)})
ml_y = ((ml_x["age"] / 10 + ml_x["fee"] / 20 - ml_x["tenure"] / 15 +
         rng.normal(0, 1, 400)) > 4).astype(int)
sql("CREATE TABLE ml_rows (id int, age float8, fee float8, tenure float8)")
conn.cursor().executemany("INSERT INTO ml_rows VALUES (%s, %s, %s, %s)", [
    (i, float(r.age), float(r.fee), float(r.tenure))
    for i, r in enumerate(ml_x.itertuples())])


def log_xgboost():
    import xgboost
    m = xgboost.XGBClassifier(n_estimators=30, max_depth=4).fit(ml_x, ml_y)
    info = mlflow.xgboost.log_model(
        m, name="model", model_format="json",
        signature=infer_signature(ml_x, ml_y))
    margin = m.get_booster().predict(xgboost.DMatrix(ml_x),
                                     output_margin=True)
    return info, "predict_raw", margin.astype(np.float64), 0.0


def log_lightgbm():
    import lightgbm
    m = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=8,
                                verbose=-1).fit(ml_x, ml_y)
    info = mlflow.lightgbm.log_model(m.booster_, name="model",
                                     signature=infer_signature(ml_x, ml_y))
    return info, "predict_raw", m.predict(ml_x, raw_score=True), 1e-12


def log_sklearn():
    # a forest: export_sklearn's trees equal scikit-learn's exactly
    from sklearn.ensemble import RandomForestClassifier
    m = RandomForestClassifier(n_estimators=10, max_depth=5,
                               random_state=0).fit(ml_x, ml_y)
    info = mlflow.sklearn.log_model(m, name="model",
                                    serialization_format="cloudpickle",
                                    signature=infer_signature(ml_x, ml_y))
    return info, "predict_proba", m.predict_proba(ml_x), 0.0


def log_onnx():
    # a forest converted by skl2onnx (a TreeEnsembleClassifier with one
    # float tensor input: scored by array, in the frame's column order);
    # ONNX Runtime with one thread is the reference, bit for bit
    import onnxruntime
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier
    x32 = ml_x.to_numpy(np.float32)
    m = RandomForestClassifier(n_estimators=10, max_depth=5,
                               random_state=0).fit(x32, ml_y)
    onx = to_onnx(m, x32[:1], options={"zipmap": False})
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    sess = onnxruntime.InferenceSession(onx.SerializeToString(), opts)
    proba = sess.run(None, {sess.get_inputs()[0].name: x32})[1]
    info = mlflow.onnx.log_model(onx, name="model")
    return info, "predict_proba", proba.astype(np.float64), 0.0


def log_catboost():
    import catboost
    m = catboost.CatBoostClassifier(iterations=30, depth=4, verbose=False,
                                    allow_writing_files=False)
    m.fit(ml_x, ml_y)
    info = mlflow.catboost.log_model(m, name="model",
                                     signature=infer_signature(ml_x, ml_y))
    return info, "predict_raw", m.predict(ml_x, prediction_type="RawFormulaVal"), 1e-12


def sql_output(name, fn, by_array=False):
    features = "ARRAY[age, fee, tenure]::float4[]" if by_array else "r"
    rows = sql("SELECT model_deploy.%s(%%s, %s) FROM ml_rows r ORDER BY id"
               % (fn, features), (name,))
    return np.array([r[0] for r in rows], dtype=np.float64)


def close_enough(got, want, tol):
    got = got.reshape(len(got), -1)
    want = np.asarray(want, dtype=np.float64).reshape(len(want), -1)
    if tol == 0.0:
        return same_bits(got, want), first_difference(got, want)
    err = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))
    return err <= tol, "largest relative difference %.3g" % err


for flavour, log in (("xgboost", log_xgboost), ("lightgbm", log_lightgbm),
                     ("sklearn", log_sklearn), ("onnx", log_onnx),
                     ("catboost", log_catboost)):
    reg = "churn_" + flavour
    try:
        with mlflow.start_run() as run:
            info, fn, want, tol = log()
        mlflow.register_model(info.model_uri, reg)
    except Exception as e:
        tap.ok(False, "%s: logged and registered in MLflow" % flavour,
               repr(e))
        continue
    uri = "models:/%s/1" % reg
    rc, out, err = cli("deploy", "--dsn", DSN, reg, uri)
    if rc != 0 and "cannot be deployed" in err:
        # the core of this tree does not read this flavour's model (yet)
        tap.ok(True, "%s: deploy %s # skip the core does not read it: %s"
               % (flavour, uri, err.strip().splitlines()[0][-160:]))
        continue
    tap.ok(rc == 0 and "deployed %s version 1" % reg in out,
           "%s: model-deploy deploy NAME %s" % (flavour, uri), out + err)
    if rc != 0:
        continue
    print("# " + out.strip().replace("\n", "\n# "))
    good, diag = close_enough(sql_output(reg, fn, flavour == "onnx"), want,
                              tol)
    tap.ok(good, "%s: SQL's %s over %d rows equals the flavour's own "
           "predictions (%s)" % (flavour, fn, len(ml_x),
                                 "bit for bit" if tol == 0 else
                                 "within %g relative" % tol), diag)
    meta = sql("SELECT metadata -> 'mlflow' FROM model_deploy.versions "
               "WHERE name = %s", (reg,))[0][0]
    tap.ok(meta["run_id"] == run.info.run_id and meta["model_version"] == "1"
           and meta["uri"] == uri and meta["flavor"] == flavour,
           "%s: run id, model version and URI recorded in versions.metadata"
           % flavour, repr(meta))

# runs:/ URIs and a signature that contradicts the model
with mlflow.start_run() as run:
    info, _, want, _ = log_xgboost()
rc, out, err = cli("deploy", "--dsn", DSN, "churn_run",
                   "runs:/%s/model" % run.info.run_id)
tap.ok(rc == 0 and sql("SELECT metadata -> 'mlflow' ->> 'run_id' FROM "
                       "model_deploy.versions WHERE name = 'churn_run'")[0][0]
       == run.info.run_id, "deploy NAME runs:/RUN_ID/model", out + err)
import xgboost  # noqa: E402
from mlflow.models.signature import ModelSignature  # noqa: E402
from mlflow.types import ColSpec, Schema  # noqa: E402

liar = xgboost.XGBClassifier(n_estimators=5).fit(ml_x, ml_y)
with mlflow.start_run() as run:
    info = mlflow.xgboost.log_model(
        liar, name="model", model_format="json",
        signature=ModelSignature(inputs=Schema(
            [ColSpec("double", "age"), ColSpec("double", "fee"),
             ColSpec("double", "months")])))
rc, out, err = cli("deploy", "--dsn", DSN, "churn_liar",
                   "runs:/%s/model" % run.info.run_id)
tap.ok(rc == 1 and "signature" in err and "tenure" in err and "months" in err
       and not sql("SELECT 1 FROM model_deploy.versions WHERE name = "
                   "'churn_liar'"),
       "a signature that names other features than the model is refused",
       err)


# --- Spark: 200,000 rows, local[2], identical to SQL ------------------------

def spark_test():
    from pyspark.sql import SparkSession

    from model_deploy import spark as mdspark

    name = "bc_logistic"
    m = Model.load(os.path.join(FIXTURES, name + ".model.json"))
    header, x = read_csv(os.path.join(FIXTURES, name + ".input.csv"))
    n = 200000
    big = x[rng.integers(0, len(x), n)] * rng.uniform(0.9, 1.1, (n, x.shape[1]))
    big[rng.random(big.shape) < 0.05] = np.nan
    pdf = pd.DataFrame(big, columns=header)
    pdf.insert(0, "id", np.arange(n))

    sql("DROP TABLE IF EXISTS spark_rows")
    sql("CREATE TABLE spark_rows (id int, %s)" % ", ".join(
        '"%s" float8' % h for h in header))
    with conn.cursor().copy("COPY spark_rows FROM STDIN") as cp:
        for row in pdf.itertuples(index=False):
            cp.write_row([row[0]] + [None if v != v else v for v in row[1:]])
    sql("SELECT model_deploy.deploy('spark_bc', %s)",
        (open(os.path.join(FIXTURES, name + ".model.json")).read(),))
    t0 = time.time()
    want = np.array([r[0] for r in sql(
        "SELECT model_deploy.predict('spark_bc', r) FROM spark_rows r "
        "ORDER BY id")], dtype=np.float64)
    t_sql = time.time() - t0

    # the workers run this venv's python, which has the package installed
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[2]")
             .appName("model_deploy-test")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true")
             .config("spark.driver.memory", "1g")
             .getOrCreate())
    try:
        sdf = spark.createDataFrame(pdf).repartition(4)
        sdf = sdf.select(*reversed(sdf.columns))     # names, not positions
        t0 = time.time()
        scored = mdspark.score(sdf, m, output="p", kind="predict")
        got = scored.select("id", "p").toPandas().sort_values("id")
        t_spark = time.time() - t0
        check_same(got["p"].to_numpy(), want,
                   "Spark local[2]: %d rows scored by model_deploy.spark."
                   "score equal SQL's predict(), bit for bit" % n)
        print("# Spark: %d rows in %.1f s (2 cores: %.0f rows/s per core, "
              "including Spark's own work); SQL predict() in %.1f s"
              % (n, t_spark, n / t_spark / 2, t_sql))
        small = spark.createDataFrame(natives["churn"][1].drop(columns=["id"]))
        p = mdspark.score(small, natives["churn"][0], output="proba",
                          kind="proba").toPandas()
        check_same(np.array(p["proba"].tolist()),
                   natives["churn"][0].predict_proba(natives["churn"][1]),
                   "Spark: text columns as categories, probabilities as "
                   "arrays")
        try:
            mdspark.score(small.drop("plan"), natives["churn"][0])
            tap.ok(False, "Spark: a missing column is refused on the driver")
        except ValueError as e:
            tap.ok("plan" in str(e), "Spark: a missing column is refused on "
                   "the driver", str(e))
    finally:
        spark.stop()


try:
    spark_test()
except Exception as e:
    tap.ok(False, "Spark test ran", "%r: %s" % (e, e))

tap.done()
