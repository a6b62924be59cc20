#!/usr/bin/python3
"""Measurements and report of bench/run (which prepares the data, the
models, the C programs and a running cluster; see there).

Every scorer gets the same rows.  Throughput is rows per second of elapsed
time, best of BENCH_REPS runs (one run when a run takes over 10 s); the
"CPU" column divides by the CPU time of the process that did the scoring
(the backend, or the C program), which other load on a shared machine
disturbs less.  Ratios compare figures of this one run.
"""
import json
import os
import platform
import re
import subprocess
import sys
import time

import psycopg2

from side_by_side import SideBySide

ROWS = int(os.environ["BENCH_ROWS"])
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
DIR = os.environ["DIR"]
ROOT = os.environ["ROOT"]
BINDIR = os.environ["BINDIR"]
BENCH_PY = os.environ["BENCH_PY"]
PEER_ROWS = int(os.environ["BENCH_PEER_ROWS"])
LAT_ROWS = int(os.environ["BENCH_LAT_ROWS"])
LAT_SECONDS = int(os.environ.get("BENCH_LAT_SECONDS", "3"))
N_FEATURES = 30
PY_ROWS = min(20000, ROWS)
MODELS = [
    ("m500x6", "500 trees, depth 6, binary:logistic"),
    ("m1000x8", "1000 trees, depth 8, binary:logistic"),
    ("m3class", "3 classes x 200 trees, depth 6, multi:softprob"),
]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def connect():
    conn = psycopg2.connect("")
    conn.autocommit = True
    return conn


def process_cpu(pid):
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Sql:
    """One connection, its backend's pid, timed statements."""

    def __init__(self):
        self.conn = connect()
        self.cur = self.conn.cursor()
        self.pid = self.one("SELECT pg_backend_pid()")

    def run(self, sql):
        self.cur.execute(sql)

    def one(self, sql):
        self.cur.execute(sql)
        return self.cur.fetchone()[0]

    def timed(self, sql, rows, reps=REPS, setup=None):
        """(rows/s elapsed, rows/s CPU, first column) of the best run."""
        best = None
        for _ in range(reps):
            if setup:
                setup()
            c0, t0 = process_cpu(self.pid), time.perf_counter()
            self.cur.execute(sql)
            value = self.cur.fetchone()[0] if self.cur.description else None
            t = time.perf_counter() - t0
            c = process_cpu(self.pid) - c0
            if best is None or t < best[0]:
                best = (t, c, value)
            if t > 10:
                break
        t, c, value = best
        return rows / t, (rows / c if c > 0 else None), value


def run_c(args, reps=1):
    """(rows/s, CPU rows/s, sum) printed by one of the C programs."""
    best = None
    for _ in range(reps):
        out = subprocess.run(args, check=True, capture_output=True,
                             text=True).stdout.split()
        r = (float(out[0]), float(out[1]), float(out[2]))
        if best is None or r[0] > best[0]:
            best = r
    return best


def setup(db):
    log("loading the extension, the models and the tables")
    db.run("CREATE EXTENSION model_deploy")
    db.run("CREATE EXTENSION plpython3u")
    for name, _ in MODELS:
        db.run(f"SELECT model_deploy.deploy('{name}', "
               f"pg_read_file('{DIR}/{name}.json'))")
    db.run("CREATE TABLE t (id int, f float4[])")
    db.run(f"COPY t FROM '{DIR}/t.copy' WITH (FORMAT binary)")
    cols = ", ".join(f"f[{i + 1}] AS f{i + 1}" for i in range(N_FEATURES))
    db.run(f"CREATE TABLE tc AS SELECT id, {cols} FROM t")
    db.run(f"CREATE TABLE t_py AS SELECT * FROM t WHERE id <= {PY_ROWS}")
    db.run("CREATE TABLE expected (model text, id int, output int, "
           "margin float8)")
    db.run(f"COPY expected FROM '{DIR}/expected.tsv'")
    # PL/Python the way its users write it: the booster loaded once per
    # backend (GD), one row per call, one thread
    db.run(f"""
CREATE FUNCTION py_predict(model text, f float4[]) RETURNS float8
LANGUAGE plpython3u AS $$
b = GD.get(model)
if b is None:
    import numpy, xgboost
    b = xgboost.Booster(model_file='{DIR}/' + model + '.json')
    b.set_param({{'nthread': 1}})
    GD[model] = b
    GD['numpy'] = numpy
np = GD['numpy']
p = b.inplace_predict(np.asarray([f], dtype=np.float32))[0]
return float(p.argmax()) if p.ndim else float(p)
$$""")
    db.run("VACUUM ANALYZE")


