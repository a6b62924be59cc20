--
-- A version in use cannot be dropped: drop_version() and drop_model() refuse
-- a version that a generated column, a column default, a CHECK constraint
-- or an index expression scores with through a *_pinned() function, with
-- 2BP01 naming every user; once the users are gone the drop works.  (A
-- running score_table job is the other kind of user: test/t/010_batch_jobs.pl.)
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
CREATE SCHEMA vu;
SET search_path = vu, public;
SELECT model_deploy.deploy('vu_m', pg_read_file(:'fx' || 'diabetes_reg.model.json')) AS v1;
SELECT model_deploy.deploy('vu_m', pg_read_file(:'fx' || 'dart_reg.model.json')) AS v2;
SELECT model_deploy.deploy('vu_m', pg_read_file(:'fx' || 'dart_reg.model.json')) AS v3;

CREATE TABLE visits (age float8, sex float8, bmi float8, bp float8, s1 float8,
	s2 float8, s3 float8, s4 float8, s5 float8, s6 float8,
	risk float8 GENERATED ALWAYS AS (model_deploy.predict_pinned('vu_m', 1,
		ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6])) STORED);
CREATE INDEX visits_v2 ON visits ((model_deploy.predict_pinned('vu_m', 2,
	ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6])));

-- version 1: the generated column; version 2: the index
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vu_m', 1)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vu_m', 2)$$);
-- the whole model: both
SELECT pg_temp.error_of($$SELECT model_deploy.drop_model('vu_m')$$);
-- an unused version drops (after making another one active)
SELECT model_deploy.activate('vu_m', 1);
SELECT model_deploy.drop_version('vu_m', 3);

-- a CHECK constraint and a partial index's predicate are users too
ALTER TABLE visits ADD CONSTRAINT sane CHECK (model_deploy.predict_pinned('vu_m', 2,
	ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) > -1e9);
DROP INDEX visits_v2;
CREATE INDEX visits_some ON visits (age) WHERE model_deploy.predict_pinned('vu_m', 2,
	ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]) > 0;
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vu_m', 2)$$);

-- another model of the same name prefix, or another version, is not a user
SELECT model_deploy_internal._version_users('vu', NULL) AS other_model,
	   model_deploy_internal._version_users('vu_m', 7) AS other_version;

-- users gone: the drops work
ALTER TABLE visits DROP CONSTRAINT sane;
DROP INDEX visits_some;
SELECT model_deploy.drop_version('vu_m', 2);
SELECT version FROM model_deploy.versions WHERE name = 'vu_m' ORDER BY 1;
DROP TABLE visits;
SELECT model_deploy.drop_model('vu_m');
SELECT count(*) AS left_over FROM model_deploy.versions WHERE name = 'vu_m';
DROP SCHEMA vu;
