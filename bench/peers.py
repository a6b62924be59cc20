#!/usr/bin/env python3
"""The other ways to score the same trees, measured by bench/run (run with
the bench venv's python: tools/venv bench bench/requirements.txt).

    peers.py DIR OUT.json

For every model of DIR/models.json (bench/make_data.py) and every peer that
reads its library's file, on one thread: batch throughput (all of the first
PEER_ROWS rows in one call, best of BENCH_REPS), single-row latency (one
call per row for the first LAT_ROWS rows, p50 and p99 of the calls, after a
warm-up) and the largest difference of its predictions from the oracle's
(the library that trained the model) on the first CHECK_ROWS rows.  A peer
that cannot load or convert a model is reported with its error, not left
out.  Writes the results as JSON; bench.py prints them.

Peers: XGBoost inplace_predict; LightGBM predict; ONNX Runtime on the
models converted by onnxmltools; Treelite's models compiled to C by TL2cgen
(gcc -O3) and called through its Python predictor; lleaves (LLVM);
CatBoost's own evaluator.
"""
import json
import os
import sys
import time
import traceback

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

DIR, OUT = sys.argv[1], sys.argv[2]
PEER_ROWS = int(os.environ["BENCH_PEER_ROWS"])
LAT_ROWS = int(os.environ["BENCH_LAT_ROWS"])
REPS = int(os.environ.get("BENCH_REPS", "3"))
CHECK_ROWS = 2000
WARM = 20
# shapes on which the compiling peers (TL2cgen, lleaves) run; all if unset
COMPILED = os.environ.get("BENCH_COMPILED_SHAPES", "").split()
COMPILING = ("Treelite + TL2cgen, gcc -O3", "lleaves (LLVM)")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def as_proba(p, width):
    """A peer's output as (rows, width) probabilities (the positive class
    alone for a binary model)."""
    p = np.asarray(p, dtype=np.float64)
    p = p.reshape(len(p), -1)
    if width == 1 and p.shape[1] == 2:
        p = p[:, 1:]
    return p


def xgboost_peer(path, shape):
    import xgboost as xgb
    bst = xgb.Booster(model_file=path)
    bst.set_param({"nthread": 1})
    bst.feature_names = None  # the rows are plain arrays
    return lambda x: bst.inplace_predict(x)


def lightgbm_peer(path, shape):
    import lightgbm as lgb
    bst = lgb.Booster(model_file=path)
    return lambda x: bst.predict(x, num_threads=1)