def verify(db):
    """Raw margins from SQL against xgboost's for a sample of rows."""
    db.run("""
SELECT e.model, count(*),
       count(*) FILTER (WHERE (model_deploy.predict_raw(e.model, t.f))[e.output]
                              IS DISTINCT FROM e.margin::float8)
  FROM expected e JOIN t USING (id)
 WHERE e.model IN (%s)
 GROUP BY e.model ORDER BY e.model""" % ", ".join(f"'{m}'" for m, _ in MODELS))
    return db.cur.fetchall()


def has_record_predict(db):
    return db.one("""
SELECT count(*) > 0 FROM pg_proc
 WHERE proname = 'predict'
   AND pronamespace = 'model_deploy'::regnamespace
   AND proargtypes[1] = 'record'::regtype""")


def mdscore_cli(db, name):
    """(rows/s, CPU rows/s) of `mdscore predict MODEL.mdb data.csv`, the
    model compiled beforehand (`mdscore compile`, as on an edge device:
    compiling is not scoring), or None without the command."""
    exe = f"{ROOT}/build/mdscore"
    if not os.access(exe, os.X_OK):
        return None
    csv = f"{DIR}/data.csv"
    if not os.path.exists(csv):
        cols = ", ".join(f"f{i + 1}" for i in range(N_FEATURES))
        db.run(f"COPY (SELECT {cols} FROM tc ORDER BY id) TO '{csv}' "
               "WITH (FORMAT csv, HEADER)")
    mdb = f"{DIR}/{name}.mdb"
    p = subprocess.run([exe, "compile", f"{DIR}/{name}.json", "-o", mdb],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return ("failed", p.stderr.strip()[:120])
    best = None
    for _ in range(REPS):
        with open(os.devnull, "w") as null:
            t0 = time.perf_counter()
            p = subprocess.Popen([exe, "predict", mdb, csv], stdout=null,
                                 stderr=subprocess.PIPE)
            _, status, usage = os.wait4(p.pid, 0)
            t = time.perf_counter() - t0
        if status != 0:
            return ("failed", p.stderr.read().decode().strip()[:120])
        if best is None or t < best[0]:
            best = (t, usage.ru_utime + usage.ru_stime)
    return ROWS / best[0], ROWS / best[1]


def throughput(db):
    """Rows per second of every scorer, per model."""
    results = {}
    record = has_record_predict(db)
    for name, _ in MODELS:
        log(f"throughput, {name}")
        r = []
        db.run(f"SELECT model_deploy.predict('{name}', f) FROM t LIMIT 1")
        r.append(("SQL `sum(predict('m', f))`, f float4[]", ROWS,
                  *db.timed(f"SELECT sum(model_deploy.predict('{name}', f)) "
                            "FROM t", ROWS)))
        if record:
            try:
                r.append(("SQL `sum(predict('m', tc))`, 30 float4 columns",
                          ROWS,
                          *db.timed(f"SELECT sum(model_deploy.predict("
                                    f"'{name}', tc)) FROM tc", ROWS)))
            except psycopg2.Error as e:
                r.append(("SQL `predict('m', tc)` by columns: failed, "
                          + str(e).splitlines()[0], None, None, None, None))
        else:
            r.append(("SQL `predict('m', tc)` by columns: skipped, no "
                      "predict(text, record) in this build", None, None,
                      None, None))
        cli = mdscore_cli(db, name)
        if cli is None:
            r.append(("`mdscore predict` CLI: skipped, no build/mdscore in "
                      "this build", None, None, None, None))
        elif cli[0] == "failed":
            r.append((f"`mdscore predict` CLI: failed, {cli[1]}", None, None,
                      None, None))
        else:
            r.append(("`mdscore predict` CLI, compiled model, CSV in and out",
                      ROWS,
                      *cli, None))
        data = [f"{DIR}/{name}.json", f"{DIR}/data.f32", str(N_FEATURES)]
        r.append(("libmdscore, one row per call (C, no SQL)", ROWS,
                  *run_c([f"{DIR}/md_capi", *data, "row"])))
        r.append(("libmdscore, all rows in one call (C, no SQL)", ROWS,
                  *run_c([f"{DIR}/md_capi", *data, "batch"])))
        r.append(("xgboost C API, all rows in one call, 1 thread", ROWS,
                  *run_c([f"{DIR}/xgb_capi", *data])))
        db.run(f"SELECT py_predict('{name}', f) FROM t_py LIMIT 1")
        r.append(("PL/Python + xgboost, booster cached (GD)", PY_ROWS,
                  *db.timed(f"SELECT sum(py_predict('{name}', f)) FROM t_py",
                            PY_ROWS, reps=1)))
        results[name] = r
    log("throughput, floor")
    floor = ("floor: SQL `sum(f[1])`", ROWS,
             *db.timed("SELECT sum(f[1]) FROM t", ROWS))
    return results, floor


def overhead(db):
    """Rows/s of sum(predict()) on the 500 x 6 model with
    model_deploy.track_stats on and off, the two interleaved run by run so
    that the machine's load weighs on both alike."""
    log("monitoring overhead, track_stats on and off")
    sql = "SELECT sum(model_deploy.predict('m500x6', f)) FROM t"
    best = {}
    for _ in range(REPS):
        for setting in ("on", "off"):
            db.run(f"SET model_deploy.track_stats = {setting}")
            r = db.timed(sql, ROWS, reps=1)
            if setting not in best or r[0] > best[setting][0]:
                best[setting] = r
    db.run("RESET model_deploy.track_stats")
    return best


def update(db):
    """Seconds of the two UPDATEs, each on a fresh copy of the table."""
    log("UPDATE")

    def fresh():
        db.run("DROP TABLE IF EXISTS u")
        db.run("CREATE TABLE u AS SELECT id, f, 0::float8 AS score FROM t")
        db.run("VACUUM ANALYZE u")
        db.run("CHECKPOINT")

    out = {}
    for _ in range(2):
        for label, expr in (("floor", "f[1]"),
                            ("predict", "model_deploy.predict('m500x6', f)")):
            rate, cpu, _ = db.timed(f"UPDATE u SET score = {expr}", ROWS,
                                    reps=1, setup=fresh)
            if label not in out or rate > out[label][0]:
                out[label] = (rate, cpu)
    db.run("DROP TABLE u")
    return out


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1,
                             int(p / 100 * len(sorted_values)))]


