"""model_deploy and every peer on the same models and rows: the part of
bench.py's report that issue 15 asks for (the peers themselves are measured
by peers.py, in the bench venv).

For each shape of models.json (bench/make_data.py) and each of its model
files that model_deploy reads (XGBoost JSON, LightGBM text), model_deploy
is measured as libmdscore from C (all PEER_ROWS rows in one call; one call
per row for LAT_ROWS rows, each call timed), the `mdscore` command (CSV in
and out), SQL `sum(predict())` over the table by array and by columns (one
row per call), and SQL one row per statement from pgbench (p50, p99 of
prepared statements, client round trip included).  Every output is checked
against the oracle, the library that trained the model: predictions to
within CHECK_TOL, SQL's raw margins exactly.
"""
import json
import os
import subprocess

import numpy as np

CHECK_ROWS = 2000
CHECK_TOL = 1e-6


def run_capi(args):
    out = subprocess.run(args, check=True, capture_output=True,
                         text=True).stdout.split()
    return [float(v) for v in out]


def check(got, oracle):
    """Largest |difference| of predictions from the oracle's, or None when
    the shapes differ."""
    got = np.asarray(got, dtype=np.float64).reshape(len(got), -1)
    if got.shape != oracle.shape:
        return None
    return float(np.nanmax(np.abs(got - oracle)))


def cli_proba(path, width):
    """mdscore --proba output as (rows, width): the positive class alone
    for a binary model."""
    p = np.loadtxt(path, delimiter=",", max_rows=CHECK_ROWS, ndmin=2)
    return p[:, -1:] if width == 1 else p


