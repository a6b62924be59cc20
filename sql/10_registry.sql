--------------------------------------------------------------------------
-- Registry: the source of truth.  Ordinary tables, so models are
-- transactional, WAL-logged (hot standbys have them), and dumped by pg_dump.
--
-- VACUUM never truncates the extension's tables (vacuum_truncate = false,
-- here and on every table below): truncating takes an ACCESS EXCLUSIVE lock,
-- and scoring reads the registry and the rights, so every scorer queued
-- behind autovacuum until its lock was cancelled, a second or more (seen in
-- the 30-minute soak, where versions are deployed and dropped all the time).
-- The tables are small; their freed pages are reused.
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
	-- the model as text, or as the exact bytes of a binary file (XGBoost's
	-- UBJSON .ubj, ONNX: NUL bytes, not UTF-8); exactly one of the two
	source			text,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by		name NOT NULL DEFAULT SESSION_USER,
	activated_at	timestamptz,
	source_binary	bytea,
	-- where the version came from (an MLflow run id, a file name...), as
	-- given to deploy(); immutable like the rest of the version
	metadata		jsonb
		CHECK (metadata IS NULL OR pg_catalog.jsonb_typeof(metadata) OPERATOR(pg_catalog.=) 'object'),
	PRIMARY KEY (name, version),
	CONSTRAINT model_version_one_source
		CHECK ((source IS NULL) OPERATOR(pg_catalog.<>) (source_binary IS NULL))
) WITH (vacuum_truncate = false, toast.vacuum_truncate = false);

COMMENT ON TABLE @extschema@.model_version IS
	'Every deployed version of every model, with its exact source text';

COMMENT ON COLUMN @extschema@.model_version.source_binary IS
	'The exact bytes of a model deployed as bytea (source is NULL then)';

COMMENT ON COLUMN @extschema@.model_version.metadata IS
	'Where the version came from, as given to deploy() (a jsonb object, or NULL)';

-- at most one active version per model
CREATE UNIQUE INDEX model_version_one_active
	ON @extschema@.model_version (name) WHERE active;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.model_version', '');

REVOKE ALL ON @extschema@.model_version FROM PUBLIC;

-- Tell every backend's cache that the registry changed.  A statement-level
-- trigger catches every path (our functions, manual DML, pg_restore); the
-- invalidation is transactional, so a rolled-back change is never seen.
CREATE FUNCTION model_deploy_internal._registry_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'md_registry_changed'
LANGUAGE C;

-- (triggers fire without EXECUTE rights; nobody needs to call these)
REVOKE ALL ON FUNCTION model_deploy_internal._registry_changed() FROM PUBLIC;

CREATE TRIGGER registry_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_version
	FOR EACH STATEMENT EXECUTE FUNCTION model_deploy_internal._registry_changed();

-- Versions are immutable: only the active flag and its timestamp change.
CREATE FUNCTION model_deploy_internal._version_immutable()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF (NEW.name, NEW.version, NEW.deploy_id, NEW.format, NEW.source,
		NEW.source_binary, NEW.created_at, NEW.created_by, NEW.metadata)
		IS DISTINCT FROM
	   (OLD.name, OLD.version, OLD.deploy_id, OLD.format, OLD.source,
		OLD.source_binary, OLD.created_at, OLD.created_by, OLD.metadata) THEN
		RAISE EXCEPTION 'model versions are immutable'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Deploy a new version with model_deploy.deploy() instead.';
	END IF;
	RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION model_deploy_internal._version_immutable() FROM PUBLIC;

CREATE TRIGGER version_immutable
	BEFORE UPDATE ON @extschema@.model_version
	FOR EACH ROW EXECUTE FUNCTION model_deploy_internal._version_immutable();

