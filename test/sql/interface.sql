--
-- The SQL interface of the foundation: deploy(), predict*() and the models
-- view.  Expected values come from XGBoost (iris_softprob.expected.csv).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set iris_file :abs_srcdir '/fixtures/xgboost/iris_softprob.model.json'
\set diab_file :abs_srcdir '/fixtures/xgboost/diabetes_reg.model.json'
SELECT pg_read_file(:'iris_file') AS iris \gset
SELECT pg_read_file(:'diab_file') AS diab \gset

-- deploy returns version numbers 1, 2, ... per model
SELECT model_deploy.deploy('iris', :'iris');
SELECT model_deploy.deploy('iris', :'iris', 'xgboost');
SELECT model_deploy.deploy('diabetes', :'diab');

SELECT name, version, format, objective, n_features, n_outputs, n_trees,
	   compiled_bytes > 0 AS compiled, deployed_at <= now() AS deployed
  FROM model_deploy.models WHERE name IN ('iris', 'diabetes') ORDER BY name;

-- the first row of iris_softprob.input.csv; XGBoost says class 2 with
-- probabilities 0.002504766685888171, 0.00878027081489563, 0.9887149930000305
-- and margins -2.572878360748291, -1.3185665607452393, 3.405332088470459
SELECT model_deploy.predict('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float8[]);
SELECT model_deploy.predict_proba('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float8[])
	= ARRAY[0.002504766685888171, 0.00878027081489563, 0.9887149930000305]::float8[] AS proba_is_xgboost;
SELECT model_deploy.predict_raw('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float8[])
	= ARRAY[-2.572878360748291, -1.3185665607452393, 3.405332088470459]::float8[] AS raw_is_xgboost;

-- every array type resolves to exactly one function (no "function is not
-- unique"), and they agree with float8[]
SELECT model_deploy.predict_raw('iris', ARRAY[5.8, 2.8, 5.1, 2.4])
	 = model_deploy.predict_raw('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float8[]) AS numeric_array,
	   model_deploy.predict_raw('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float4[])
	 = model_deploy.predict_raw('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float8[]) AS float4_array,
	   model_deploy.predict_raw('iris', ARRAY[6, 3, 5, 2])
	 = model_deploy.predict_raw('iris', ARRAY[6, 3, 5, 2]::float8[]) AS integer_array,
	   model_deploy.predict_raw('iris', ARRAY[6, 3, 5, 2]::bigint[])
	 = model_deploy.predict_raw('iris', ARRAY[6, 3, 5, 2]::float8[]) AS bigint_array,
	   model_deploy.predict_raw('iris', ARRAY[6, 3, 5, 2]::smallint[])
	 = model_deploy.predict_raw('iris', ARRAY[6, 3, 5, 2]::float8[]) AS smallint_array;
SELECT model_deploy.predict('iris', ARRAY[1.5, 2, 3, 4]) AS numeric_literal,
	   model_deploy.predict('iris', ARRAY[1, 2, 3, 4]) AS integer_literal;
-- an untyped string literal needs a cast (see errors.sql)
SELECT model_deploy.predict('iris', '{5.8,2.8,5.1,2.4}'::float8[]) AS cast_literal;

-- NULL and NaN elements are missing values, and agree with each other
SELECT model_deploy.predict_raw('iris', ARRAY[5.8, NULL, 5.1, 2.4]::float8[])
	 = model_deploy.predict_raw('iris', ARRAY[5.8, 'NaN', 5.1, 2.4]::float8[]) AS null_is_nan,
	   model_deploy.predict_raw('iris', ARRAY[5.8, NULL, 5.1, 2.4]::float4[])
	 = model_deploy.predict_raw('iris', ARRAY[5.8, NULL, 5.1, 2.4]::numeric[]) AS float4_matches_numeric,
	   model_deploy.predict_raw('iris', ARRAY[5.8, NULL, 5.1, 2.4]::float8[])
	<> model_deploy.predict_raw('iris', ARRAY[5.8, 2.8, 5.1, 2.4]::float8[]) AS missing_matters;

-- NULL arguments give NULL (the functions are STRICT)
SELECT model_deploy.predict('iris', NULL::float8[]) IS NULL AS null_features,
	   model_deploy.predict(NULL, ARRAY[1, 2, 3, 4]) IS NULL AS null_name;

-- a binary model's probabilities are [1-p, p]
\set bc_file :abs_srcdir '/fixtures/xgboost/bc_logistic.model.json'
SELECT model_deploy.deploy('bc', pg_read_file(:'bc_file')) AS bc_version;
WITH x AS (SELECT array_fill(NULL::float8, ARRAY[30]) AS f)
SELECT model_deploy.predict_proba('bc', f)
	 = ARRAY[1 - model_deploy.predict('bc', f), model_deploy.predict('bc', f)] AS one_minus_p_and_p
  FROM x;

-- the source is kept exactly, byte for byte
SELECT source = :'iris' AS exact_source, source_bytes = octet_length(:'iris') AS bytes,
	   created_by = session_user AS created_by
  FROM model_deploy.model_version WHERE name = 'iris' AND version = 2;

-- the functions are STABLE and PARALLEL SAFE
SELECT DISTINCT provolatile, proparallel FROM pg_proc
 WHERE pronamespace = 'model_deploy'::regnamespace
   AND proname IN ('predict', 'predict_proba', 'predict_raw');

-- a redeploy is seen by the next statement, and a rolled-back one never
BEGIN;
SELECT model_deploy.deploy('iris', :'diab') AS v3_is_a_regression_model;
SELECT model_deploy.predict('iris', ARRAY[0.04, -0.04, -0.006, 0.01, 0.06, 0.02, 0.1, -0.04, 0.04, -0.04]) > 10 AS scores_with_v3;
ROLLBACK;
SELECT version FROM model_deploy.models WHERE name = 'iris';
SELECT model_deploy.predict('iris', ARRAY[5.8, 2.8, 5.1, 2.4]) AS scores_with_v2_again;
