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

-- === deploy metadata (issue 18)
--
-- Where a version came from (an MLflow run id, model version and URI, a
-- file name...): a jsonb object recorded at deploy time, immutable like the
-- rest of the version, NULL for versions deployed without one.

ALTER TABLE @extschema@.model_version ADD COLUMN metadata jsonb
	CHECK (metadata IS NULL OR pg_catalog.jsonb_typeof(metadata) OPERATOR(pg_catalog.=) 'object');

CREATE OR REPLACE FUNCTION @extschema@._version_immutable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.name, NEW.version, NEW.deploy_id, NEW.format, NEW.source,
		NEW.created_at, NEW.created_by, NEW.metadata)
		IS DISTINCT FROM
	   (OLD.name, OLD.version, OLD.deploy_id, OLD.format, OLD.source,
		OLD.created_at, OLD.created_by, OLD.metadata) THEN
		RAISE EXCEPTION 'model versions are immutable'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Deploy a new version with model_deploy.deploy() instead.';
	END IF;
	RETURN NEW;
END
$$;

-- deploy() with metadata; the three-argument deploy() is this with NULL.
-- No defaults here, so a call without metadata is never ambiguous.
CREATE FUNCTION @extschema@.deploy(name text, model text, format text, metadata jsonb)
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
	IF metadata IS NOT NULL AND jsonb_typeof(metadata) OPERATOR(pg_catalog.<>) 'object' THEN
		RAISE EXCEPTION 'model_deploy.deploy() metadata must be a jsonb object, not %',
			jsonb_typeof(metadata)
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Pass e.g. ''{"source": "churn.json"}''::jsonb, or NULL.';
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
		 activated_at, metadata)
	VALUES
		(deploy.name, new_version, true, info.deploy_id, info.format,
		 info.objective, info.n_features, info.n_outputs, info.n_trees,
		 pg_catalog.octet_length(model), info.compiled_bytes, model,
		 pg_catalog.now(), deploy.metadata);
	RETURN new_version;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, text, text, jsonb) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, text, text, jsonb) IS
	'Compile a model, store it as a new version with where it came from, and make it active';

CREATE OR REPLACE FUNCTION @extschema@.deploy(name text, model text, format text DEFAULT 'auto')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT @extschema@.deploy(name, model, format, NULL::jsonb)
$$;

-- the versions view shows it last, so the view's earlier columns keep
-- their positions
CREATE OR REPLACE VIEW @extschema@.versions AS
	SELECT v.name, v.version, v.active, v.format, v.source_bytes,
		   v.compiled_bytes, v.created_at, v.created_by, v.metadata
	  FROM @extschema@.model_version v;
