/* model_deploy--0.1.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION model_deploy" to load this file. \quit

/*
 * Every reference below is schema-qualified with @extschema@ (the fixed
 * schema model_deploy) or pg_catalog, so the script does not depend on the
 * installing session's search_path; operators inside function bodies are
 * spelled OPERATOR(pg_catalog.=) for the same reason.
 *
 * Privileges (docs/security.md), for every section of this file:
 * - scoring functions and views without model sources: PUBLIC;
 * - functions that change what is deployed or who may score it (deploy,
 *   activate, drop_*, set_baseline, stats_reset, grant_model...): REVOKE
 *   ALL ... FROM PUBLIC right after their CREATE; the DBA grants them to a
 *   model-admin role.  PL/pgSQL ones that write the registry are SECURITY
 *   DEFINER with SET search_path = pg_catalog, pg_temp; C ones are SECURITY
 *   INVOKER;
 * - registry tables: REVOKE ALL FROM PUBLIC, pg_extension_config_dump, and
 *   the registry_changed statement trigger if they change what scores;
 * - internal functions (_name): REVOKEd from PUBLIC, unless they enforce
 *   their own check (_read_model_file: pg_read_server_files).
 */

-- PUBLIC may use the schema: scoring is open unless a model is restricted
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

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

-- (triggers fire without EXECUTE rights; nobody needs to call these)
REVOKE ALL ON FUNCTION @extschema@._registry_changed() FROM PUBLIC;

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

REVOKE ALL ON FUNCTION @extschema@._version_immutable() FROM PUBLIC;

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