class SideBySide:
    def __init__(self, db, env, pgbench):
        self.db = db
        self.dir = env["DIR"]
        self.root = env["ROOT"]
        self.peer_rows = env["PEER_ROWS"]
        self.lat_rows = env["LAT_ROWS"]
        self.reps = env["REPS"]
        self.lat_seconds = env["LAT_SECONDS"]
        self.pgbench = pgbench
        with open(f"{self.dir}/models.json") as f:
            self.shapes = json.load(f)

    def scored(self, shape):
        return [m for m in shape["models"] if m["library"] != "catboost"]

    def setup(self, deployed):
        """Deploy every model model_deploy reads but those of 'deployed'
        (bench.py's), load the wide table."""
        db = self.db
        for shape in self.shapes:
            for m in self.scored(shape):
                if m["name"] not in deployed:
                    db.run(f"SELECT model_deploy.deploy('{m['name']}', "
                           f"pg_read_file('{self.dir}/{m['file']}'))")
        wide = [s for s in self.shapes if s["table"] == "tw"]
        if wide:
            n = wide[0]["features"]
            db.run("CREATE TABLE tw (id int, f float4[])")
            db.run(f"COPY tw FROM '{self.dir}/tw.copy' WITH (FORMAT binary)")
            cols = ", ".join(f"f[{i + 1}] AS f{i + 1}" for i in range(n))
            db.run(f"CREATE TABLE twc AS SELECT id, {cols} FROM tw")
            db.run("VACUUM ANALYZE tw, twc")

    def margins(self, name, table):
        """(margins compared, how many differ) of SQL predict_raw against
        the library's raw margins."""
        self.db.run(f"""
SELECT count(*),
       count(*) FILTER (WHERE (model_deploy.predict_raw(e.model, t.f))[e.output]
                              IS DISTINCT FROM e.margin)
  FROM expected e JOIN {table} t USING (id) WHERE e.model = '{name}'""")
        return self.db.cur.fetchone()

    def sql_rate(self, sql, rows):
        rate, _, _ = self.db.timed(sql, rows)
        return rate

    def model_deploy(self, shape, m, oracle):
        """The rows of model_deploy for one model file."""
        d, name = self.dir, m["name"]
        path = f"{d}/{m['file']}"
        data = [path, f"{d}/{shape['data']}", str(shape["features"])]
        capi = f"{d}/md_capi"
        out = f"{d}/{name}.md.f64"
        rows = []
        best = None
        for _ in range(self.reps):
            r = run_capi([capi, *data, "batch", str(self.peer_rows), out])
            best = r if best is None or r[0] > best[0] else best
        got = np.fromfile(out)[:CHECK_ROWS * shape["width"]]
        rows.append({"peer": "libmdscore, all rows in one call (C)",
                     "rows_per_s": best[0],
                     "diff": check(got.reshape(CHECK_ROWS, -1), oracle)})
        r = run_capi([capi, *data, "latency", str(self.lat_rows)])
        rows.append({"peer": "libmdscore, one row per call (C)",
                     "p50_ns": r[3], "p99_ns": r[4]})
        rows.append(self.cli(shape, m, oracle))
        table = shape["table"]
        n = self.db.one(f"SELECT count(*) FROM {table}")
        self.db.run(f"SELECT model_deploy.predict('{name}', f) FROM {table} "
                    "LIMIT 1")
        total, bad = self.margins(name, table)
        rows.append({"peer": "SQL `sum(predict('m', f))`, f float4[]",
                     "rows_per_s": self.sql_rate(
                         f"SELECT sum(model_deploy.predict('{name}', f)) "
                         f"FROM {table}", n),
                     "margins": (total, bad)})
        cols = "tc" if table == "t" else "twc"
        rows.append({"peer": "SQL `sum(predict('m', tc))`, by columns",
                     "rows_per_s": self.sql_rate(
                         f"SELECT sum(model_deploy.predict('{name}', c)) "
                         f"FROM {cols} c", n)})
        literal = self.db.one(f"SELECT f::text FROM {table} ORDER BY id "
                              "LIMIT 1")
        pb = self.pgbench(
            1, f"lat_{name}",
            f"SELECT model_deploy.predict('{name}', :f::float4[]);",
            literal, self.lat_seconds)
        rows.append({"peer": "SQL, one prepared statement per row "
                             "(pgbench, round trip)",
                     "p50_ns": pb["p50"] * 1e6, "p99_ns": pb["p99"] * 1e6})
        return rows

    def cli(self, shape, m, oracle):
        exe = f"{self.root}/build/mdscore"
        label = "`mdscore predict`, compiled model, CSV in and out"
        mdb = f"{self.dir}/{m['name']}.mdb"
        p = subprocess.run([exe, "compile", f"{self.dir}/{m['file']}",
                            "-o", mdb], capture_output=True, text=True)
        if p.returncode != 0:
            return {"peer": label, "error": p.stderr.strip()[:120]}
        out = f"{self.dir}/{m['name']}.cli.csv"
        best = None
        for _ in range(self.reps):
            with open(out, "w") as f:
                t0 = os.times().elapsed
                p = subprocess.run([exe, "predict", "--proba", mdb,
                                    f"{self.dir}/{shape['csv']}"],
                                   stdout=f, stderr=subprocess.PIPE,
                                   text=True)
                t = os.times().elapsed - t0
            if p.returncode != 0:
                return {"peer": label, "error": p.stderr.strip()[:120]}
            best = t if best is None or t < best else best
        n = min(self.peer_rows, sum(1 for _ in open(out)))
        return {"peer": label, "rows_per_s": n / best,
                "diff": check(cli_proba(out, shape["width"]), oracle)}

    def measure(self, peers):
        """Every row of the table: model_deploy's, then the peers'; kept in
        DIR/side_by_side.json too."""
        table = []
        for shape in self.shapes:
            for m in shape["models"]:
                oracle = np.fromfile(
                    f"{self.dir}/{m['name']}.pred.f64").reshape(
                        CHECK_ROWS, shape["width"])
                if m["library"] != "catboost":
                    for r in self.model_deploy(shape, m, oracle):
                        table.append(dict(r, shape=shape["shape"],
                                          model=m["name"], md=True))
                for r in peers:
                    if r["model"] == m["name"]:
                        table.append(dict(r, md=False))
        with open(f"{self.dir}/side_by_side.json", "w") as f:
            json.dump(table, f, indent=1)
        return table

    def report(self, table):
        lines = []
        targets = []
        for shape in self.shapes:
            trees = {m["name"]: m["trees"] for m in shape["models"]}
            files = {m["name"]: m["file"] for m in shape["models"]}
            rows = [r for r in table if r["shape"] == shape["shape"]]
            peers = [r for r in rows if not r["md"] and "error" not in r]
            fb = max(peers, key=lambda r: r["rows_per_s"], default=None)
            fs = min(peers, key=lambda r: r["p50_ns"], default=None)
            lines.append(f"\n### {shape['desc']} ({shape['features']} "
                         "features)\n")
            if fb:
                lines.append(
                    f"Fastest peer, batch: {fb['peer']} on {files[fb['model']]}"
                    f"; single row (p50): {fs['peer']} on "
                    f"{files[fs['model']]}.\n")
            lines.append("| scorer | model file (trees) | batch rows/s | "
                         "ns per tree·row | × fastest peer batch | "
                         "single row p50 µs | p99 µs | × fastest peer p50 | "
                         "check against the oracle |")
            lines.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
            for r in rows:
                lines.append(self.line(r, trees, files, fb, fs))
            targets += self.targets(shape, rows, fb, fs)
        lines.append("\nTargets of issue 15, point 3 (this run, one thread; "
                     "reported, not yet worked on):")
        lines += targets
        return lines

    @staticmethod
    def line(r, trees, files, fb, fs):
        n = trees[r["model"]]
        cells = [f"{r['peer']}", f"{files[r['model']]} ({n})"]
        if "error" in r:
            return "| " + " | ".join(cells + [f"failed: {r['error']}"] +
                                     [""] * 6) + " |"
        rate = r.get("rows_per_s")
        if rate:
            cells += [f"{rate:,.0f}", f"{1e9 / rate / n:.2f}",
                      f"{rate / fb['rows_per_s']:.2f}×" if fb else ""]
        else:
            cells += ["", "", ""]
        if r.get("p50_ns"):
            cells += [f"{r['p50_ns'] / 1e3:.2f}", f"{r['p99_ns'] / 1e3:.2f}",
                      f"{fs['p50_ns'] / r['p50_ns']:.2f}×" if fs else ""]
        else:
            cells += ["", "", ""]
        cells.append(SideBySide.verdict(r))
        return "| " + " | ".join(cells) + " |"

    @staticmethod
    def verdict(r):
        if "margins" in r:
            total, bad = r["margins"]
            return (f"raw margins: {total} compared, "
                    + ("bit-identical" if bad == 0 else f"**{bad} DIFFER**"))
        if "diff" not in r:
            return ""
        if r["diff"] is None:
            return "**output shape differs**"
        if r["diff"] == 0:
            return "identical"
        word = "within 1e-6" if r["diff"] <= CHECK_TOL else "**DIFFERS**"
        return f"{word} (max {r['diff']:.1e})"

    @staticmethod
    def targets(shape, rows, fb, fs):
        if fb is None:
            return []
        out = []
        md = [r for r in rows if r["md"]]

        def best(prefix, key, low=False):
            c = [r for r in md if r["peer"].startswith(prefix) and r.get(key)]
            f = min if low else max
            return f(c, key=lambda r: r[key]) if c else None

        lib = best("libmdscore, all", "rows_per_s")
        sql = best("SQL `sum(predict('m', f))`", "rows_per_s")
        one = best("libmdscore, one", "p50_ns", low=True)
        for label, r, ratio, goal in (
                ("libmdscore batch ≥ 1.5× fastest peer batch", lib,
                 lib and lib["rows_per_s"] / fb["rows_per_s"], 1.5),
                ("SQL one row per call ≥ 1.0× fastest peer batch", sql,
                 sql and sql["rows_per_s"] / fb["rows_per_s"], 1.0),
                ("single-row latency ≥ 3× better than fastest peer's", one,
                 one and fs["p50_ns"] / one["p50_ns"], 3.0)):
            if r is None:
                continue
            out.append(f"- {shape['desc']}: {label}: {ratio:.2f}× "
                       f"({r['model']}), "
                       f"{'met' if ratio >= goal else 'MISSED'}")
        return out
