"""Shared by the driver suites in test/suites (driver-*; not a suite itself:
it is not executable, so test/run skips it).

Each driver suite runs one application driver against a throwaway cluster
(listening on 127.0.0.1, as JDBC needs TCP) with bc_logistic deployed as
'cancer' and its 200 input rows in a table 'patients' (features as
columns, NULL where the fixture has a missing value).  The driver's check
program reads the requests from $MD_REQUESTS, one JSON object a line:

    {"id": 1, "array": [17.99, null, ...], "object": {"mean_radius": ...},
     "literal": "{17.99,NULL,...}", "expected": 0.0069...}

("expected" is XGBoost's probability, test/fixtures/xgboost; the same in
$MD_REQUESTS_TSV as id, literal, object and expected separated by tabs,
for languages without a JSON parser of their own), and prints
lines this module turns into TAP:

    check NAME N BAD        N answers compared with "expected" within
                            $MD_TOLERANCE, BAD of them wrong (or missing)
    sqlstate NAME CODE      the SQLSTATE the driver reported for an error
                            case: unknown_model* must be 42704 and
                            wrong_count* 22023
    latency NAME N P50 P99  a pool's requests and their latency in ms
    skip NAME REASON        NAME (and the checks it stands for) cannot be
                            run with this driver: a skipped test

Any other line is passed on as a comment.  The docs/examples program of
the language is run too: requests (JSON objects) on stdin, one prediction
a line on stdout, as docs/examples/realtime.py does.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from mdsuite import ROOT, Cluster, Tap, fixture, read_csv, FIXTURES

TOLERANCE = 1e-6   # XGBoost's probabilities are float32
SECONDS = os.environ.get("MD_DRIVER_SECONDS", "3")
EXPECTED_SQLSTATE = {"unknown_model": "42704", "wrong_count": "22023"}


def cache_dir(name):
    """A directory kept across runs for downloaded packages: under
    $MD_DRIVER_CACHE (test/run makes /var/cache/model_deploy/drivers for
    the suites' user), else under the temporary directory."""
    base = os.environ.get("MD_DRIVER_CACHE") or ""
    if not base or not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(),
                            "model_deploy-drivers-%d" % os.getuid())
    path = os.path.join(base, name)
    os.makedirs(path, exist_ok=True)
    return path


def example_copy(lang):
    """A scratch copy of docs/examples/LANG (its manifest pins the
    driver), removed at exit by the caller's cluster directory."""
    dst = tempfile.mkdtemp(prefix="md_%s_" % lang)
    shutil.copytree(os.path.join(ROOT, "docs", "examples", lang), dst,
                    dirs_exist_ok=True)
    return dst


