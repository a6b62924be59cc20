"""Reading a model out of MLflow for model-deploy: models:/NAME/VERSION,
models:/NAME@ALIAS and runs:/RUN_ID/PATH URIs, from the tracking server or
store that MLFLOW_TRACKING_URI (or MLFLOW_REGISTRY_URI) names.

For each flavour the model's own file is sent as it is when the scoring
core reads it (XGBoost JSON or UBJSON, LightGBM text, ONNX, ...); when it
does not, the flavour's library writes the model in a format the core does
read (XGBoost's JSON, CatBoost's JSON; scikit-learn estimators go through
model_deploy.export_sklearn).  Every candidate is compiled here with the
same core the database runs, so what is sent is known to deploy.  The
signature's column names and types are checked against the model's own
features.
"""
import os
import tempfile

from . import Model, ModelError

# flavours in the order they are preferred when a model has several
FLAVOURS = ("xgboost", "lightgbm", "catboost", "onnx", "sklearn")


def _parse_uri(uri):
    """(kind, name, version_or_alias) of models:/ URIs, else (kind, None...)"""
    if uri.startswith("models:/"):
        rest = uri[len("models:/"):].strip("/")
        if "@" in rest:
            name, alias = rest.split("@", 1)
            return "alias", name, alias
        if "/" in rest:
            name, version = rest.split("/", 1)
            return "version", name, version
        raise ModelError("MLflow URI %r names no version: use "
                         "models:/NAME/VERSION or models:/NAME@ALIAS" % uri)
    return "run", None, None


def _registry_record(uri):
    """What the registry knows of a models:/ URI (run id, version), or {}"""
    import mlflow
    kind, name, which = _parse_uri(uri)
    if kind == "run":
        return {}
    client = mlflow.MlflowClient()
    if kind == "alias":
        mv = client.get_model_version_by_alias(name, which)
    elif which == "latest":
        mv = max(client.search_model_versions("name = '%s'" % name),
                 key=lambda v: int(v.version))
    else:
        mv = client.get_model_version(name, which)
    return {"model_name": mv.name, "model_version": str(mv.version),
            "run_id": mv.run_id}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _xgboost_candidates(local, conf):
    path = os.path.join(local, conf["data"])
    yield "the flavour's file " + conf["data"], lambda: _read(path)

    def as_json():
        import xgboost
        booster = xgboost.Booster()
        booster.load_model(path)
        return bytes(booster.save_raw(raw_format="json"))
    yield "XGBoost's JSON (Booster.save_raw)", as_json


def _lightgbm_candidates(local, conf):
    path = os.path.join(local, conf["data"])
    yield "the flavour's file " + conf["data"], lambda: _read(path)

    def as_text():
        # a scikit-learn API model is saved whole (pickle, skops): its
        # booster writes LightGBM's text format
        import mlflow.lightgbm
        model = mlflow.lightgbm.load_model(local)
        return getattr(model, "booster_", model).model_to_string().encode()
    yield "LightGBM's text (Booster.model_to_string)", as_text


def _catboost_candidates(local, conf):
    path = os.path.join(local, conf["data"])
    yield "the flavour's file " + conf["data"], lambda: _read(path)

    def as_json():
        import catboost
        model = catboost.CatBoost()
        model.load_model(path)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "model.json")
            model.save_model(out, format="json")
            return _read(out)
    yield "CatBoost's JSON (save_model format='json')", as_json


def _onnx_candidates(local, conf):
    path = os.path.join(local, conf["data"])
    yield "the flavour's file " + conf["data"], lambda: _read(path)


def _sklearn_candidates(local, conf, names):
    def exported():
        import json

        import mlflow.sklearn
        from . import export_sklearn
        # the flavour's own loader: pickle, cloudpickle or skops, as saved
        estimator = mlflow.sklearn.load_model(local)
        has_own = hasattr(estimator, "feature_names_in_")
        doc = export_sklearn.to_document(estimator,
                                         None if has_own else names)
        return json.dumps(doc, allow_nan=False,
                          separators=(",", ":")).encode()
    yield "the native format (model_deploy.export_sklearn)", exported


def _candidates(flavour, local, conf, names):
    if flavour == "sklearn":
        return _sklearn_candidates(local, conf, names)
    return globals()["_%s_candidates" % flavour](local, conf)


def _signature_columns(mlmodel):
    """[(name, type)] of the signature's inputs, or None"""
    sig = mlmodel.signature
    if sig is None or sig.inputs is None:
        return None
    cols = []
    for spec in sig.inputs.inputs:
        name = getattr(spec, "name", None)
        if name is None:
            return None             # a tensor signature names no columns
        cols.append((name, str(getattr(spec.type, "name", spec.type))))
    return cols


def _check_signature(model, columns, uri):
    """The signature's columns must be the model's features, of the kind
    (text columns for categorical features)."""
    features = model._features
    if not any(name for name, _, _ in features):
        return
    mine = {name: kind for name, kind, _ in features}
    theirs = dict(columns)
    missing = [n for n in mine if n not in theirs]
    extra = [n for n in theirs if n not in mine]
    if missing or extra:
        raise ModelError(
            "the signature of %s does not match the model's features: %s"
            % (uri, "; ".join(filter(None, [
                missing and "features not in the signature: " +
                ", ".join(missing),
                extra and "signature columns the model lacks: " +
                ", ".join(extra)]))))
    for name, kind in mine.items():
        text = theirs[name] == "string"
        if text != (kind == "categorical"):
            raise ModelError(
                "the signature of %s gives column %r type %s, but the "
                "model's feature %r is %s" % (uri, name, theirs[name], name,
                                             kind))


def fetch(uri):
    """(model bytes, metadata dict) of an MLflow model URI."""
    import mlflow
    from mlflow.models import Model as MlflowModel
    record = _registry_record(uri)
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri,
                                                    dst_path=tmp)
        mlmodel = MlflowModel.load(os.path.join(local, "MLmodel"))
        columns = _signature_columns(mlmodel)
        names = [n for n, _ in columns] if columns else None
        flavour = next((f for f in FLAVOURS if f in mlmodel.flavors), None)
        if flavour is None:
            raise ModelError(
                "%s has no flavour model_deploy reads (it has: %s)"
                % (uri, ", ".join(sorted(mlmodel.flavors))))
        refusals = []
        for what, make in _candidates(flavour, local,
                                      mlmodel.flavors[flavour], names):
            data = make()
            try:
                model = Model.load(data)
            except ModelError as e:
                refusals.append("%s: %s" % (what, e))
                continue
            if columns:
                _check_signature(model, columns, uri)
            return data, dict(record, uri=uri, flavor=flavour,
                              run_id=record.get("run_id", mlmodel.run_id),
                              sent=what,
                              tracking_uri=mlflow.get_tracking_uri())
        err = ModelError("the %s model of %s cannot be deployed: %s"
                         % (flavour, uri, "; ".join(refusals)))
        raise err
