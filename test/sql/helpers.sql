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
