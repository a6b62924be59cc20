--
-- Features by name: predict*(name, record) and predict*(name, jsonb).
-- The oracle is XGBoost itself: bc_logistic's expected margins and
-- probabilities (test/fixtures/xgboost), for rows whose columns carry the
-- feature names in another order, with other numeric types, NULLs for
-- missing values and extra columns.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
SELECT model_deploy.deploy('r_bc', pg_read_file(:'fx' || 'bc_logistic.model.json')) AS v;
SELECT model_deploy.deploy('r_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS v;
SELECT model_deploy.deploy('r_diab', pg_read_file(:'fx' || 'diabetes_reg.model.json')) AS v;
SELECT model_deploy.deploy('r_unnamed', pg_read_file(:'fx' || 'unnamed_reg.model.json')) AS v;

CREATE SCHEMA rows;
SET search_path = rows, public;
\set ECHO none
\i :abs_srcdir/sql/include/patients.sql
\set ECHO all
SELECT count(*) AS patients,
	   count(*) FILTER (WHERE jsonb_strip_nulls(to_jsonb(p)) <> to_jsonb(p)) AS with_missing_values
  FROM patients p;

-- by row: margins bit for bit, probabilities within 1e-6 (XGBoost's are
-- float32), and the same as the array path with the features in order
SELECT count(*) AS scored,
	   count(*) FILTER (WHERE model_deploy.predict_raw('r_bc', p) = ARRAY[e.m0]) AS raw_is_xgboost,
	   count(*) FILTER (WHERE abs(model_deploy.predict('r_bc', p) - e.p0) <= 1e-6) AS predict_is_xgboost,
	   count(*) FILTER (WHERE model_deploy.predict_proba('r_bc', p)
						  = ARRAY[1 - model_deploy.predict('r_bc', p), model_deploy.predict('r_bc', p)]) AS proba_is_1_minus_p_p
  FROM patients p JOIN expected e USING (id);

-- by jsonb: the same row as a JSON object; null values are missing
SELECT count(*) FILTER (WHERE model_deploy.predict_raw('r_bc', to_jsonb(p) - 'id' - 'note') = ARRAY[e.m0]) AS jsonb_raw_is_xgboost,
	   count(*) FILTER (WHERE model_deploy.predict('r_bc', to_jsonb(p) - 'id' - 'note') = model_deploy.predict('r_bc', p)) AS jsonb_is_row,
	   count(*) FILTER (WHERE model_deploy.predict_proba('r_bc', to_jsonb(p) - 'id' - 'note') = model_deploy.predict_proba('r_bc', p)) AS jsonb_proba_is_row
  FROM patients p JOIN expected e USING (id);
-- an absent key is a missing value, like null; booleans are 1 and 0
SELECT model_deploy.predict_raw('r_iris', '{"sepal_length": 6, "sepal_width": true, "petal_length": 4, "petal_width": false}'::jsonb)
	 = model_deploy.predict_raw('r_iris', ARRAY[6, 1, 4, 0]) AS booleans;
SELECT model_deploy.predict_raw('r_bc', jsonb_strip_nulls(to_jsonb(p) - 'id' - 'note'))
	 = model_deploy.predict_raw('r_bc', to_jsonb(p) - 'id' - 'note') AS absent_is_null,
	   model_deploy.predict_raw('r_bc', '{}'::jsonb)
	 = model_deploy.predict_raw('r_bc', array_fill(NULL::float8, ARRAY[30])) AS empty_object_is_all_missing
  FROM patients p WHERE id = 1;

-- other column types give the same values: real and numeric (the scorer
-- rounds to float32 anyway), and a domain over double precision
CREATE DOMAIN positive AS float8 CHECK (VALUE > 0);
ALTER TABLE patients ALTER COLUMN mean_radius TYPE real,
	ALTER COLUMN mean_texture TYPE numeric, ALTER COLUMN worst_area TYPE positive;
SELECT count(*) FILTER (WHERE model_deploy.predict_raw('r_bc', p) = ARRAY[e.m0]) AS raw_is_xgboost
  FROM patients p JOIN expected e USING (id);

-- integer, bigint, smallint and boolean columns, against the array path
CREATE TABLE flowers (id int, petal_width smallint, petal_length bigint,
					  sepal_width boolean, sepal_length int, extra text[]);
INSERT INTO flowers VALUES (1, 2, 5, true, 6, '{a}'), (2, 0, 1, false, 5, NULL),
						   (3, NULL, 4, NULL, 7, '{}');
SELECT id, model_deploy.predict('r_iris', f),
	   model_deploy.predict_raw('r_iris', f)
	 = model_deploy.predict_raw('r_iris', ARRAY[f.sepal_length, f.sepal_width::int,
											 f.petal_length, f.petal_width]::float8[]) AS same_as_array
  FROM flowers f ORDER BY id;

-- any row type: a subquery's, a view's (renaming columns), a record type
SELECT model_deploy.predict('r_iris', r) AS subquery_row
  FROM (SELECT 5.8 AS sepal_length, 2.8 AS sepal_width, 5.1 AS petal_length,
			   2.4 AS petal_width) r;
CREATE VIEW flower_features AS
	SELECT id, sepal_length * 1.0 AS sepal_length, sepal_width::int AS sepal_width,
		   petal_length, petal_width FROM flowers;
SELECT id, model_deploy.predict('r_iris', v) FROM flower_features v ORDER BY id;
CREATE TYPE flower AS (sepal_length float8, sepal_width float8, petal_length float8, petal_width float8);
SELECT model_deploy.predict_proba('r_iris', ROW(5.8, 2.8, 5.1, 2.4)::flower)
	 = model_deploy.predict_proba('r_iris', ARRAY[5.8, 2.8, 5.1, 2.4]) AS composite_type;

-- each overload is chosen without ambiguity: the functions a view uses
CREATE VIEW overloads AS
SELECT model_deploy.predict('r_iris', ARRAY[1, 2, 3, 4]) AS integer_array,
	   model_deploy.predict('r_iris', ARRAY[1.5, 2, 3, 4]) AS numeric_array,
	   model_deploy.predict('r_iris', f) AS table_row,
	   model_deploy.predict('r_iris', '{"sepal_length": 5.8}'::jsonb) AS jsonb_object
  FROM flowers f;
SELECT d.refobjid::regprocedure AS uses
  FROM pg_depend d JOIN pg_rewrite w ON d.objid = w.oid
 WHERE w.ev_class = 'overloads'::regclass AND d.refclassid = 'pg_proc'::regclass
 ORDER BY 1::text;
-- an untyped literal is read as text: an array literal or JSON (sql/untyped.sql)
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '{5.8,2.8,5.1,2.4}')$$);
SELECT model_deploy.predict('r_iris', '{5.8,2.8,5.1,2.4}'::float8[]) AS cast_array,
	   model_deploy.predict('r_iris', '{"sepal_length": 5.8, "sepal_width": 2.8, "petal_length": 5.1, "petal_width": 2.4}'::jsonb) AS cast_jsonb;

