--
-- Explanations through SQL: explain() and explain_json() against XGBoost's
-- own pred_contribs=True output (the fixtures' NAME.contribs.csv), their
-- ordering, top_n, class, and every error a user can provoke.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all

-- every fixture that has XGBoost's contributions, deployed
CREATE TEMP TABLE explained AS
	SELECT name, model_deploy.deploy('ex_' || name,
			pg_temp.fixture_file(name || '.model.json')) AS version
	  FROM pg_temp.fixtures_with('.contribs.csv') AS name;
SELECT count(*) >= 22 AS enough_fixtures, bool_and(version = 1) AS deployed
  FROM explained;

-- Every contribution of every row of every such fixture, by feature name
-- (or position for unnamed models), against XGBoost's within 1e-5; and the
-- contributions of each row add up to its raw margin.
WITH got AS (
	SELECT e.name, c.n, c.want, c.cols, x.feature, x.contribution,
		   (model_deploy.predict_raw('ex_' || e.name, c.x))[1] AS margin
	  FROM explained e,
		   LATERAL pg_temp.fixture_cases(e.name, '.contribs.csv') c,
		   LATERAL model_deploy.explain('ex_' || e.name, c.x) x
), per_row AS (
	SELECT name, n,
		   bool_and(coalesce(abs(contribution -
				want[array_position(cols, feature)]) <= 1e-5, false)) AS matches,
		   count(*) AS n_rows,
		   abs(sum(contribution) - min(margin)) <= 1e-5 * (1 + sum(abs(contribution))) AS sums
	  FROM got
	 GROUP BY name, n
)
SELECT name, count(*) AS rows,
	   count(*) FILTER (WHERE NOT matches) AS contributions_off,
	   count(*) FILTER (WHERE NOT sums) AS sums_off,
	   min(n_rows) = max(n_rows) AS same_width
  FROM per_row
 GROUP BY name
 ORDER BY name;

-- One row read as a person would: the first diabetes_reg input row.  XGBoost
-- gives s3 -38.433277, s5 31.779377, s6 -11.740233, bmi -5.056628,
-- age 4.921676, ..., bias 152.129913 (diabetes_reg.contribs.csv, row 1).
SELECT i.vals AS diab_row FROM pg_temp.csv_rows('diabetes_reg.input.csv') i WHERE n = 1 \gset
SELECT feature, value, round(contribution::numeric, 6) AS contribution
  FROM model_deploy.explain('ex_diabetes_reg', :'diab_row'::float8[]);
-- top_n keeps the largest; the bias row always comes last
SELECT feature, round(contribution::numeric, 6) AS contribution
  FROM model_deploy.explain('ex_diabetes_reg', :'diab_row'::float8[], top_n => 3);
SELECT feature FROM model_deploy.explain('ex_diabetes_reg', :'diab_row'::float8[], 0);
SELECT count(*) FROM model_deploy.explain('ex_diabetes_reg', :'diab_row'::float8[], 100);
-- a missing value has value NULL; NULL and NaN mean the same
SELECT a.feature, a.value, a.contribution = b.contribution AS same
  FROM model_deploy.explain('ex_diabetes_reg', ARRAY[0.04, 0.05, 0.06, 0.02, NULL, -0.03, -0.04, 0, 0.02, -0.02]) a
  JOIN model_deploy.explain('ex_diabetes_reg', ARRAY[0.04, 0.05, 0.06, 0.02, 'NaN', -0.03, -0.04, 0, 0.02, -0.02]) b USING (feature)
 WHERE a.feature IN ('s1', 'bias');
-- unnamed features are called f0, f1, ...
SELECT string_agg(feature, ',' ORDER BY feature) AS names
  FROM model_deploy.explain('ex_unnamed_reg', :'diab_row'::float8[]);
-- any numeric array works (converted to float8[])
SELECT count(*) AS rows FROM model_deploy.explain('ex_diabetes_reg', ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

-- Multi-class: the default explains the predicted class; class picks
-- another.  iris row 1 is class 2 with margins -2.572878, -1.318567, 3.405332
-- (iris_softprob.expected.csv); each class's contributions sum to its margin.
SELECT model_deploy.deploy('ex_iris', pg_temp.fixture_file('iris_softprob.model.json'));
SELECT k AS class, round(sum(contribution)::numeric, 5) AS margin
  FROM generate_series(0, 2) k,
	   LATERAL model_deploy.explain('ex_iris', ARRAY[5.8, 2.8, 5.1, 2.4], class => k)
 GROUP BY k ORDER BY k;
SELECT round(sum(contribution)::numeric, 5) AS default_margin
  FROM model_deploy.explain('ex_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);

-- explain_json: the same numbers for applications
SELECT j->>'model' AS model, j->'version' AS version, j->'class' AS class,
	   j->'margin' AS margin, j->'prediction' AS prediction,
	   j->'probability' AS probability,
	   jsonb_array_length(j->'contributions') AS n_contributions,
	   j->'contributions'->0->>'feature' AS top_feature
  FROM model_deploy.explain_json('ex_iris', ARRAY[5.8, 2.8, 5.1, 2.4], 2) AS j;
SELECT (j->>'bias')::float8 = x.contribution AS bias_matches
  FROM model_deploy.explain_json('ex_iris', ARRAY[5.8, 2.8, 5.1, 2.4], class => 0) AS j,
	   model_deploy.explain('ex_iris', ARRAY[5.8, 2.8, 5.1, 2.4], class => 0) AS x
 WHERE x.feature = 'bias';
-- binary: no class (the margin is class 1's log-odds); XGBoost's
-- probability for bc_logistic row 1 is 0.006901634857058525
SELECT j->'class' AS class, j->'probability' AS probability,
	   (j->>'margin')::float8 = (model_deploy.predict_raw('ex_bc_logistic', r.bc_row))[1] AS margin_is_raw
  FROM (SELECT i.vals AS bc_row FROM pg_temp.csv_rows('bc_logistic.input.csv') i WHERE n = 1) r,
	   LATERAL model_deploy.explain_json('ex_bc_logistic', r.bc_row, 1) AS j;
-- a missing value is null, an infinite one a string (JSON has neither)
SELECT j->'contributions' @> '[{"feature": "s1", "value": null}]' AS missing_is_null,
	   j->'contributions' @> '[{"feature": "bmi", "value": "Infinity"}]' AS infinity_is_string
  FROM model_deploy.explain_json('ex_diabetes_reg',
		ARRAY[0.04, 0.05, 'Infinity', 0.02, NULL, -0.03, -0.04, 0, 0.02, -0.02]) AS j;

-- NULL name or features: no rows, NULL document
SELECT count(*) FROM model_deploy.explain('ex_iris', NULL::float8[]);
SELECT count(*) FROM model_deploy.explain(NULL, ARRAY[1, 2, 3, 4]);
SELECT model_deploy.explain_json('ex_iris', NULL::float8[]) IS NULL AS is_null;

-- errors
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('nonesuch', ARRAY[1, 2, 3, 4])$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', ARRAY[1, 2, 3])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.explain_json('ex_iris', ARRAY[1, 2, 3, 4, 5])$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', ARRAY[1, 2, 3, 4], class => 3)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', ARRAY[1, 2, 3, 4], class => -1)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_diabetes_reg', array_fill(1, ARRAY[10]), class => 0)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', ARRAY[1, 2, 3, 4], top_n => -1)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', ARRAY[[1, 2], [3, 4]])$$);
-- a model saved without node cover scores, but cannot be explained
SELECT model_deploy.deploy('ex_nocover',
	replace(pg_temp.fixture_file('diabetes_reg.model.json'), '"sum_hessian"', '"sum_hessiaX"'));
