#!/usr/bin/env python3
"""Export a fitted scikit-learn model to model_deploy's native JSON format.

    python3 tools/export_sklearn.py MODEL.pkl OUT.json [--feature-names a,b,c]

or, from Python:

    import sys; sys.path.insert(0, "tools")
    from export_sklearn import export
    export(fitted_estimator, "model.json", feature_names=["age", "plan"])

The format is documented in docs/model-format.md.  Supported: linear models
(LinearRegression, Ridge, Lasso, ElasticNet and their CV variants,
SGDRegressor, PoissonRegressor, GammaRegressor, TweedieRegressor,
LogisticRegression[CV]), decision trees, random forests and extra trees,
gradient boosting, histogram gradient boosting (with its categorical
features and missing values), multilayer perceptrons, k-means; wrapped in
Pipelines and
ColumnTransformers with SimpleImputer, StandardScaler, MinMaxScaler,
OneHotEncoder and OrdinalEncoder.  Anything else is refused with an error
naming the step.  Text columns (strings) become categorical features whose
categories are the ones the encoders were fitted with.

Needs only Python 3, numpy and scikit-learn: 1.2 (as Debian 12 ships it)
to 1.9, each tested.
Numbers are written with repr(), so every double round-trips exactly.
"""

import argparse
import functools
import json
import math
import pickle
import sys

import numpy as np
import sklearn
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                              GradientBoostingClassifier,
                              GradientBoostingRegressor,
                              HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import (ElasticNet, ElasticNetCV, GammaRegressor,
                                  Lasso, LassoCV, LinearRegression,
                                  LogisticRegression, LogisticRegressionCV,
                                  PoissonRegressor, Ridge, RidgeCV,
                                  SGDRegressor, TweedieRegressor)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler,
                                   OneHotEncoder, OrdinalEncoder,
                                   StandardScaler)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.validation import check_array

FORMAT_VERSION = 1

LINEAR_REGRESSORS = (LinearRegression, Ridge, RidgeCV, Lasso, LassoCV,
                     ElasticNet, ElasticNetCV, SGDRegressor)
GLM_REGRESSORS = (PoissonRegressor, GammaRegressor, TweedieRegressor)
SINGLE_TREES = (DecisionTreeClassifier, DecisionTreeRegressor)
FORESTS = (RandomForestClassifier, RandomForestRegressor,
           ExtraTreesClassifier, ExtraTreesRegressor)
BOOSTING = (GradientBoostingClassifier, GradientBoostingRegressor)
HIST_BOOSTING = (HistGradientBoostingClassifier,
                 HistGradientBoostingRegressor)


class UnsupportedError(ValueError):
    """The estimator, or one of its steps, cannot be exported."""


def export(estimator, path, feature_names=None):
    """Write a fitted estimator to 'path' in the native format; returns the
    document written (a dict)."""
    doc = to_document(estimator, feature_names)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")
    return doc


def to_document(estimator, feature_names=None):
    """The native-format document of a fitted estimator, as a dict."""
    steps = _flatten(estimator, "model")
    final_name, final = steps[-1]
    own = getattr(final, "_preprocessor", None)
    if isinstance(final, HIST_BOOSTING) and own is not None:
        # its categorical_features go through an OrdinalEncoder it fitted
        steps.insert(-1, (final_name + " (categorical encoder)", own))
    n_features = _n_features_in(steps[0][1], steps[0][0])
    names = _feature_names(estimator, n_features, feature_names)
    features = _Features(n_features)
    cols = [_Column(f) for f in range(n_features)]
    preprocessing = []
    for name, step in steps[:-1]:
        json_step, cols = _transformer(step, name, cols, features)
        preprocessing.append(json_step)
    output, est = _estimator(final, final_name, len(cols))
    return {
        "format": "model_deploy",
        "format_version": FORMAT_VERSION,
        "producer": "tools/export_sklearn.py (scikit-learn %s)"
                    % sklearn.__version__,
        "features": features.describe(names),
        "output": output,
        "preprocessing": preprocessing,
        "estimator": est,
    }


# --- structure ------------------------------------------------------------