def pgbench(db, clients, label, sql, literal, seconds=SECONDS):
    """pgbench's TPS, and from the per-transaction log: the TPS once every
    connection has made its first call (which compiles the model in that
    backend), the slowest first call (ms) and p50/p99 latency (ms)."""
    log(f"pgbench, {clients} client(s), {label}")
    script = f"{DIR}/{label}.sql"
    with open(script, "w") as f:
        f.write(sql + "\n")
    prefix = f"{DIR}/pgb_{label}_{clients}"
    out = subprocess.run(
        [f"{BINDIR}/pgbench", "-n", "-M", "prepared", "-c", str(clients),
         "-j", str(clients), "-T", str(seconds), "-f", script,
         "-D", f"f={literal}", "--log", f"--log-prefix={prefix}"],
        check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
    lat, done, first = [], [], {}
    for fn in os.listdir(DIR):
        if not fn.startswith(os.path.basename(prefix) + "."):
            continue
        with open(f"{DIR}/{fn}") as f:
            for line in f:
                # client transaction latency_us script epoch_s epoch_us
                c, n, us, _, sec, usec = line.split()[:6]
                t = int(sec) + int(usec) / 1e6
                lat.append(int(us))
                done.append(t)
                if c not in first or int(n) < first[c][0]:
                    first[c] = (int(n), t, int(us))
        os.remove(f"{DIR}/{fn}")
    lat.sort()
    warm = max(t for _, t, _ in first.values())
    steady = sum(1 for t in done if t > warm) / (max(done) - warm)
    return {"tps": tps, "steady": steady,
            "first": max(us for _, _, us in first.values()) / 1000,
            "p50": percentile(lat, 50) / 1000, "p99": percentile(lat, 99) / 1000}


def realtime(db):
    """Best of two interleaved pgbench runs of the floor and of predict."""
    literal = db.one("SELECT f::text FROM t WHERE NOT 'NaN' = ANY(f) "
                     "ORDER BY id LIMIT 1")
    # pgbench -M prepared binds :f as a parameter of unknown type: "untyped"
    # is what drivers that leave the type to the server run, through
    # predict(text, text) (issue 19)
    queries = {
        "floor": "SELECT :f::float4[];",
        "predict": "SELECT model_deploy.predict('m500x6', :f::float4[]);",
        "untyped": "SELECT model_deploy.predict('m500x6', :f);",
    }
    out = {}
    for clients in (1, 8):
        best = {}
        for _ in range(2):
            for label, sql in queries.items():
                r = pgbench(db, clients, label, sql, literal)
                if label not in best or r["steady"] > best[label]["steady"]:
                    best[label] = r
        out[clients] = best
    return out


def peers():
    """The peers' figures, measured by peers.py in the bench venv."""
    log("peers (bench/peers.py)")
    out = f"{DIR}/peers.json"
    subprocess.run([BENCH_PY, f"{ROOT}/bench/peers.py", DIR, out],
                   check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    with open(out) as f:
        return json.load(f)


def side_by_side(db):
    """(report lines, peer versions) of model_deploy beside every peer."""
    sbs = SideBySide(db, {"DIR": DIR, "ROOT": ROOT, "PEER_ROWS": PEER_ROWS,
                          "LAT_ROWS": LAT_ROWS, "REPS": REPS,
                          "LAT_SECONDS": LAT_SECONDS},
                     lambda *a: pgbench(db, *a))
    sbs.setup({name for name, _ in MODELS})
    p = peers()
    log("model_deploy on every model of the side-by-side table")
    return sbs.report(sbs.measure(p["results"])), p["versions"]


def first_call():
    """bench/first_call's report with huge_pages = off, then = on when
    bench/run could reserve huge pages (BENCH_HUGE_PAGES=1)."""
    exe = f"{ROOT}/bench/first_call"
    if not os.access(exe, os.X_OK):
        return None
    lines = []
    settings = ["off"]
    if os.environ.get("BENCH_HUGE_PAGES") == "1":
        settings.append("on")
    else:
        lines.append("(huge_pages = on not measured: bench/run could not "
                     "reserve huge pages, it is not run as root)")
    for setting in settings:
        log(f"first call, huge_pages = {setting}")
        p = subprocess.run([exe, "--model", f"{DIR}/m1000x8.json",
                            "--huge-pages", setting],
                           capture_output=True, text=True)
        lines += p.stdout.strip().splitlines()
        if p.returncode != 0:
            lines.append(f"(bench/first_call --huge-pages {setting} failed: "
                         f"{p.stderr.strip()[:200]})")
    return lines


def machine(db):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024 // 1024
    import xgboost
    gcc = subprocess.run(["gcc", "--version"], capture_output=True,
                         text=True).stdout.splitlines()[0]
    pgv = db.one("SHOW server_version")
    settings = ", ".join(
        f"{name} = {db.one(f'SHOW {name}')}"
        for name in ("shared_preload_libraries",
                     "max_parallel_workers_per_gather", "jit",
                     "shared_buffers", "fsync", "synchronous_commit"))
    return (f"{cpu}, {os.cpu_count()} cores, {mem} GB; Linux "
            f"{platform.release()}; PostgreSQL {pgv} ({settings}); xgboost "
            f"{xgboost.__version__}; {gcc}")


def fmt(v, digits=0):
    if v is None:
        return ""
    return f"{v:,.{digits}f}"


def report(info, checks, tput, floor, ovh, upd, rt, fc, sbs, load0, elapsed):
    print(f"\n## model_deploy benchmark ({ROWS:,} rows, 30 features)\n")
    print(f"Machine: {info}.  Peers (bench venv): {sbs[1]}.  "
          f"Load average at start {load0[0]:.2f}, "
          f"at end {os.getloadavg()[0]:.2f} (a shared machine: compare "
          f"ratios).  Total time {elapsed / 60:.1f} min.\n")
    print("Speed never changes an answer: raw margins from SQL "
          "(`predict_raw`) against xgboost's `output_margin=True`:")
    for model, n, bad in checks:
        print(f"- {model}: {n} margins, {bad} differ"
              f"{' (bit-identical)' if bad == 0 else ' -- MISMATCH'}")
    print("\nThe models are trained by XGBoost 3.2 (bench venv).  The xgboost C "
          "API and PL/Python rows use Debian's XGBoost 1.7, which reads "
          "XGBoost 3's base_score, written as a list (\"[3.342E-1]\"), as "
          "the default 0.5 without a word: their "
          "predictions can be off by that intercept, so they compare speed "
          "only (the side-by-side table below checks XGBoost 3.2 itself).")
    print()
    print("| model | scorer | rows | rows/s | rows/s per CPU-second | "
          "x xgboost C API |")
    print("|---|---|---:|---:|---:|---:|")
    for name, desc in MODELS:
        xgb = [r for r in tput[name] if r[0].startswith("xgboost")][0][2]
        for label, rows, rate, cpu, _ in tput[name]:
            ratio = f"{rate / xgb:.2f}x" if rate else ""
            print(f"| {desc} | {label} | {fmt(rows)} | {fmt(rate)} | "
                  f"{fmt(cpu)} | {ratio} |")
    label, rows, rate, cpu, _ = floor
    print(f"| (no model) | {label} | {fmt(rows)} | {fmt(rate)} | {fmt(cpu)} "
          "| |")

    print("\n| 500 x 6 model, `SELECT sum(predict('m', f)) FROM t`, "
          "best of interleaved runs | rows/s | rows/s per CPU-second |")
    print("|---|---:|---:|")
    for setting in ("on", "off"):
        rate, cpu, _ = ovh[setting]
        print(f"| model_deploy.track_stats = {setting} | {fmt(rate)} | "
              f"{fmt(cpu)} |")

    print("\n| 500 x 6 model, fresh table copy each | rows/s | "
          "rows/s per CPU-second | time / floor's |")
    print("|---|---:|---:|---:|")
    for label, stmt in (("floor", "`UPDATE u SET score = f[1]`"),
                        ("predict",
                         "`UPDATE u SET score = predict('m', f)`")):
        rate, cpu = upd[label]
        print(f"| {stmt} | {fmt(rate)} | {fmt(cpu)} | "
              f"{upd['floor'][0] / rate:.2f} |")

    print(f"\n| pgbench -M prepared, best of 2 x {SECONDS} s, 500 x 6 model "
          "| clients | TPS | TPS after first calls | slowest first call ms "
          "| p50 ms | p99 ms | TPS after first calls / floor's |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for clients, r in rt.items():
        for label, stmt in (("floor", "`SELECT $1::float4[]`"),
                            ("predict",
                             "`SELECT predict('m', $1::float4[])`"),
                            ("untyped", "`SELECT predict('m', $1)`, untyped")):
            x = r[label]
            print(f"| {stmt} | {clients} | {fmt(x['tps'])} | "
                  f"{fmt(x['steady'])} | {x['first']:.1f} | {x['p50']:.3f} | "
                  f"{x['p99']:.3f} | "
                  f"{x['steady'] / r['floor']['steady']:.2f} |")

    if fc is None:
        print("\nFirst call in a fresh connection: skipped, no "
              "bench/first_call in this build.")
    else:
        print("\nFirst call in a fresh connection (bench/first_call):")
        for line in fc:
            print(f"    {line}")

    sql = tput["m500x6"][0]
    xgb = [r for r in tput["m500x6"] if r[0].startswith("xgboost")][0]
    u = upd["floor"][0] / upd["predict"][0]
    print("\nTargets (500 x 6 model; in brackets the same ratio in CPU "
          "time):")
    print(f"- in-SQL throughput >= 2x xgboost C API: {sql[2] / xgb[2]:.2f}x "
          f"[{sql[3] / xgb[3]:.2f}x], "
          f"{'met' if sql[2] / xgb[2] >= 2 else 'MISSED'}")
    print(f"- UPDATE <= 1.5x the floor UPDATE: {u:.2f}x "
          f"[{upd['floor'][1] / upd['predict'][1]:.2f}x], "
          f"{'met' if u <= 1.5 else 'MISSED'}")
    for clients, r in rt.items():
        q = r["predict"]["steady"] / r["floor"]["steady"]
        raw = r["predict"]["tps"] / r["floor"]["tps"]
        print(f"- real time, {clients} client(s), >= 0.9x floor TPS: "
              f"{q:.2f}x once connected and warm "
              f"({raw:.2f}x counting each new connection's first call), "
              f"{'met' if q >= 0.9 else 'MISSED'}")
    for clients, r in rt.items():
        print(f"- untyped parameter (text parsed per call), {clients} "
              f"client(s): {r['untyped']['steady'] / r['predict']['steady']:.2f}x "
              f"the TPS of the typed call, p50 {r['untyped']['p50']:.3f} ms "
              f"vs {r['predict']['p50']:.3f} ms")
    cost = 1 - ovh["on"][0] / ovh["off"][0]
    print(f"- statistics tracking costs <= 3% of throughput: "
          f"{100 * cost:.1f}% "
          f"[{100 * (1 - ovh['on'][1] / ovh['off'][1]):.1f}%], "
          f"{'met' if cost <= 0.03 else 'MISSED'}")
    ok = all(bad == 0 for _, _, bad in checks)
    print(f"- margins bit-identical to xgboost: "
          f"{'yes' if ok else 'NO'}")

    print_side_by_side(sbs)


def print_side_by_side(sbs):
    print(f"\n## Side by side with every peer (one thread each; batch: "
          f"{PEER_ROWS:,} rows in one call, SQL: every row of the table; "
          f"single row: {LAT_ROWS:,} calls, one row each, after a warm-up)")
    print("\nRatios above 1 are better than the fastest peer.  Peers are "
          "called from Python: their single-row figures include the "
          "interpreter's call; the SQL single-row figure "
          "includes pgbench's round trip through the socket.")
    for line in sbs[0]:
        print(line)


def main():
    start = time.perf_counter()
    load0 = os.getloadavg()
    db = Sql()
    setup(db)
    info = machine(db)
    if os.environ.get("BENCH_SIDE_ONLY") == "1":
        sbs = side_by_side(db)
        print(f"Machine: {info}.  Peers (bench venv): {sbs[1]}.  Load "
              f"average at start {load0[0]:.2f}, at end "
              f"{os.getloadavg()[0]:.2f}.  Total time "
              f"{(time.perf_counter() - start) / 60:.1f} min.")
        print_side_by_side(sbs)
        return
    checks = verify(db)
    tput, floor = throughput(db)
    ovh = overhead(db)
    upd = update(db)
    rt = realtime(db)
    fc = first_call()
    sbs = side_by_side(db)
    report(info, checks, tput, floor, ovh, upd, rt, fc, sbs, load0,
           time.perf_counter() - start)


if __name__ == "__main__":
    main()
