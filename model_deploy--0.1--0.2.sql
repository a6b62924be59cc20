/* model_deploy--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION model_deploy UPDATE TO '0.2'" to load this file. \quit

/*
 * Release 0.2.  A fresh CREATE EXTENSION of 0.2 runs model_deploy--0.1.sql
 * and then this script, so this file is both the upgrade and the second half
 * of the install: every statement must work on a database that has 0.1 with
 * deployed models in it.  The rules of model_deploy--0.1.sql hold here too
 * (schema-qualified with @extschema@ or pg_catalog; privileges as documented
 * at its top).  Each feature adds its own section below.
 */

-- === untyped parameters (issue 19)
--
-- Features as text, for drivers that leave a parameter's type to the
-- server: in "SELECT model_deploy.predict($1, $2)" both are unknown, and
-- of all the overloads PostgreSQL's resolution prefers the one of the
-- string category, so this one is chosen instead of "function is not
-- unique".  The text is an array literal ({1.5,2,NULL}), a JSON array
-- ([1.5, 2, null]) or a JSON object ({"age": 34}), read as the float8[] or
-- jsonb overload reads it.  No implicit cast reaches text from an array,
-- a row or jsonb, so every typed call keeps the function it had.

CREATE FUNCTION @extschema@.predict(name text, features text)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features text)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features text)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.explain(name text, features text,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_text'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain_json(name text, features text,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_text'
LANGUAGE C STABLE PARALLEL SAFE;