def _flatten(estimator, name):
    """Pipeline steps as (name, step) pairs, nested pipelines flattened and
    'passthrough' steps dropped; the last pair is the estimator."""
    if isinstance(estimator, Pipeline):
        out = []
        for step_name, step in estimator.steps:
            if _is_passthrough(step):
                continue
            out.extend(_flatten(step, step_name))
        if not out:
            raise UnsupportedError("pipeline %r has no steps" % name)
        return out
    return [(name, estimator)]


def _is_passthrough(step):
    """None, 'passthrough', or an identity FunctionTransformer (what
    recent releases, 1.9 among them, fit ColumnTransformer's
    remainder='passthrough' as), or one that only validates."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return True
    if not isinstance(step, FunctionTransformer):
        return False
    # HistGradientBoosting's encoder passes numbers through check_array
    func = step.func
    return func is None or (isinstance(func, functools.partial)
                            and func.func is check_array)


def _n_features_in(step, name):
    n = getattr(step, "n_features_in_", None)
    if n is None:
        raise UnsupportedError("step %r (%s) is not fitted"
                               % (name, type(step).__name__))
    return int(n)


def _feature_names(estimator, n, given):
    if given is None:
        given = getattr(estimator, "feature_names_in_", None)
    if given is None:
        return ["x%d" % i for i in range(n)]
    names = [str(s) for s in given]
    if len(names) != n:
        raise ValueError("%d feature names for a model of %d features"
                         % (len(names), n))
    return names


def _is_nan(x):
    return isinstance(x, (float, np.floating)) and math.isnan(x)


def _number(x):
    """A Python float for JSON (exact: float64 -> float is lossless)."""
    return float(x)


def _numbers(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def _is_text(x):
    return isinstance(x, (str, np.str_))


class _Column:
    """A column of the vector being transformed: the input feature it comes
    from, and whether it still holds that feature's raw values."""

    def __init__(self, feature, raw=True):
        self.feature = feature
        self.raw = raw

    def derived(self):
        return _Column(self.feature, raw=False)


class _Features:
    """What the encoders and imputers tell about the input features: text
    columns become categorical features with the categories they know."""

    def __init__(self, n):
        self.encoded = [None] * n   # categories the encoders know, in order
        self.extra = [[] for _ in range(n)]  # imputed values besides those

    def text_column(self, col, values, step):
        if not col.raw:
            raise UnsupportedError(
                "step %r meets text in a column that an earlier step "
                "transformed; encode text columns first" % step)
        known = self.encoded[col.feature]
        if known is None:
            self.encoded[col.feature] = known = []
        for v in values:
            if v not in known:
                known.append(v)

    def imputed_text(self, col, value, step):
        if not col.raw:
            raise UnsupportedError("step %r imputes text into a transformed "
                                   "column" % step)
        if value not in self.extra[col.feature]:
            self.extra[col.feature].append(value)

    def describe(self, names):
        out = []
        for f, name in enumerate(names):
            cats = list(self.encoded[f] or [])
            cats += [v for v in self.extra[f] if v not in cats]
            if cats:
                out.append({"name": name, "type": "categorical",
                            "categories": cats})
            else:
                out.append({"name": name, "type": "numeric"})
        return out


# --- preprocessing ----------------------------------------------------------

def _transformer(step, name, cols, features):
    """(JSON step, columns after it) for a transformer of the pipeline."""
    if isinstance(step, ColumnTransformer):
        return _column_transformer(step, name, cols, features)
    return _unit(step, name, cols, features)


def _check_width(step, name, cols):
    n = _n_features_in(step, name)
    if n != len(cols):
        raise UnsupportedError("step %r expects %d columns, but gets %d"
                               % (name, n, len(cols)))


def _unit(step, name, cols, features):
    if isinstance(step, SimpleImputer):
        return _imputer(step, name, cols, features)
    if isinstance(step, StandardScaler):
        _check_width(step, name, cols)
        n = len(cols)
        mean = step.mean_ if step.with_mean else np.zeros(n)
        scale = step.scale_ if step.with_std else np.ones(n)
        return ({"type": "standard_scale", "mean": _numbers(mean),
                 "scale": _numbers(scale)}, [c.derived() for c in cols])
    if isinstance(step, MinMaxScaler):
        _check_width(step, name, cols)
        out = {"type": "minmax_scale", "scale": _numbers(step.scale_),
               "min": _numbers(step.min_)}
        if step.clip:
            out["clip"] = _numbers(step.feature_range)
        return out, [c.derived() for c in cols]
    if isinstance(step, OneHotEncoder):
        return _one_hot(step, name, cols, features)
    if isinstance(step, OrdinalEncoder):
        return _ordinal(step, name, cols, features)
    raise UnsupportedError("unsupported step %r: %s" % (name,
                                                        type(step).__name__))


