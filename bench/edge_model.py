#!/usr/bin/python3
"""Models and data for bench/edge_footprint.

    edge_model.py train DIR     a 1000-tree depth-8 binary:logistic XGBoost model
                                (DIR/big.json) and a 1-tree one (DIR/tiny.json) on
                                30 features, and DIR/rows.csv: 10,000 rows to score
                                (header, 3% missing), DIR/margins.txt: xgboost's own
                                margins for them
    edge_model.py check DIR OUT OUT (mdscore --raw output) must equal margins.txt
                                bit for bit
    edge_model.py run MDSCORE MODEL DIR ROWS
                                time `MDSCORE predict MODEL` over ROWS rows (rows.csv
                                repeated, written into its standard input) and print
                                "wall_s cpu_s peak_rss_kB" of the mdscore process
                                (cpu = user + system: the machine may be shared)

Needs Debian's python3-xgboost (1.7) and numpy.  Deterministic (fixed seeds).
"""
import sys

import numpy as np


def train(out):
    import xgboost as xgb

    rng = np.random.default_rng(20261129)
    n, f = 50_000, 30
    X = rng.normal(size=(n, f)).astype(np.float32)
    w = rng.normal(size=f)
    y = ((X @ w + 0.5 * np.sin(3 * X[:, 0]) * X[:, 1]
          + rng.normal(scale=2.0, size=n)) > 0).astype(int)
    names = ["x%02d" % i for i in range(f)]
    d = xgb.DMatrix(X, label=y, feature_names=names)
    params = {"objective": "binary:logistic", "max_depth": 8, "eta": 0.05,
              "nthread": 2, "seed": 1}
    xgb.train(params, d, 1000).save_model(out + "/big.json")
    xgb.train(params, d, 1).save_model(out + "/tiny.json")

    rows = rng.normal(size=(10_000, f)).astype(np.float32)
    rows[rng.random(rows.shape) < 0.03] = np.nan
    with open(out + "/rows.csv", "w") as fh:
        fh.write(",".join(names) + "\n")
        for r in rows:
            fh.write(",".join("" if np.isnan(v) else repr(float(v)) for v in r) + "\n")
    big = xgb.Booster(model_file=out + "/big.json")
    m = big.predict(xgb.DMatrix(rows, feature_names=names), output_margin=True)
    with open(out + "/margins.txt", "w") as fh:
        fh.write("".join("%r\n" % float(v) for v in m))


def check(out, got_path):
    want = [float(v) for v in open(out + "/margins.txt")]
    got = [float(v) for v in open(got_path)]
    bad = sum(a != b for a, b in zip(want, got)) + abs(len(want) - len(got))
    print("%d of %d margins differ from xgboost's" % (bad, len(want)))
    return 1 if bad else 0


def peak_rss_kb(pid):
    """VmHWM of a running process: its own peak, since exec gave it a new
    address space (ru_maxrss would include the Python it was forked from)."""
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(mdscore, model, out, rows):
    import os
    import subprocess
    import threading
    import time

    lines = open(out + "/rows.csv", "rb").read().split(b"\n", 1)
    header, body = lines[0] + b"\n", lines[1]
    per_copy = body.count(b"\n")

    def feed(pipe):
        pipe.write(header)
        for _ in range(max(1, rows // per_copy)):
            pipe.write(body)
        pipe.close()

    start = time.monotonic()
    p = subprocess.Popen([mdscore, "predict", model], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL)
    threading.Thread(target=feed, args=(p.stdin,), daemon=True).start()
    peak = 0
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            break
        peak = max(peak, peak_rss_kb(p.pid))
        time.sleep(0.05)
    seconds = time.monotonic() - start
    if status != 0:
        sys.exit("mdscore failed: status %d" % status)
    print("%.3f %.3f %d" % (seconds, usage.ru_utime + usage.ru_stime, peak))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2])
    elif sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
