--
-- Batch: CALL model_deploy.score_table() scores a table in committed chunks
-- of heap pages, reports progress in model_deploy.batch_jobs, and resumes
-- where it stopped.  The oracle is XGBoost's probability for each
-- bc_logistic input row (expected.p0).  (Progress NOTICEs carry timings,
-- so they are checked by t/, not here.)
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
CREATE SCHEMA batch;
SET search_path = batch, public;
\set ECHO none
\i :abs_srcdir/sql/include/patients.sql
\set ECHO all
SELECT model_deploy.deploy('b_bc', pg_read_file(:'fx' || 'bc_logistic.model.json')) AS v;
SELECT model_deploy.deploy('b_diab', pg_read_file(:'fx' || 'diabetes_reg.model.json')) AS v;
SET client_min_messages = warning;

-- accounts: 5000 copies of the patients, some 170 pages
CREATE TABLE accounts AS
	SELECT p.*, p.id AS patient, NULL::float8 AS risk, NULL::int AS flagged,
		   NULL::float8[] AS proba
	  FROM generate_series(1, 5000) g JOIN patients p ON p.id = 1 + g % 200;
SELECT pg_relation_size('accounts') / current_setting('block_size')::int > 100 AS many_pages;

CALL model_deploy.score_table('accounts', 'b_bc', 'risk', 500);
CALL model_deploy.score_table('accounts', 'b_bc', 'flagged', batch_size => 700);
CALL model_deploy.score_table('accounts'::regclass, 'b_bc', 'proba');
CREATE VIEW checked AS
	SELECT count(*) AS rows,
		   count(*) FILTER (WHERE abs(a.risk - x.p0) <= 1e-6) AS risk_is_xgboost,
		   count(*) FILTER (WHERE a.flagged = (x.p0 > 0.5)::int) AS flagged_ok,
		   count(*) FILTER (WHERE a.proba = ARRAY[1 - a.risk, a.risk]) AS proba_ok
	  FROM accounts a JOIN expected x ON x.id = a.patient;
SELECT * FROM checked;
-- the jobs, as any session sees them
SELECT job_id, relation, model, version, target, state, rows_done, rows_total, percent,
	   batch_size, only_missing, run_by = current_user AS by_me,
	   started_at <= updated_at AS timed
  FROM model_deploy.batch_jobs ORDER BY job_id;
SELECT j.job_id, j.pages_total > 100 AS pages, j.next_page = j.pages_total AS finished
  FROM model_deploy.batch_job j ORDER BY job_id;

-- only_missing (the default) scores the rows that have no score yet
UPDATE accounts SET risk = NULL WHERE patient % 10 = 0;
CALL model_deploy.score_table('accounts', 'b_bc', 'risk', 500);
SELECT rows_done, rows_total, state FROM model_deploy.batch_jobs ORDER BY job_id DESC LIMIT 1;
SELECT * FROM checked;
-- only_missing => false scores them all again
UPDATE accounts SET risk = -1 WHERE patient = 7;
CALL model_deploy.score_table('accounts', 'b_bc', 'risk', 2000, only_missing => false);
SELECT rows_done, rows_total, state FROM model_deploy.batch_jobs ORDER BY job_id DESC LIMIT 1;
SELECT * FROM checked;
-- each chunk reads only its pages: the statements of a chunk, which finds
-- the page of its batch_size-th row to score, then updates up to there
EXPLAIN (COSTS OFF) SELECT t.ctid FROM accounts t
	WHERE t.ctid >= '(10,0)'::tid AND t.ctid < '(50,0)'::tid AND t.risk IS NULL OFFSET 499 LIMIT 1;
EXPLAIN (COSTS OFF) UPDATE accounts AS t SET risk = model_deploy_internal._score_into('b_bc', 1, t, t.risk)
	WHERE t.ctid >= '(10,0)'::tid AND t.ctid < '(20,0)'::tid AND t.risk IS NULL;

-- interrupted and resumed: every row is scored exactly once.  A trigger
-- counts the updates of each row and makes each take 5 ms, so the job
-- (300 rows, 10 a page) takes 1.5 s and a 0.7 s timeout stops it midway.
CREATE TABLE slow (pad text, times int NOT NULL DEFAULT 0, risk float8, LIKE patients);
INSERT INTO slow SELECT repeat('x', 400), 0, NULL, p.*
  FROM generate_series(1, 300) g JOIN patients p ON p.id = 1 + g % 200;
CREATE FUNCTION slow_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.times := OLD.times + 1;
	PERFORM pg_sleep(0.005);
	RETURN NEW;
END
$$;
CREATE TRIGGER slow_count BEFORE UPDATE ON slow FOR EACH ROW EXECUTE FUNCTION slow_count();
SET statement_timeout = '700ms';
\set VERBOSITY terse
CALL model_deploy.score_table('slow', 'b_bc', 'risk', 10);
\set VERBOSITY default
RESET statement_timeout;
SELECT count(*) FILTER (WHERE risk IS NOT NULL) > 0 AS some_scored,
	   count(*) FILTER (WHERE risk IS NULL) > 0 AS some_not,
	   count(*) FILTER (WHERE (risk IS NOT NULL) <> (times = 1)) AS scored_means_once
  FROM slow;
