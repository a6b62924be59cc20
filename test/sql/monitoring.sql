-- Monitoring: serving statistics (stats, feature_stats), stats_reset(),
-- model_deploy.track_stats, baselines and drift.  Every expected number
-- below follows from the workload by arithmetic stated next to it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;

-- A native linear regression: prediction = a + 2 b.
SELECT model_deploy.deploy('mon', $${
  "format": "model_deploy", "format_version": 1,
  "features": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}],
  "output": {"kind": "regression"},
  "preprocessing": [],
  "estimator": {"type": "linear", "coefficients": [[1, 2]], "intercepts": [0],
                "link": "identity"}
}$$) AS version;
SELECT model_deploy.stats_reset('mon');
SELECT count(*) FROM model_deploy.stats WHERE name = 'mon';

-- 100 rows, a = 1..100, b = i % 2: predictions a + 2 b have sum
-- 5050 + 2 * 50 = 5150, mean 51.5, min 2 (a = 2), max 101 (a = 99).
SELECT sum(model_deploy.predict('mon', ARRAY[i, i % 2])) FROM generate_series(1, 100) i;
SELECT name, version, status, calls, rows, errors, predictions,
	   prediction_mean, prediction_min, prediction_max,
	   total_time >= 0 AS timed, first_call <= last_call AS ordered
  FROM model_deploy.stats WHERE name = 'mon';
-- a: mean 50.5, sample stddev sqrt(100 * 101 / 12) = 29.011491975882016;
-- b: fifty ones, mean 0.5, sample stddev sqrt(25 / 99) = 0.502518907629606
SELECT feature, position, count, missing, mean, round(stddev::numeric, 12) AS stddev, min, max
  FROM model_deploy.feature_stats WHERE name = 'mon' ORDER BY position;

-- a failed call is an error, not a row
SELECT pg_temp.error_of($$SELECT model_deploy.predict('mon', ARRAY[1, 2, 3])$$) IS NOT NULL AS failed;
SELECT calls, rows, errors FROM model_deploy.stats WHERE name = 'mon';

-- model_deploy.track_stats = off: nothing is counted
SET model_deploy.track_stats = off;
SELECT sum(model_deploy.predict('mon', ARRAY[i, 0])) FROM generate_series(1, 50) i;
RESET model_deploy.track_stats;
SELECT calls, rows FROM model_deploy.stats WHERE name = 'mon';

-- an aborted transaction's rows are not lost: it flushes at abort too
BEGIN;
SELECT sum(model_deploy.predict('mon', ARRAY[i, 0])) FROM generate_series(1, 10) i;
ROLLBACK;
SELECT calls, rows FROM model_deploy.stats WHERE name = 'mon';

-- stats_reset(name) forgets that model only; reading and resetting need rights
SELECT model_deploy.deploy('mon_other', (SELECT source FROM model_deploy.model_version WHERE name = 'mon')) AS version;
SELECT model_deploy.predict('mon_other', ARRAY[1, 1]);
SELECT model_deploy.stats_reset('mon');
SELECT name, rows FROM model_deploy.stats WHERE name LIKE 'mon%' ORDER BY name;
SELECT count(*) FROM model_deploy.feature_stats WHERE name = 'mon';
CREATE ROLE mon_nobody;
SET ROLE mon_nobody;
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.stats$$);
SELECT pg_temp.error_of($$SELECT model_deploy.stats_reset()$$);
RESET ROLE;
DROP ROLE mon_nobody;

-- Drift.  No baseline yet: a clear error.
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.drift('mon')$$);
-- Baseline: a = 1..1000 uniform, b alternating, by column name.  The
-- bins of a are (-inf, 100], (100, 200], ..., (900, +inf): a tenth of the
-- rows each; b has two values, so one edge and two halves; the
-- predictions a + 2 b are (-inf, 101], ...  Sample stddevs: a
-- sqrt(1000 * 1001 / 12) = 288.819436, b sqrt(250 / 999) = 0.500250.
SELECT feature, missing_rate, mean, round(stddev::numeric, 6) AS stddev,
	   edges[1:3] AS first_edges, shares
  FROM model_deploy.set_baseline('mon',
		'SELECT i AS a, i % 2 AS b FROM generate_series(1, 1000) i');
SELECT name, version, rows FROM model_deploy.baselines WHERE name = 'mon';
-- fewer than 100 rows served: 'no data'
SELECT feature, status FROM model_deploy.drift('mon');
-- served: the same distribution as the baseline.  Nothing drifts.
SELECT count(model_deploy.predict('mon', ARRAY[i, i % 2])) FROM generate_series(1, 1000) i;
SELECT feature, round(psi::numeric, 6) AS psi, round(mean_shift::numeric, 6) AS mean_shift,
	   missing_rate_change, status
  FROM model_deploy.drift('mon');