def _imputer(step, name, cols, features):
    _check_width(step, name, cols)
    if not _is_nan(step.missing_values):
        raise UnsupportedError("step %r: SimpleImputer with missing_values=%r"
                               " (only NaN is supported)"
                               % (name, step.missing_values))
    if step.add_indicator:
        raise UnsupportedError("step %r: SimpleImputer with add_indicator"
                               % name)
    values = []
    for col, v in zip(cols, step.statistics_):
        if _is_text(v):
            features.imputed_text(col, str(v), name)
            values.append(str(v))
        elif v is None or _is_nan(v):
            raise UnsupportedError(
                "step %r: a column was entirely missing when the imputer "
                "was fitted (scikit-learn drops it)" % name)
        else:
            values.append(_number(v))
    return {"type": "impute", "values": values}, list(cols)


def _categories(step, name, cols, features):
    """The categories of each column of an encoder, JSON-ready: strings for
    text columns (which become categorical features), numbers otherwise,
    and a final null for the category of missing values."""
    _check_width(step, name, cols)
    out = []
    for col, cats in zip(cols, step.categories_):
        cats = list(cats)
        missing = bool(cats) and (cats[-1] is None or _is_nan(cats[-1]))
        if missing:
            cats = cats[:-1]
        if any(c is None or _is_nan(c) for c in cats):
            raise UnsupportedError("step %r: missing values among the "
                                   "categories" % name)
        if cats and all(_is_text(c) for c in cats):
            cats = [str(c) for c in cats]
            features.text_column(col, cats, name)
        elif all(isinstance(c, (int, float, np.integer, np.floating))
                 and not isinstance(c, (bool, np.bool_)) for c in cats):
            cats = [_number(c) for c in cats]
        else:
            raise UnsupportedError("step %r: categories mix text and "
                                   "numbers, or are of another type" % name)
        out.append(cats + [None] * missing)
    return out


def _one_hot(step, name, cols, features):
    if getattr(step, "_infrequent_enabled", False):
        raise UnsupportedError("step %r: OneHotEncoder with infrequent "
                               "categories (min_frequency/max_categories)"
                               % name)
    cats = _categories(step, name, cols, features)
    unknown = "error" if step.handle_unknown == "error" else "ignore"
    out = {"type": "one_hot", "categories": cats, "handle_unknown": unknown}
    drop = [None] * len(cats)
    if step.drop_idx_ is not None:
        drop = [None if d is None else int(d) for d in step.drop_idx_]
        out["drop"] = drop
    # each input column gives one column per category it keeps
    after = [col.derived() for col, c, d in zip(cols, cats, drop)
             for _ in range(len(c) - (d is not None))]
    return out, after


def _ordinal(step, name, cols, features):
    cats = _categories(step, name, cols, features)
    out = {"type": "ordinal", "categories": cats}
    if step.handle_unknown == "use_encoded_value":
        out["handle_unknown"] = "use_encoded_value"
        out["unknown_value"] = (None if _is_nan(step.unknown_value)
                                else _number(step.unknown_value))
    else:
        out["handle_unknown"] = "error"
    if any(c and c[-1] is None for c in cats):
        mv = step.encoded_missing_value
        out["encoded_missing_value"] = None if _is_nan(mv) else _number(mv)
    return out, [c.derived() for c in cols]


def _column_transformer(ct, name, cols, features):
    _check_width(ct, name, cols)
    if ct.transformer_weights:
        raise UnsupportedError("step %r: ColumnTransformer with "
                               "transformer_weights" % name)
    blocks, out = [], []
    for tname, trans, _ in ct.transformers_:
        indices = [int(i) for i in ct._transformer_to_input_indices[tname]]
        if (isinstance(trans, str) and trans == "drop") or not indices:
            continue
        block_cols = [cols[i] for i in indices]
        steps = []
        if not _is_passthrough(trans):
            for sname, sub in _flatten(trans, tname):
                if isinstance(sub, ColumnTransformer):
                    raise UnsupportedError("step %r: nested "
                                           "ColumnTransformer" % sname)
                json_step, block_cols = _unit(sub, sname, block_cols,
                                              features)
                steps.append(json_step)
        blocks.append({"columns": indices, "steps": steps})
        out.extend(block_cols)
    return {"type": "column_transformer", "blocks": blocks}, out


