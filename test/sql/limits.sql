--
-- Limits: their defaults, and feature arrays checked from their header
-- before they are detoasted (stored compressed, stored out of line, or
-- expanded in PL/pgSQL).  errors.sql shows each model limit refusing a
-- model; test/t/014_memory.pl measures that nothing big is read.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all

SELECT name, setting, unit, context FROM pg_settings
 WHERE name LIKE 'model_deploy.max%' ORDER BY name;
-- cJSON's own nesting cap is 1000: the GUC cannot go past it
SELECT pg_temp.error_of($$SET model_deploy.max_json_depth = 1001$$);
SET model_deploy.max_json_depth = 8;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'l_deep',
	'{"learner":' || repeat('[', 8) || repeat(']', 8) || '}'));
RESET model_deploy.max_json_depth;

-- A linear model of 500 features, every weight 0.25, bias 0, base_score
-- 0.5: all ones score 0.5 + 500 * 0.25 = 125.5 exactly (float32 sums of
-- quarters are exact).
SELECT model_deploy.deploy('l_wide', format(
	'{"learner":{"gradient_booster":{"model":{"weights":[%s]},"name":"gblinear"},'
	'"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"500"},'
	'"objective":{"name":"reg:squarederror"}}}',
	(SELECT string_agg(CASE WHEN i <= 500 THEN '0.25' ELSE '0' END, ',')
	   FROM generate_series(1, 501) i))) AS version;

-- 4000-byte arrays: compressed in line (default storage) and out of line
-- without compression (EXTERNAL)
CREATE TABLE l_rows (id int, compressed float8[], external float8[]);
ALTER TABLE l_rows ALTER COLUMN external SET STORAGE EXTERNAL;
INSERT INTO l_rows VALUES
	(1, array_fill(1.0::float8, ARRAY[500]), array_fill(1.0::float8, ARRAY[500])),
	(2, array_fill(1.0::float8, ARRAY[1000]), array_fill(1.0::float8, ARRAY[1000])),
	(3, array_fill(1.0::float8, ARRAY[20, 25]), array_fill(1.0::float8, ARRAY[20, 25]));
SELECT id, pg_column_size(compressed) < 1000 AS compressed_in_line,
	   pg_column_size(external) >= 4000 AS stored_whole
  FROM l_rows ORDER BY id;
SELECT model_deploy.predict('l_wide', compressed) AS from_compressed,
	   model_deploy.predict('l_wide', external) AS from_external,
	   model_deploy.predict_raw('l_wide', external) AS raw
  FROM l_rows WHERE id = 1;
SELECT pg_temp.error_of($$SELECT model_deploy.predict('l_wide', compressed) FROM l_rows WHERE id = 2$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('l_wide', external) FROM l_rows WHERE id = 2$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('l_wide', compressed) FROM l_rows WHERE id = 3$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('l_wide', external) FROM l_rows WHERE id = 3$$);

-- an expanded array (a PL/pgSQL variable after an element assignment)
DO $$
DECLARE
	f float8[] := array_fill(1.0::float8, ARRAY[500]);
BEGIN
	f[1] := 1.0;
	RAISE NOTICE 'expanded: %', model_deploy.predict('l_wide', f);
	f[501] := 1.0;
	PERFORM model_deploy.predict('l_wide', f);
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'expanded, one too many: %', SQLERRM;
END
$$;

-- a model text stored compressed is refused by its size alone
CREATE TABLE l_sources AS SELECT repeat('{}', 100000) AS t;
SELECT pg_column_size(t) < 10000 AS compressed FROM l_sources;
SET model_deploy.max_model_size = '64kB';
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('l_big', t) FROM l_sources$$);
RESET model_deploy.max_model_size;
DROP TABLE l_rows, l_sources;
