--
-- Model performance against ground truth through SQL: evaluate(),
-- compare_versions(), the evaluations record, privileges and errors.  The
-- numbers are the ones scikit-learn gives on XGBoost's own predictions for
-- these fixtures (quoted in the comments); test/suites/evaluate-vs-sklearn
-- checks every metric against scikit-learn within 1e-9 on many more cases.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all

-- a fixture's input rows with their labels, as a table (n, features, label)
CREATE FUNCTION pg_temp.labelled(fixture text)
RETURNS TABLE (n bigint, features float8[], label float8)
LANGUAGE sql AS $$
	SELECT c.n, c.x, c.want[1]
	  FROM pg_temp.fixture_cases(fixture, '.labels.csv') c
$$;
CREATE TABLE ev_bc AS SELECT n, features, label::int AS label FROM pg_temp.labelled('bc_logistic');
CREATE TABLE ev_iris AS SELECT * FROM pg_temp.labelled('iris_softprob');
CREATE TABLE ev_diabetes AS SELECT * FROM pg_temp.labelled('diabetes_reg');
SELECT model_deploy.deploy('ev_bc', pg_temp.fixture_file('bc_logistic.model.json'));
SELECT model_deploy.deploy('ev_iris', pg_temp.fixture_file('iris_softprob.model.json'));
SELECT model_deploy.deploy('ev_diabetes', pg_temp.fixture_file('diabetes_reg.model.json'));

-- binary: scikit-learn gives auc 1, log_loss 0.00379108019717324,
-- accuracy, precision, recall and f1 1
SELECT metric, round(value::numeric, 15) AS value
  FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'label');
-- multi-class: auc (ovr, macro) 1, log_loss 0.01844240657552015, the rest 1
SELECT metric, round(value::numeric, 15) AS value
  FROM model_deploy.evaluate('ev_iris', 'SELECT features, label FROM ev_iris', 'label');
-- regression: rmse 1.6513710049751888, mae 1.068585720062256,
-- r2 0.9994988347798057
SELECT metric, round(value::numeric, 12) AS value
  FROM model_deploy.evaluate('ev_diabetes', 'SELECT features, label FROM ev_diabetes', 'label');

-- labels arrive later: rows whose label is NULL are left out, and the label
-- column can come from a join
CREATE TABLE ev_outcome AS SELECT n, CASE WHEN n % 4 <> 0 THEN label END AS malignant FROM ev_bc;
SELECT value AS rows
  FROM model_deploy.evaluate('ev_bc',
		'SELECT b.features, o.malignant FROM ev_bc b JOIN ev_outcome o USING (n)',
		'malignant')
 WHERE metric = 'rows';
-- a boolean label, a float4[] feature column
SELECT metric, round(value::numeric, 12) AS value
  FROM model_deploy.evaluate('ev_bc',
		'SELECT features::float4[] AS features, label = 1 AS sick FROM ev_bc WHERE n <= 50',
		'sick')
 WHERE metric IN ('rows', 'accuracy');

-- champion and challenger: every version on the same rows.  Version 2
-- (bc_basescore, trained on other rows) is slightly worse on these:
-- scikit-learn on xgboost's predictions gives auc 1, log_loss
-- 0.019185987340338086, accuracy 0.995.
SELECT model_deploy.deploy('ev_bc', pg_temp.fixture_file('bc_basescore.model.json'));
SELECT version, metric, round(value::numeric, 12) AS value
  FROM model_deploy.compare_versions('ev_bc', 'SELECT features, label FROM ev_bc', 'label')
 WHERE metric IN ('auc', 'log_loss', 'accuracy')
 ORDER BY metric, version;
-- the wide form
SELECT version,
	   max(value) FILTER (WHERE metric = 'log_loss') < 0.02 AS log_loss_below_002,
	   max(value) FILTER (WHERE metric = 'accuracy') AS accuracy
  FROM model_deploy.compare_versions('ev_bc', 'SELECT features, label FROM ev_bc', 'label')
 GROUP BY version ORDER BY version;
-- an explicit version is evaluated even when it is not the active one
SELECT value FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'label', 1)
 WHERE metric = 'accuracy';

-- every run is recorded: one row per version evaluated
SELECT name, version, rows, metrics ? 'auc' AS has_auc, evaluated_by = current_user AS by_me,
	   label, query
  FROM model_deploy.evaluations
 WHERE name = 'ev_bc'
 ORDER BY evaluated_at, version;
SELECT count(*) AS diabetes_runs, bool_and(metrics ?& ARRAY['rmse', 'mae', 'r2']) AS regression_metrics
  FROM model_deploy.evaluations WHERE name = 'ev_diabetes';

-- features by name: without a "features" column, the query's columns named
-- like the model's features are read (as predict(name, row) reads a row);
-- other columns are ignored, NULL is a missing value.  The same metrics as
-- from the array, for every version at once too.
CREATE TABLE ev_iris_cols AS
	SELECT n, features[1] AS sepal_length, features[2]::float4 AS sepal_width,
		   features[3]::numeric AS petal_length, features[4] AS petal_width,
		   label, 'x' AS note
	  FROM ev_iris;