SELECT model_deploy.predict('ex_nocover', array_fill(1, ARRAY[10])) IS NOT NULL AS scores;
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_nocover', array_fill(1, ARRAY[10]))$$);
SELECT pg_temp.error_of($$SELECT model_deploy.explain_json('ex_nocover', array_fill(1, ARRAY[10]))$$);

-- A native linear model: coefficient x preprocessed value, per input
-- feature.  churn.json: age 50 is standardised to (50 - 40) / 10 = 1,
-- times 0.5; plan 1 ("premium") is one-hot [0, 1, 0], times [-1, 0.25, 1]
-- = 0.25; the bias is the intercept 0.1; margin 0.85.
\set native_dir :abs_srcdir '/fixtures/native/'
SELECT model_deploy.deploy('ex_native', pg_read_file(:'native_dir' || 'churn.json')) AS native_version;
SELECT * FROM model_deploy.explain('ex_native', ARRAY[50, 1]);
SELECT (model_deploy.predict_raw('ex_native', ARRAY[50, 1]))[1] AS margin;
-- a missing age is imputed (40): standardised to 0, contributes 0
SELECT * FROM model_deploy.explain('ex_native', ARRAY[NULL, 2]);
SELECT model_deploy.explain_json('ex_native', ARRAY[50, 0]);
-- a row the model refuses (unknown plan code) is refused as predict() does
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_native', ARRAY[50, 7])$$);
-- other native models are refused cleanly (this once crashed the backend)
SELECT model_deploy.deploy('ex_native_mlp', pg_read_file(:'native_dir' || 'species.json')) AS native_version;
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_native_mlp', ARRAY[0.5, 1])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.explain_json('ex_native_mlp', ARRAY[0.5, 1])$$);