SELECT state, rows_done > 0 AND rows_done < rows_total AS partly
  FROM model_deploy.batch_jobs ORDER BY job_id DESC LIMIT 1;
CALL model_deploy.score_table('slow', 'b_bc', 'risk', 10);
SELECT count(*) AS rows, count(*) FILTER (WHERE times = 1) AS updated_once,
	   count(*) FILTER (WHERE abs(s.risk - x.p0) <= 1e-6) AS risk_is_xgboost,
	   count(*) FILTER (WHERE s.risk = model_deploy.predict('b_bc', s)) AS risk_is_predict
  FROM slow s JOIN expected x ON x.id = s.id;
SELECT state, rows_total - rows_done AS left_to_do
  FROM model_deploy.batch_jobs ORDER BY job_id DESC LIMIT 1;

-- identifiers are quoted: a schema, table and column that need quotes
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."My Events" AS
	SELECT p.*, p.id AS patient, NULL::float8 AS "Risk; DROP TABLE x" FROM patients p;
CALL model_deploy.score_table('"Odd Schema"."My Events"', 'b_bc', 'Risk; DROP TABLE x', 50);
SELECT count(*) FILTER (WHERE abs(e."Risk; DROP TABLE x" - x.p0) <= 1e-6) AS risk_is_xgboost
  FROM "Odd Schema"."My Events" e JOIN expected x ON x.id = e.patient;
-- an empty table is done at once
CREATE TABLE empty_t (LIKE accounts);
CALL model_deploy.score_table('empty_t', 'b_bc', 'risk');
SELECT state, rows_done, rows_total, percent FROM model_deploy.batch_jobs ORDER BY job_id DESC LIMIT 1;

-- plain UPDATEs keep working for small tables
UPDATE accounts a SET risk = model_deploy.predict('b_bc', a) WHERE patient < 3;
SELECT * FROM checked;

-- errors, before any work is done (no job is recorded)
\set SHOW_CONTEXT never
SELECT count(*) AS jobs_before FROM model_deploy.batch_job \gset
BEGIN;
CALL model_deploy.score_table('accounts', 'b_bc', 'risk');
ROLLBACK;
CREATE FUNCTION pg_temp.score_from_a_function() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	CALL model_deploy.score_table('accounts', 'b_bc', 'risk');
END
$$;
SELECT pg_temp.score_from_a_function();
CALL model_deploy.score_table('accounts', 'b_bc', NULL);
CALL model_deploy.score_table('accounts', 'b_bc', 'risk', 0);
CALL model_deploy.score_table('nonesuch', 'b_bc', 'risk');
CALL model_deploy.score_table('checked', 'b_bc', 'risk');
CREATE TABLE parted (LIKE accounts) PARTITION BY RANGE (patient);
CALL model_deploy.score_table('parted', 'b_bc', 'risk');
CALL model_deploy.score_table('accounts', 'b_bc', 'nonesuch');
ALTER TABLE accounts ADD COLUMN seen date;
CALL model_deploy.score_table('accounts', 'b_bc', 'seen');
ALTER TABLE accounts ADD COLUMN g float8 GENERATED ALWAYS AS (1) STORED;
CALL model_deploy.score_table('accounts', 'b_bc', 'g');
CALL model_deploy.score_table('accounts', 'b_nonesuch', 'risk');
CALL model_deploy.score_table('accounts', 'b_diab', 'risk');
CREATE ROLE regress_md_reader;
GRANT USAGE ON SCHEMA batch, model_deploy TO regress_md_reader;
GRANT SELECT ON accounts TO regress_md_reader;
SET ROLE regress_md_reader;
CALL model_deploy.score_table('accounts', 'b_bc', 'risk');
RESET ROLE;
SELECT count(*) - :jobs_before AS new_jobs FROM model_deploy.batch_job;
-- a role with UPDATE on the column only may score it
GRANT UPDATE (risk) ON accounts TO regress_md_reader;
UPDATE accounts SET risk = NULL WHERE patient = 1;
SET ROLE regress_md_reader;
CALL model_deploy.score_table('accounts', 'b_bc', 'risk');
SELECT rows_done, run_by FROM model_deploy.batch_jobs ORDER BY job_id DESC LIMIT 1;
RESET ROLE;
REVOKE USAGE ON SCHEMA model_deploy FROM regress_md_reader;
DROP OWNED BY regress_md_reader;
DROP ROLE regress_md_reader;

-- leave the database as it was found
SET client_min_messages = warning;
DROP SCHEMA batch, "Odd Schema" CASCADE;
DROP EXTENSION model_deploy CASCADE;