def onnx_session(onx):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(onx.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    out = [o.name for o in sess.get_outputs()][1]  # probabilities
    return lambda x: sess.run([out], {name: x})[0]


def onnx_xgboost_peer(path, shape):
    import onnxmltools
    import xgboost as xgb
    from onnxmltools.convert.common.data_types import FloatTensorType
    bst = xgb.Booster(model_file=path)
    # onnxmltools reads features from the dump by their "f<index>" names
    bst.feature_names = None
    onx = onnxmltools.convert_xgboost(
        bst, initial_types=[("x", FloatTensorType([None, shape["features"]]))])
    return onnx_session(onx)


def onnx_lightgbm_peer(path, shape):
    import lightgbm as lgb
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType
    bst = lgb.Booster(model_file=path)
    onx = onnxmltools.convert_lightgbm(
        bst, initial_types=[("x", FloatTensorType([None, shape["features"]]))],
        zipmap=False)
    return onnx_session(onx)


def tl2cgen_peer(load):
    def peer(path, shape):
        import tl2cgen
        model = load(path)
        lib = f"{DIR}/{os.path.basename(path)}.tl2cgen.so"
        # a library compiled from the same file by an earlier run is kept
        if not os.path.exists(lib):
            t0 = time.perf_counter()
            tl2cgen.export_lib(model, toolchain="gcc", libpath=lib,
                               params={"parallel_comp": 8}, nthread=2)
            log(f"  tl2cgen compiled {os.path.basename(path)} with gcc -O3 "
                f"in {time.perf_counter() - t0:.0f} s")
        pred = tl2cgen.Predictor(lib, nthread=1)
        return lambda x: pred.predict(tl2cgen.DMatrix(x, dtype="float32"))
    return peer


def treelite_xgboost(path):
    import treelite
    return treelite.frontend.load_xgboost_model(path)


def treelite_lightgbm(path):
    import treelite
    return treelite.frontend.load_lightgbm_model(path)


def lleaves_peer(path, shape):
    import lleaves
    model = lleaves.Model(model_file=path)
    t0 = time.perf_counter()
    model.compile(cache=f"{DIR}/{os.path.basename(path)}.lleaves.o")
    log(f"  lleaves compiled {os.path.basename(path)} in "
        f"{time.perf_counter() - t0:.0f} s")
    return lambda x: model.predict(x, n_jobs=1)


def catboost_peer(path, shape):
    import catboost
    model = catboost.CatBoostClassifier()
    model.load_model(path)
    return lambda x: model.predict(x, prediction_type="Probability",
                                   thread_count=1)


PEERS = {
    "xgboost": [
        ("XGBoost 3 `inplace_predict`", xgboost_peer),
        ("ONNX Runtime (onnxmltools)", onnx_xgboost_peer),
        ("Treelite + TL2cgen, gcc -O3", tl2cgen_peer(treelite_xgboost)),
    ],
    "lightgbm": [
        ("LightGBM `predict`", lightgbm_peer),
        ("lleaves (LLVM)", lleaves_peer),
        ("ONNX Runtime (onnxmltools)", onnx_lightgbm_peer),
        ("Treelite + TL2cgen, gcc -O3", tl2cgen_peer(treelite_lightgbm)),
    ],
    "catboost": [
        ("CatBoost `predict`", catboost_peer),
    ],
}


def measure(predict, x, shape, oracle):
    """Check, batch and single-row figures of one peer."""
    width = shape["width"]
    got = as_proba(predict(x[:CHECK_ROWS]), width)
    if got.shape != oracle.shape:
        diff = None
    else:
        diff = float(np.nanmax(np.abs(got - oracle)))
    batch = x[:PEER_ROWS]
    best = None
    for _ in range(REPS):
        t0 = time.perf_counter()
        predict(batch)
        t = time.perf_counter() - t0
        best = t if best is None or t < best else best
    rows = [x[i:i + 1] for i in range(LAT_ROWS)]
    for r in rows[:WARM]:
        predict(r)
    lat = []
    for r in rows:
        t0 = time.perf_counter_ns()
        predict(r)
        lat.append(time.perf_counter_ns() - t0)
    lat.sort()
    return {"rows_per_s": len(batch) / best, "diff": diff,
            "shape_ok": diff is not None,
            "p50_ns": lat[len(lat) // 2],
            "p99_ns": lat[min(len(lat) - 1, int(0.99 * len(lat)))]}


def versions():
    from importlib.metadata import version
    return ", ".join(f"{p} {version(p)}" for p in (
        "xgboost-cpu", "lightgbm", "onnxruntime", "onnxmltools", "treelite",
        "tl2cgen", "lleaves", "llvmlite", "catboost", "numpy"))


def main():
    with open(f"{DIR}/models.json") as f:
        shapes = json.load(f)
    results = []
    data = {}
    for shape in shapes:
        if shape["data"] not in data:
            data[shape["data"]] = np.fromfile(
                f"{DIR}/{shape['data']}", dtype=np.float32).reshape(
                    -1, shape["features"])
        x = data[shape["data"]]
        for model in shape["models"]:
            oracle = np.fromfile(f"{DIR}/{model['name']}.pred.f64").reshape(
                CHECK_ROWS, shape["width"])
            for label, make in PEERS[model["library"]]:
                log(f"peer {label}, {model['name']}")
                r = {"shape": shape["shape"], "model": model["name"],
                     "peer": label, "rows": min(PEER_ROWS, len(x)),
                     "lat_rows": LAT_ROWS}
                if COMPILED and label in COMPILING and \
                        shape["shape"] not in COMPILED:
                    r["error"] = ("not run: compiling takes minutes per "
                                  "model here (BENCH_COMPILED_SHAPES)")
                    results.append(r)
                    continue
                try:
                    r.update(measure(make(f"{DIR}/{model['file']}", shape),
                                     x, shape, oracle))
                except Exception as e:  # reported in the table, not hidden
                    traceback.print_exc()
                    r["error"] = f"{type(e).__name__}: {e}".splitlines()[0][:160]
                results.append(r)
    with open(OUT, "w") as f:
        json.dump({"versions": versions(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