SELECT count(*) FROM model_deploy.drift_alerts WHERE name = 'mon';
-- served: a shifted up by half its range (501..1500); b unchanged.  a's
-- values fill bins 6-9 (0.1 each) and bin 10 (0.6); bins 1-5 are empty
-- (counted as 0.0001): psi = 5 (0.0001 - 0.1) ln(0.001) + 0.5 ln(6)
-- = 4.346303; mean shift (1000.5 - 500.5) / 288.819436 = 1.731185; b does
-- not move.
SELECT model_deploy.stats_reset('mon');
SELECT count(model_deploy.predict('mon', ARRAY[i + 500, i % 2])) FROM generate_series(1, 1000) i;
SELECT feature, round(psi::numeric, 6) AS psi, round(mean_shift::numeric, 6) AS mean_shift, status
  FROM model_deploy.drift('mon');
SELECT name, version, feature, status FROM model_deploy.drift_alerts WHERE name = 'mon' ORDER BY feature;

-- The streaming and batch modes count their rows, and so do parallel
-- workers (each flushes when it ends, before the query returns).
SELECT model_deploy.stats_reset('mon_other');
CREATE TABLE mon_events (a float8, b float8, score float8);
CREATE TRIGGER mon_score BEFORE INSERT ON mon_events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('mon_other', 'score');
-- 200 rows through the trigger, a = 1..200, b = 0: mean 100.5
INSERT INTO mon_events (a, b) SELECT i, 0 FROM generate_series(1, 200) i;
SELECT rows, predictions, prediction_mean, prediction_min, prediction_max
  FROM model_deploy.stats WHERE name = 'mon_other';
-- score_table rescoring the 200 rows: 400 rows, the same mean
SET client_min_messages = warning;	-- its progress NOTICEs carry timings
CALL model_deploy.score_table('mon_events', 'mon_other', 'score', only_missing => false);
RESET client_min_messages;
SELECT rows, predictions, prediction_mean FROM model_deploy.stats WHERE name = 'mon_other';
-- 20000 rows scanned by two workers and the leader: a = 1..20000,
-- b = 1; predictions a + 2 sum to 20000 * 10002.5 = 200050000
SELECT model_deploy.stats_reset('mon_other');
CREATE TABLE mon_par AS SELECT i::float8 AS a, 1::float8 AS b FROM generate_series(1, 20000) i;
ANALYZE mon_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- the plan without what PostgreSQL 18 adds (buffers, rows=1.00)
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, '
		'SUMMARY OFF, BUFFERS OFF) ' || query;
END $$;
SELECT regexp_replace(p, 'rows=(\d+)\.00 ', 'rows=\1 ') AS "QUERY PLAN"
  FROM pg_temp.plan_of($$SELECT sum(model_deploy.predict('mon_other', p))
                           FROM mon_par p$$) p;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
-- (rounded: the workers' partial sums add up in either order)
SELECT rows, predictions, round((prediction_mean * predictions)::numeric, 2) AS prediction_sum,
	   prediction_min, prediction_max
  FROM model_deploy.stats WHERE name = 'mon_other';
SELECT feature, count, round(mean::numeric, 6) AS mean
  FROM model_deploy.feature_stats WHERE name = 'mon_other' ORDER BY position;
DROP TABLE mon_events, mon_par;

-- A backend frees its pending entries at a transaction end once it holds
-- more than 32 (all flushed by then).  A call site that outlives that -- a
-- procedure's expression, kept across its COMMITs -- attaches again, and
-- counts on exactly: 40 rows of mon_keep, a = 1..40, mean 20.5.
DO $$
BEGIN
	FOR i IN 1..40 LOOP
		PERFORM model_deploy.deploy('mon_many_' || i,
			(SELECT source FROM model_deploy.model_version WHERE name = 'mon'));
	END LOOP;
	PERFORM model_deploy.deploy('mon_keep',
		(SELECT source FROM model_deploy.model_version WHERE name = 'mon'));
END $$;
DO $$
BEGIN
	FOR i IN 1..40 LOOP
		PERFORM model_deploy.predict('mon_many_' || i, ARRAY[1, 1]);
		PERFORM model_deploy.predict('mon_keep', ARRAY[i, 0]);
		COMMIT;
	END LOOP;
END $$;
SELECT calls, rows, prediction_mean, prediction_min, prediction_max
  FROM model_deploy.stats WHERE name = 'mon_keep';
SELECT count(*) AS versions, sum(rows) AS rows
  FROM model_deploy.stats WHERE name LIKE 'mon\_many\_%';
SELECT count(model_deploy.drop_model(name))
  FROM model_deploy.models WHERE name LIKE 'mon\_many\_%' OR name = 'mon_keep';

SELECT model_deploy.drop_model('mon');
SELECT model_deploy.drop_model('mon_other');
