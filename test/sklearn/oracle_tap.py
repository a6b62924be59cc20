"""oracle_tap: the TAP output and comparisons the format oracles share
(test/lightgbm, test/catboost and test/onnx oracle.py).

ok() prints one TAP line (and its diagnostic when it fails) and counts;
plan() prints the plan and returns the exit status.  first_difference()
says where two arrays differ bit for bit (NaN equal to NaN), ulps() how far
apart they are in units in the last place.
"""
import numpy as np

n_tests = 0
n_failed = 0


def ok(cond, what, diag=None):
    global n_tests, n_failed
    n_tests += 1
    if not cond:
        n_failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_tests, what),
          flush=True)
    if not cond and diag is not None:
        print("# " + str(diag).replace("\n", "\n# "), flush=True)
    return cond


def plan():
    print("1..%d" % n_tests)
    return 1 if n_failed else 0


def first_difference(got, want, library):
    got, want = np.asarray(got, float), np.asarray(want, float)
    if got.shape != want.shape:
        return "shapes %s and %s" % (got.shape, want.shape)
    bad = np.argwhere(~((got == want) | (np.isnan(got) & np.isnan(want))))
    if len(bad) == 0:
        return None
    i = tuple(bad[0])
    return "%d differ; first at %s: %r, %s %r" % (
        len(bad), i, float(got[i]), library, float(want[i]))


def ulps(got, want):
    got, want = np.asarray(got, float), np.asarray(want, float)
    spacing = np.spacing(np.maximum(np.abs(got), np.abs(want)))
    return float(np.max(np.abs(got - want) / spacing)) if got.size else 0.0
