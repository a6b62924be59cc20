-- Helpers shared by the pg_regress tests (loaded with \i, not a test).

-- The SQLSTATE, message and hint of the error a statement raises, so that
-- expected files assert error codes without depending on source lines.
CREATE FUNCTION pg_temp.error_of(query text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	state text;
	message text;
	hint text;
BEGIN
	EXECUTE query;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE,
							message = MESSAGE_TEXT,
							hint = PG_EXCEPTION_HINT;
	RETURN state || ': ' || message ||
		CASE WHEN hint <> '' THEN E'\nHINT: ' || hint ELSE '' END;
END
$$;

-- The fixture directory (test/fixtures/xgboost), for the functions below.
SELECT set_config('md_test.fixtures', :'abs_srcdir' || '/fixtures/xgboost', false) AS md_test_fixtures \gset

-- A fixture file's text.
CREATE FUNCTION pg_temp.fixture_file(file text)
RETURNS text
LANGUAGE sql AS $$
	SELECT pg_read_file(current_setting('md_test.fixtures') || '/' || file)
$$;

-- The fixtures that have a file NAME || suffix, e.g. '.contribs.csv'.
CREATE FUNCTION pg_temp.fixtures_with(suffix text)
RETURNS SETOF text
LANGUAGE sql AS $$
	SELECT left(f, -length(suffix))
	  FROM pg_ls_dir(current_setting('md_test.fixtures')) AS f
	 WHERE right(f, length(suffix)) = suffix
$$;

-- Rows of a fixture CSV (header skipped, numbered from 1) as arrays; an
-- empty field is NULL.
CREATE FUNCTION pg_temp.csv_rows(file text)
RETURNS TABLE (n bigint, vals float8[])
LANGUAGE sql AS $$
	SELECT l.n - 1, array_replace(string_to_array(l.line, ','), '', NULL)::float8[]
	  FROM regexp_split_to_table(pg_temp.fixture_file(file), E'\r?\n')
		   WITH ORDINALITY AS l(line, n)
	 WHERE l.n > 1 AND l.line <> ''
$$;

-- The column names of a fixture CSV.
CREATE FUNCTION pg_temp.csv_header(file text)
RETURNS text[]
LANGUAGE sql AS $$
	SELECT string_to_array((regexp_split_to_array(
		pg_temp.fixture_file(file), E'\r?\n'))[1], ',')
$$;

-- Each input row of a fixture with the same row of another of its files
-- (e.g. '.expected.csv'), and that file's column names.
CREATE FUNCTION pg_temp.fixture_cases(name text, suffix text)
RETURNS TABLE (n bigint, x float8[], want float8[], cols text[])
LANGUAGE sql AS $$
	SELECT i.n, i.vals, o.vals, pg_temp.csv_header(name || suffix)
	  FROM pg_temp.csv_rows(name || '.input.csv') i
	  JOIN pg_temp.csv_rows(name || suffix) o USING (n)
$$;
