--------------------------------------------------------------------------
-- Model performance against ground truth.  evaluate() scores the rows of a
-- query (its "features" column, a numeric array) with the active or a given
-- version and compares them with its label column; compare_versions() does
-- it for every version on the same rows.  Each run is kept in evaluations.
-- The query runs with the caller's privileges; the record is written by the
-- C code as the table's owner, so callers need (and get) no privilege on
-- the table.  Monitoring functions: not for PUBLIC, GRANT EXECUTE to the
-- roles that watch models.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.evaluations (
	evaluated_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	name			text COLLATE "C" NOT NULL,
	version			integer NOT NULL,
	rows			bigint NOT NULL,
	metrics			jsonb NOT NULL,
	evaluated_by	name NOT NULL,
	label			text NOT NULL,
	query			text NOT NULL
) WITH (vacuum_truncate = false, toast.vacuum_truncate = false);

COMMENT ON TABLE @extschema@.evaluations IS
	'Every run of evaluate() and compare_versions(): metrics of a model version on labelled rows';

CREATE INDEX evaluations_name_version
	ON @extschema@.evaluations (name, version, evaluated_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.evaluations', '');

REVOKE ALL ON @extschema@.evaluations FROM PUBLIC;

CREATE FUNCTION @extschema@.evaluate(name text, query text, label text,
	version integer DEFAULT NULL)
RETURNS TABLE (metric text, value float8)
AS 'MODULE_PATHNAME', 'md_evaluate'
LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION @extschema@.evaluate(text, text, text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.evaluate(text, text, text, integer) IS
	'Score a query''s rows with a model version and compare with their labels (AUC, log loss, ... or RMSE, MAE, R²)';

CREATE FUNCTION @extschema@.compare_versions(name text, query text, label text)
RETURNS TABLE (version integer, metric text, value float8)
AS 'MODULE_PATHNAME', 'md_compare_versions'
LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION @extschema@.compare_versions(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.compare_versions(text, text, text) IS
	'evaluate() every version of a model on the same rows, side by side';

