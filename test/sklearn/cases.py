"""Models the scikit-learn accuracy suite trains, exports and scores.

Every supported estimator is trained on a data set that Debian's
python3-sklearn ships (breast cancer, diabetes, iris, wine, digits).  Some
data sets get text columns made from their own numbers (a band of a
measurement, the sex of a diabetes patient) and missing values, so that
imputers and encoders see what real tables have; test rows also carry
categories the encoders never saw, where the encoders ignore them.
"""

import warnings

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits,
                              load_iris, load_wine)
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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (MinMaxScaler, OneHotEncoder,
                                   OrdinalEncoder, StandardScaler)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

warnings.filterwarnings("ignore")


class Data:
    """A training and a test matrix (object dtype when there is text)."""

    def __init__(self, name, X, y, names):
        rng = np.random.RandomState(0)
        order = rng.permutation(len(y))
        cut = int(len(y) * 0.7)
        self.name, self.names = name, names
        self.X_train, self.y_train = X[order[:cut]], y[order[:cut]]
        self.X_test, self.y_test = X[order[cut:]], y[order[cut:]]


def _band(values, cuts, labels):
    return np.array([labels[np.searchsorted(cuts, v)] for v in values],
                    dtype=object)


def _with_text(X, text_columns, missing_columns, rng, rate=0.06):
    """Numbers plus text columns as an object matrix, with NaN holes."""
    out = np.empty((X.shape[0], X.shape[1] + len(text_columns)),
                   dtype=object)
    out[:, :X.shape[1]] = X
    for j, col in enumerate(text_columns):
        out[:, X.shape[1] + j] = col
    for j in missing_columns:
        out[rng.rand(X.shape[0]) < rate, j] = np.nan
    return out


def datasets():
    rng = np.random.RandomState(42)
    d = {}
    X, y = load_diabetes(return_X_y=True)
    names = list(load_diabetes().feature_names)
    d["diabetes"] = Data("diabetes", X, y, names)
    sex = np.where(X[:, 1] > 0, "M", "F").astype(object)
    age = _band(X[:, 0], [-0.03, 0.02], ["young", "middle", "old"])
    Xt = _with_text(np.delete(X, 1, axis=1), [sex, age], [0, 2, 9, 10], rng)
    d["diabetes_text"] = Data("diabetes_text", Xt, y,
                              [n for n in names if n != "sex"]
                              + ["sex", "age_band"])

    X, y = load_breast_cancer(return_X_y=True)
    names = list(load_breast_cancer().feature_names)
    d["cancer"] = Data("cancer", X, y, names)
    size = _band(X[:, 0], [12.0, 16.0], ["small", "medium", "large"])
    texture = _band(X[:, 1], [17.0, 21.0], ["smooth", "grainy", "rough"])
    Xt = _with_text(X, [size, texture], [2, 5, 30, 31], rng)
    d["cancer_text"] = Data("cancer_text", Xt, y,
                            names + ["size_band", "texture_band"])
    # labels as text, as a churn table would have them
    d["cancer_text"].y_train = np.where(d["cancer_text"].y_train == 1,
                                        "benign", "malignant")
    d["cancer_text"].y_test = np.where(d["cancer_text"].y_test == 1,
                                       "benign", "malignant")

    X, y = load_iris(return_X_y=True)
    d["iris"] = Data("iris", X, np.array(load_iris().target_names)[y],
                     list(load_iris().feature_names))
    X, y = load_wine(return_X_y=True)
    names = list(load_wine().feature_names)
    d["wine"] = Data("wine", X, y, names)
    alcohol = _band(X[:, 0], [12.5, 13.5], ["low", "mid", "high"])
    Xt = _with_text(X, [alcohol], [1, 13], rng)
    d["wine_text"] = Data("wine_text", Xt, y, names + ["alcohol_band"])
    X, y = load_digits(return_X_y=True)
    d["digits"] = Data("digits", X, y, ["px%d" % i for i in range(64)])
    _unseen(d["cancer_text"], [30, 31])
    _unseen(d["diabetes_text"], [10])
    _unseen(d["wine_text"], [13])
    return d


def _unseen(data, columns):
    """Give some test rows categories no encoder was fitted with."""
    for j in columns:
        data.X_test[::9, j] = "unseen"


def _text_pipeline(num, cat, encoder, estimator):
    return make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="mean"),
                                  StandardScaler()), num),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  encoder), cat),
        ]),
        estimator)


