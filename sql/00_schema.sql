/*
 * The install script of model_deploy's current version, for CREATE
 * EXTENSION.  make assembles it from the files in sql/, one per feature, in
 * the order of their numbers; each file's header says what it holds.
 * Edit those files, never the assembled model_deploy--<version>.sql.
 *
 * A database made by this script has exactly the objects of one made by
 * the first release's install script (model_deploy--0.1.sql) and the
 * upgrade scripts (model_deploy--0.1--0.2.sql, ...): test/t/040_extension_update.pl
 * compares the two catalogs.  A change here therefore comes with the same
 * change in a new upgrade script, and the released scripts stay as they
 * were released.
 *
 * Every reference below is schema-qualified with @extschema@ (the fixed
 * schema model_deploy), model_deploy_internal or pg_catalog, so the script
 * does not depend on the installing session's search_path; operators
 * inside function bodies are spelled OPERATOR(pg_catalog.=) for the same
 * reason.
 *
 * Privileges (docs/security.md), for every file:
 * - scoring functions and views without model sources: PUBLIC;
 * - functions that change what is deployed or who may score it (deploy,
 *   activate, drop_*, set_baseline, stats_reset, grant_model...): REVOKE
 *   ALL ... FROM PUBLIC right after their CREATE; the DBA grants them to a
 *   model-admin role.  PL/pgSQL ones that write the registry are SECURITY
 *   DEFINER with SET search_path = pg_catalog, pg_temp; C ones are SECURITY
 *   INVOKER;
 * - registry tables: REVOKE ALL FROM PUBLIC, pg_extension_config_dump, and
 *   the registry_changed statement trigger if they change what scores;
 * - internal functions (_name, in model_deploy_internal): REVOKEd from
 *   PUBLIC, unless they enforce their own check (_read_model_file:
 *   pg_read_server_files) or are harmless and called as the caller.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION model_deploy" to load this file. \quit

--------------------------------------------------------------------------
-- Schemas: model_deploy, the interface, and model_deploy_internal, the
-- helpers (functions named _name), out of \df and tab completion.
--------------------------------------------------------------------------

-- PUBLIC may use the schema: scoring is open unless a model is restricted
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

-- USAGE on it is granted to PUBLIC because public entry points run helpers
-- as the calling user and name them at run time (score_table's PL/pgSQL
-- and its UPDATE call _score_table_check, _batch_start, _batch_step,
-- _score_into; deploy_file calls _read_model_file): the names are looked up
-- with the caller's rights.  What a helper may do is still its EXECUTE
-- privilege.
CREATE SCHEMA model_deploy_internal;
COMMENT ON SCHEMA model_deploy_internal IS
	'model_deploy''s internal functions; not an interface';
GRANT USAGE ON SCHEMA model_deploy_internal TO PUBLIC;