# --- estimators -------------------------------------------------------------

def _labels(est):
    labels = [str(c) for c in est.classes_]
    if len(set(labels)) != len(labels):
        raise UnsupportedError("class labels are not distinct as text: %r"
                               % labels)
    return labels


def _classifier_output(est):
    labels = _labels(est)
    kind = "binary" if len(labels) == 2 else "multiclass"
    if len(labels) < 2:
        raise UnsupportedError("a classifier with a single class")
    return {"kind": kind, "classes": labels}


def _estimator(est, name, n_inputs):
    """(output, estimator) of the final step."""
    n = _n_features_in(est, name)
    if n != n_inputs:
        raise UnsupportedError("estimator %r expects %d inputs, but the "
                               "preprocessing gives %d" % (name, n, n_inputs))
    kind = type(est)
    if kind in LINEAR_REGRESSORS or kind in GLM_REGRESSORS:
        return {"kind": "regression"}, _linear_regressor(est, name)
    if kind in (LogisticRegression, LogisticRegressionCV):
        return _classifier_output(est), _logistic(est)
    if kind in SINGLE_TREES or kind in FORESTS:
        return _averaged_trees(est, name)
    if kind in BOOSTING:
        return _boosted_trees(est, name)
    if kind in HIST_BOOSTING:
        return _hist_boosted_trees(est, name)
    if kind in (MLPClassifier, MLPRegressor):
        return _mlp(est, name)
    if kind in (KMeans, MiniBatchKMeans):
        return {"kind": "cluster"}, {
            "type": "kmeans",
            "centroids": [_numbers(c) for c in est.cluster_centers_]}
    raise UnsupportedError("unsupported estimator %r: %s"
                           % (name, kind.__name__))


def _linear_regressor(est, name):
    coef = np.asarray(est.coef_, dtype=np.float64)
    if coef.ndim == 2 and coef.shape[0] != 1:
        raise UnsupportedError("estimator %r predicts %d targets; only one "
                               "is supported" % (name, coef.shape[0]))
    intercept = np.asarray(est.intercept_, dtype=np.float64).ravel()
    link = "identity"
    if type(est) in GLM_REGRESSORS:
        link_kind = type(est._base_loss.link).__name__
        if link_kind == "LogLink":
            link = "exp"
        elif link_kind != "IdentityLink":
            raise UnsupportedError("estimator %r: link %s" % (name,
                                                              link_kind))
    return {"type": "linear", "coefficients": [_numbers(coef)],
            "intercepts": _numbers(intercept), "link": link}


def _logistic(est):
    return {"type": "linear",
            "coefficients": [_numbers(row) for row in est.coef_],
            "intercepts": _numbers(est.intercept_),
            "link": "logistic" if _one_vs_rest(est) else "softmax"}


def _one_vs_rest(est):
    """LogisticRegression.predict_proba's own test for one-vs-rest: up to
    scikit-learn 1.4 it follows multi_class; 1.5 deprecated it (the value
    "deprecated" acts as "auto"); releases without it (1.9) treat two
    classes as one-vs-rest (expit) and more as multinomial (softmax)."""
    multi_class = getattr(est, "multi_class", None)
    if multi_class is None:
        return est.classes_.size <= 2
    return multi_class in ("ovr", "warn") or (
        multi_class in ("auto", "deprecated")
        and (est.classes_.size <= 2
             or est.solver in ("liblinear", "newton-cholesky")))


def _tree(tree_, leaf_values, output=None):
    """A fitted sklearn Tree as JSON arrays; leaf_values[i] is node i's
    value (used at leaves only; internal nodes get null)."""
    left = tree_.children_left
    out = {
        "children_left": [int(v) for v in left],
        "children_right": [int(v) for v in tree_.children_right],
        "feature": [int(v) for v in tree_.feature],
        "threshold": [float(v) for v in tree_.threshold],
        "value": [leaf_values[i] if left[i] == -1 else None
                  for i in range(tree_.node_count)],
    }
    if output is not None:
        out["output"] = output
    return out


