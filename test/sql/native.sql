--
-- Native models (docs/model-format.md) through SQL: deployment, every
-- scoring function with categorical features passed as category codes,
-- predict_class(), and the errors a user can provoke.  The models are the
-- small hand-written ones of test/fixtures/native; every expected value is
-- worked out in the comment above its query.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all
\set dir :abs_srcdir '/fixtures/native/'
\set churn_file :dir 'churn.json'
\set price_file :dir 'price.json'
\set species_file :dir 'species.json'
\set segments_file :dir 'segments.json'
SELECT pg_read_file(:'churn_file') AS churn \gset
SELECT pg_read_file(:'price_file') AS price \gset
SELECT pg_read_file(:'species_file') AS species \gset
SELECT pg_read_file(:'segments_file') AS segments \gset

-- 'auto' recognises the native format; 'native' can be named too
SELECT model_deploy.deploy('churn', :'churn');
SELECT model_deploy.deploy('price', :'price', 'native');
SELECT model_deploy.deploy('species', :'species');
SELECT model_deploy.deploy('segments', :'segments');
SELECT name, format, objective, n_features, n_outputs, n_trees
  FROM model_deploy.models
 WHERE name IN ('churn', 'price', 'species', 'segments') ORDER BY name;

-- churn: age imputed with 40 and scaled as (age - 40) / 10, plan one-hot
-- encoded (codes 0 basic, 1 premium, 2 pro), margin
-- 0.5 * age' - 1.0 * basic + 0.25 * premium + 1.0 * pro + 0.1.
-- age 50, premium: 0.5 + 0.25 + 0.1 = 0.85, p = 1 / (1 + exp(-0.85))
SELECT model_deploy.predict_raw('churn', ARRAY[50, 1]) AS raw,
	   model_deploy.predict('churn', ARRAY[50, 1]) AS p,
	   model_deploy.predict_proba('churn', ARRAY[50, 1]) AS proba,
	   model_deploy.predict_class('churn', ARRAY[50, 1]) AS class;
-- age missing (imputed 40), pro: 1.0 + 0.1 = 1.1; age 20, basic:
-- -1.0 - 1.0 + 0.1 = -1.9, below 0: 'stay'
SELECT model_deploy.predict_raw('churn', ARRAY[NULL, 2]::float8[]) AS raw_missing_age,
	   model_deploy.predict_class('churn', ARRAY[20, 0]) AS class,
	   model_deploy.predict_raw('churn', ARRAY[20, 0]::float4[]) AS raw_float4;

-- price: ordinal-encoded color (red 0, green 1, unknown -1), one tree
-- scaled by learning_rate 0.5 on top of init 10.  The root sends x left
-- when float32(x) <= 0.1, as scikit-learn does: float32(0.1) is
-- 0.100000001490116 > 0.1, so x = 0.1 goes right (a double comparison
-- would send it left, to 11).
SELECT model_deploy.predict('price', ARRAY[0.05, 0]) AS left_leaf_11,
	   model_deploy.predict('price', ARRAY[0.1, 0]) AS red_12,
	   model_deploy.predict('price', ARRAY[0.2, 1]) AS green_14,
	   model_deploy.predict('price', ARRAY[0.2, -1]) AS unknown_color_12,
	   model_deploy.predict_raw('price', ARRAY[0.2, 1]) AS raw;

-- species: relu(u), relu(v) then outputs (u, v, 0) through softmax:
-- (2, 1) -> softmax(2, 1, 0) = (0.665240955775, 0.244728471055,
-- 0.090030573170) to 12 places, class 'a'; (-1, 3) -> (0, 3, 0): 'b'
SELECT (SELECT array_agg(round(p::numeric, 12))
		  FROM unnest(model_deploy.predict_proba('species', ARRAY[2, 1])) p) AS proba,
	   model_deploy.predict('species', ARRAY[2, 1]) AS class_index,
	   model_deploy.predict_class('species', ARRAY[2, 1]) AS a,
	   model_deploy.predict_class('species', ARRAY[-1, 3]) AS b;

-- segments: (1, 2) is sqrt(5) from centroid 0 and sqrt(145) from 1
SELECT model_deploy.predict('segments', ARRAY[1, 2]) AS cluster,
	   model_deploy.predict_class('segments', ARRAY[9, 9]) AS cluster_text,
	   model_deploy.predict_raw('segments', ARRAY[1, 2])
		 = ARRAY[sqrt(5), sqrt(145)] AS distances;

