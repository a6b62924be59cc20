--------------------------------------------------------------------------
-- Edge: the compiled model, for devices without a database.  The blob is
-- what this database scores with; libmdscore and the mdscore command load
-- it and give identical results.  It reveals the model as its source does,
-- so it is not for PUBLIC.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.export_compiled(name text, version integer DEFAULT NULL)
RETURNS bytea
AS 'MODULE_PATHNAME', 'md_export_compiled'
LANGUAGE C STABLE PARALLEL SAFE;

REVOKE ALL ON FUNCTION @extschema@.export_compiled(text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.export_compiled(text, integer) IS
	'The compiled model (active version, or the one given) that libmdscore and mdscore load';
