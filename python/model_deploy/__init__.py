"""model_deploy in Python: the database's scoring core on numpy, pandas,
pyarrow and Spark, and the tools that deploy models to PostgreSQL.

    >>> import model_deploy
    >>> m = model_deploy.Model.load("churn.json")       # or a compiled .mdb
    >>> m.predict(df)                                    # columns by name

Model wraps the _mdscore extension, which compiles libmdscore's sources
(the same src/core as the extension and mdscore): every value is the one
SQL's model_deploy.predict*() returns for the same input, bit for bit.
"""
import os

import numpy as np

from . import _mdscore
from ._mdscore import ModelError
from ._rows import as_rows

__all__ = ["Model", "ModelError", "core_version"]
__version__ = "0.2.0"
core_version = _mdscore.core_version

_KINDS = {"predict": _mdscore.PREDICT, "proba": _mdscore.PROBA,
          "raw": _mdscore.RAW, "class": _mdscore.CLASS}


def _thread_count(threads):
    if threads is None or threads == 1:
        return 1
    if threads == 0:
        return os.cpu_count() or 1
    if threads < 0:
        raise ValueError("threads must be 0 (one per CPU) or positive")
    return int(threads)


class Model:
    """A compiled model: load once, score any number of times (also from
    several threads at once: scoring releases the GIL and only reads)."""

    def __init__(self, core):
        self._core = core
        self._features = core.features()
        self._classes = core.class_labels()

    @classmethod
    def load(cls, source):
        """From a path or bytes: model text in any format the core compiles
        (XGBoost JSON, native JSON, ...) or a compiled blob (export_compiled,
        mdscore compile), told apart by content."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = source
        elif isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                data = f.read()
        else:
            raise TypeError("Model.load() takes a path or bytes, not %s"
                            % type(source).__name__)
        return cls(_mdscore.Model(data))

    def info(self):
        """format, task, objective, booster, sizes, feature names, classes"""
        i = self._core.info()
        i["features"] = [name for name, _, _ in self._features]
        i["categorical"] = {name: cats for name, kind, cats in self._features
                            if kind == "categorical"}
        i["classes"] = self._classes
        return i

    @property
    def feature_names(self):
        return [name for name, _, _ in self._features]

    @property
    def classes(self):
        """Class labels (scikit-learn models), or None (their indices)"""
        return self._classes

    def to_bytes(self):
        """The compiled blob: what export_compiled() returns, for mdscore,
        libmdscore, Spark executors or Model.load()"""
        return self._core.blob()

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self._core.blob())

    def _run(self, method, selector, width, x, threads, errors):
        if errors not in ("raise", "nan"):
            raise ValueError("errors must be 'raise' or 'nan'")
        rows = as_rows(self._core, x)
        out = np.empty((rows.shape[0], width), dtype=np.float64)
        refused = method(selector, rows, out, _thread_count(threads))
        if refused is not None and errors == "raise":
            row, message, hint = refused
            exc = ModelError("row %d: %s" % (row, message))
            exc.status, exc.hint, exc.row = "input", hint or None, row
            raise exc
        return out

    def _score(self, kind, x, threads, errors):
        width = self._core.output_width(kind)
        if width == 0:
            raise ModelError("this %s model has no %s output" % (
                self._core.info()["objective"],
                {v: k for k, v in _KINDS.items()}[kind]))
        return self._run(self._core.score, kind, width, x, threads, errors)

    def predict(self, x, threads=1, errors="raise"):
        """What model_deploy.predict() returns: the positive class's
        probability, the class index (multi-class XGBoost), the value, the
        cluster.  x: 2-D array in feature order, or a frame by name.
        threads: 0 for one per CPU.  errors='nan': a row the model refuses
        scores NaN instead of raising."""
        return self._score(_mdscore.PREDICT, x, threads, errors)[:, 0]

    def predict_proba(self, x, threads=1, errors="raise"):
        """n_rows x n_classes class probabilities (predict_proba())"""
        return self._score(_mdscore.PROBA, x, threads, errors)

    def predict_raw(self, x, threads=1, errors="raise"):
        """n_rows x n_outputs raw margins (predict_raw())"""
        return self._score(_mdscore.RAW, x, threads, errors)

    def predict_class(self, x, threads=1, errors="raise"):
        """Class labels (an object array) if the model has them, else class
        indices (int64; float64 with NaN for refused rows)"""
        idx = self._score(_mdscore.CLASS, x, threads, errors)[:, 0]
        if self._classes is None:
            return idx if np.isnan(idx).any() else idx.astype(np.int64)
        labels = np.array(self._classes + [None], dtype=object)
        return labels[np.where(np.isnan(idx), len(self._classes),
                               idx).astype(np.int64)]

    def explain(self, x, output=None, threads=1, errors="raise"):
        """n_rows x (n_features + 1) contributions to raw margin 'output'
        (the last column is the bias), as model_deploy.explain(): TreeSHAP,
        or coefficient x value.  'output' is needed when there are several
        margins (multi-class)."""
        n_outputs = self._core.info()["n_outputs"]
        if output is None:
            if n_outputs > 1:
                raise ValueError("the model has %d raw margins: say which "
                                 "to explain with output=" % n_outputs)
            output = 0
        return self._run(self._core.explain, output, len(self._features) + 1,
                         x, threads, errors)

    def __repr__(self):
        i = self._core.info()
        return "<model_deploy.Model %s %s, %d features, %d trees>" % (
            i["format"], i["objective"], i["n_features"], i["n_trees"])
