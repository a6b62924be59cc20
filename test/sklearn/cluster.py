"""A throwaway PostgreSQL cluster with model_deploy preloaded, for the
scikit-learn suite and benchmark (initdb must not run as root)."""

import os
import random
import shutil
import subprocess
import tempfile


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
        import psycopg2
        conn = psycopg2.connect(host=self.dir, port=self.port,
                                dbname="postgres")
        conn.autocommit = True
        return conn

    def stop(self):
        subprocess.run([os.path.join(self.bindir, "pg_ctl"), "-D",
                        os.path.join(self.dir, "data"), "-m", "immediate",
                        "stop"], stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
