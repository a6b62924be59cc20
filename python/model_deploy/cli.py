"""model-deploy: deploy models to a PostgreSQL database with model_deploy.

    model-deploy deploy --dsn DSN NAME FILE|models:/NAME/VERSION|runs:/ID/PATH
    model-deploy activate --dsn DSN NAME VERSION
    model-deploy list --dsn DSN [NAME]
    model-deploy export-compiled --dsn DSN NAME [--version N] -o FILE.mdb
    model-deploy export sklearn MODEL.pkl OUT.json [--feature-names a,b]

deploy compiles the model here first (the same core the database runs), so
a model the database would refuse is refused before it is sent, with the
same message; then it sends the file's bytes as a bind parameter and prints
the new version and what the model is.  An MLflow URI is read with mlflow
(model_deploy.mlflow_source), and its run id, model version and URI are
recorded with the version (versions.metadata).
"""
import argparse
import json
import sys

from . import Model, ModelError


def _summary(model):
    i = model.info()
    classes = i["classes"] or (i["n_classes"] and
                               ["%d classes" % i["n_classes"]]) or []
    cats = ["%s (%d categories)" % (n, len(c))
            for n, c in i["categorical"].items()]
    lines = ["%s %s (%s), %d features, %d trees, %d nodes, compiled %d bytes"
             % (i["format"], i["objective"], i["task"], i["n_features"],
                i["n_trees"], i["n_nodes"], i["compiled_bytes"])]
    if any(i["features"]):
        lines.append("  features: " + ", ".join(i["features"][:12]) +
                     (", ..." if len(i["features"]) > 12 else ""))
    if cats:
        lines.append("  categorical: " + ", ".join(cats))
    if classes:
        lines.append("  classes: " + ", ".join(str(c) for c in classes))
    return "\n".join(lines)


def _is_mlflow_uri(source):
    return source.startswith(("models:/", "runs:/", "mlflow-artifacts:/"))


def cmd_deploy(args):
    from . import db
    metadata = json.loads(args.metadata) if args.metadata else None
    if _is_mlflow_uri(args.source):
        from . import mlflow_source
        data, found = mlflow_source.fetch(args.source)
        metadata = dict(metadata or {}, mlflow=found)
    else:
        with open(args.source, "rb") as f:
            data = f.read()
        metadata = dict(metadata or {}) if metadata or args.record_file \
            else None
        if args.record_file:
            metadata["file"] = args.source
    model = Model.load(data)
    with db.connect(args.dsn) as conn:
        version = db.deploy(conn, args.name, data, args.format, metadata)
    print("deployed %s version %d: %s" % (args.name, version, _summary(model)))
    if metadata:
        print("  metadata: " + json.dumps(metadata, sort_keys=True))
    return 0


def cmd_activate(args):
    from . import db
    with db.connect(args.dsn) as conn:
        db.activate(conn, args.name, args.version)
    print("activated %s version %d" % (args.name, args.version))
    return 0


def cmd_list(args):
    from . import db
    with db.connect(args.dsn) as conn:
        rows = db.versions(conn, args.name)
    print("%-20s %7s %6s %-8s %12s %14s  %s" % (
        "name", "version", "active", "format", "source_bytes",
        "compiled_bytes", "metadata"))
    for r in rows:
        print("%-20s %7d %6s %-8s %12d %14d  %s" % (
            r["name"], r["version"], "*" if r["active"] else "",
            r["format"], r["source_bytes"], r["compiled_bytes"],
            json.dumps(r["metadata"], sort_keys=True) if r["metadata"]
            else ""))
    return 0


def cmd_export_compiled(args):
    from . import db
    with db.connect(args.dsn) as conn:
        blob = db.export_compiled(conn, args.name, args.version)
    model = Model.load(blob)         # validated, as every blob read in
    with open(args.output, "wb") as f:
        f.write(blob)
    print("wrote %s: %d bytes, %s" % (args.output, len(blob),
                                      _summary(model).splitlines()[0]))
    return 0


def cmd_export(args):
    from . import export_sklearn
    argv = [args.model, args.output]
    if args.feature_names:
        argv += ["--feature-names", args.feature_names]
    return export_sklearn.main(argv)


def _parser():
    p = argparse.ArgumentParser(
        prog="model-deploy",
        description="Deploy models to PostgreSQL (model_deploy), from files "
                    "and MLflow.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("deploy", help="deploy a model file or MLflow model "
                                      "as a new active version")
    d.add_argument("--dsn", required=True, help="libpq connection string")
    d.add_argument("--format", default="auto",
                   help="model format (default: detected)")
    d.add_argument("--metadata", help="a JSON object to record with the "
                                      "version")
    d.add_argument("--record-file", action="store_true",
                   help="record the file's path in the metadata")
    d.add_argument("name")
    d.add_argument("source", help="model file, or models:/NAME/VERSION, "
                                  "models:/NAME@ALIAS, runs:/RUN_ID/PATH")
    d.set_defaults(func=cmd_deploy)

    a = sub.add_parser("activate", help="make a version the one that scores")
    a.add_argument("--dsn", required=True)
    a.add_argument("name")
    a.add_argument("version", type=int)
    a.set_defaults(func=cmd_activate)

    ls = sub.add_parser("list", help="deployed versions")
    ls.add_argument("--dsn", required=True)
    ls.add_argument("name", nargs="?")
    ls.set_defaults(func=cmd_list)

    e = sub.add_parser("export-compiled",
                       help="write a version's compiled blob (for mdscore, "
                            "libmdscore, Model.load)")
    e.add_argument("--dsn", required=True)
    e.add_argument("--version", type=int)
    e.add_argument("-o", "--output", required=True)
    e.add_argument("name")
    e.set_defaults(func=cmd_export_compiled)

    x = sub.add_parser("export", help="export a trained model to the native "
                                      "format")
    xs = x.add_subparsers(dest="library", required=True)
    sk = xs.add_parser("sklearn", help="a pickled scikit-learn estimator")
    sk.add_argument("model")
    sk.add_argument("output")
    sk.add_argument("--feature-names")
    sk.set_defaults(func=cmd_export)
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except ModelError as e:
        print("model-deploy: error: %s" % e, file=sys.stderr)
        if e.hint:
            print("model-deploy: hint: %s" % e.hint, file=sys.stderr)
        return 1
    except OSError as e:
        print("model-deploy: error: %s" % e, file=sys.stderr)
        return 1
    except Exception as e:
        # database errors: the server's message, SQLSTATE and hint
        diag = getattr(e, "diag", None)
        if diag is None or diag.sqlstate is None:
            raise
        print("model-deploy: error: %s (SQLSTATE %s)"
              % (diag.message_primary, diag.sqlstate), file=sys.stderr)
        if diag.message_hint:
            print("model-deploy: hint: %s" % diag.message_hint,
                  file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
