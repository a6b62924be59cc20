--------------------------------------------------------------------------
-- Deployment: deploy() of model text or of a model file's bytes (binary
-- files -- XGBoost's UBJSON .ubj, ONNX -- hold NUL bytes and need not be
-- UTF-8), with or without metadata (where the version came from), and
-- deploy_file() of a file on the server.
--------------------------------------------------------------------------

-- Check a model name, compile and validate model text: describes the
-- model, or raises a clear error.
CREATE FUNCTION model_deploy_internal._compile(
	name text, model text, requested_format text,
	OUT format text, OUT objective text, OUT n_features integer,
	OUT n_outputs integer, OUT n_trees integer, OUT compiled_bytes integer,
	OUT deploy_id bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'md_compile_sql'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION model_deploy_internal._compile(text, text, text) FROM PUBLIC;

-- _compile() of model bytes: the same C function reads either varlena
CREATE FUNCTION model_deploy_internal._compile(
	name text, model bytea, requested_format text,
	OUT format text, OUT objective text, OUT n_features integer,
	OUT n_outputs integer, OUT n_trees integer, OUT compiled_bytes integer,
	OUT deploy_id bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'md_compile_sql'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION model_deploy_internal._compile(text, bytea, text) FROM PUBLIC;

-- What every deploy() overload does: compile the source (exactly one of
-- source and source_binary is given), store it as a new active version.
-- The overloads are PL/pgSQL, not SQL: PostgreSQL 18's SQL functions
-- detoast their arguments, so a 100 MB model would be read whole before
-- _compile() could refuse it by its stored size (test/t/014_memory.pl).
CREATE FUNCTION model_deploy_internal._deploy(name text, source text,
	source_binary bytea, format text, metadata jsonb)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	info record;
	new_version integer;
BEGIN
	IF name IS NULL OR format IS NULL OR
	   (source IS NULL AND source_binary IS NULL) THEN
		RAISE EXCEPTION 'model_deploy.deploy() arguments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF metadata IS NOT NULL AND
	   pg_catalog.jsonb_typeof(metadata) OPERATOR(pg_catalog.<>) 'object' THEN
		RAISE EXCEPTION 'model_deploy.deploy() metadata must be a jsonb object, not %',
			pg_catalog.jsonb_typeof(metadata)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass e.g. ''{"source": "churn.json"}''::jsonb, or NULL.';
	END IF;
	IF source IS NOT NULL THEN
		info := model_deploy_internal._compile(name, source, format);
	ELSE
		info := model_deploy_internal._compile(name, source_binary, format);
	END IF;

	-- one deployer at a time numbers versions; readers are not blocked
	LOCK TABLE @extschema@.model_version IN SHARE ROW EXCLUSIVE MODE;
	SELECT COALESCE(pg_catalog.max(v.version), 0) OPERATOR(pg_catalog.+) 1
	  INTO new_version
	  FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) _deploy.name;

	UPDATE @extschema@.model_version v
	   SET active = false
	 WHERE v.name OPERATOR(pg_catalog.=) _deploy.name AND v.active;
	INSERT INTO @extschema@.model_version
		(name, version, active, deploy_id, format, objective, n_features,
		 n_outputs, n_trees, source_bytes, compiled_bytes, source,
		 source_binary, activated_at, metadata)
	VALUES
		(_deploy.name, new_version, true, info.deploy_id, info.format,
		 info.objective, info.n_features, info.n_outputs, info.n_trees,
		 COALESCE(pg_catalog.octet_length(source),
				  pg_catalog.octet_length(source_binary)),
		 info.compiled_bytes, source, source_binary, pg_catalog.now(),
		 _deploy.metadata);
	RETURN new_version;
END
$$;

REVOKE ALL ON FUNCTION model_deploy_internal._deploy(text, text, bytea, text, jsonb) FROM PUBLIC;

CREATE FUNCTION @extschema@.deploy(name text, model text,
	format text DEFAULT 'auto')
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN model_deploy_internal._deploy(name, model, NULL, format, NULL); END $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, text, text) IS
	'Compile a model, store it as a new version and make that version active';

-- With metadata.  No defaults here, so a call without metadata is never
-- ambiguous.
CREATE FUNCTION @extschema@.deploy(name text, model text, format text,
	metadata jsonb)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN model_deploy_internal._deploy(name, model, NULL, format, metadata); END $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, text, text, jsonb) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, text, text, jsonb) IS
	'Compile a model, store it as a new version with where it came from, and make it active';

CREATE FUNCTION @extschema@.deploy(name text, model bytea,
	format text DEFAULT 'auto')
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN model_deploy_internal._deploy(name, NULL, model, format, NULL); END $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, bytea, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, bytea, text) IS
	'Compile a model file given as bytes (UBJSON .ubj, or JSON), store it as '
	'a new version and make that version active';

CREATE FUNCTION @extschema@.deploy(name text, model bytea, format text,
	metadata jsonb)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN model_deploy_internal._deploy(name, NULL, model, format, metadata); END $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, bytea, text, jsonb) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, bytea, text, jsonb) IS
	'Compile a model file given as bytes, store it as a new version with '
	'where it came from, and make it active';

-- Model text from a file on the server.  Checks pg_read_server_files
-- itself (so it may stay executable by PUBLIC) and the size limit before
-- reading.
CREATE FUNCTION model_deploy_internal._read_model_file(path text)
RETURNS text
AS 'MODULE_PATHNAME', 'md_read_model_file'
LANGUAGE C STRICT VOLATILE;

-- deploy() with the text of a server file: needs EXECUTE on this and on
-- deploy(), and the privileges of pg_read_server_files.
CREATE FUNCTION @extschema@.deploy_file(name text, path text, format text DEFAULT 'auto')
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.deploy(name, model_deploy_internal._read_model_file(path), format)
$$;

REVOKE ALL ON FUNCTION @extschema@.deploy_file(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy_file(text, text, text) IS
	'Deploy a model from a file on the database server (pg_read_server_files)';