def cases():
    """(name, data set, estimator, family): family is linear, mlp, trees
    or kmeans and sets the tolerance."""
    onehot = OneHotEncoder(handle_unknown="ignore")
    ordinal = OrdinalEncoder(handle_unknown="use_encoded_value",
                             unknown_value=-1)
    bc_num = [i for i in range(30) if i not in (2, 5)]
    return [
        ("linear_regression", "diabetes", LinearRegression(), "linear"),
        ("ridge_onehot", "diabetes_text",
         _text_pipeline(list(range(9)), [9, 10], onehot, Ridge(alpha=0.5)),
         "linear"),
        ("lasso_minmax", "diabetes",
         make_pipeline(MinMaxScaler(), Lasso(alpha=0.01)), "linear"),
        ("elasticnet_ordinal_passthrough", "diabetes_text",
         make_pipeline(ColumnTransformer([
             ("imp", SimpleImputer(strategy="median"), [0, 2]),
             ("cat", make_pipeline(
                 SimpleImputer(strategy="constant", fill_value="unknown"),
                 OrdinalEncoder(handle_unknown="use_encoded_value",
                                unknown_value=-1)), [9, 10]),
         ], remainder="passthrough"), ElasticNet(alpha=0.01)), "linear"),
        ("ridgecv", "diabetes", RidgeCV(), "linear"),
        ("lassocv_standard", "diabetes",
         make_pipeline(StandardScaler(), LassoCV(cv=3)), "linear"),
        ("sgd_regressor", "diabetes",
         make_pipeline(StandardScaler(), SGDRegressor(random_state=0)),
         "linear"),
        ("poisson_regressor", "diabetes",
         make_pipeline(StandardScaler(), PoissonRegressor(alpha=0.1)),
         "linear"),
        ("gamma_regressor", "diabetes",
         make_pipeline(StandardScaler(), GammaRegressor(alpha=0.1)),
         "linear"),
        ("tweedie_log_link", "diabetes",
         make_pipeline(StandardScaler(),
                       TweedieRegressor(power=1.5, alpha=0.1)), "linear"),
        ("tweedie_identity_link", "diabetes",
         TweedieRegressor(power=0, alpha=0.01), "linear"),
        ("elasticnetcv", "diabetes", ElasticNetCV(cv=3), "linear"),
        ("logistic_regression_cv", "wine",
         make_pipeline(StandardScaler(), LogisticRegressionCV(cv=3,
                                                              max_iter=2000)),
         "linear"),
        ("logistic_binary", "cancer",
         make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
         "linear"),
        ("logistic_liblinear_text", "cancer_text",
         _text_pipeline(bc_num + [2, 5], [30, 31],
                        OneHotEncoder(handle_unknown="ignore",
                                      drop="if_binary"),
                        LogisticRegression(solver="liblinear", C=0.5)),
         "linear"),
        ("logistic_multinomial", "wine",
         make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
         "linear"),
        ("logistic_onehot_drop_first", "wine_text",
         _text_pipeline(list(range(13)), [13],
                        OneHotEncoder(handle_unknown="error", drop="first",
                                      categories=[["low", "mid", "high",
                                                   "unseen"]]),
                        LogisticRegression(max_iter=3000)), "linear"),
        ("decision_tree_classifier", "iris",
         DecisionTreeClassifier(random_state=0), "trees"),
        ("decision_tree_regressor", "diabetes",
         DecisionTreeRegressor(max_depth=8, random_state=0), "trees"),
        ("random_forest_classifier_ordinal", "wine_text",
         _text_pipeline(list(range(13)), [13], ordinal,
                        RandomForestClassifier(n_estimators=30,
                                               random_state=0)), "trees"),
        ("random_forest_binary_onehot_missing", "cancer_text",
         make_pipeline(ColumnTransformer([
             ("num", SimpleImputer(strategy="median"), list(range(30))),
             ("cat", OneHotEncoder(handle_unknown="ignore"), [30, 31]),
         ]), RandomForestClassifier(n_estimators=25, random_state=0)),
         "trees"),
        ("random_forest_regressor", "diabetes",
         RandomForestRegressor(n_estimators=30, random_state=0), "trees"),
        ("extra_trees_classifier", "digits",
         ExtraTreesClassifier(n_estimators=20, random_state=0), "trees"),
        ("extra_trees_regressor_scaled", "diabetes",
         make_pipeline(StandardScaler(),
                       ExtraTreesRegressor(n_estimators=20, random_state=0)),
         "trees"),
        ("gradient_boosting_binary", "cancer",
         GradientBoostingClassifier(n_estimators=60, random_state=0),
         "trees"),
        ("gradient_boosting_multiclass_text", "wine_text",
         make_pipeline(ColumnTransformer([
             ("num", make_pipeline(SimpleImputer(strategy="median"),
                                   MinMaxScaler()), list(range(13))),
             # no imputer: missing text is a category of its own
             ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                    unknown_value=-1,
                                    encoded_missing_value=-2), [13]),
         ]), GradientBoostingClassifier(n_estimators=30, random_state=0)),
         "trees"),
        ("gradient_boosting_multiclass", "iris",
         GradientBoostingClassifier(n_estimators=40, max_depth=2,
                                    random_state=0), "trees"),
        ("gradient_boosting_regressor", "diabetes",
         GradientBoostingRegressor(n_estimators=80, random_state=0),
         "trees"),
        ("gradient_boosting_huber_subsample", "diabetes",
         GradientBoostingRegressor(loss="huber", subsample=0.7,
                                   n_estimators=50, random_state=0), "trees"),
        ("gradient_boosting_zero_init", "diabetes",
         GradientBoostingRegressor(init="zero", loss="absolute_error",
                                   n_estimators=40, random_state=0), "trees"),
    ] + _multi_class_cases() + _hist_cases() + [
        ("mlp_classifier_digits", "digits",
         make_pipeline(MinMaxScaler(),
                       MLPClassifier(hidden_layer_sizes=(32,),
                                     max_iter=300, random_state=0)), "mlp"),
        ("mlp_classifier_binary_tanh", "cancer_text",
         _text_pipeline(bc_num + [2, 5], [30, 31], onehot,
                        MLPClassifier(hidden_layer_sizes=(16, 8),
                                      activation="tanh", max_iter=500,
                                      random_state=0)), "mlp"),
        ("mlp_regressor_logistic", "diabetes",
         make_pipeline(StandardScaler(),
                       MLPRegressor(hidden_layer_sizes=(20,),
                                    activation="logistic", max_iter=2000,
                                    random_state=0)), "mlp"),
        ("mlp_classifier_identity", "iris",
         MLPClassifier(hidden_layer_sizes=(5,), activation="identity",
                       max_iter=1000, random_state=0), "mlp"),
        ("kmeans_wine", "wine",
         make_pipeline(StandardScaler(),
                       KMeans(n_clusters=3, n_init=10, random_state=0)),
         "kmeans"),
        ("kmeans_digits", "digits",
         KMeans(n_clusters=10, n_init=4, random_state=0), "kmeans"),
        ("minibatch_kmeans", "iris",
         MiniBatchKMeans(n_clusters=3, n_init=3, random_state=0), "kmeans"),
    ]