class DriverSuite:
    def __init__(self):
        self.tap = Tap()
        self.cluster = Cluster()
        self._listen_on_tcp()
        db = self.cluster.connect()
        self._load(db.cursor())
        db.close()
        self.env = dict(os.environ, PGHOST="127.0.0.1",
                        PGPORT=str(self.cluster.port), PGDATABASE="postgres",
                        PGUSER=self.user, MD_REQUESTS=self.requests,
                        MD_REQUESTS_TSV=self.requests_tsv,
                        MD_SECONDS=SECONDS, MD_TOLERANCE=str(TOLERANCE))

    def _listen_on_tcp(self):
        db = self.cluster.connect()
        db.cursor().execute("ALTER SYSTEM SET listen_addresses = '127.0.0.1'")
        db.close()
        subprocess.check_call(
            [os.path.join(self.cluster.bindir, "pg_ctl"), "-D",
             self.cluster.data, "-w", "-l",
             os.path.join(self.cluster.dir, "log"), "restart"],
            stdout=subprocess.DEVNULL)

    def _load(self, cur):
        model, x, _ = fixture("bc_logistic")
        names, _ = read_csv(os.path.join(FIXTURES, "bc_logistic.input.csv"))
        _, expected = read_csv(os.path.join(FIXTURES,
                                            "bc_logistic.expected.csv"))
        cur.execute("SELECT current_user")
        self.user = cur.fetchone()[0]
        cur.execute("CREATE EXTENSION model_deploy")
        cur.execute("SELECT model_deploy.deploy('cancer', %s)", (model,))
        cur.execute("CREATE TABLE patients (id integer PRIMARY KEY, %s)"
                    % ", ".join('"%s" float8' % n for n in names))
        self.requests = os.path.join(self.cluster.dir, "requests.jsonl")
        self.objects = os.path.join(self.cluster.dir, "objects.jsonl")
        self.expected = [float(e) for e in expected[:, 1]]
        self.requests_tsv = os.path.join(self.cluster.dir, "requests.tsv")
        with open(self.requests, "w") as req, open(self.objects, "w") as obj, \
                open(self.requests_tsv, "w") as tsv:
            for i, row in enumerate(x):
                values = [None if v != v else float(v) for v in row]
                cur.execute("INSERT INTO patients VALUES (%s)"
                            % ", ".join(["%s"] * (len(values) + 1)),
                            [i + 1] + values)
                features = {n: v for n, v in zip(names, values)
                            if v is not None}
                literal = "{%s}" % ",".join(
                    "NULL" if v is None else repr(v) for v in values)
                req.write(json.dumps({"id": i + 1, "array": values,
                                      "object": features, "literal": literal,
                                      "expected": self.expected[i]}) + "\n")
                obj.write(json.dumps(features) + "\n")
                tsv.write("%d\t%s\t%s\t%r\n" % (i + 1, literal,
                                                json.dumps(features),
                                                self.expected[i]))
        os.chmod(self.cluster.dir, 0o755)

    def run_checks(self, what, cmd, required, cwd=None, timeout=300):
        """Run a driver's check program; its report lines become tests.
        'required' lists the check names it must report."""
        proc = subprocess.run(cmd, env=self.env, cwd=cwd, text=True,
                              capture_output=True, timeout=timeout)
        seen = set()
        latencies = []
        for line in proc.stdout.splitlines():
            f = line.split()
            if f[:1] == ["check"] and len(f) >= 4:
                seen.add(f[1])
                n, bad = int(f[2]), int(f[3])
                self.tap.ok(n > 0 and bad == 0,
                            "%s %s: %d answers are XGBoost's within %g"
                            % (what, f[1], n, TOLERANCE),
                            "%d wrong; %s" % (bad, " ".join(f[4:])))
            elif f[:1] == ["sqlstate"] and len(f) >= 3:
                seen.add(f[1])
                want = [c for k, c in EXPECTED_SQLSTATE.items()
                        if f[1].startswith(k)]
                self.tap.ok(want and f[2] == want[0],
                            "%s %s: SQLSTATE %s" % (what, f[1], f[2]),
                            "expected %s" % (want or "a known case"))
            elif f[:1] == ["skip"] and len(f) >= 3:
                seen.add(f[1])
                self.tap.n += 1
                print("ok %d # skip %s %s: %s" % (self.tap.n, what, f[1],
                                                  " ".join(f[2:])))
            elif f[:1] == ["latency"] and len(f) == 5:
                seen.add(f[1])
                latencies.append((f[1], int(f[2]), f[3], f[4]))
                self.tap.ok(int(f[2]) > 0, "%s %s: %s requests in %s s, "
                            "p50 %s ms, p99 %s ms"
                            % (what, f[1], f[2], SECONDS, f[3], f[4]))
            else:
                print("# " + line)
        for name in required:
            if name not in seen and name.split("_")[-1] not in seen:
                self.tap.ok(False, "%s %s reported" % (what, name),
                            proc.stderr[-3000:])
        self.tap.ok(proc.returncode == 0, "%s exits with 0" % what,
                    proc.stderr[-3000:])
        for name, n, p50, p99 in latencies:
            print("# latency | %s %s | %d requests | p50 %s ms | p99 %s ms"
                  % (what, name, n, p50, p99))
        return proc

    def run_example(self, what, cmd, cwd=None):
        """Run a docs/examples service: objects on stdin, predictions out."""
        with open(self.objects) as stdin:
            proc = subprocess.run(cmd, env=self.env, cwd=cwd, stdin=stdin,
                                  text=True, capture_output=True, timeout=300)
        got = proc.stdout.split()
        agree = sum(1 for i, e in enumerate(self.expected)
                    if i < len(got) and abs(float(got[i]) - e) <= TOLERANCE)
        self.tap.ok(proc.returncode == 0 and agree == len(self.expected),
                    "%s: XGBoost's %d predictions" % (what, agree),
                    proc.stderr[-3000:])

    def tool(self, what, cmd, cwd=None, env=None, timeout=900):
        """Run a build or download step; a failure is a failed test."""
        proc = subprocess.run(cmd, env=env or self.env, cwd=cwd, text=True,
                              capture_output=True, timeout=timeout)
        self.tap.ok(proc.returncode == 0, what,
                    (proc.stdout + proc.stderr)[-3000:])
        return proc.returncode == 0

    def done(self):
        self.tap.done()


def skip_all(reason):
    """No such toolchain here: one skipped test, so the suite is seen."""
    print("ok 1 # skip %s" % reason)
    print("1..1")
    sys.exit(0)
