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

-- === internal functions leave the user's schema (issue 17)
--
-- 0.1 kept its helpers (the _name functions) in model_deploy, where they
-- showed in \df and tab completion next to the API.  From 0.2 they live in
-- the schema model_deploy_internal, a member of the extension; sections
-- that add helpers create them there, never in @extschema@.
--
-- USAGE on it is granted to PUBLIC because public entry points run helpers
-- as the calling user and name them at run time (score_table's PL/pgSQL
-- and its UPDATE call _score_table_check, _batch_start, _batch_step,
-- _score_into; deploy_file calls _read_model_file): the names are looked up
-- with the caller's rights.  What a helper may do is still its EXECUTE
-- privilege: every helper that 0.1 revoked from PUBLIC stays revoked.
--
-- Idempotent: helpers already moved are not found again, bodies already
-- rewritten have nothing to replace.

CREATE SCHEMA IF NOT EXISTS model_deploy_internal;
COMMENT ON SCHEMA model_deploy_internal IS
	'model_deploy''s internal functions; not an interface';
GRANT USAGE ON SCHEMA model_deploy_internal TO PUBLIC;

DO $move$
DECLARE
	ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e
				 WHERE e.extname OPERATOR(pg_catalog.=) 'model_deploy');
	f record;
BEGIN
	-- every helper of the extension in @extschema@ moves
	FOR f IN
		SELECT p.oid::pg_catalog.regprocedure AS sig
		  FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_depend d
			ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND d.objid OPERATOR(pg_catalog.=) p.oid
		   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.refobjid OPERATOR(pg_catalog.=) ext
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
		   AND p.proname OPERATOR(pg_catalog.~) '^_'
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SET SCHEMA model_deploy_internal',
								  f.sig);
	END LOOP;

	-- Triggers and views refer to their functions by oid and follow them.
	-- PL/pgSQL and SQL bodies name them as text: the extension's bodies that
	-- call a helper are replaced with the new schema (CREATE OR REPLACE
	-- keeps owner, privileges, SECURITY and SET options).
	FOR f IN
		SELECT pg_catalog.pg_get_functiondef(p.oid) AS def
		  FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_depend d
			ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND d.objid OPERATOR(pg_catalog.=) p.oid
		   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.refobjid OPERATOR(pg_catalog.=) ext
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'
		 WHERE p.prosqlbody IS NULL
		   AND p.prosrc OPERATOR(pg_catalog.~) '@extschema@\._'
	LOOP
		EXECUTE pg_catalog.regexp_replace(f.def, '@extschema@\._',
										  'model_deploy_internal._', 'g');
	END LOOP;
END
$move$;
