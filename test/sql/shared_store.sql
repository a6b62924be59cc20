--
-- The shared model store (the test cluster preloads model_deploy): a
-- version is compiled once, by the first connection that scores it; the
-- next connections map that copy.  store_stats() counts, per connection,
-- what it compiled and what it found already compiled; shared_models shows
-- the copies and their pins.  Scores are checked against XGBoost's outputs
-- (iris_softprob.expected.csv, diabetes_reg.expected.csv, first rows).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all
\set fx :abs_srcdir '/fixtures/xgboost/'
SELECT model_deploy.deploy('ss_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS version;
SELECT model_deploy.deploy('ss_diab', pg_read_file(:'fx' || 'diabetes_reg.model.json')) AS version;
\set diab_row 'ARRAY[0.04534098333546186,-0.044641636506989144,-0.006205954135807083,0.011543832586488917,0.06310082451524143,0.01622243643399523,0.09650139090327886,-0.03949338287409329,0.04289703595278786,-0.03835665973397607]'

-- this connection's counters, before and after it scores a new version
CREATE TEMP TABLE counters AS
	SELECT compiles, shared_hits FROM model_deploy.store_stats() WHERE scope = 'backend';
SELECT in_shared_memory FROM model_deploy.models WHERE name = 'ss_iris';
SELECT model_deploy.predict_proba('ss_iris', ARRAY[5.8, 2.8, 5.1, 2.4])
	 = ARRAY[0.002504766685888171, 0.00878027081489563, 0.9887149930000305]::float8[] AS proba_is_xgboost;
SELECT s.compiles - c.compiles AS compiled, s.shared_hits - c.shared_hits AS found
  FROM model_deploy.store_stats() s, counters c WHERE s.scope = 'backend';
SELECT in_shared_memory FROM model_deploy.models WHERE name = 'ss_iris';
SELECT name, version, status, bytes = (SELECT compiled_bytes FROM model_deploy.models WHERE name = 'ss_iris') AS bytes_ok,
	   pins, uses, loaded_at <= last_used AS times_ok
  FROM model_deploy.shared_models WHERE name = 'ss_iris';

-- A fresh connection that scores the same version compiles nothing: it
-- maps the copy the first connection made.
\c
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all
SELECT compiles, shared_hits, local_copies FROM model_deploy.store_stats() WHERE scope = 'backend';
SELECT model_deploy.predict_proba('ss_iris', ARRAY[5.8, 2.8, 5.1, 2.4])
	 = ARRAY[0.002504766685888171, 0.00878027081489563, 0.9887149930000305]::float8[] AS proba_is_xgboost;
SELECT compiles, shared_hits, local_copies FROM model_deploy.store_stats() WHERE scope = 'backend';
SELECT name, pins, uses FROM model_deploy.shared_models WHERE name = 'ss_iris';

-- one pin per query, however many rows: 1000 rows, one more use
SELECT count(*) FILTER (WHERE p = 2) AS class_2
  FROM (SELECT model_deploy.predict('ss_iris', ARRAY[5.8, 2.8, 5.1, 2.4]) AS p
		  FROM generate_series(1, 1000)) s;
SELECT uses FROM model_deploy.shared_models WHERE name = 'ss_iris';

-- A query holds its pin until it ends: an open cursor pins the version,
-- closing it lets go.  Two call sites of one query share one pin.
BEGIN;
DECLARE c CURSOR FOR
	SELECT model_deploy.predict('ss_iris', ARRAY[5.8, 2.8, 5.1, 2.4]),
		   model_deploy.predict_raw('ss_iris', ARRAY[5.8, 2.8, 5.1, 2.4])
	  FROM generate_series(1, 3);
FETCH 1 FROM c;
SELECT name, pins FROM model_deploy.shared_models WHERE name = 'ss_iris';
CLOSE c;
SELECT name, pins FROM model_deploy.shared_models WHERE name = 'ss_iris';
COMMIT;

-- an error in the middle of a query releases its pin
SELECT pg_temp.error_of($$
	SELECT model_deploy.predict('ss_iris', CASE WHEN g < 3 THEN ARRAY[5.8, 2.8, 5.1, 2.4] ELSE ARRAY[1.0] END)
	  FROM generate_series(1, 5) g$$);
SELECT name, pins FROM model_deploy.shared_models WHERE name = 'ss_iris';

-- Parallel workers score from the same shared copy, with the same results.
CREATE TABLE ss_rows AS
	SELECT g, ARRAY[0.04534098333546186 + g * 1e-4, -0.044641636506989144,
				   -0.006205954135807083, 0.011543832586488917, 0.06310082451524143,
				   0.01622243643399523, 0.09650139090327886, -0.03949338287409329,
				   0.04289703595278786, -0.03835665973397607 - g * 1e-4]::float8[] AS x
	  FROM generate_series(1, 20000) g;
ANALYZE ss_rows;
CREATE TEMP TABLE serial AS
	SELECT g, model_deploy.predict('ss_diab', x) AS p FROM ss_rows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
	SELECT g, model_deploy.predict('ss_diab', x) AS p FROM ss_rows;
CREATE TEMP TABLE parallel AS
	SELECT g, model_deploy.predict('ss_diab', x) AS p FROM ss_rows;
SELECT count(*) AS rows, count(*) FILTER (WHERE s.p IS DISTINCT FROM p.p) AS differ
  FROM serial s JOIN parallel p USING (g);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE ss_rows;
-- force_parallel_mode runs the whole query in one worker: the leader's
-- counters do not move, the server's count one more use of the copy
CREATE TEMP TABLE before AS
	SELECT scope, compiles, shared_hits FROM model_deploy.store_stats();
-- (named debug_parallel_query since PostgreSQL 16)
SELECT current_setting('server_version_num')::int >= 160000 AS pg16 \gset
\if :pg16
SET debug_parallel_query = on;
\else
SET force_parallel_mode = on;
\endif
SELECT model_deploy.predict('ss_diab', :diab_row) = 135.1949005126953 AS diab_is_xgboost;
\if :pg16
RESET debug_parallel_query;
\else
RESET force_parallel_mode;
\endif
SELECT scope, s.compiles - b.compiles AS compiled, s.shared_hits - b.shared_hits AS found
  FROM model_deploy.store_stats() s JOIN before b USING (scope) ORDER BY scope;
SELECT name, pins FROM model_deploy.shared_models WHERE name = 'ss_diab';

-- A version deployed by a transaction that rolled back, and scored inside
-- it, was compiled into shared memory under its own deploy_id: nobody can
-- ever find it again (status 'dropped'), and it is evicted first.
BEGIN;
SELECT model_deploy.deploy('ss_rolled_back', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS version;
SELECT model_deploy.predict('ss_rolled_back', ARRAY[5.8, 2.8, 5.1, 2.4]);
ROLLBACK;
SELECT pg_temp.error_of($$SELECT model_deploy.predict('ss_rolled_back', ARRAY[5.8, 2.8, 5.1, 2.4])$$);
SELECT name, version, status, pins FROM model_deploy.shared_models WHERE name = 'ss_rolled_back';

-- superseded and dropped versions show as such
SELECT model_deploy.deploy('ss_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS version;
SELECT model_deploy.predict('ss_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);
SELECT name, version, status FROM model_deploy.shared_models WHERE name = 'ss_iris' ORDER BY version;
SELECT model_deploy.drop_model('ss_iris');
SELECT name, version, status FROM model_deploy.shared_models WHERE name = 'ss_iris' ORDER BY version;

-- the server-wide counters move too
SELECT compiles > 0 AS compiled, shared_hits > 0 AS found, evictions = 0 AS no_evictions
  FROM model_deploy.store_stats() WHERE scope = 'server';

-- model_deploy.shared_memory is fixed at server start
SHOW model_deploy.shared_memory;
SELECT pg_temp.error_of($$SET model_deploy.shared_memory = '1GB'$$);

SELECT model_deploy.drop_model('ss_diab');