-- the mapping follows the row type: altering the table in the middle of a
-- PL/pgSQL loop (the call site lives on) re-maps, never reads stale columns
CREATE TABLE flowers2 AS SELECT * FROM flowers;
DO $$
DECLARE
	r flowers2;
BEGIN
	FOR i IN 1..3 LOOP
		IF i = 2 THEN
			ALTER TABLE flowers2 ALTER COLUMN petal_length TYPE numeric;
		ELSIF i = 3 THEN
			ALTER TABLE flowers2 RENAME COLUMN petal_length TO pl;
		END IF;
		SELECT * INTO r FROM flowers2 WHERE id = 1;
		RAISE NOTICE 'pass %: %', i, model_deploy.predict_raw('r_iris', r);
	END LOOP;
END
$$;

-- NULL arguments give NULL (STRICT)
SELECT model_deploy.predict('r_iris', NULL::flowers) IS NULL AS null_row,
	   model_deploy.predict('r_iris', NULL::jsonb) IS NULL AS null_jsonb,
	   model_deploy.predict(NULL, '{}'::jsonb) IS NULL AS null_name;

-- errors
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', ROW(5.8, 2.8, 5.1, 2.4))$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', r) FROM (SELECT 1 AS sepal_length, 2 AS sepal_width, 3 AS petal_length, 'x'::text AS petal_width) r$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', r) FROM (SELECT 1 AS sepal_length, 2 AS sepal_length, 3 AS sepal_width, 4 AS petal_length, 5 AS petal_width) r$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', r) FROM (SELECT 1 AS "Sepal_Length", 2 AS sepal_width, 3 AS petal_length, 4 AS petal_width) r$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_proba('r_diab', '{}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_unnamed', '{}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_unnamed', f) FROM flowers f$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('nonesuch', f) FROM flowers f$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '{"sepal_length": 5.8, "Sepal_Width": 2.8}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '{"sepal_length": "5.8"}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '{"sepal_length": [5.8]}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '{"sepal_length": {"v": 5.8}}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '[5.8, 2.8, 5.1, 2.4]'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '5.8'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('r_iris', '{"sepal_length": 1e400}'::jsonb)$$);

-- leave the database as it was found
SET client_min_messages = warning;
DROP SCHEMA rows CASCADE;
DROP EXTENSION model_deploy CASCADE;
