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
-- unknown category, NULL for missing).  Same overloads as predict().
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
