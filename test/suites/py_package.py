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
