--
-- Streaming: model_deploy.score_trigger() scores rows as they arrive, by
-- INSERT, multi-row INSERT, COPY and UPDATE.  The oracle is XGBoost's
-- probability for each bc_logistic input row (expected.p0).
--
\getenv abs_srcdir PG_ABS_SRCDIR
\getenv abs_builddir PG_ABS_BUILDDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
CREATE SCHEMA streaming;
SET search_path = streaming, public;
\set ECHO none
\i :abs_srcdir/sql/include/patients.sql
\set ECHO all
SELECT model_deploy.deploy('s_bc', pg_read_file(:'fx' || 'bc_logistic.model.json')) AS v;
SELECT model_deploy.deploy('s_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS v;
SELECT model_deploy.deploy('s_diab', pg_read_file(:'fx' || 'diabetes_reg.model.json')) AS v;

-- events: the patients' columns, which patient a row copies, and one
-- column per kind of target
CREATE TABLE events (LIKE patients, patient int,
	p float8, p4 real, pnum numeric(6,4), cls int, cls2 smallint, proba float8[]);
CREATE TRIGGER score_p BEFORE INSERT OR UPDATE ON events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_bc', 'p');
CREATE TRIGGER score_p4 BEFORE INSERT OR UPDATE ON events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_bc', 'p4');
CREATE TRIGGER score_pnum BEFORE INSERT OR UPDATE ON events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_bc', 'pnum');
CREATE TRIGGER score_cls BEFORE INSERT OR UPDATE ON events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_bc', 'cls', 'on_error=error');
CREATE TRIGGER score_cls2 BEFORE INSERT OR UPDATE ON events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_bc', 'cls2');
CREATE TRIGGER score_proba BEFORE INSERT OR UPDATE ON events FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_bc', 'proba');

-- what each row must hold: XGBoost's p0 (float32, so within 1e-6); the
-- class is 1 where p > 0.5 (as XGBClassifier.predict); probabilities
-- [1-p, p]; numeric(6,4) and real as an assignment of p would store them
CREATE VIEW checked AS
	SELECT count(*) AS rows,
		   count(*) FILTER (WHERE abs(e.p - x.p0) <= 1e-6) AS p_is_xgboost,
		   count(*) FILTER (WHERE e.p4 = e.p::real) AS real_ok,
		   count(*) FILTER (WHERE e.pnum = round(e.p::numeric, 4)) AS numeric_ok,
		   count(*) FILTER (WHERE e.cls = (x.p0 > 0.5)::int AND e.cls2 = e.cls) AS class_ok,
		   count(*) FILTER (WHERE e.proba = ARRAY[1 - e.p, e.p]) AS proba_ok
	  FROM events e JOIN expected x ON x.id = e.patient;

-- INSERT one row, then several in one statement
INSERT INTO events SELECT p.*, p.id FROM patients p WHERE p.id = 1;
INSERT INTO events SELECT p.*, p.id FROM patients p WHERE p.id BETWEEN 2 AND 200;
SELECT * FROM checked;
SELECT patient, round(p::numeric, 6) AS p, pnum, cls, cls2 FROM events
 WHERE patient IN (1, 2) ORDER BY patient;

-- UPDATE re-scores: each row now copies the features of another patient
DO $$
DECLARE
	set_list text;
BEGIN
	SELECT string_agg(format('%I = q.%I', a.attname, a.attname), ', ')
	  INTO set_list
	  FROM pg_attribute a
	 WHERE a.attrelid = 'patients'::regclass AND a.attnum > 0
	   AND a.attname NOT IN ('id', 'note');
	EXECUTE format('UPDATE events e SET %s, patient = q.id FROM patients q
					 WHERE q.id = 201 - e.patient', set_list);
END
$$;
SELECT * FROM checked;
SELECT patient, round(p::numeric, 6) AS p FROM events WHERE patient IN (199, 200) ORDER BY patient;

-- COPY of 100000 rows (each a copy of a patient) from a file
TRUNCATE events;
\set ECHO none
SELECT format('COPY (SELECT p.*, p.id FROM generate_series(1, 100000) g JOIN patients p ON p.id = 1 + g %% 200) TO %L',
			  :'abs_builddir' || '/results/streaming_events.data') \gexec
SELECT format('COPY events (%s, patient) FROM %L',
			  string_agg(quote_ident(attname), ', ' ORDER BY attnum),
			  :'abs_builddir' || '/results/streaming_events.data')
  FROM pg_attribute WHERE attrelid = 'patients'::regclass AND attnum > 0 \gexec
\set ECHO all
SELECT * FROM checked;

-- an UPDATE that does not change the features scores the same
UPDATE events SET note = 'seen' WHERE patient <= 10;
SELECT * FROM checked;

-- only when the features change: BEFORE UPDATE OF <feature columns>
CREATE TABLE flowers (id int, sepal_length float8, sepal_width float8,
	petal_length float8, petal_width float8, species int, seen int DEFAULT 0);
CREATE TRIGGER classify BEFORE INSERT OR UPDATE OF sepal_length, sepal_width,
	petal_length, petal_width ON flowers FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_iris', 'species');
INSERT INTO flowers (id, sepal_length, sepal_width, petal_length, petal_width)
VALUES (1, 5.8, 2.8, 5.1, 2.4), (2, 5.1, 3.5, 1.4, 0.2), (3, NULL, NULL, NULL, NULL);
UPDATE flowers SET species = 9, seen = 1 WHERE id = 1;
UPDATE flowers SET petal_length = 1.4, petal_width = 0.2 WHERE id = 3;
SELECT id, species, seen, species = model_deploy.predict('s_iris', f) AS is_predict
  FROM flowers f ORDER BY id;

-- the target column is no feature unless the model has a feature of its
-- name: here petal_width is both, so the prediction reads the value given
CREATE TABLE odd (sepal_length float8, sepal_width float8, petal_length float8, petal_width float8);
CREATE TRIGGER odd BEFORE INSERT ON odd FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_iris', 'petal_width');
INSERT INTO odd VALUES (5.8, 2.8, 5.1, 2.4), (5.8, 2.8, 5.1, 0.1);
SELECT petal_width FROM odd;

-- a partitioned table: the trigger is cloned to every partition, COPY
-- routes rows to them
CREATE TABLE readings (day int, sepal_length float8, sepal_width float8,
	petal_length float8, petal_width float8, species bigint) PARTITION BY RANGE (day);
CREATE TABLE readings_1 PARTITION OF readings FOR VALUES FROM (1) TO (2);
CREATE TABLE readings_2 (species bigint, petal_width float8, petal_length float8,
	sepal_width float8, sepal_length float8, day int);
ALTER TABLE readings ATTACH PARTITION readings_2 FOR VALUES FROM (2) TO (3);
CREATE TRIGGER classify BEFORE INSERT ON readings FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_iris', 'species');
COPY readings (day, sepal_length, sepal_width, petal_length, petal_width) FROM STDIN;
1	5.8	2.8	5.1	2.4
2	5.8	2.8	5.1	2.4
2	5.1	3.5	1.4	0.2
\.
SELECT tableoid::regclass, day, species FROM readings ORDER BY day, species;

-- on_error=null: a row that cannot be scored is kept, with NULL and a
-- WARNING (at most 10 per statement).  Here setosa (class 0) breaks the
-- target's domain; a domain's constraints apply as to any assignment.
CREATE DOMAIN not_setosa AS int CHECK (VALUE <> 0);
CREATE TABLE tolerant (sepal_length float8, sepal_width float8, petal_length float8,
	petal_width float8, species not_setosa);
CREATE TRIGGER classify BEFORE INSERT OR UPDATE ON tolerant FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_iris', 'species', 'on_error=null');
INSERT INTO tolerant VALUES (5.8, 2.8, 5.1, 2.4), (5.1, 3.5, 1.4, 0.2), (6.0, 2.7, 4.0, 1.3);
SELECT petal_length, species FROM tolerant ORDER BY petal_length;
INSERT INTO tolerant SELECT 5.1, 3.5, 1.4, 0.2 FROM generate_series(1, 12);
SELECT count(*) AS rows, count(species) AS scored FROM tolerant;
-- the model is missing: every row is kept, unscored
CREATE TABLE tolerant2 (LIKE tolerant);
CREATE TRIGGER classify BEFORE INSERT ON tolerant2 FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_nonesuch', 'species', 'on_error=null');
INSERT INTO tolerant2 VALUES (5.8, 2.8, 5.1, 2.4);
SELECT count(*) AS rows, count(species) AS scored FROM tolerant2;
-- a NULL the domain refuses fails the statement even so
CREATE DOMAIN some_species AS int NOT NULL;
CREATE TABLE tolerant3 (sepal_length float8, sepal_width float8, petal_length float8,
	petal_width float8, species some_species);
CREATE TRIGGER classify BEFORE INSERT ON tolerant3 FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_nonesuch', 'species', 'on_error=null');
SELECT pg_temp.error_of($$INSERT INTO tolerant3 VALUES (5.8, 2.8, 5.1, 2.4)$$);
-- by default an error fails the statement, and nothing is inserted
CREATE TABLE strict_t (LIKE tolerant);
CREATE TRIGGER classify BEFORE INSERT ON strict_t FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('s_iris', 'species');
SELECT pg_temp.error_of($$INSERT INTO strict_t VALUES (5.8, 2.8, 5.1, 2.4), (5.1, 3.5, 1.4, 0.2)$$);
SELECT count(*) FROM strict_t;

-- errors in the trigger's definition, reported on the first row whatever
-- on_error says
CREATE TABLE bad (sepal_length float8, sepal_width float8, petal_length float8,
	petal_width float8, seen date, g float8 GENERATED ALWAYS AS (1) STORED, n int, a float8[]);
CREATE TABLE bad_diab (age float8, sex float8, bmi float8, bp float8, s1 float8,
	s2 float8, s3 float8, s4 float8, s5 float8, s6 float8, n int, a float8[]);
CREATE FUNCTION pg_temp.try_trigger(args text, timing text DEFAULT 'BEFORE INSERT',
	level text DEFAULT 'ROW', tab text DEFAULT 'bad')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE format('CREATE TRIGGER t %s ON %I FOR EACH %s EXECUTE FUNCTION model_deploy.score_trigger(%s)',
				   timing, tab, level, args);
	result := pg_temp.error_of(format('INSERT INTO %I DEFAULT VALUES', tab));
	EXECUTE format('DROP TRIGGER t ON %I', tab);
	RETURN result;
END
$$;
SELECT pg_temp.try_trigger($$'s_iris'$$);
SELECT pg_temp.try_trigger($$'s_iris', 'n', 'on_error=null', 'x'$$);
SELECT pg_temp.try_trigger($$'s_iris', 'n', 'on_error=warn'$$);
SELECT pg_temp.try_trigger($$'s_iris', 'nonesuch', 'on_error=null'$$);
SELECT pg_temp.try_trigger($$'s_iris', 'seen', 'on_error=null'$$);
SELECT pg_temp.try_trigger($$'s_iris', 'g'$$);
SELECT pg_temp.try_trigger($$'s_iris', 'n'$$, 'AFTER INSERT');
SELECT pg_temp.try_trigger($$'s_iris', 'n'$$, 'BEFORE INSERT', 'STATEMENT');
SELECT pg_temp.error_of($$SELECT model_deploy.score_trigger()$$);
-- errors in scoring
SELECT pg_temp.try_trigger($$'s_nonesuch', 'n'$$);
SELECT pg_temp.try_trigger($$'s_bc', 'n'$$);
SELECT pg_temp.try_trigger($$'s_diab', 'n'$$, tab => 'bad_diab');
SELECT pg_temp.try_trigger($$'s_diab', 'a'$$, tab => 'bad_diab');

-- leave the database as it was found
SET client_min_messages = warning;
DROP SCHEMA streaming CASCADE;
DROP EXTENSION model_deploy CASCADE;