-- Whether a version's compiled copy is in shared memory now (false without
-- shared_preload_libraries).
CREATE FUNCTION @extschema@._in_shared_memory(deploy_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'md_in_shared_memory'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW @extschema@.models AS
	SELECT v.name, v.version, v.format, v.objective, v.n_features,
		   v.n_outputs, v.n_trees, v.compiled_bytes,
		   v.activated_at AS deployed_at,
		   @extschema@._in_shared_memory(v.deploy_id) AS in_shared_memory,
		   (SELECT pg_catalog.count(*)::integer
			  FROM @extschema@.model_version w
			 WHERE w.name OPERATOR(pg_catalog.=) v.name) AS versions
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
-- Explanations: each feature's contribution to a row's raw margin (exact
-- TreeSHAP for tree models, as XGBoost's pred_contribs=True; coefficient x
-- value for linear ones).  The feature rows come by |contribution|, largest
-- first, cut to top_n; the bias row always comes last and is not counted in
-- top_n, so without top_n the contributions sum to the margin.  Any numeric
-- array converts implicitly to float8[].
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.explain(name text, features float8[],
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_array'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

COMMENT ON FUNCTION @extschema@.explain(text, float8[], integer, integer) IS
	'Why a row got its score: each feature''s contribution to the raw margin, and the bias';

CREATE FUNCTION @extschema@.explain_json(name text, features float8[],
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_array'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.explain_json(text, float8[], integer, integer) IS
	'explain() as one jsonb document with the margin, prediction and probability';

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
);

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

--------------------------------------------------------------------------
-- Class labels.  predict_class() returns the label of the predicted class:
-- a native classifier's own labels (e.g. 'churn'), the class index as text
-- for XGBoost classifiers ('0', '1', ...), the cluster number for k-means.
-- Categorical features of native models are passed in arrays as their
-- category codes (positions in the feature's list of categories, -1 for an
-- unknown category, NULL for missing), by name as text (the section on
-- class labels of rows below).  Same overloads as predict().
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.predict_class(name text, features float8[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features float4[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features numeric[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features bigint[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features integer[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features smallint[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

--------------------------------------------------------------------------
-- Versions: rollback and roll forward, dropping, and where the compiled
-- copies are.  Every change is an ordinary transactional write to the
-- registry: it is seen by the next statement of every session once it
-- commits, and never if it rolls back.
--------------------------------------------------------------------------

-- Raise the "model/version does not exist" error of predict() (42704);
-- version NULL: the model.
CREATE FUNCTION @extschema@._missing(name text, version integer)
RETURNS void
AS 'MODULE_PATHNAME', 'md_registry_missing'
LANGUAGE C;

REVOKE ALL ON FUNCTION @extschema@._missing(text, integer) FROM PUBLIC;

-- Raise the error for a version of 'name' that is not in the registry: the
-- model's if it has no version at all.
CREATE FUNCTION @extschema@._no_such_version(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.model_version v
				    WHERE v.name OPERATOR(pg_catalog.=) _no_such_version.name) THEN
		PERFORM @extschema@._missing(name, NULL);
	END IF;
	PERFORM @extschema@._missing(name, version);
END
$$;

REVOKE ALL ON FUNCTION @extschema@._no_such_version(text, integer) FROM PUBLIC;

-- Lock out concurrent changes of versions (as deploy() does) and say
-- whether the version exists (else raise 42704) and is the active one.
CREATE FUNCTION @extschema@._lock_version(caller text, name text, version integer)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	is_active boolean;
BEGIN
	IF name IS NULL OR version IS NULL THEN
		RAISE EXCEPTION 'model_deploy.%() arguments must not be NULL', caller
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	LOCK TABLE @extschema@.model_version IN SHARE ROW EXCLUSIVE MODE;
	SELECT v.active INTO is_active
	  FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) _lock_version.name
	   AND v.version OPERATOR(pg_catalog.=) _lock_version.version;
	IF NOT FOUND THEN
		PERFORM @extschema@._no_such_version(name, version);
	END IF;
	RETURN is_active;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._lock_version(text, text, integer) FROM PUBLIC;

CREATE FUNCTION @extschema@.activate(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF @extschema@._lock_version('activate', name, version) THEN
		RETURN;
	END IF;
	UPDATE @extschema@.model_version v
	   SET active = false
	 WHERE v.name OPERATOR(pg_catalog.=) activate.name AND v.active;
	UPDATE @extschema@.model_version v
	   SET active = true, activated_at = pg_catalog.now()
	 WHERE v.name OPERATOR(pg_catalog.=) activate.name
	   AND v.version OPERATOR(pg_catalog.=) activate.version;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.activate(text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.activate(text, integer) IS
	'Make a deployed version of a model the one that scores (rollback or roll forward)';

CREATE FUNCTION @extschema@.drop_version(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF @extschema@._lock_version('drop_version', name, version) THEN
		RAISE EXCEPTION 'version % of model "%" is active and cannot be dropped',
			version, name
			USING ERRCODE = 'object_in_use',
				  HINT = 'Activate another version with model_deploy.activate() '
						 'first, or drop the whole model with '
						 'model_deploy.drop_model().';
	END IF;
	DELETE FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) drop_version.name
	   AND v.version OPERATOR(pg_catalog.=) drop_version.version;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.drop_version(text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.drop_version(text, integer) IS
	'Delete an inactive version of a model';

CREATE FUNCTION @extschema@.drop_model(name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'model_deploy.drop_model() argument must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	LOCK TABLE @extschema@.model_version IN SHARE ROW EXCLUSIVE MODE;
	DELETE FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) drop_model.name;
	IF NOT FOUND THEN
		PERFORM @extschema@._missing(name, NULL);
	END IF;
	-- its scoring rights go with it: a namesake deployed later starts open
	DELETE FROM @extschema@.model_acl a
	 WHERE a.name OPERATOR(pg_catalog.=) drop_model.name;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.drop_model(text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.drop_model(text) IS
	'Delete a model and all its versions';

CREATE VIEW @extschema@.versions AS
	SELECT v.name, v.version, v.active, v.format, v.source_bytes,
		   v.compiled_bytes, v.created_at, v.created_by
	  FROM @extschema@.model_version v;

GRANT SELECT ON @extschema@.versions TO PUBLIC;

-- The shared model store (shared_preload_libraries): what it holds, and
-- counters that show who compiled and who reused a compiled copy.
CREATE FUNCTION @extschema@._shared_models(
	OUT name text, OUT version integer, OUT deploy_id bigint, OUT bytes bigint,
	OUT pins integer, OUT uses bigint, OUT loaded_at timestamptz,
	OUT last_used timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'md_shared_models'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- status: 'active', 'inactive', or 'dropped' for a version no longer in the
-- registry (dropped, or deployed by a transaction that rolled back): such
-- copies are never used again and are evicted first.
CREATE VIEW @extschema@.shared_models AS
	SELECT s.name, s.version,
		   CASE WHEN v.active THEN 'active'
				WHEN v.active IS NOT NULL THEN 'inactive'
				ELSE 'dropped' END AS status,
		   s.bytes, s.pins, s.uses, s.loaded_at, s.last_used
	  FROM @extschema@._shared_models() s
	  LEFT JOIN @extschema@.model_version v
		ON v.deploy_id OPERATOR(pg_catalog.=) s.deploy_id;

GRANT SELECT ON @extschema@.shared_models TO PUBLIC;

CREATE FUNCTION @extschema@.store_stats(
	OUT scope text, OUT compiles bigint, OUT shared_hits bigint,
	OUT local_copies bigint, OUT evictions bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'md_store_stats'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.store_stats() IS
	'Compiled-model counters of this connection (scope backend) and of the server since start (scope server)';

--------------------------------------------------------------------------
-- Scoring modes (docs/scoring-modes.md): features by name from a
-- row or a jsonb object, pinned versions, the streaming trigger, and the
-- chunked batch job.
--------------------------------------------------------------------------

-- Features by name: each model feature is read from the row's column (or
-- the object's key) of that name; NULL, or an absent key, is missing.
-- `record` and `jsonb` never compete with the array overloads above:
-- predict('m', t) takes the row t, predict('m', '{"a": 1}'::jsonb) JSON.
CREATE FUNCTION @extschema@.predict(name text, features record)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict(name text, features jsonb)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features jsonb)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features jsonb)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

-- One fixed version: IMMUTABLE (a version never changes), so usable in
-- generated columns and expression indexes.  Scoring a version that was
-- dropped is an error (42704), never another version's answer.
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features record)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Streaming: BEFORE INSERT OR UPDATE ... FOR EACH ROW EXECUTE FUNCTION
-- model_deploy.score_trigger('model', 'column' [, 'on_error=null']).
CREATE FUNCTION @extschema@.score_trigger()
RETURNS trigger AS 'MODULE_PATHNAME', 'md_score_trigger'
LANGUAGE C;

-- Batch: score_table() updates a table in chunks of whole heap pages that
-- hold about batch_size rows to score, read by TID range scans (each chunk
-- reads only its pages, so a job reads the table about once), committing
-- after each chunk.  A job's progress is in batch_jobs, chunk by chunk.
CREATE TABLE @extschema@.batch_job (
	job_id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	relation		regclass NOT NULL,
	model			text NOT NULL,
	version			integer NOT NULL,	-- of the model, active at the start
	target			name NOT NULL,
	batch_size		integer NOT NULL,
	only_missing	boolean NOT NULL,
	state			text NOT NULL DEFAULT 'running'
		CHECK (state IN ('running', 'done')),
	rows_done		bigint NOT NULL DEFAULT 0,
	rows_total		bigint NOT NULL,
	next_page		bigint NOT NULL DEFAULT 0,	-- pages before it are done
	pages_total		bigint NOT NULL,	-- the table's when the job started
	window_pages	bigint NOT NULL,	-- most pages the next chunk reads
	-- rows written after the job started are not its to score again
	started_xid		xid NOT NULL DEFAULT pg_catalog.pg_current_xact_id()::xid,
	started_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	updated_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	run_by			name NOT NULL DEFAULT SESSION_USER,
	pid				integer NOT NULL DEFAULT pg_catalog.pg_backend_pid()
);

REVOKE ALL ON @extschema@.batch_job FROM PUBLIC;
GRANT SELECT ON @extschema@.batch_job TO PUBLIC;

-- A 'running' job whose session is gone, or idle, or is the session
-- looking, was interrupted (cancelled, timed out, disconnected).  Other
-- roles' sessions show their state only to pg_read_all_stats members.
CREATE VIEW @extschema@.batch_jobs AS
	SELECT j.job_id, j.relation, j.model, j.version, j.target,
		   CASE WHEN j.state OPERATOR(pg_catalog.<>) 'running' THEN j.state
				WHEN a.pid IS NULL
				  OR a.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
				  OR a.state OPERATOR(pg_catalog.<>) 'active'
				  OR a.backend_start OPERATOR(pg_catalog.>) j.started_at
				THEN 'interrupted'
				ELSE 'running' END AS state,
		   j.rows_done, j.rows_total,
		   CASE WHEN j.rows_total OPERATOR(pg_catalog.>) 0
				THEN pg_catalog.round(100.0 OPERATOR(pg_catalog.*) j.rows_done
					 OPERATOR(pg_catalog./) j.rows_total, 1)
				ELSE 100 END AS percent,
		   j.batch_size, j.only_missing, j.started_at, j.updated_at,
		   j.updated_at OPERATOR(pg_catalog.-) j.started_at AS elapsed,
		   j.run_by, j.pid
	  FROM @extschema@.batch_job j
	  LEFT JOIN pg_catalog.pg_stat_activity a
		ON a.pid OPERATOR(pg_catalog.=) j.pid;

GRANT SELECT ON @extschema@.batch_jobs TO PUBLIC;

-- Preconditions of score_table(), raised before any work: called where it
-- can commit, a table, a target column of a type that can take scores,
-- the UPDATE privilege on it, and a model whose features are columns.
-- Returns the model's active version, which the whole job scores with.
CREATE FUNCTION @extschema@._score_table_check(relation regclass, model text,
											   target text)
RETURNS integer AS 'MODULE_PATHNAME', 'md_score_table_check'
LANGUAGE C STRICT VOLATILE;

-- The score of a row by a version of a model as a value of the target's
-- type (as score_trigger() stores it); 'target' is the column's current
-- value, read for its type.
CREATE FUNCTION @extschema@._score_into(model text, version integer,
										features record, target anyelement)
RETURNS anyelement AS 'MODULE_PATHNAME', 'md_score_into'
LANGUAGE C STABLE PARALLEL SAFE;

-- Job bookkeeping runs as the extension owner, so callers need no
-- privilege on batch_job; a session may only advance its own jobs.
CREATE FUNCTION @extschema@._batch_create(relation regclass, model text,
	version integer, target name, batch_size integer, only_missing boolean,
	rows_total bigint, pages_total bigint, window_pages bigint)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	INSERT INTO @extschema@.batch_job (relation, model, version, target,
		batch_size, only_missing, rows_total, pages_total, window_pages, state)
	VALUES (relation, model, version, target, batch_size, only_missing, rows_total,
			pages_total, window_pages,
			CASE WHEN rows_total OPERATOR(pg_catalog.>) 0
				 THEN 'running' ELSE 'done' END)
	RETURNING job_id;
END;

CREATE FUNCTION @extschema@._batch_advance(job bigint, rows_done bigint,
	next_page bigint, window_pages bigint)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	UPDATE @extschema@.batch_job j
	   SET rows_done = _batch_advance.rows_done,
		   next_page = _batch_advance.next_page,
		   window_pages = _batch_advance.window_pages,
		   state = CASE WHEN _batch_advance.next_page
							 OPERATOR(pg_catalog.>=) j.pages_total
						THEN 'done' ELSE 'running' END,
		   updated_at = pg_catalog.clock_timestamp()
	 WHERE j.job_id OPERATOR(pg_catalog.=) _batch_advance.job
	   AND j.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
	   AND j.state OPERATOR(pg_catalog.=) 'running';
END;

-- Start a job: count what there is to do and record the job.  The first
-- chunk reads at most the pages that hold 4 batches of the table's rows.
CREATE FUNCTION @extschema@._batch_start(relation regclass, model text,
	version integer, target text, batch_size integer, only_missing boolean)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_all bigint;
	n_todo bigint;
	pages bigint;
	job bigint;
BEGIN
	EXECUTE format('SELECT count(*), count(*) FILTER (WHERE t.%I IS NULL) FROM %s t',
				   target, relation)
	   INTO n_all, n_todo;
	IF NOT only_missing THEN
		n_todo := n_all;
	END IF;
	pages := pg_relation_size(relation) / current_setting('block_size')::bigint;
	job := @extschema@._batch_create(relation, model, version, target,
		batch_size, only_missing, n_todo, pages,
		greatest(1, (4 * batch_size::numeric * pages / greatest(n_all, 1))::bigint));
	RAISE NOTICE 'score_table job %: % rows of % to score with version % of %, % pages',
		job, n_todo, relation, version, model, pages;
	RETURN job;
END
$$;

-- Score the next chunk of a job, record and report progress; false when
-- the job is done.  A chunk ends at a page boundary: the updated rows'
-- new versions that stay on their page (HOT) are never met again.  Where
-- rows to score are sparse, each chunk may read twice the pages of the
-- last, so a job has few chunks where there is little to do.
CREATE FUNCTION @extschema@._batch_step(job bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	j @extschema@.batch_job;
	todo text;
	window_end bigint;
	nth tid;
	chunk_end bigint;
	n bigint;
	done bigint;
	rate float8;
BEGIN
	SELECT * INTO STRICT j FROM @extschema@.batch_job b WHERE b.job_id = job;
	IF j.state <> 'running' THEN
		RETURN false;
	END IF;
	-- rows to do: unscored ones; or all, but once (updated rows' new
	-- versions may land in free space ahead)
	todo := CASE WHEN j.only_missing THEN format(' AND t.%I IS NULL', j.target)
				 ELSE format(' AND age(t.xmin) >= age(%L::xid)', j.started_xid) END;
	window_end := least(j.next_page + j.window_pages, j.pages_total);

	-- the chunk: whole pages, up to the one with the batch_size-th row to do
	EXECUTE format('SELECT t.ctid FROM %s t WHERE t.ctid >= $1 AND t.ctid < $2%s OFFSET $3 LIMIT 1',
				   j.relation, todo)
	   INTO nth
	  USING format('(%s,0)', j.next_page)::tid, format('(%s,0)', window_end)::tid,
			j.batch_size - 1;
	chunk_end := CASE WHEN nth IS NULL THEN window_end
					  ELSE (nth::text::point)[0]::bigint + 1 END;
	EXECUTE format('UPDATE %s AS t SET %I = @extschema@._score_into($1, $2, t, t.%I) '
				   'WHERE t.ctid >= $3 AND t.ctid < $4%s',
				   j.relation, j.target, j.target, todo)
	  USING j.model, j.version, format('(%s,0)', j.next_page)::tid,
			format('(%s,0)', chunk_end)::tid;
	GET DIAGNOSTICS n = ROW_COUNT;
	done := j.rows_done + n;
	PERFORM @extschema@._batch_advance(job, done, chunk_end,
		CASE WHEN nth IS NULL THEN 2 * j.window_pages ELSE j.window_pages END);

	rate := done / greatest(extract(epoch FROM clock_timestamp() - j.started_at), 0.001);
	RAISE NOTICE 'score_table job %: % of % rows (%), % rows/s, ETA %',
		job, done, j.rows_total,
		CASE WHEN j.rows_total > 0
			 THEN round(100.0 * done / j.rows_total, 1) ELSE 100 END || '%',
		round(rate),
		CASE WHEN chunk_end >= j.pages_total THEN 'done'
			 WHEN done = 0 THEN 'unknown'
			 ELSE make_interval(secs => round(greatest(j.rows_total - done, 0) / rate))::text END;
	RETURN chunk_end < j.pages_total;
END
$$;

-- The batch job: see docs/scoring-modes.md.  A procedure with a
-- SET clause cannot commit, so this body names everything with its schema.
CREATE PROCEDURE @extschema@.score_table(relation regclass, model text,
	target text, batch_size integer DEFAULT 10000,
	only_missing boolean DEFAULT true)
LANGUAGE plpgsql
AS $$
DECLARE
	version integer;
	job bigint;
BEGIN
	IF relation IS NULL OR model IS NULL OR target IS NULL
	   OR batch_size IS NULL OR only_missing IS NULL THEN
		RAISE EXCEPTION 'model_deploy.score_table() arguments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF batch_size OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'batch_size must be positive, not %', batch_size
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	version := @extschema@._score_table_check(relation, model, target);
	job := @extschema@._batch_start(relation, model, version, target,
									batch_size, only_missing);
	COMMIT;
	WHILE @extschema@._batch_step(job) LOOP
		COMMIT;
	END LOOP;
END
$$;

COMMENT ON PROCEDURE @extschema@.score_table(regclass, text, text, integer,
	boolean) IS
	'Score a table into a column in committed chunks; see model_deploy.batch_jobs';

--------------------------------------------------------------------------
-- Privileges: per-model scoring rights, deployment from server files
--------------------------------------------------------------------------

-- One row per restricted model: the roles that may score it (and roles
-- with their privileges).  A model without a row is open to every role;
-- an empty list leaves it to superusers.  Read by the C code (acl.c)
-- once per call site, without permission checks, like the versions.
CREATE TABLE @extschema@.model_acl (
	name		text COLLATE "C" PRIMARY KEY
		CHECK (pg_catalog.length(name) BETWEEN 1 AND 63),
	roles		regrole[] NOT NULL,
	changed_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	changed_by	name NOT NULL DEFAULT SESSION_USER
);

COMMENT ON TABLE @extschema@.model_acl IS
	'Roles that may score each restricted model; models without a row are open';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.model_acl', '');

REVOKE ALL ON @extschema@.model_acl FROM PUBLIC;

-- the same invalidation as the versions: call sites bind again
CREATE TRIGGER acl_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.model_acl
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();

-- The role a grant names: 'public' (NULL here) or an existing role.
CREATE FUNCTION @extschema@._grantee(model text, role name)
RETURNS regrole
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantee regrole;
BEGIN
	IF model IS NULL OR role IS NULL THEN
		RAISE EXCEPTION 'model name and role must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.model_version v
				   WHERE v.name OPERATOR(pg_catalog.=) model) THEN
		RAISE EXCEPTION 'model "%" does not exist', model
			USING ERRCODE = 'undefined_object',
				  HINT = 'Deploy it first; deploy and grant in one transaction leave no moment when it is open.';
	END IF;
	IF role OPERATOR(pg_catalog.=) 'public' THEN
		RETURN NULL;
	END IF;
	SELECT r.oid::pg_catalog.regrole INTO grantee
	  FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role;
	IF grantee IS NULL THEN
		RAISE EXCEPTION 'role "%" does not exist', role
			USING ERRCODE = 'undefined_object';
	END IF;
	RETURN grantee;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._grantee(text, name) FROM PUBLIC;

-- Let a role score a model.  The first grant restricts an open model to
-- the granted role; granting to 'public' opens it to everyone again.
CREATE FUNCTION @extschema@.grant_model(name text, role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantee regrole := @extschema@._grantee(name, role);
BEGIN
	IF grantee IS NULL THEN
		DELETE FROM @extschema@.model_acl a
		 WHERE a.name OPERATOR(pg_catalog.=) grant_model.name;
		RETURN;
	END IF;
	INSERT INTO @extschema@.model_acl AS a (name, roles)
	VALUES (grant_model.name, ARRAY[grantee])
	ON CONFLICT ON CONSTRAINT model_acl_pkey DO UPDATE
		SET roles = a.roles OPERATOR(pg_catalog.||) grantee,
			changed_at = pg_catalog.now(), changed_by = SESSION_USER
		WHERE NOT grantee OPERATOR(pg_catalog.=) ANY (a.roles);
END
$$;

REVOKE ALL ON FUNCTION @extschema@.grant_model(text, name) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.grant_model(text, name) IS
	'Allow a role (or ''public'': everyone) to score a model';

-- Take a role's right to score a model away.  The model stays restricted
-- when its last role goes (to superusers only); revoking from 'public'
-- restricts an open model without allowing anyone.
CREATE FUNCTION @extschema@.revoke_model(name text, role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	grantee regrole := @extschema@._grantee(name, role);
BEGIN
	IF grantee IS NULL THEN
		INSERT INTO @extschema@.model_acl (name, roles)
		VALUES (revoke_model.name, '{}')
		ON CONFLICT ON CONSTRAINT model_acl_pkey DO NOTHING;
		RETURN;
	END IF;
	UPDATE @extschema@.model_acl a
	   SET roles = pg_catalog.array_remove(a.roles, grantee),
		   changed_at = pg_catalog.now(), changed_by = SESSION_USER
	 WHERE a.name OPERATOR(pg_catalog.=) revoke_model.name
	   AND grantee OPERATOR(pg_catalog.=) ANY (a.roles);
	IF FOUND THEN
		RETURN;
	ELSIF EXISTS (SELECT FROM @extschema@.model_acl a
				  WHERE a.name OPERATOR(pg_catalog.=) revoke_model.name) THEN
		RAISE NOTICE 'role "%" had no grant on model "%"', role, name;
	ELSE
		RAISE NOTICE 'model "%" is open to every role', name
			USING HINT = 'Revoke it from ''public'' to restrict it, then grant it to the roles that may score it.';
	END IF;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.revoke_model(text, name) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.revoke_model(text, name) IS
	'Take away a role''s right (or everyone''s: ''public'') to score a model';

-- Model text from a file on the server.  Checks pg_read_server_files
-- itself (so it may stay executable by PUBLIC) and the size limit before
-- reading.
CREATE FUNCTION @extschema@._read_model_file(path text)
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
	SELECT @extschema@.deploy(name, @extschema@._read_model_file(path), format)
$$;

REVOKE ALL ON FUNCTION @extschema@.deploy_file(text, text, text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy_file(text, text, text) IS
	'Deploy a model from a file on the database server (pg_read_server_files)';

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

--------------------------------------------------------------------------
-- Class labels of rows and JSON objects: predict_class() by name, as
-- predict() by name above.  A categorical feature of a native model is
-- read from a text, varchar or char column (a JSON string) holding the
-- category name, in every by-name entry point (predict*, predict_pinned,
-- score_trigger, score_table); score_trigger() and score_table() store the
-- class label in a text, varchar or char target column.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.predict_class(name text, features record)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features jsonb)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

--------------------------------------------------------------------------
-- Explanations by feature name: explain() and explain_json() of a row
-- (features from its columns, as predict(name, row) reads them) or of a
-- jsonb object (from its keys).
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.explain(name text, features record,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_record'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain(name text, features jsonb,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_jsonb'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain_json(name text, features record,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_record'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.explain_json(name text, features jsonb,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_jsonb'
LANGUAGE C STABLE PARALLEL SAFE;

--------------------------------------------------------------------------
-- Monitoring: serving statistics and drift (docs/monitoring.md).
-- Every serving call (predict(), predict_proba(), predict_raw(),
-- predict_class(), predict_pinned(), score_trigger, score_table) is counted
-- per model version in shared memory, which needs shared_preload_libraries;
-- explain(), evaluate(), compare_versions() and set_baseline() are not
-- serving and are not counted.  The statistics reveal aggregates of the
-- scored data, so reading them is for the roles that watch models:
-- pg_read_all_stats, as for PostgreSQL's own statistics.  Resetting them
-- and setting baselines are administration: REVOKEd from PUBLIC.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@._stats(
	OUT deploy_id bigint, OUT name text, OUT version integer,
	OUT calls bigint, OUT rows bigint, OUT errors bigint,
	OUT total_time float8, OUT mean_time float8,
	OUT predictions bigint, OUT prediction_missing bigint,
	OUT prediction_mean float8, OUT prediction_stddev float8,
	OUT prediction_min float8, OUT prediction_max float8,
	OUT prediction_histogram bigint[], OUT histogram_edges float8[],
	OUT features_tracked boolean, OUT baseline_id bigint,
	OUT first_call timestamptz, OUT last_call timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'md_stats_versions'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION @extschema@._stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._stats() TO pg_read_all_stats;

-- position 0 is the predictions, feature '(prediction)'; bins are counts
-- over the baseline's bins (NULL before a baseline)
CREATE FUNCTION @extschema@._feature_stats(
	OUT deploy_id bigint, OUT name text, OUT version integer,
	OUT "position" integer, OUT feature text, OUT count bigint,
	OUT missing bigint, OUT mean float8, OUT stddev float8, OUT min float8,
	OUT max float8, OUT bins bigint[], OUT baseline_id bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'md_stats_values'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION @extschema@._feature_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._feature_stats() TO pg_read_all_stats;

-- status: 'active', 'inactive', or 'dropped' (the version is gone; its
-- statistics stay until stats_reset() or eviction).  Times are in
-- milliseconds, measured on one row in 16 and scaled to all rows.
CREATE VIEW @extschema@.stats AS
	SELECT s.name, s.version,
		   CASE WHEN v.active THEN 'active'
				WHEN v.active IS NOT NULL THEN 'inactive'
				ELSE 'dropped' END AS status,
		   s.calls, s.rows, s.errors, s.total_time, s.mean_time,
		   s.predictions, s.prediction_mean, s.prediction_stddev,
		   s.prediction_min, s.prediction_max, s.prediction_histogram,
		   s.histogram_edges, s.features_tracked, s.first_call, s.last_call
	  FROM @extschema@._stats() s
	  LEFT JOIN @extschema@.model_version v
		ON v.deploy_id OPERATOR(pg_catalog.=) s.deploy_id;

REVOKE ALL ON @extschema@.stats FROM PUBLIC;
GRANT SELECT ON @extschema@.stats TO pg_read_all_stats;

COMMENT ON VIEW @extschema@.stats IS
	'Serving statistics per model version: calls, rows, errors, scoring time, distribution of the predictions';

CREATE VIEW @extschema@.feature_stats AS
	SELECT f.name, f.version, f.feature, f.position, f.count, f.missing,
		   f.mean, f.stddev, f.min, f.max
	  FROM @extschema@._feature_stats() f
	 WHERE f.position OPERATOR(pg_catalog.>) 0;

REVOKE ALL ON @extschema@.feature_stats FROM PUBLIC;
GRANT SELECT ON @extschema@.feature_stats TO pg_read_all_stats;

COMMENT ON VIEW @extschema@.feature_stats IS
	'Serving statistics per feature of each model version: count, missing values, mean, stddev, min, max';

CREATE FUNCTION @extschema@.stats_reset(name text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'md_stats_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION @extschema@.stats_reset(text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.stats_reset(text) IS
	'Forget the serving statistics of a model (every version), or of all models of this database';

CREATE FUNCTION @extschema@.stats_info(OUT versions integer,
	OUT max_versions integer, OUT evictions bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'md_stats_info_sql'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION @extschema@.stats_info() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.stats_info() TO pg_read_all_stats;

COMMENT ON FUNCTION @extschema@.stats_info() IS
	'Versions with serving statistics in the whole server, the most kept (model_deploy.stats_max), and evictions since start';

-- Baselines: per model version, the distribution of a reference data set
-- (set_baseline()), one row per feature and one for the predictions
-- (position 0).  Written by the C code as the tables' owner; dropped with
-- their version.  A change makes every backend read the bins again.
CREATE SEQUENCE @extschema@.baseline_id_seq;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.baseline_id_seq', '');

CREATE TABLE @extschema@.baselines (
	name			text COLLATE "C" NOT NULL,
	version			integer NOT NULL,
	baseline_id		bigint NOT NULL UNIQUE,	-- a newer baseline has a larger id
	rows			bigint NOT NULL,
	query			text NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_by		name NOT NULL,
	PRIMARY KEY (name, version),
	FOREIGN KEY (name, version) REFERENCES @extschema@.model_version
		ON DELETE CASCADE
);

COMMENT ON TABLE @extschema@.baselines IS
	'The reference data set of each model version''s baseline (set_baseline())';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.baselines', '');

REVOKE ALL ON @extschema@.baselines FROM PUBLIC;
GRANT SELECT ON @extschema@.baselines TO pg_read_all_stats;

-- edges: the bins' upper bounds but the last's, (-inf, e1], (e1, e2], ...,
-- (e_last, +inf); shares: each bin's share of the values that are not
-- missing
CREATE TABLE @extschema@.baseline_features (
	name			text COLLATE "C" NOT NULL,
	version			integer NOT NULL,
	"position"		integer NOT NULL CHECK ("position" >= 0),
	feature			text NOT NULL,
	baseline_id		bigint NOT NULL,
	missing_rate	float8 NOT NULL,
	mean			float8,
	stddev			float8,
	edges			float8[] NOT NULL,
	shares			float8[] NOT NULL,
	PRIMARY KEY (name, version, "position"),
	FOREIGN KEY (name, version) REFERENCES @extschema@.baselines
		ON DELETE CASCADE
);

COMMENT ON TABLE @extschema@.baseline_features IS
	'Each feature''s (and the predictions'') distribution in a model version''s baseline';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.baseline_features', '');

REVOKE ALL ON @extschema@.baseline_features FROM PUBLIC;
GRANT SELECT ON @extschema@.baseline_features TO pg_read_all_stats;

CREATE TRIGGER baseline_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.baseline_features
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._registry_changed();

CREATE FUNCTION @extschema@.set_baseline(name text, query text,
	version integer DEFAULT NULL)
RETURNS TABLE (feature text, missing_rate float8, mean float8,
			   stddev float8, edges float8[], shares float8[])
AS 'MODULE_PATHNAME', 'md_set_baseline'
LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION @extschema@.set_baseline(text, text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.set_baseline(text, text, integer) IS
	'Summarise a reference query''s features and predictions as the baseline drift is measured against';

-- Population stability index of serving counts against a baseline
-- summary, over the baseline's bins plus one bin for missing values; each
-- share is at least 0.0001, so that an empty bin counts without making
-- the index infinite.  NULL when nothing was served.
CREATE FUNCTION @extschema@._psi(shares float8[], missing_rate float8,
	bins bigint[], count bigint, missing bigint)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT sum((a - e) * ln(a / e))
	  FROM (SELECT greatest(coalesce(bins[i], 0)::float8 / (count + missing), 0.0001),
				   greatest(shares[i] * (1 - missing_rate), 0.0001)
			  FROM generate_subscripts(shares, 1) AS i
			UNION ALL
			SELECT greatest(missing::float8 / (count + missing), 0.0001),
				   greatest(missing_rate, 0.0001)) AS p(a, e)
	 WHERE count + missing > 0
$$;

REVOKE ALL ON FUNCTION @extschema@._psi(float8[], float8, bigint[], bigint, bigint) FROM PUBLIC;

-- Drift of the active version of a model: each feature's (and the
-- predictions') serving distribution since the baseline was set (or the
-- statistics were reset) against the baseline.  status: 'ok' (psi < 0.1),
-- 'warn' (psi < 0.25), 'alert'; 'no data' before 100 rows were served.
-- SECURITY DEFINER: it reads the registry and baselines for roles that may
-- only read statistics.
CREATE FUNCTION @extschema@.drift(name text)
RETURNS TABLE (feature text, psi float8, mean_shift float8,
			   missing_rate_change float8, status text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	active_version integer;
BEGIN
	SELECT m.version INTO active_version
	  FROM @extschema@.model_version m
	 WHERE m.name = drift.name AND m.active;
	IF NOT FOUND THEN
		PERFORM @extschema@._missing(drift.name, NULL);
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.baselines b
				   WHERE b.name = drift.name AND b.version = active_version) THEN
		RAISE EXCEPTION 'version % of model "%" has no baseline', active_version, drift.name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Set one with model_deploy.set_baseline(name, query), e.g. on the training data.';
	END IF;
	RETURN QUERY
	SELECT b.feature, d.psi,
		   (s.mean - b.mean) / nullif(b.stddev, 0),
		   s.missing::float8 / nullif(s.count + s.missing, 0) - b.missing_rate,
		   CASE WHEN coalesce(s.count + s.missing, 0) < 100 THEN 'no data'
				WHEN d.psi < 0.1 THEN 'ok'
				WHEN d.psi < 0.25 THEN 'warn'
				ELSE 'alert' END
	  FROM @extschema@.baseline_features b
	  LEFT JOIN @extschema@._feature_stats() s
		ON s.name = b.name AND s.version = b.version
	   AND s.position = b.position AND s.baseline_id = b.baseline_id
	 CROSS JOIN LATERAL (SELECT @extschema@._psi(b.shares, b.missing_rate,
							s.bins, s.count, s.missing) AS psi) d
	 WHERE b.name = drift.name AND b.version = active_version
	 ORDER BY b.position;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.drift(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.drift(text) TO pg_read_all_stats;

COMMENT ON FUNCTION @extschema@.drift(text) IS
	'How far each feature and the predictions of a model have moved from its baseline (PSI, mean shift, missing rate)';

-- What a scheduler polls: the features of active versions with a baseline
-- whose drift is 'warn' or 'alert'.
CREATE VIEW @extschema@.drift_alerts AS
	SELECT b.name, b.version, d.feature, d.psi, d.mean_shift,
		   d.missing_rate_change, d.status
	  FROM @extschema@.baselines b
	  JOIN @extschema@.model_version m
		ON m.name OPERATOR(pg_catalog.=) b.name
	   AND m.version OPERATOR(pg_catalog.=) b.version AND m.active
	 CROSS JOIN LATERAL @extschema@.drift(b.name) d
	 WHERE d.status OPERATOR(pg_catalog.=) ANY (ARRAY['warn', 'alert']);

REVOKE ALL ON @extschema@.drift_alerts FROM PUBLIC;
GRANT SELECT ON @extschema@.drift_alerts TO pg_read_all_stats;

COMMENT ON VIEW @extschema@.drift_alerts IS
	'Features (and predictions) of active model versions that drifted from their baseline: status warn or alert';