def _multi_class_cases():
    """LogisticRegression's multi_class, where the release still has it
    (scikit-learn 1.9 does not: its multiclass models are multinomial)."""
    if "multi_class" not in LogisticRegression().get_params():
        return []
    return [
        ("logistic_binary_multinomial", "cancer",
         make_pipeline(StandardScaler(),
                       LogisticRegression(multi_class="multinomial",
                                          max_iter=2000)), "linear"),
        ("logistic_ovr", "iris",
         LogisticRegression(multi_class="ovr", max_iter=2000), "linear"),
    ]


def _codes_first(text_columns, n_numeric, unknown_value):
    """HistGradientBoosting's categorical input as scikit-learn's examples
    build it: the text columns ordinal-encoded first (unknown text as
    unknown_value, missing text as NaN), the numbers after them."""
    return ColumnTransformer([
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                               unknown_value=unknown_value), text_columns),
        ("num", "passthrough", list(range(n_numeric)))])


def _hist_cases():
    """HistGradientBoosting: binary, multiclass and regressions, with
    native categorical splits and missing values (NaN goes where the model
    learnt, unknown categories go where missing values go)."""
    out = [
        ("hist_gb_binary_categorical_missing", "cancer_text",
         make_pipeline(_codes_first([30, 31], 30, np.nan),
                       HistGradientBoostingClassifier(
                           max_iter=40, categorical_features=[0, 1],
                           random_state=0)), "trees"),
        ("hist_gb_multiclass_categorical", "wine_text",
         make_pipeline(_codes_first([13], 13, np.nan),
                       HistGradientBoostingClassifier(
                           max_iter=25, categorical_features=[0],
                           random_state=0)), "trees"),
        ("hist_gb_regressor_categorical", "diabetes_text",
         make_pipeline(_codes_first([9, 10], 9, -1),
                       HistGradientBoostingRegressor(
                           max_iter=50, categorical_features=[0, 1],
                           random_state=0)), "trees"),
        ("hist_gb_poisson_categorical", "diabetes_text",
         make_pipeline(_codes_first([9, 10], 9, -1),
                       HistGradientBoostingRegressor(
                           loss="poisson", max_iter=30,
                           categorical_features=[0, 1], random_state=0)),
         "trees"),
        ("hist_gb_quantile", "diabetes",
         HistGradientBoostingRegressor(loss="quantile", quantile=0.8,
                                       max_iter=30, random_state=0), "trees"),
        ("hist_gb_digits_scaled", "digits",
         make_pipeline(StandardScaler(), HistGradientBoostingClassifier(
             max_iter=10, max_leaf_nodes=8, random_state=0)), "trees"),
    ]
    if hasattr(HistGradientBoostingClassifier, "_preprocess_X"):
        # releases that encode categorical_features themselves (1.4 on)
        # take the text as it is
        out.append(("hist_gb_own_encoder_text", "wine_text",
                    HistGradientBoostingClassifier(
                        max_iter=25, categorical_features=[13],
                        random_state=0), "trees"))
    return out


# cases also scored through SQL: one per estimator family, with text
SQL_CASES = ["ridge_onehot", "logistic_liblinear_text",
             "logistic_multinomial", "random_forest_classifier_ordinal",
             "gradient_boosting_multiclass_text", "gradient_boosting_binary",
             "mlp_classifier_binary_tanh", "kmeans_wine",
             "poisson_regressor", "hist_gb_quantile", "hist_gb_digits_scaled"]
