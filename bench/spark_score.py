"""Throughput of model_deploy.spark.score per core (not part of make bench:
it needs pyspark and the package installed).

    PY=$(tools/venv python python/requirements-test.txt)   # then pip install ./python
    BENCH_ROWS=1000000 python bench/spark_score.py

Scores BENCH_ROWS rows (default 1,000,000) of the fixture bc_logistic (30
features, 100 trees) with kind='predict': in Python with Model.predict on
one thread (the floor: the core alone), then with Spark in local[1] and
local[2], counted with a no-output aggregation so that collecting the rows
is not measured.  Prints rows/s and rows/s per core.
"""
import os
import sys
import time

import numpy as np
import pandas as pd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIX = os.path.join(ROOT, "test", "fixtures", "xgboost")


def main():
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    import model_deploy
    from model_deploy import spark as mdspark

    n = int(os.environ.get("BENCH_ROWS", "1000000"))
    model = model_deploy.Model.load(os.path.join(FIX, "bc_logistic.model.json"))
    src = pd.read_csv(os.path.join(FIX, "bc_logistic.input.csv"))
    rng = np.random.default_rng(0)
    pdf = src.iloc[rng.integers(0, len(src), n)].reset_index(drop=True)

    t0 = time.perf_counter()
    model.predict(pdf)
    t = time.perf_counter() - t0
    print("Model.predict (DataFrame, 1 thread): %d rows in %.2f s, %.0f rows/s"
          % (n, t, n / t))

    os.environ["PYSPARK_PYTHON"] = sys.executable
    for cores in (1, 2):
        spark = (SparkSession.builder.master("local[%d]" % cores)
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                 .getOrCreate())
        sdf = spark.createDataFrame(pdf).repartition(cores * 4).cache()
        sdf.count()
        best = None
        for _ in range(2):
            t0 = time.perf_counter()
            mdspark.score(sdf, model, output="p").agg(F.sum("p")).collect()
            t = time.perf_counter() - t0
            best = t if best is None else min(best, t)
        print("Spark local[%d]: %d rows in %.2f s, %.0f rows/s, %.0f rows/s "
              "per core" % (cores, n, best, n / best, n / best / cores))
        spark.stop()


if __name__ == "__main__":
    main()