-- XGBoost classifiers: the class index as text (iris row 1 is class 2)
\set iris_file :abs_srcdir '/fixtures/xgboost/iris_softprob.model.json'
SELECT model_deploy.deploy('n_iris', pg_read_file(:'iris_file')) AS version;
SELECT model_deploy.predict_class('n_iris', ARRAY[5.8, 2.8, 5.1, 2.4]) AS iris_class;

-- scoring errors: categories the encoder does not know (handle_unknown
-- was 'error'), a missing value nobody imputes, infinity
SELECT pg_temp.error_of($$SELECT model_deploy.predict('churn', ARRAY[30, 7])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('churn', ARRAY[30, -1])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('churn', ARRAY[30, 1.5])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('churn', ARRAY[30, NULL])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('churn', ARRAY['Infinity', 1]::float8[])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('churn', ARRAY[30, 7]::float4[])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('price', ARRAY[NULL, 1]::float8[])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('churn', ARRAY[30, 1, 2])$$);
-- outputs a model does not have
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('price', ARRAY[0.2, 1])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_proba('segments', ARRAY[1, 2])$$);

-- deployment errors name the JSON path at fault
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"intercepts"', '"intercept"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"format_version": 1', '"format_version": 2')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"format_version": 1', '"format_version": "1"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"pro"]}', '"basic"]}')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"type": "numeric"', '"type": "number"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"classes": ["stay", "churn"]', '"classes": ["stay", "churn", "gone"]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"kind": "binary"', '"kind": "regression"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(replace(:'churn', '"kind": "binary"', '"kind": "regression"'), ', "classes": ["stay", "churn"]', '')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '[[0.5, -1.0, 0.25, 1.0]]', '[[0.5, -1.0, 0.25]]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"intercepts": [0.1]', '"intercepts": [1e999]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"type": "impute"', '"type": "robust_scale"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"values": [40]', '"values": ["forty"]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"scale": [10]', '"scale": [0]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '[["basic", "premium", "pro"]]', '[["basic", "premium", "gold"]]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"handle_unknown": "error"', '"handle_unknown": "ignored"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"columns": [1]', '"columns": [2]')));
-- a category code reaching a scaler or the estimator
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(replace(replace(replace(:'churn', '"columns": [0]', '"columns": [0, 1]'), '"values": [40]', '"values": [40, "basic"]'), '"mean": [40]', '"mean": [40, 0]'), '"scale": [10]', '"scale": [10, 1]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'churn', '"preprocessing": .*"estimator"', '"estimator"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'churn', '"steps": [
        {"type": "one_hot"', '"steps": [{"type": "column_transformer", "blocks": []},
        {"type": "one_hot"')));
-- outputs that do not fit the declared kind
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'species', '"link": "softmax"', '"link": "exp"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'species', '"biases": [0, 0, 0]', '"biases": [0, 0, 0], "activation": "relu"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'species', '[[1, 0], [0, 1], [0, 0]]', '[[1, 0, 0], [0, 1, 0], [0, 0, 0]]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'segments', '"cluster"', '"regression"')));
-- trees that are not trees, or split on what does not exist
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"children_left": [1, -1, 3, -1, -1]', '"children_left": [1, -1, 0, -1, -1]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"children_right": [2, -1, 4, -1, -1]', '"children_right": [2, -1, -1, -1, -1]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"children_left": [1, -1, 3, -1, -1]', '"children_left": [1, -1, 3, -1, 7]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"feature": [0, -2, 1, -2, -2]', '"feature": [5, -2, 1, -2, -2]')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"threshold": [0.1,', '"threshold": [NaN,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"value": [null, 2,', '"value": [null, null,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'price', '"aggregation": "sum"', '"aggregation": "mean"')));
-- formats
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L, %L)', 'bad', :'churn', 'xgboost'));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L, %L)', 'bad', pg_read_file(:'iris_file'), 'native'));
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', '{"format": "onnx"}')$$);
SELECT count(*) AS bad_versions FROM model_deploy.model_version WHERE name = 'bad';

-- limits apply to native models
SET model_deploy.max_features = 1;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'churn'));
RESET model_deploy.max_features;
SET model_deploy.max_depth = 1;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'price'));
RESET model_deploy.max_depth;
SET model_deploy.max_classes = 2;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'species'));
RESET model_deploy.max_classes;