SELECT a.metric, a.value = b.value AS same
  FROM model_deploy.evaluate('ev_iris', 'SELECT features, label FROM ev_iris', 'label') a
  JOIN model_deploy.evaluate('ev_iris', 'SELECT * FROM ev_iris_cols', 'label') b USING (metric)
 ORDER BY a.metric;
SELECT model_deploy.deploy('ev_iris', pg_temp.fixture_file('iris_softprob.model.json')) AS version;
SELECT version, metric, value
  FROM model_deploy.compare_versions('ev_iris',
		'SELECT sepal_length, sepal_width, petal_length, petal_width, label FROM ev_iris_cols', 'label')
 WHERE metric IN ('rows', 'accuracy') ORDER BY metric, version;
-- a column that is no feature may be NULL; a feature column too (missing)
SELECT value AS rows FROM model_deploy.evaluate('ev_iris',
		'SELECT NULL::text AS features_note, sepal_length, NULL::float8 AS sepal_width, petal_length, petal_width, label FROM ev_iris_cols',
		'label')
 WHERE metric = 'rows';
-- a feature without its column is an error naming it
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_iris', 'SELECT sepal_length, sepal_width, petal_length, label FROM ev_iris_cols', 'label')$$);

-- an undefined metric is NULL (AUC with one class only), in the record too
SELECT metric, value FROM model_deploy.evaluate('ev_bc',
		'SELECT features, label FROM ev_bc WHERE label = 1', 'label', 1)
 WHERE metric IN ('rows', 'auc');
SELECT metrics->'auc' AS auc FROM model_deploy.evaluations
 WHERE name = 'ev_bc' ORDER BY evaluated_at DESC LIMIT 1;

-- privileges: monitoring functions are not for PUBLIC; a role granted
-- evaluate() runs its query with its own rights and needs no right on the
-- evaluations table, which it cannot write or read by itself
CREATE ROLE regress_watcher;
GRANT USAGE ON SCHEMA model_deploy TO regress_watcher;
GRANT SELECT ON ev_bc TO regress_watcher;
SET ROLE regress_watcher;
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.compare_versions('ev_bc', 'SELECT features, label FROM ev_bc', 'label')$$);
RESET ROLE;
GRANT EXECUTE ON FUNCTION model_deploy.evaluate(text, text, text, integer) TO regress_watcher;
SET ROLE regress_watcher;
SELECT value FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'label')
 WHERE metric = 'rows';
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_iris', 'SELECT features, label FROM ev_iris', 'label')$$);
SELECT pg_temp.error_of($$SELECT count(*) FROM model_deploy.evaluations$$);
SELECT pg_temp.error_of($$INSERT INTO model_deploy.evaluations (name, version, rows, metrics, evaluated_by, label, query) VALUES ('ev_bc', 1, 1, '{"auc": 1}', 'x', 'y', 'z')$$);
RESET ROLE;
SELECT evaluated_by, rows FROM model_deploy.evaluations
 WHERE evaluated_by = 'regress_watcher';

-- errors
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('nonesuch', 'SELECT features, label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'label', 9)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'label', 0)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', NULL, 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate(NULL, 'SELECT features, label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.compare_versions('nonesuch', 'SELECT features, label FROM ev_bc', 'label')$$);
-- the query
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELEC features', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'DELETE FROM ev_bc RETURNING features, label', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'WITH d AS (DELETE FROM ev_bc RETURNING *) SELECT features, label FROM d', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc; SELECT 1', 'label')$$);
SELECT count(*) AS rows_still_there FROM ev_bc;
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features AS x, label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label FROM ev_bc', 'Label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features::text[] AS features, label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label::text AS label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, NULL::int AS label FROM ev_bc', 'label')$$);
-- the rows
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, label + 1 AS label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT features, 0.5 AS label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_diabetes', 'SELECT features, ''NaN''::float8 AS label FROM ev_diabetes', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_bc', 'SELECT NULL::float8[] AS features, label FROM ev_bc', 'label')$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_iris', 'SELECT features, label FROM ev_bc', 'label')$$);
-- the model
SELECT model_deploy.deploy('ev_rank', pg_temp.fixture_file('obj_rank.model.json'));
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.evaluate('ev_rank', 'SELECT features, label FROM ev_diabetes', 'label')$$);
SELECT model_deploy.deploy('ev_bc', pg_temp.fixture_file('diabetes_reg.model.json'));
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.compare_versions('ev_bc', 'SELECT features, label FROM ev_bc', 'label')$$);
-- nothing was recorded by the failed runs: the 8 evaluate() runs and the 2
-- compare_versions() of 2 versions that succeeded above made 12 records
SELECT count(*) AS runs FROM model_deploy.evaluations;

DROP OWNED BY regress_watcher;
DROP ROLE regress_watcher;