def _classifier_leaves(tree_, n_classes):
    """Leaf class probabilities exactly as DecisionTreeClassifier's
    predict_proba computes them: counts divided by their sum."""
    proba = tree_.value[:, 0, :n_classes].copy()
    normalizer = proba.sum(axis=1)[:, np.newaxis]
    normalizer[normalizer == 0.0] = 1.0
    proba /= normalizer
    return [_numbers(row) for row in proba]


def _averaged_trees(est, name):
    if est.n_outputs_ != 1:
        raise UnsupportedError("estimator %r predicts %d targets; only one "
                               "is supported" % (name, est.n_outputs_))
    trees = [est] if isinstance(est, SINGLE_TREES) else est.estimators_
    classifier = hasattr(est, "classes_")
    out = {"type": "trees", "aggregation": "mean", "link": "identity"}
    if classifier:
        k = len(est.classes_)
        out["n_outputs"] = k
        out["trees"] = [_tree(t.tree_, _classifier_leaves(t.tree_, k))
                        for t in trees]
        return _classifier_output(est), out
    out["n_outputs"] = 1
    out["trees"] = [_tree(t.tree_, _numbers(t.tree_.value[:, 0, 0]))
                    for t in trees]
    return {"kind": "regression"}, out


def _boosted_trees(est, name):
    classifier = isinstance(est, GradientBoostingClassifier)
    if classifier and est.loss not in ("log_loss", "deviance"):
        raise UnsupportedError("estimator %r: GradientBoostingClassifier "
                               "with loss=%r (only log_loss)"
                               % (name, est.loss))
    if not (isinstance(est.init_, str) and est.init_ == "zero") and \
            type(est.init_).__name__ not in ("DummyClassifier",
                                             "DummyRegressor"):
        raise UnsupportedError("estimator %r: a custom init estimator (%s)"
                               % (name, type(est.init_).__name__))
    # the init estimators predict a constant: take it from one row
    init = est._raw_predict_init(np.zeros((1, est.n_features_in_)))[0]
    stages, k = est.estimators_.shape
    trees = [_tree(est.estimators_[i, j].tree_,
                   _numbers(est.estimators_[i, j].tree_.value[:, 0, 0]),
                   output=j)
             for i in range(stages) for j in range(k)]
    out = {"type": "trees", "aggregation": "sum", "n_outputs": k,
           "learning_rate": _number(est.learning_rate),
           "init": _numbers(init), "trees": trees}
    if not classifier:
        out["link"] = "identity"
        return {"kind": "regression"}, out
    out["link"] = "logistic" if k == 1 else "softmax"
    return _classifier_output(est), out


# the largest double: x <= DBL_MAX for every finite x, as x <= inf
_DBL_MAX = float(np.finfo(np.float64).max)


def _bitset_members(words):
    """The categories of one of HistGradientBoosting's uint32 bitsets."""
    return [32 * i + b for i, w in enumerate(words) for b in range(32)
            if (int(w) >> b) & 1]


def _hist_tree(predictor):
    """A HistGradientBoosting predictor's nodes as a native tree: splits in
    double, missing values by missing_go_to_left, categorical splits by the
    raw categories that go left."""
    nodes = predictor.nodes
    bitsets = predictor.raw_left_cat_bitsets
    leaf = nodes["is_leaf"].astype(bool)
    out = {
        "children_left": [-1 if leaf[i] else int(nodes["left"][i])
                          for i in range(len(nodes))],
        "children_right": [-1 if leaf[i] else int(nodes["right"][i])
                           for i in range(len(nodes))],
        "feature": [-2 if leaf[i] else int(nodes["feature_idx"][i])
                    for i in range(len(nodes))],
        "threshold": [], "value": [], "missing_go_to_left": [],
        "categories_left": [],
    }
    for i, node in enumerate(nodes):
        categorical = not leaf[i] and bool(node["is_categorical"])
        t = float(node["num_threshold"])
        out["threshold"].append(None if leaf[i] or categorical
                                else (_DBL_MAX if t == math.inf else t))
        out["value"].append(float(node["value"]) if leaf[i] else None)
        out["missing_go_to_left"].append(bool(node["missing_go_to_left"]))
        # the predictor reads bitset_idx of every categorical node
        out["categories_left"].append(
            _bitset_members(bitsets[node["bitset_idx"]])
            if categorical and len(bitsets) else [] if categorical else None)
    if not any(c is not None for c in out["categories_left"]):
        del out["categories_left"]
    return out


