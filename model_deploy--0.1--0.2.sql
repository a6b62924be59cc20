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
 *
 * Helpers (functions named _name) are created in @extschema@, as in 0.1;
 * the LAST section of this file moves every helper of the extension to
 * the schema model_deploy_internal and rewrites the bodies that call them.
 * Add new sections above it.
 */

-- === versions in use cannot be dropped (issue 20)
--
-- A version is in use while a score_table job that scores with it runs, and
-- for as long as a generated column, default, CHECK constraint or index
-- expression calls a *_pinned() function with it.  drop_version() and
-- drop_model() refuse such versions with 2BP01 (dependent_objects_still_exist),
-- naming the users, as DROP does for catalog objects.

-- The catalog's users of a version (every version when version is NULL)
CREATE FUNCTION @extschema@._version_users(name text, version integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'md_version_users'
LANGUAGE C STABLE;

REVOKE ALL ON FUNCTION @extschema@._version_users(text, integer) FROM PUBLIC;

-- Raise 2BP01 if the version (every version of the model when version is
-- NULL) is in use.  The caller holds the registry's lock; the row lock
-- waits for a score_table job that has resolved the version but not yet
-- committed its batch_job row, so the check below sees every job.
CREATE FUNCTION @extschema@._refuse_version_in_use(caller text, name text,
												  version integer)
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
			  FROM pg_catalog.unnest(@extschema@._version_users(name, version)) u
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

REVOKE ALL ON FUNCTION @extschema@._refuse_version_in_use(text, text, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.drop_version(name text, version integer)
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
	PERFORM @extschema@._refuse_version_in_use('drop_version', name, version);
	DELETE FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) drop_version.name
	   AND v.version OPERATOR(pg_catalog.=) drop_version.version;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.drop_model(name text)
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
	PERFORM @extschema@._refuse_version_in_use('drop_model', name, NULL);
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

-- Hold the version a starting score_table job resolved until the job's
-- first commit records it in batch_job: a concurrent drop waits for that
-- commit and then sees the job.  SECURITY DEFINER: a row lock needs a
-- privilege on the registry that scorers do not have; and executable by
-- PUBLIC, as score_table() runs as its caller.  A caller gains no more
-- than running a job gives: a drop of that version waits for its commit.
CREATE FUNCTION @extschema@._hold_version(name text, version integer)
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
		PERFORM @extschema@._no_such_version(name, version);
	END IF;
END
$$;


CREATE OR REPLACE PROCEDURE @extschema@.score_table(relation regclass, model text,
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
	PERFORM @extschema@._hold_version(model, version);
	job := @extschema@._batch_start(relation, model, version, target,
									batch_size, only_missing);
	COMMIT;
	WHILE @extschema@._batch_step(job) LOOP
		COMMIT;
	END LOOP;
END
$$;

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

-- === internal functions leave the user's schema (issue 17)
--
-- 0.1 kept its helpers (the _name functions) in model_deploy, where they
-- showed in \df and tab completion next to the API.  From 0.2 they live in
-- the schema model_deploy_internal, a member of the extension.  This
-- section stays the last of the file: it moves the helpers that the
-- sections above created in @extschema@ too.
--
-- USAGE on it is granted to PUBLIC because public entry points run helpers
-- as the calling user and name them at run time (score_table's PL/pgSQL
-- and its UPDATE call _score_table_check, _batch_start, _batch_step,
-- _score_into; deploy_file calls _read_model_file): the names are looked up
-- with the caller's rights.  What a helper may do is still its EXECUTE
-- privilege: every helper that 0.1 revoked from PUBLIC stays revoked.
--
-- Idempotent: helpers already moved are not found again, bodies already
-- rewritten have nothing to replace.

CREATE SCHEMA IF NOT EXISTS model_deploy_internal;
COMMENT ON SCHEMA model_deploy_internal IS
	'model_deploy''s internal functions; not an interface';
GRANT USAGE ON SCHEMA model_deploy_internal TO PUBLIC;

DO $move$
DECLARE
	ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e
				 WHERE e.extname OPERATOR(pg_catalog.=) 'model_deploy');
	f record;
BEGIN
	-- every helper of the extension in @extschema@ moves
	FOR f IN
		SELECT p.oid::pg_catalog.regprocedure AS sig
		  FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_depend d
			ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND d.objid OPERATOR(pg_catalog.=) p.oid
		   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.refobjid OPERATOR(pg_catalog.=) ext
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'
		 WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
		   AND p.proname OPERATOR(pg_catalog.~) '^_'
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SET SCHEMA model_deploy_internal',
								  f.sig);
	END LOOP;

	-- Triggers and views refer to their functions by oid and follow them.
	-- PL/pgSQL and SQL bodies name them as text: the extension's bodies that
	-- call a helper are replaced with the new schema (CREATE OR REPLACE
	-- keeps owner, privileges, SECURITY and SET options).
	FOR f IN
		SELECT pg_catalog.pg_get_functiondef(p.oid) AS def
		  FROM pg_catalog.pg_proc p
		  JOIN pg_catalog.pg_depend d
			ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		   AND d.objid OPERATOR(pg_catalog.=) p.oid
		   AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
		   AND d.refobjid OPERATOR(pg_catalog.=) ext
		   AND d.deptype OPERATOR(pg_catalog.=) 'e'
		 WHERE p.prosqlbody IS NULL
		   AND p.prosrc OPERATOR(pg_catalog.~) '@extschema@\._'
	LOOP
		EXECUTE pg_catalog.regexp_replace(f.def, '@extschema@\._',
										  'model_deploy_internal._', 'g');
	END LOOP;
END
$move$;
