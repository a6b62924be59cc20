"""Scoring Spark DataFrames with a compiled model.

    from model_deploy import spark as mdspark
    scored = mdspark.score(df, "churn.mdb", output="churn", kind="proba")

The compiled blob is broadcast once; each Python worker opens it once (and
validates it, as every blob read in) and scores its batches of rows with
mapInPandas, the features taken from the DataFrame's columns by name, as
the database takes them from a row.  The values are those of SQL, double for
double: the same core scores them.
"""
import hashlib

from . import Model

# the model of each blob (by its SHA-256), opened once per Python worker
_opened = {}

_KIND_METHODS = {"predict": "predict", "proba": "predict_proba",
                 "raw": "predict_raw", "class": "predict_class"}


def _as_model(model):
    return model if isinstance(model, Model) else Model.load(model)


def _output_type(model, kind):
    from pyspark.sql import types as T
    if kind in ("proba", "raw"):
        return T.ArrayType(T.DoubleType(), containsNull=False)
    if kind == "class":
        return T.StringType() if model.classes else T.LongType()
    return T.DoubleType()


def _worker_model(key, broadcast):
    m = _opened.get(key)
    if m is None:
        m = _opened[key] = Model.load(broadcast.value)
    return m


def score(df, model, output="prediction", kind="predict", threads=1):
    """df with one more column, 'output': the model's 'kind' output
    ('predict', 'proba', 'raw' or 'class') for each row.  model: a Model,
    or a path or bytes Model.load() takes.  threads: per Python worker
    (Spark already runs one worker per core)."""
    if kind not in _KIND_METHODS:
        raise ValueError("kind must be one of %s" % ", ".join(_KIND_METHODS))
    m = _as_model(model)
    names = m.feature_names
    if not all(names):
        raise ValueError("the model has no feature names: Spark columns are "
                         "matched by name")
    missing = [n for n in names if n not in df.columns]
    if missing:
        raise ValueError("the DataFrame has no column %s for the model's "
                         "features" % ", ".join(repr(n) for n in missing))
    if output in df.columns:
        raise ValueError("the DataFrame already has a column %r" % output)
    data = m.to_bytes()
    key = hashlib.sha256(data).hexdigest()
    blob = df.sparkSession.sparkContext.broadcast(data)
    method = _KIND_METHODS[kind]
    # a new StructType: StructType.add() would change df.schema in place
    from pyspark.sql.types import StructField, StructType
    schema = StructType(df.schema.fields + [
        StructField(output, _output_type(m, kind), nullable=False)])

    def score_batches(batches):
        wm = _worker_model(key, blob)
        fn = getattr(wm, method)
        for pdf in batches:
            values = fn(pdf[names], threads=threads)
            pdf[output] = list(values) if values.ndim == 2 else values
            yield pdf

    return df.mapInPandas(score_batches, schema)
