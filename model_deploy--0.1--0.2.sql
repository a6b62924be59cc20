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

-- === deploy from bytes (issue 13)
--
-- Binary model files (XGBoost's UBJSON .ubj, ONNX) hold NUL bytes and need
-- not be UTF-8: they cannot be text.  deploy(name, model bytea, format)
-- takes the file as it is on disk; the registry keeps those exact bytes in
-- source_binary, and a version has exactly one of source and source_binary.

ALTER TABLE @extschema@.model_version ALTER COLUMN source DROP NOT NULL;
ALTER TABLE @extschema@.model_version ADD COLUMN source_binary bytea;
ALTER TABLE @extschema@.model_version ADD CONSTRAINT model_version_one_source
	CHECK ((source IS NULL) OPERATOR(pg_catalog.<>) (source_binary IS NULL));

COMMENT ON COLUMN @extschema@.model_version.source_binary IS
	'The exact bytes of a model deployed as bytea (source is NULL then)';

CREATE OR REPLACE FUNCTION @extschema@._version_immutable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.name, NEW.version, NEW.deploy_id, NEW.format, NEW.source,
		NEW.source_binary, NEW.created_at, NEW.created_by)
		IS DISTINCT FROM
	   (OLD.name, OLD.version, OLD.deploy_id, OLD.format, OLD.source,
		OLD.source_binary, OLD.created_at, OLD.created_by) THEN
		RAISE EXCEPTION 'model versions are immutable'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Deploy a new version with model_deploy.deploy() instead.';
	END IF;
	RETURN NEW;
END
$$;

-- _compile() of model bytes: the same C function reads either varlena
CREATE FUNCTION @extschema@._compile(
	name text, model bytea, requested_format text,
	OUT format text, OUT objective text, OUT n_features integer,
	OUT n_outputs integer, OUT n_trees integer, OUT compiled_bytes integer,
	OUT deploy_id bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'md_compile_sql'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION @extschema@._compile(text, bytea, text) FROM PUBLIC;

-- What both deploy() overloads do: compile the source (exactly one of
-- source and source_binary is given), store it as a new active version.
CREATE FUNCTION @extschema@._deploy(name text, source text,
	source_binary bytea, format text)
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
	IF source IS NOT NULL THEN
		info := @extschema@._compile(name, source, format);
	ELSE
		info := @extschema@._compile(name, source_binary, format);
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
		 source_binary, activated_at)
	VALUES
		(_deploy.name, new_version, true, info.deploy_id, info.format,
		 info.objective, info.n_features, info.n_outputs, info.n_trees,
		 COALESCE(pg_catalog.octet_length(source),
				  pg_catalog.octet_length(source_binary)),
		 info.compiled_bytes, source, source_binary, pg_catalog.now());
	RETURN new_version;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._deploy(text, text, bytea, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.deploy(name text, model text,
	format text DEFAULT 'auto')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._deploy(name, model, NULL, format) $$;

CREATE FUNCTION @extschema@.deploy(name text, model bytea,
	format text DEFAULT 'auto')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._deploy(name, NULL, model, format) $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, bytea, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, bytea, text) IS
	'Compile a model file given as bytes (UBJSON .ubj, or JSON), store it as '
	'a new version and make that version active';
