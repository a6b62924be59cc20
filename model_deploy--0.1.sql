/* model_deploy--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION model_deploy" to load this file. \quit

/*
 * Every reference below is schema-qualified with @extschema@ (the fixed
 * schema model_deploy) or pg_catalog, so the script does not depend on the
 * installing session's search_path; operators inside function bodies are
 * spelled OPERATOR(pg_catalog.=) for the same reason.
 */

--------------------------------------------------------------------------
-- Registry: the source of truth.  Ordinary tables, so models are
-- transactional, WAL-logged (hot standbys have them), and dumped by pg_dump.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.model_version (
	name			text COLLATE "C" NOT NULL
		CHECK (pg_catalog.length(name) BETWEEN 1 AND 63),
	version			integer NOT NULL CHECK (version > 0),
	active			boolean NOT NULL DEFAULT false,
	-- random and never reused: identifies this version's compiled copies in
	-- caches even if the model is dropped and a namesake deployed later
	deploy_id		bigint NOT NULL UNIQUE,
	format			text NOT NULL,
	objective		text NOT NULL,
	n_features		integer NOT NULL,
	n_outputs		integer NOT NULL,
	n_trees			integer NOT NULL,
	source_bytes	integer NOT NULL,
	compiled_bytes	integer NOT NULL,
	source			text NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by		name NOT NULL DEFAULT SESSION_USER,
	activated_at	timestamptz,
	PRIMARY KEY (name, version)
);

COMMENT ON TABLE @extschema@.model_version IS
	'Every deployed version of every model, with its exact source text';

-- at most one active version per model
CREATE UNIQUE INDEX model_version_one_active
	ON @extschema@.model_version (name) WHERE active;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.model_version', '');

REVOKE ALL ON @extschema@.model_version FROM PUBLIC;

-- Tell every backend's cache that the registry changed.  A statement-level
-- trigger catches every path (our functions, manual DML, pg_restore); the
-- invalidation is transactional, so a rolled-back change is never seen.
CREATE FUNCTION @extschema@._registry_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'md_registry_changed'
LANGUAGE C;

CREATE TRIGGER registry_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_version
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();

-- Versions are immutable: only the active flag and its timestamp change.
CREATE FUNCTION @extschema@._version_immutable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.name, NEW.version, NEW.deploy_id, NEW.format, NEW.source,
		NEW.created_at, NEW.created_by)
		IS DISTINCT FROM
	   (OLD.name, OLD.version, OLD.deploy_id, OLD.format, OLD.source,
		OLD.created_at, OLD.created_by) THEN
		RAISE EXCEPTION 'model versions are immutable'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Deploy a new version with model_deploy.deploy() instead.';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER version_immutable
	BEFORE UPDATE ON @extschema@.model_version
	FOR EACH ROW EXECUTE FUNCTION @extschema@._version_immutable();

--------------------------------------------------------------------------
-- Deployment
--------------------------------------------------------------------------

-- Check a model name, compile and validate model text: describes the
-- model, or raises a clear error.
CREATE FUNCTION @extschema@._compile(
	name text, model text, requested_format text,
	OUT format text, OUT objective text, OUT n_features integer,
	OUT n_outputs integer, OUT n_trees integer, OUT compiled_bytes integer,
	OUT deploy_id bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'md_compile_sql'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION @extschema@._compile(text, text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.deploy(name text, model text, format text DEFAULT 'auto')
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	info record;
	new_version integer;
BEGIN
	IF name IS NULL OR model IS NULL OR format IS NULL THEN
		RAISE EXCEPTION 'model_deploy.deploy() arguments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	info := @extschema@._compile(name, model, format);

	-- one deployer at a time numbers versions; readers are not blocked
	LOCK TABLE @extschema@.model_version IN SHARE ROW EXCLUSIVE MODE;
	SELECT COALESCE(pg_catalog.max(v.version), 0) OPERATOR(pg_catalog.+) 1
	  INTO new_version
	  FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) deploy.name;

	UPDATE @extschema@.model_version v
	   SET active = false
	 WHERE v.name OPERATOR(pg_catalog.=) deploy.name AND v.active;
	INSERT INTO @extschema@.model_version
		(name, version, active, deploy_id, format, objective, n_features,
		 n_outputs, n_trees, source_bytes, compiled_bytes, source,
		 activated_at)
	VALUES
		(deploy.name, new_version, true, info.deploy_id, info.format,
		 info.objective, info.n_features, info.n_outputs, info.n_trees,
		 pg_catalog.octet_length(model), info.compiled_bytes, model,
		 pg_catalog.now());
	RETURN new_version;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, text, text) IS
	'Compile a model, store it as a new version and make that version active';

--------------------------------------------------------------------------
-- What is deployed
--------------------------------------------------------------------------

CREATE VIEW @extschema@.models AS
	SELECT v.name, v.version, v.format, v.objective, v.n_features,
		   v.n_outputs, v.n_trees, v.compiled_bytes,
		   v.activated_at AS deployed_at
	  FROM @extschema@.model_version v
	 WHERE v.active;

GRANT SELECT ON @extschema@.models TO PUBLIC;

--------------------------------------------------------------------------
-- Scoring by feature array.  NULL (or NaN) elements are missing values.
-- One overload per numeric array type, so that ARRAY[1,2,3] (integer[]) and
-- ARRAY[1.5,2] (numeric[]) each match exactly and never hit "function is not
-- unique"; an untyped literal needs a cast: '{1.5,2}'::float8[].
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.predict(name text, features float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features float4[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features numeric[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features integer[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features smallint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_proba(name text, features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features float4[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features numeric[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features bigint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features integer[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features smallint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_raw(name text, features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features float4[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features numeric[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features bigint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features integer[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features smallint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

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
