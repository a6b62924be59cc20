"""Shared by the Python test suites in test/suites (not a suite itself: it is
not executable, so test/run skips it).

- Tap: prints "ok N - ..." / "not ok N - ..." lines and the plan.
- Cluster: a throwaway PostgreSQL cluster with model_deploy preloaded, made
  with the initdb of $PG_CONFIG in a temporary directory (socket only, a
  random port), removed at exit.
- fixture(): the XGBoost fixtures' files as numpy arrays.
"""
import atexit
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np

try:
    import psycopg2 as pg
except ImportError:
    # the Python package's suite runs in a venv with psycopg 3, whose
    # connect() takes the same keywords and has the same autocommit
    import psycopg as pg

ROOT = os.environ.get("MD_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "xgboost")


class Tap:
    def __init__(self):
        self.n = int(os.environ.get("MD_TAP_FIRST", "1")) - 1
        self.failed = 0

    def ok(self, cond, what, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, what))
        if not cond and diag:
            for line in str(diag).splitlines():
                print("# " + line)
        sys.stdout.flush()
        return cond

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


class Cluster:
    def __init__(self):
        pg_config = os.environ.get(
            "PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
        self.bindir = subprocess.check_output(
            [pg_config, "--bindir"], text=True).strip()
        self.dir = tempfile.mkdtemp(prefix="md_suite_")
        self.data = os.path.join(self.dir, "data")
        subprocess.check_call([os.path.join(self.bindir, "initdb"), "-D",
                               self.data, "-A", "trust", "--no-sync"],
                              stdout=subprocess.DEVNULL)
        atexit.register(self.remove)
        for _ in range(5):
            self.port = random.randint(30000, 60000)
            with open(os.path.join(self.data, "postgresql.auto.conf"), "w") as f:
                f.write("port = %d\nunix_socket_directories = '%s'\n"
                        "listen_addresses = ''\nfsync = off\n"
                        "shared_preload_libraries = 'model_deploy'\n"
                        % (self.port, self.dir))
            if subprocess.call([os.path.join(self.bindir, "pg_ctl"), "-D",
                                self.data, "-w", "-l",
                                os.path.join(self.dir, "log"), "start"],
                               stdout=subprocess.DEVNULL) == 0:
                return
        raise RuntimeError("could not start a server; see " + self.dir)

    def connect(self):
        conn = pg.connect(host=self.dir, port=self.port,
                                dbname="postgres")
        conn.autocommit = True
        return conn

    def remove(self):
        subprocess.call([os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                         "-w", "-m", "immediate", "stop"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(v) if v != "" else np.nan for v in r]
                              for r in rows[1:]], dtype=np.float64)


def fixture(name):
    """(model JSON text, input rows, labels) of a fixture."""
    with open(os.path.join(FIXTURES, name + ".model.json")) as f:
        model = f.read()
    _, x = read_csv(os.path.join(FIXTURES, name + ".input.csv"))
    _, y = read_csv(os.path.join(FIXTURES, name + ".labels.csv"))
    return model, x, y[:, 0]


def sql_array(row):
    """A feature row as psycopg2 passes it: NaN becomes NULL (missing)."""
    return [None if np.isnan(v) else float(v) for v in row]
