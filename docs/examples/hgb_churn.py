#!/usr/bin/env python3
"""The README's HistGradientBoosting example: a scikit-learn 1.9 model on a
pandas table with a categorical column and missing values, exported,
deployed into a throwaway cluster and scored in SQL, next to scikit-learn's
own predictions.  Run as a non-root user with the oracle environment:

    PY=$(tools/venv oracle test/requirements.txt)
    PG_CONFIG=... "$PY" docs/examples/hgb_churn.py
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "test", "sklearn"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np, pandas as pd, sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from export_sklearn import export
from cluster import Cluster
rng = np.random.RandomState(0)
n = 2000
df = pd.DataFrame({
    "tenure": rng.randint(0, 72, n).astype(float),
    "monthly": rng.uniform(20, 120, n).round(2),
    "plan": pd.Categorical(rng.choice(["basic", "premium", "pro"], n)),
})
df.loc[rng.rand(n) < 0.1, "monthly"] = np.nan
logit = -0.04 * df.tenure + 0.02 * df.monthly.fillna(60) + (df.plan == "basic") * 0.8 - 1
y = np.where(rng.rand(n) < 1 / (1 + np.exp(-logit)), "churn", "stay")
OUT = os.path.join(os.environ.get("TMPDIR", "/tmp"), "churn_hgb.json")
model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(df, y)
export(model, OUT)
test = pd.DataFrame({"tenure": [3.0, 60.0, 12.0], "monthly": [99.5, np.nan, 45.0],
                     "plan": pd.Categorical(["basic", "pro", "premium"])})
print("scikit-learn", sklearn.__version__)
print("predict_proba[:, 0]:", [repr(float(v)) for v in model.predict_proba(test)[:, 0]])
print("predict:", list(model.predict(test)))
c = Cluster()
try:
    conn = c.connect(); cur = conn.cursor()
    cur.execute("CREATE EXTENSION model_deploy")
    cur.execute("SELECT model_deploy.deploy('churn_hgb', %s)", (open(OUT).read(),))
    cur.execute("CREATE TABLE customers (id int, tenure float8, monthly float8, plan text)")
    cur.execute("INSERT INTO customers VALUES (1, 3, 99.5, 'basic'), (2, 60, NULL, 'pro'), (3, 12, 45, 'premium')")
    q = ("SELECT id, plan, model_deploy.predict_class('churn_hgb', c) AS class, "
         "model_deploy.predict_proba('churn_hgb', c) AS proba FROM customers c ORDER BY id")
    cur.execute(q)
    print(q)
    for r in cur.fetchall(): print(r)
    cur.execute("SELECT format, objective FROM model_deploy.models WHERE name = 'churn_hgb'")
    print(cur.fetchall())
finally:
    c.stop()
