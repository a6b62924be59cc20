"""The scoring core (build/libmdscore.so) through ctypes, for the tests.

Only what the scikit-learn accuracy suite needs: compile a model, describe
it, turn text categories into codes, score rows of every output kind, and
ask why a row is refused.
"""

import ctypes

import numpy as np

MD_OUTPUT_PREDICT, MD_OUTPUT_PROBA, MD_OUTPUT_RAW, MD_OUTPUT_CLASS = range(4)
MD_OK = 0
MD_ERR_INPUT = 7
TASKS = ["regression", "binary", "multiclass", "ranking", "cluster"]


class Error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 320),
                ("hint", ctypes.c_char * 320)]


class Model(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("size", ctypes.c_size_t),
                ("section", ctypes.c_void_p * 16),
                ("section_size", ctypes.c_uint64 * 16)]


class Info(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("task", ctypes.c_int),
                ("objective", ctypes.c_char_p), ("booster", ctypes.c_char_p),
                ("n_features", ctypes.c_uint32),
                ("n_outputs", ctypes.c_uint32),
                ("n_classes", ctypes.c_uint32), ("n_trees", ctypes.c_uint32),
                ("n_nodes", ctypes.c_uint64), ("max_depth", ctypes.c_uint32),
                ("blob_size", ctypes.c_size_t)]


class CoreError(Exception):
    def __init__(self, status, message, hint):
        super().__init__("%s (status %d)" % (message, status))
        self.status = status
        self.message = message
        self.hint = hint


def _error(err):
    return CoreError(err.status, err.message.decode(), err.hint.decode())


class Core:
    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(path)
        lib.md_workspace_size.restype = ctypes.c_size_t
        lib.md_output_width.restype = ctypes.c_uint32
        lib.md_class_label.restype = ctypes.c_char_p
        lib.md_feature_name.restype = ctypes.c_char_p
        lib.md_category_name.restype = ctypes.c_char_p
        lib.md_category_count.restype = ctypes.c_uint32

    def compile(self, text):
        """A CompiledModel, or CoreError."""
        blob, n, err = ctypes.c_void_p(), ctypes.c_size_t(), Error()
        data = text.encode() if isinstance(text, str) else text
        st = self.lib.md_compile(data, ctypes.c_size_t(len(data)), 0, None,
                                 ctypes.byref(blob), ctypes.byref(n),
                                 ctypes.byref(err))
        if st != MD_OK:
            raise _error(err)
        return CompiledModel(self.lib, blob, n)


class CompiledModel:
    def __init__(self, lib, blob, n):
        self.lib, self.blob = lib, blob
        self.model, err = Model(), Error()
        if lib.md_open(ctypes.byref(self.model), blob, n, 0,
                       ctypes.byref(err)) != MD_OK:
            raise _error(err)
        self.info = Info()
        lib.md_get_info(ctypes.byref(self.model), ctypes.byref(self.info))
        self.ws = ctypes.create_string_buffer(
            lib.md_workspace_size(ctypes.byref(self.model)))
        self.task = TASKS[self.info.task]

    def __del__(self):
        self.lib.md_blob_free(self.blob)

    def feature_name(self, i):
        return self.lib.md_feature_name(ctypes.byref(self.model), i).decode()

    def categorical(self, i):
        return self.lib.md_feature_kind_of(ctypes.byref(self.model), i) == 1

    def categories(self, i):
        m = ctypes.byref(self.model)
        return [self.lib.md_category_name(m, i, k).decode()
                for k in range(self.lib.md_category_count(m, i))]

    def class_label(self, k):
        v = self.lib.md_class_label(ctypes.byref(self.model), k)
        return None if v is None else v.decode()

    def code(self, feature, text):
        """The category code of a text value (CoreError if refused)."""
        data = text.encode()
        code, err = ctypes.c_double(), Error()
        st = self.lib.md_category_code(ctypes.byref(self.model), feature,
                                       data, ctypes.c_size_t(len(data)),
                                       ctypes.byref(code), ctypes.byref(err))
        if st != MD_OK:
            raise _error(err)
        return code.value

    def rows(self, X):
        """An object matrix (numbers, strings, NaN) as the float64 matrix
        the core scores: text becomes category codes."""
        X = np.asarray(X, dtype=object)
        out = np.empty(X.shape, dtype=np.float64)
        for j in range(X.shape[1]):
            for i in range(X.shape[0]):
                v = X[i, j]
                if isinstance(v, str):
                    out[i, j] = self.code(j, v)
                else:
                    out[i, j] = float(v)
        return out

    def score(self, x, kind):
        """(outputs as an n x width matrix, status)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        width = self.lib.md_output_width(ctypes.byref(self.model), kind)
        out = np.zeros((x.shape[0], width))
        st = self.lib.md_score(ctypes.byref(self.model), kind,
                               x.ctypes.data_as(ctypes.c_void_p),
                               ctypes.c_size_t(x.shape[0]),
                               out.ctypes.data_as(ctypes.c_void_p), self.ws)
        return out, st

    def check_row(self, row):
        """(status, message, hint) of md_check_row."""
        row = np.ascontiguousarray(row, dtype=np.float64)
        err = Error()
        st = self.lib.md_check_row(ctypes.byref(self.model),
                                   row.ctypes.data_as(ctypes.c_void_p),
                                   self.ws, ctypes.byref(err))
        return st, err.message.decode(), err.hint.decode()
