#!/usr/bin/python3
"""Batch scoring of exported scikit-learn models: SQL against scikit-learn.

    PG_CONFIG=.../pg_config bench/native_vs_sklearn.py [ROWS]

Trains four models (the walkthrough's iris and churn pipelines, a
100-tree random forest on breast cancer, an MLP on digits), exports and
deploys them into a throwaway cluster, and prints, for ROWS random rows
(default 100,000), the best of three runs of

  SQL       SELECT sum(model_deploy.predict(name, f)) FROM t   (f float8[])
  scan      SELECT sum(f[1]) FROM t                             (the floor)
  sklearn   predict_proba() on all rows in one call, and on 200 single rows

Run it as a user initdb accepts (not root).  Wall-clock times: run it on an
idle machine, or read the numbers as indicative.
"""

import os
import sys
import tempfile
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.ensemble import (GradientBoostingClassifier,
                              RandomForestClassifier)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "test", "sklearn"))

from cluster import Cluster  # noqa: E402
from export_sklearn import export  # noqa: E402

PLANS = ["basic", "premium", "pro"]


def churn_data(rng, n):
    """The walkthrough's made-up customers: age (5% missing), fee, plan."""
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = np.where(rng.rand(n) < 0.05, np.nan, rng.randint(18, 80, n))
    X[:, 1] = rng.uniform(10, 100, n).round(2)
    X[:, 2] = rng.choice(PLANS, n)
    risk = (0.03 * (50 - np.nan_to_num(X[:, 0].astype(float), nan=50))
            + 0.02 * X[:, 1].astype(float) + 0.8 * (X[:, 2] == "basic")
            + rng.normal(0, 1, n))
    return X, np.where(risk > 1.0, "churn", "stay")


def models(rng, rows):
    """(name, fitted model, rows for sklearn, the same rows for SQL)."""
    iris = load_iris()
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    lr.fit(iris.data, iris.target_names[iris.target])
    X4 = rng.uniform(0, 5, (rows, 4))

    X, y = churn_data(rng, 2000)
    gb = make_pipeline(
        ColumnTransformer([
            ("numbers", make_pipeline(SimpleImputer(strategy="median"),
                                      StandardScaler()), [0, 1]),
            ("plan", OneHotEncoder(handle_unknown="ignore"), [2]),
        ]), GradientBoostingClassifier(random_state=0)).fit(X, y)
    Xc, _ = churn_data(rng, rows)
    codes = np.array([[float(a), float(b), PLANS.index(p)] for a, b, p in Xc])

    X, y = load_breast_cancer(return_X_y=True)
    rf = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)
    X30 = rng.uniform(0, 10, (rows, 30))

    X, y = load_digits(return_X_y=True)
    mlp = make_pipeline(MinMaxScaler(),
                        MLPClassifier((32,), max_iter=300,
                                      random_state=0)).fit(X, y)
    X64 = rng.randint(0, 17, (rows, 64)).astype(float)
    return [("iris_logistic", lr, X4, X4), ("churn_boosting", gb, Xc, codes),
            ("cancer_forest", rf, X30, X30), ("digits_mlp", mlp, X64, X64)]


def best(fn, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def sql_times(cur, name, text, rows):
    from psycopg2.extras import execute_values
    cur.execute("SELECT model_deploy.deploy(%s, %s)", (name, text))
    cur.execute("DROP TABLE IF EXISTS t; CREATE TABLE t (f float8[])")
    execute_values(cur, "INSERT INTO t VALUES %s",
                   [([float(v) for v in r],) for r in rows], page_size=5000)
    cur.execute("VACUUM ANALYZE t")

    def run(sql, *args):
        return lambda: (cur.execute(sql, args), cur.fetchall())
    scan = best(run("SELECT sum(f[1]) FROM t"))
    score = best(run("SELECT sum(model_deploy.predict(%s, f)) FROM t", name))
    return scan, score


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    rng = np.random.RandomState(0)
    cluster = Cluster()
    try:
        cur = cluster.connect().cursor()
        cur.execute("CREATE EXTENSION model_deploy")
        print("| model | SQL, %d rows | scan alone | scikit-learn, one "
              "batch | scikit-learn, one row per call |" % rows)
        print("| --- | --- | --- | --- | --- |")
        for name, model, X, codes in models(rng, rows):
            with tempfile.NamedTemporaryFile("r", suffix=".json") as f:
                export(model, f.name)
                text = f.read()
            scan, score = sql_times(cur, name, text, codes)
            batch = best(lambda: model.predict_proba(X))
            one = best(lambda: [model.predict_proba(X[i:i + 1])
                                for i in range(200)]) / 200
            print("| %s | %.0f ms (%.2g rows/s) | %.0f ms | %.0f ms | "
                  "%.0f us |" % (name, score * 1e3, rows / score, scan * 1e3,
                                 batch * 1e3, one * 1e6), flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