def _hist_link(est, name):
    """The native link of HistGradientBoosting's loss."""
    link = type(est._loss.link).__name__
    if isinstance(est, HistGradientBoostingClassifier):
        if link not in ("LogitLink", "MultinomialLogit"):
            raise UnsupportedError("estimator %r: link %s" % (name, link))
        return "logistic" if est.n_trees_per_iteration_ == 1 else "softmax"
    if link == "IdentityLink":
        return "identity"
    if link == "LogLink":
        return "exp"
    raise UnsupportedError("estimator %r: HistGradientBoostingRegressor "
                           "with link %s" % (name, link))


def _hist_boosted_trees(est, name):
    """HistGradientBoosting: raw = baseline + the leaves of every predictor
    (shrinkage is in the leaf values), in float64 on float64 inputs."""
    if getattr(est, "_in_fit", False):
        raise UnsupportedError("estimator %r is being fitted" % name)
    link = _hist_link(est, name)
    k = est.n_trees_per_iteration_
    known_bits, f_idx = est._bin_mapper.make_known_categories_bitsets()
    categorical = est._bin_mapper.is_categorical_
    trees = []
    for iteration in est._predictors:
        for j, predictor in enumerate(iteration):
            tree = _hist_tree(predictor)
            if k > 1:
                tree["output"] = j
            trees.append(tree)
    out = {"type": "trees", "aggregation": "sum", "n_outputs": k,
           "compare": "float64", "learning_rate": 1.0,
           "init": _numbers(est._baseline_prediction), "link": link,
           "trees": trees}
    if categorical is not None and np.any(categorical):
        out["known_categories"] = [
            _bitset_members(known_bits[f_idx[f]]) if categorical[f] else None
            for f in range(len(categorical))]
    if isinstance(est, HistGradientBoostingClassifier):
        return _classifier_output(est), out
    return {"kind": "regression"}, out


def _mlp(est, name):
    if est.n_outputs_ != 1 and est.out_activation_ != "softmax":
        raise UnsupportedError("estimator %r predicts %d targets; only one "
                               "is supported" % (name, est.n_outputs_))
    layers = []
    for i, (w, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        layer = {"weights": [_numbers(row) for row in w.T],
                 "biases": _numbers(b)}
        if i + 1 < len(est.coefs_):
            layer["activation"] = est.activation
        layers.append(layer)
    out = {"type": "mlp", "layers": layers, "link": est.out_activation_}
    if isinstance(est, MLPRegressor):
        return {"kind": "regression"}, out
    return _classifier_output(est), out


# --- command line -----------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Export a pickled, fitted scikit-learn model to "
                    "model_deploy's native JSON format.")
    parser.add_argument("model", help="pickle file of the fitted estimator "
                                      "(only unpickle files you trust)")
    parser.add_argument("output", help="JSON file to write")
    parser.add_argument("--feature-names",
                        help="comma-separated names of the input columns "
                             "(default: the model's own, or x0, x1, ...)")
    args = parser.parse_args(argv)
    with open(args.model, "rb") as f:
        estimator = pickle.load(f)
    names = args.feature_names.split(",") if args.feature_names else None
    try:
        doc = export(estimator, args.output, names)
    except (UnsupportedError, ValueError) as e:
        print("export_sklearn: error: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s: %s %s, %d features" % (
        args.output, doc["output"]["kind"], doc["estimator"]["type"],
        len(doc["features"])))
    for i, f in enumerate(doc["features"]):
        if f["type"] == "categorical":
            print("  feature %d %s is categorical, codes: %s" % (
                i + 1, f["name"], ", ".join(
                    "%d %s" % (k, c) for k, c in enumerate(f["categories"]))))
    if "classes" in doc["output"]:
        print("  classes: %s" % ", ".join(doc["output"]["classes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
