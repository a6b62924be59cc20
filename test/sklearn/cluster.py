"""A throwaway PostgreSQL cluster with model_deploy preloaded, for the
scikit-learn suite and benchmark (initdb must not run as root), and the
little of a database driver they need: psycopg2 under Debian's python3,
psycopg 3 under the pinned oracle environment (test/requirements.txt)."""

import os
import random
import shutil
import subprocess
import tempfile

try:
    import psycopg2 as driver
    from psycopg2 import sql
    from psycopg2.extras import Json, execute_values

    def insert_rows(cur, table, rows):
        """INSERT the tuples 'rows' into the table (an sql.Identifier)."""
        execute_values(cur, sql.SQL("INSERT INTO {} VALUES %s").format(
            table).as_string(cur), rows)
except ImportError:
    import psycopg as driver
    from psycopg import sql
    from psycopg.types.json import Json

    def insert_rows(cur, table, rows):
        """INSERT the tuples 'rows' into the table (an sql.Identifier)."""
        if rows:
            marks = sql.SQL(", ").join([sql.Placeholder()] * len(rows[0]))
            cur.executemany(sql.SQL("INSERT INTO {} VALUES ({})").format(
                table, marks), rows)

__all__ = ["Cluster", "Json", "insert_rows", "sql"]


class Cluster:
    def __init__(self, pg_config=None):
        pg_config = pg_config or os.environ.get(
            "PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
        self.bindir = subprocess.check_output(
            [pg_config, "--bindir"]).decode().strip()
        self.dir = tempfile.mkdtemp(prefix="md_sklearn_")
        self.port = random.randint(30000, 60000)
        data = os.path.join(self.dir, "data")
        subprocess.run([os.path.join(self.bindir, "initdb"), "-D", data,
                        "-A", "trust"], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write("shared_preload_libraries = 'model_deploy'\n"
                    "port = %d\nunix_socket_directories = '%s'\n"
                    "listen_addresses = ''\n" % (self.port, self.dir))
        subprocess.run([os.path.join(self.bindir, "pg_ctl"), "-D", data,
                        "-l", os.path.join(self.dir, "log"), "-w", "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def connect(self):
        conn = driver.connect(host=self.dir, port=self.port,
                              dbname="postgres")
        conn.autocommit = True
        return conn

    def stop(self):
        subprocess.run([os.path.join(self.bindir, "pg_ctl"), "-D",
                        os.path.join(self.dir, "data"), "-m", "immediate",
                        "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
