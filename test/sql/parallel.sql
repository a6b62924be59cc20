--
-- Parallel query: the scoring functions are PARALLEL SAFE, so a scan that
-- scores rows can run in parallel workers, with the same results.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
CREATE SCHEMA parallel;
SET search_path = parallel, public;
SELECT model_deploy.deploy('q_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS v;

CREATE TABLE flowers AS
	SELECT g AS id, 4 + (g % 40) / 10.0 AS sepal_length, 2 + (g % 23) / 10.0 AS sepal_width,
		   1 + (g % 60) / 10.0 AS petal_length, (g % 25) / 10.0 AS petal_width
	  FROM generate_series(1, 20000) g;
ANALYZE flowers;

-- every row's class, probabilities and margins, summed exactly (numeric)
CREATE VIEW scores AS
	SELECT sum(model_deploy.predict('q_iris', f)::numeric) AS classes,
		   sum((model_deploy.predict_proba('q_iris', f))[3]::numeric) AS p2,
		   sum((model_deploy.predict_raw('q_iris', to_jsonb(f) - 'id'))[1]::numeric) AS m0,
		   sum(model_deploy.predict_pinned('q_iris', 1, ARRAY[sepal_length, sepal_width,
				petal_length, petal_width]::float8[])::numeric) AS pinned
	  FROM flowers f;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT * FROM scores;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT * FROM scores;
SELECT (SELECT s FROM serial s) = (SELECT s FROM scores s) AS parallel_equals_serial,
	   (SELECT classes > 0 AND p2 > 0 AND m0 <> 0 FROM serial) AS nonzero;

-- leave the database as it was found
SET client_min_messages = warning;
DROP SCHEMA parallel CASCADE;
DROP EXTENSION model_deploy CASCADE;
