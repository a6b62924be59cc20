--
-- Pinned versions: predict_pinned(name, version, features) is IMMUTABLE, so
-- it can feed generated columns and expression indexes; a version that was
-- dropped is a clear error at scoring time, never a crash or another
-- version's answer.  Oracles: XGBoost's predictions for diabetes_reg
-- (version 1) and dart_reg (version 2), two models of the same 10 features.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
CREATE SCHEMA pinned;
SET search_path = pinned, public;
SELECT model_deploy.deploy('p_diab', pg_read_file(:'fx' || 'diabetes_reg.model.json')) AS v1;
SELECT model_deploy.deploy('p_diab', pg_read_file(:'fx' || 'dart_reg.model.json')) AS v2;

-- the input rows of both fixtures, and XGBoost's predictions for them
CREATE TABLE visits (age float8, sex float8, bmi float8, bp float8, s1 float8,
	s2 float8, s3 float8, s4 float8, s5 float8, s6 float8);
CREATE TABLE expected_v1 (m0 float8, p0 float8);
CREATE TABLE expected_v2 (m0 float8, p0 float8);
\set ECHO none
SELECT format('COPY visits FROM %L WITH (FORMAT csv, HEADER)', :'fx' || f)
  FROM unnest(ARRAY['diabetes_reg.input.csv', 'dart_reg.input.csv']) f \gexec
SELECT format('COPY %I FROM %L WITH (FORMAT csv, HEADER)', t, :'fx' || f || '.expected.csv')
  FROM (VALUES ('expected_v1', 'diabetes_reg'), ('expected_v2', 'dart_reg')) v(t, f) \gexec
\set ECHO all

SELECT count(*) AS visits FROM visits;
-- version 1 scores as diabetes_reg, whatever version is active (2)
SELECT (SELECT version FROM model_deploy.models WHERE name = 'p_diab') AS active;
WITH x AS (SELECT v, row_number() OVER () AS n FROM visits v),
	 e AS (SELECT p0, row_number() OVER () AS n FROM expected_v1)
SELECT count(*) FILTER (WHERE abs(model_deploy.predict_pinned('p_diab', 1, x.v) - e.p0) <= 1e-6) AS v1_is_xgboost,
	   count(*) FILTER (WHERE model_deploy.predict_pinned('p_diab', 2, x.v) = model_deploy.predict('p_diab', x.v)) AS v2_is_active
  FROM x JOIN e USING (n) WHERE n <= 100;

-- IMMUTABLE and PARALLEL SAFE; STRICT
SELECT p.oid::regprocedure, provolatile, proparallel, proisstrict
  FROM pg_proc p WHERE proname = 'predict_pinned' ORDER BY 1::text;
SELECT model_deploy.predict_pinned('p_diab', NULL, ARRAY[1.0]) IS NULL AS null_version;

-- a generated column (the array form: a generated column cannot use the
-- whole row) and an expression index (the row form)
CREATE TABLE patients (id int, age float8, sex float8, bmi float8, bp float8, s1 float8,
	s2 float8, s3 float8, s4 float8, s5 float8, s6 float8,
	progression float8 GENERATED ALWAYS AS (model_deploy.predict_pinned('p_diab', 1,
		ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6])) STORED);
INSERT INTO patients SELECT row_number() OVER (), v.* FROM visits v;
CREATE INDEX patients_risk ON patients (model_deploy.predict_pinned('p_diab', 1, patients));
SELECT count(*) FILTER (WHERE progression = model_deploy.predict_pinned('p_diab', 1, p)) AS generated_is_pinned
  FROM patients p;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM patients p
 WHERE model_deploy.predict_pinned('p_diab', 1, p) > 250;
SELECT count(*) = (SELECT count(*) FROM patients WHERE progression > 250) AS index_agrees
  FROM patients p WHERE model_deploy.predict_pinned('p_diab', 1, p) > 250;
RESET enable_seqscan;

-- errors
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_diab', 3, v) FROM visits v$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_diab', 0, v) FROM visits v$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_diab', -1, ARRAY[1.0])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_nonesuch', 1, ARRAY[1.0])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_diab', 1, ARRAY[1.0])$$);
-- an untyped literal is read as text, here an array of the wrong length
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_diab', 1, '{1,2}')$$);
SELECT pg_temp.error_of($$CREATE TABLE g (age float8, p float8 GENERATED ALWAYS AS (model_deploy.predict_pinned('p_diab', 1, g)) STORED)$$);

-- dropping version 1 while the column and index use it (drop_version()
-- does this; here as a superuser's DELETE): every new score is a clear
-- error; reading what is stored still works; nothing crashes
DELETE FROM model_deploy.model_version WHERE name = 'p_diab' AND version = 1;
SELECT pg_temp.error_of($$INSERT INTO patients SELECT 0, v.* FROM visits v LIMIT 1$$);
SELECT pg_temp.error_of($$UPDATE patients SET age = age WHERE id = 1$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('p_diab', 1, v) FROM visits v$$);
SELECT pg_temp.error_of($$REINDEX INDEX patients_risk$$);
SELECT count(*) AS stored, round(avg(progression)) AS mean FROM patients;
-- what to do: re-point the objects at a version that exists
DROP INDEX patients_risk;
ALTER TABLE patients DROP COLUMN progression;
ALTER TABLE patients ADD COLUMN progression float8 GENERATED ALWAYS AS
	(model_deploy.predict_pinned('p_diab', 2, ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6])) STORED;
CREATE INDEX patients_risk ON patients (model_deploy.predict_pinned('p_diab', 2, patients));
SELECT count(*) FILTER (WHERE abs(p.progression - e.p0) <= 1e-6) AS v2_is_xgboost
  FROM patients p JOIN (SELECT p0, row_number() OVER () AS n FROM expected_v2) e
	ON e.n = p.id - (SELECT count(*) FROM expected_v1);

-- leave the database as it was found
SET client_min_messages = warning;
DROP SCHEMA pinned CASCADE;
DROP EXTENSION model_deploy CASCADE;
