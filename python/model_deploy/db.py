"""The database side of the model-deploy command: deploy, activate, list and
export compiled models through psycopg (3), with the model sent as a bind
parameter, never spliced into SQL text.
"""
import json

try:
    import psycopg
except ImportError:                         # pragma: no cover
    psycopg = None


def connect(dsn):
    if psycopg is None:
        raise SystemExit("model-deploy: the database commands need psycopg "
                         "(pip install 'model_deploy[db]')")
    return psycopg.connect(dsn, autocommit=True)


def _has_bytes_deploy(conn):
    """Does this database's model_deploy take model bytes (binary formats)?"""
    return conn.execute(
        "SELECT to_regprocedure('model_deploy.deploy(text, bytea, text)') "
        "IS NOT NULL").fetchone()[0]


def deploy(conn, name, data, fmt="auto", metadata=None):
    """Deploy model bytes as a new active version; returns its number.
    Model text goes as text; other bytes (UBJSON, ONNX...) as bytea, if the
    database's model_deploy has deploy(text, bytea, text)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        if metadata is None:
            row = conn.execute("SELECT model_deploy.deploy(%s, %s, %s)",
                               (name, text, fmt)).fetchone()
        else:
            row = conn.execute(
                "SELECT model_deploy.deploy(%s, %s, %s, %s::jsonb)",
                (name, text, fmt, json.dumps(metadata))).fetchone()
        return row[0]
    if not _has_bytes_deploy(conn):
        raise SystemExit("model-deploy: the model file is binary, and this "
                         "database's model_deploy takes model text only "
                         "(it has no deploy(text, bytea, text))")
    if metadata is None:
        return conn.execute("SELECT model_deploy.deploy(%s, %s::bytea, %s)",
                            (name, bytes(data), fmt)).fetchone()[0]
    return conn.execute(
        "SELECT model_deploy.deploy(%s, %s::bytea, %s, %s::jsonb)",
        (name, bytes(data), fmt, json.dumps(metadata))).fetchone()[0]


def activate(conn, name, version):
    conn.execute("SELECT model_deploy.activate(%s, %s)", (name, version))


def versions(conn, name=None):
    """Rows of model_deploy.versions (every model, or one)."""
    cur = conn.execute(
        "SELECT name, version, active, format, source_bytes, "
        "       compiled_bytes, created_at, metadata "
        "  FROM model_deploy.versions "
        " WHERE %s::text IS NULL OR name = %s "
        " ORDER BY name, version", (name, name))
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def export_compiled(conn, name, version=None):
    return bytes(conn.execute(
        "SELECT model_deploy.export_compiled(%s, %s)",
        (name, version)).fetchone()[0])
