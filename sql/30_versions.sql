--------------------------------------------------------------------------
-- What is deployed, and versions: rollback and roll forward, dropping.
-- Every change is an ordinary transactional write to the registry: it is
-- seen by the next statement of every session once it commits, and never
-- if it rolls back.
--------------------------------------------------------------------------

-- Whether a version's compiled copy is in shared memory now (false without
-- shared_preload_libraries).
CREATE FUNCTION model_deploy_internal._in_shared_memory(deploy_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'md_in_shared_memory'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW @extschema@.models AS
	SELECT v.name, v.version, v.format, v.objective, v.n_features,
		   v.n_outputs, v.n_trees, v.compiled_bytes,
		   v.activated_at AS deployed_at,
		   model_deploy_internal._in_shared_memory(v.deploy_id) AS in_shared_memory,
		   (SELECT pg_catalog.count(*)::integer
			  FROM @extschema@.model_version w
			 WHERE w.name OPERATOR(pg_catalog.=) v.name) AS versions
	  FROM @extschema@.model_version v
	 WHERE v.active;

GRANT SELECT ON @extschema@.models TO PUBLIC;

-- Raise the "model/version does not exist" error of predict() (42704);
-- version NULL: the model.
CREATE FUNCTION model_deploy_internal._missing(name text, version integer)
RETURNS void
AS 'MODULE_PATHNAME', 'md_registry_missing'
LANGUAGE C;

REVOKE ALL ON FUNCTION model_deploy_internal._missing(text, integer) FROM PUBLIC;

-- Raise the error for a version of 'name' that is not in the registry: the
-- model's if it has no version at all.
CREATE FUNCTION model_deploy_internal._no_such_version(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.model_version v
				    WHERE v.name OPERATOR(pg_catalog.=) _no_such_version.name) THEN
		PERFORM model_deploy_internal._missing(name, NULL);
	END IF;
	PERFORM model_deploy_internal._missing(name, version);
END
$$;

REVOKE ALL ON FUNCTION model_deploy_internal._no_such_version(text, integer) FROM PUBLIC;

-- Lock out concurrent changes of versions (as deploy() does) and say
-- whether the version exists (else raise 42704) and is the active one.
CREATE FUNCTION model_deploy_internal._lock_version(caller text, name text, version integer)
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
		PERFORM model_deploy_internal._no_such_version(name, version);
	END IF;
	RETURN is_active;
END
$$;

REVOKE ALL ON FUNCTION model_deploy_internal._lock_version(text, text, integer) FROM PUBLIC;

CREATE FUNCTION @extschema@.activate(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF model_deploy_internal._lock_version('activate', name, version) THEN
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

-- Versions in use cannot be dropped.  A version is in use while a
-- score_table job that scores with it runs, and for as long as a generated
-- column, default, CHECK constraint or index expression calls a *_pinned()
-- function with it.  drop_version() and drop_model() refuse such versions
-- with 2BP01 (dependent_objects_still_exist), naming the users, as DROP
-- does for catalog objects.

-- The catalog's users of a version (every version when version is NULL)
CREATE FUNCTION model_deploy_internal._version_users(name text, version integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'md_version_users'
LANGUAGE C STABLE;

REVOKE ALL ON FUNCTION model_deploy_internal._version_users(text, integer) FROM PUBLIC;

-- Raise 2BP01 if the version (every version of the model when version is
-- NULL) is in use.  The caller holds the registry's lock; the row lock
-- waits for a score_table job that has resolved the version but not yet
-- committed its batch_job row, so the check below sees every job.
CREATE FUNCTION model_deploy_internal._refuse_version_in_use(caller text,
	name text, version integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	users text[];
BEGIN
	PERFORM FROM @extschema@.model_version v
	  WHERE v.name OPERATOR(pg_catalog.=) _refuse_version_in_use.name
	    AND (_refuse_version_in_use.version IS NULL
			 OR v.version OPERATOR(pg_catalog.=) _refuse_version_in_use.version)
	  FOR UPDATE;
	SELECT pg_catalog.array_agg(u ORDER BY u) INTO users
	  FROM (SELECT DISTINCT u
			  FROM pg_catalog.unnest(model_deploy_internal._version_users(name, version)) u
			UNION ALL
			SELECT pg_catalog.format('running score_table job %s (version %s, table %s)',
									 j.job_id, j.version, j.relation)
			  FROM @extschema@.batch_jobs j
			 WHERE j.model OPERATOR(pg_catalog.=) _refuse_version_in_use.name
			   AND (_refuse_version_in_use.version IS NULL
					OR j.version OPERATOR(pg_catalog.=) _refuse_version_in_use.version)
			   AND j.state OPERATOR(pg_catalog.=) 'running') s(u);
	IF users IS NOT NULL THEN
		RAISE EXCEPTION '%', CASE WHEN version IS NULL
			THEN pg_catalog.format('model "%s" cannot be dropped: it is in use by %s',
								   name, pg_catalog.array_to_string(users, ', '))
			ELSE pg_catalog.format('version %s of model "%s" cannot be dropped: it is in use by %s',
								   version, name, pg_catalog.array_to_string(users, ', ')) END
			USING ERRCODE = 'dependent_objects_still_exist',
				  HINT = 'Drop or change what scores with it first, or let the '
						 'score_table job finish.';
	END IF;
END
$$;

REVOKE ALL ON FUNCTION model_deploy_internal._refuse_version_in_use(text, text, integer) FROM PUBLIC;

CREATE FUNCTION @extschema@.drop_version(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF model_deploy_internal._lock_version('drop_version', name, version) THEN
		RAISE EXCEPTION 'version % of model "%" is active and cannot be dropped',
			version, name
			USING ERRCODE = 'object_in_use',
				  HINT = 'Activate another version with model_deploy.activate() '
						 'first, or drop the whole model with '
						 'model_deploy.drop_model().';
	END IF;
	PERFORM model_deploy_internal._refuse_version_in_use('drop_version', name, version);
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
	PERFORM model_deploy_internal._refuse_version_in_use('drop_model', name, NULL);
	DELETE FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) drop_model.name;
	IF NOT FOUND THEN
		PERFORM model_deploy_internal._missing(name, NULL);
	END IF;
	-- its scoring rights go with it: a namesake deployed later starts open
	DELETE FROM @extschema@.model_acl a
	 WHERE a.name OPERATOR(pg_catalog.=) drop_model.name;
END
$$;

REVOKE ALL ON FUNCTION @extschema@.drop_model(text) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.drop_model(text) IS
	'Delete a model and all its versions';

-- metadata comes last, where 0.2 added it to 0.1's view
CREATE VIEW @extschema@.versions AS
	SELECT v.name, v.version, v.active, v.format, v.source_bytes,
		   v.compiled_bytes, v.created_at, v.created_by, v.metadata
	  FROM @extschema@.model_version v;

GRANT SELECT ON @extschema@.versions TO PUBLIC;

-- Hold the version a starting score_table job resolved until the job's
-- first commit records it in batch_job: a concurrent drop waits for that
-- commit and then sees the job.  SECURITY DEFINER: a row lock needs a
-- privilege on the registry that scorers do not have; and executable by
-- PUBLIC, as score_table() runs as its caller.  A caller gains no more
-- than running a job gives: a drop of that version waits for its commit.
CREATE FUNCTION model_deploy_internal._hold_version(name text, version integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM FROM @extschema@.model_version v
	  WHERE v.name OPERATOR(pg_catalog.=) _hold_version.name
	    AND v.version OPERATOR(pg_catalog.=) _hold_version.version
	  FOR KEY SHARE;
	IF NOT FOUND THEN
		PERFORM model_deploy_internal._no_such_version(name, version);
	END IF;
END
$$;