-- Features by name: a row's columns, or a jsonb object's keys, exactly as
-- predict() reads them; the same explanation as the array's.
-- A categorical feature takes its category name by name (plan codes:
-- 0 basic, 1 premium, 2 pro); value reports the code the model scored.
CREATE TABLE ex_people (id int, plan text, age float8, plan_code int);
INSERT INTO ex_people VALUES (1, 'premium', 50, 1), (2, 'pro', NULL, 2);
SELECT p.id, x.* FROM ex_people p, LATERAL model_deploy.explain('ex_native', p) x ORDER BY p.id, x.feature;
SELECT x.* FROM model_deploy.explain('ex_native', '{"age": 50, "plan": "premium"}'::jsonb) x;
-- by record and by array: the same rows, for every person
SELECT count(*) AS rows, bool_and(a.contribution = r.contribution
								  AND a.value IS NOT DISTINCT FROM r.value) AS same
  FROM ex_people p
 CROSS JOIN LATERAL model_deploy.explain('ex_native', ARRAY[p.age, p.plan_code]) a
  JOIN LATERAL model_deploy.explain('ex_native', p) r USING (feature);
SELECT model_deploy.explain_json('ex_native', p, 1) FROM ex_people p WHERE id = 2;
SELECT model_deploy.explain_json('ex_native', '{"plan": "pro"}'::jsonb, 1);
-- an XGBoost model by name: the same numbers as by array, top_n and class
SELECT a.feature, a.contribution = b.contribution AS same
  FROM model_deploy.explain('ex_iris', ARRAY[5.8, 2.8, 5.1, 2.4], class => 1) a
  FULL JOIN model_deploy.explain('ex_iris',
		'{"sepal_length": 5.8, "sepal_width": 2.8, "petal_length": 5.1, "petal_width": 2.4}'::jsonb,
		class => 1) b USING (feature)
 ORDER BY a.feature;
SELECT count(*) FROM model_deploy.explain('ex_iris', '{"petal_width": 2.4}'::jsonb, top_n => 2);
-- errors of the mapping, as predict()'s
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', '{"petal_wide": 2.4}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_iris', (SELECT p FROM ex_people p LIMIT 1))$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.explain('ex_unnamed_reg', '{"age": 1}'::jsonb)$$);
SELECT count(*) FROM model_deploy.explain('ex_iris', NULL::jsonb);
