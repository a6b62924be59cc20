/* model_deploy--0.1--0.2.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "ALTER EXTENSION model_deploy UPDATE TO '0.2'" to load this file. \quit

/*
 * Release 0.2, the upgrade from 0.1: every statement must work on a
 * database that has 0.1 with deployed models in it.  A fresh CREATE
 * EXTENSION runs model_deploy--0.2.sql instead, which make assembles from
 * sql/; test/t/040_extension_update.pl proves the two give one catalog.  The rules of model_deploy--0.1.sql hold here too
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

-- === deploy from bytes (issue 13) and with metadata (issue 18)
--
-- Binary model files (XGBoost's UBJSON .ubj, ONNX) hold NUL bytes and need
-- not be UTF-8: they cannot be text.  deploy(name, model bytea, format)
-- takes the file as it is on disk; the registry keeps those exact bytes in
-- source_binary, and a version has exactly one of source and source_binary.
--
-- Where a version came from (an MLflow run id, model version and URI, a
-- file name...): a jsonb object recorded at deploy time, immutable like the
-- rest of the version, NULL for versions deployed without one.

ALTER TABLE @extschema@.model_version ALTER COLUMN source DROP NOT NULL;
ALTER TABLE @extschema@.model_version ADD COLUMN source_binary bytea;
ALTER TABLE @extschema@.model_version ADD CONSTRAINT model_version_one_source
	CHECK ((source IS NULL) OPERATOR(pg_catalog.<>) (source_binary IS NULL));

COMMENT ON COLUMN @extschema@.model_version.source_binary IS
	'The exact bytes of a model deployed as bytea (source is NULL then)';

ALTER TABLE @extschema@.model_version ADD COLUMN metadata jsonb
	CHECK (metadata IS NULL OR pg_catalog.jsonb_typeof(metadata) OPERATOR(pg_catalog.=) 'object');

COMMENT ON COLUMN @extschema@.model_version.metadata IS
	'Where the version came from, as given to deploy() (a jsonb object, or NULL)';

CREATE OR REPLACE FUNCTION @extschema@._version_immutable()
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

-- What every deploy() overload does: compile the source (exactly one of
-- source and source_binary is given), store it as a new active version.
-- The overloads are PL/pgSQL, not SQL: PostgreSQL 18's SQL functions
-- detoast their arguments, so a 100 MB model would be read whole before
-- _compile() could refuse it by its stored size (test/t/014_memory.pl).
CREATE FUNCTION @extschema@._deploy(name text, source text,
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

REVOKE ALL ON FUNCTION @extschema@._deploy(text, text, bytea, text, jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.deploy(name text, model text,
	format text DEFAULT 'auto')
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN @extschema@._deploy(name, model, NULL, format, NULL); END $$;

-- With metadata.  No defaults here, so a call without metadata is never
-- ambiguous.
CREATE FUNCTION @extschema@.deploy(name text, model text, format text,
	metadata jsonb)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN @extschema@._deploy(name, model, NULL, format, metadata); END $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, text, text, jsonb) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, text, text, jsonb) IS
	'Compile a model, store it as a new version with where it came from, and make it active';

CREATE FUNCTION @extschema@.deploy(name text, model bytea,
	format text DEFAULT 'auto')
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN @extschema@._deploy(name, NULL, model, format, NULL); END $$;

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
AS $$ BEGIN RETURN @extschema@._deploy(name, NULL, model, format, metadata); END $$;

REVOKE ALL ON FUNCTION @extschema@.deploy(text, bytea, text, jsonb) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.deploy(text, bytea, text, jsonb) IS
	'Compile a model file given as bytes, store it as a new version with '
	'where it came from, and make it active';

-- the versions view shows metadata last, so the view's earlier columns
-- keep their positions
CREATE OR REPLACE VIEW @extschema@.versions AS
	SELECT v.name, v.version, v.active, v.format, v.source_bytes,
		   v.compiled_bytes, v.created_at, v.created_by, v.metadata
	  FROM @extschema@.model_version v;

-- === Citus (issue 16)
--
-- On a Citus cluster the registry (versions, rights, baselines) is the
-- same on every node: each change made on the coordinator is applied on
-- every other active node in the coordinator's distributed transaction,
-- which Citus commits everywhere with two-phase commit, or nowhere.  The
-- registry tables' citus_* triggers do it, so every path that writes them
-- (deploy, activate, drop_version, drop_model, grant_model, revoke_model,
-- set_baseline, hand-written DML) is covered; each sends the changed
-- models' whole state (sources only of new versions), and the receiving
-- node checks it against its own: a version that differs there (another
-- deploy_id) or is missing is an error naming both, never a silent
-- divergence.  sync_node() copies the whole registry to a node added
-- later.  Without Citus none of this does anything (docs/citus.md).

-- This node's part: 'none' (no Citus), 'coordinator' (Citus's group 0,
-- also a single-node Citus) or 'worker'.  Citus's catalogs are read only
-- when Citus is installed.  Harmless, so PUBLIC may call it (score_table
-- runs as its caller).
CREATE FUNCTION @extschema@._citus_role()
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	citus_version text;
BEGIN
	SELECT e.extversion INTO citus_version
	  FROM pg_catalog.pg_extension e
	 WHERE e.extname OPERATOR(pg_catalog.=) 'citus';
	IF citus_version IS NULL THEN
		RETURN 'none';
	END IF;
	IF pg_catalog.split_part(citus_version, '.', 1)::integer
	   NOT BETWEEN 11 AND 13 THEN
		RAISE EXCEPTION 'model_deploy does not support Citus %', citus_version
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Its registry is distributed with Citus 11 to 13.';
	END IF;
	IF (SELECT g.groupid FROM pg_catalog.pg_dist_local_group g)
	   OPERATOR(pg_catalog.=) 0 THEN
		RETURN 'coordinator';
	END IF;
	RETURN 'worker';
END
$$;

-- Run a command on every other active Citus node (or on one), inside this
-- transaction (citus.c).
CREATE FUNCTION @extschema@._citus_send(command text)
RETURNS void
AS 'MODULE_PATHNAME', 'md_citus_send_all'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION @extschema@._citus_send(text) FROM PUBLIC;

CREATE FUNCTION @extschema@._citus_send(node_name text, node_port integer,
										command text)
RETURNS void
AS 'MODULE_PATHNAME', 'md_citus_send_node'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION @extschema@._citus_send(text, integer, text) FROM PUBLIC;

-- What a version's source is checked against after it travelled: the md5
-- of its text or of its bytes, whichever it has.
CREATE FUNCTION @extschema@._citus_checksum(source text, source_binary bytea)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.md5(COALESCE(pg_catalog.convert_to(source, 'UTF8'),
								   source_binary));
$$;

REVOKE ALL ON FUNCTION @extschema@._citus_checksum(text, bytea) FROM PUBLIC;

-- The registry state of some models as the coordinator sends it: every
-- version (with the md5 of its source; the source itself only for the
-- deploy_ids in 'ship', or all if 'ship' is NULL), the rights, the
-- baselines.  'complete': these are all the models there are.
CREATE FUNCTION @extschema@._citus_state(models text[], ship bigint[],
										 complete boolean)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.jsonb_build_object(
		'complete', complete,
		'models', COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
			'name', m.name,
			'versions', (SELECT COALESCE(pg_catalog.jsonb_agg(
					pg_catalog.to_jsonb(v)
					OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
						'checksum', @extschema@._citus_checksum(v.source, v.source_binary),
						'source', CASE WHEN shipped THEN v.source END,
						'source_binary', CASE WHEN shipped THEN v.source_binary END)
					ORDER BY v.version), '[]')
				  FROM @extschema@.model_version v,
					   LATERAL (SELECT ship IS NULL
									OR v.deploy_id OPERATOR(pg_catalog.=) ANY (ship)) s(shipped)
				 WHERE v.name OPERATOR(pg_catalog.=) m.name),
			'acl', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(a)), '[]')
					  FROM @extschema@.model_acl a
					 WHERE a.name OPERATOR(pg_catalog.=) m.name),
			'baselines', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b)), '[]')
							FROM @extschema@.baselines b
						   WHERE b.name OPERATOR(pg_catalog.=) m.name),
			'baseline_features', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(f)), '[]')
									FROM @extschema@.baseline_features f
								   WHERE f.name OPERATOR(pg_catalog.=) m.name))),
			'[]'))
	  FROM pg_catalog.unnest(models) AS m(name);
$$;

REVOKE ALL ON FUNCTION @extschema@._citus_state(text[], bigint[], boolean) FROM PUBLIC;

-- The command that applies a state on another node.
CREATE FUNCTION @extschema@._citus_apply_command(state jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.format('SELECT @extschema@._citus_apply(%L::jsonb)', state);
$$;

REVOKE ALL ON FUNCTION @extschema@._citus_apply_command(jsonb) FROM PUBLIC;

-- Make this node's registry of the state's models what the coordinator
-- sent.  A version this node has with another deploy_id, or lacks and was
-- not sent, is an error unless the state is complete (sync_node()), which
-- replaces it.  A version's source is checked against its checksum and
-- compiled here, to the same size, before it is stored with the
-- coordinator's number and deploy_id.
CREATE FUNCTION @extschema@._citus_apply(state jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	complete boolean := (state OPERATOR(pg_catalog.->>) 'complete')::boolean;
	m jsonb;
	model text;
	v record;
	have bigint;
	info record;
	node text := pg_catalog.current_setting('cluster_name');
BEGIN
	IF node OPERATOR(pg_catalog.=) '' THEN
		node := pg_catalog.format('port %s', pg_catalog.current_setting('port'));
	END IF;
	PERFORM pg_catalog.set_config('model_deploy.citus_applying', 'on', true);
	LOCK TABLE @extschema@.model_version IN SHARE ROW EXCLUSIVE MODE;
	FOR m IN SELECT pg_catalog.jsonb_array_elements(state OPERATOR(pg_catalog.->) 'models') LOOP
		model := m OPERATOR(pg_catalog.->>) 'name';
		FOR v IN SELECT r.*, e OPERATOR(pg_catalog.->>) 'checksum' AS checksum
				   FROM pg_catalog.jsonb_array_elements(m OPERATOR(pg_catalog.->) 'versions') e,
						pg_catalog.jsonb_populate_record(NULL::@extschema@.model_version, e) r
		LOOP
			SELECT w.deploy_id INTO have FROM @extschema@.model_version w
			 WHERE w.name OPERATOR(pg_catalog.=) model
			   AND w.version OPERATOR(pg_catalog.=) v.version;
			IF have OPERATOR(pg_catalog.=) v.deploy_id THEN
				CONTINUE;
			END IF;
			IF have IS NOT NULL THEN
				IF NOT complete THEN
					RAISE EXCEPTION 'version % of model "%" differs on node %: deploy_id % there, % on the coordinator',
						v.version, model, node, have, v.deploy_id
						USING ERRCODE = 'object_not_in_prerequisite_state',
							  HINT = 'SELECT model_deploy.sync_node(...) on the coordinator makes the node''s registry the coordinator''s.';
				END IF;
				DELETE FROM @extschema@.model_version w
				 WHERE w.name OPERATOR(pg_catalog.=) model
				   AND w.version OPERATOR(pg_catalog.=) v.version;
			END IF;
			IF v.source IS NULL AND v.source_binary IS NULL THEN
				RAISE EXCEPTION 'version % of model "%" (deploy_id %) is missing on node %',
					v.version, model, v.deploy_id, node
					USING ERRCODE = 'object_not_in_prerequisite_state',
						  HINT = 'A node added to the cluster later needs SELECT model_deploy.sync_node(''host'', port) on the coordinator.';
			END IF;
			IF @extschema@._citus_checksum(v.source, v.source_binary)
			   OPERATOR(pg_catalog.<>) v.checksum THEN
				RAISE EXCEPTION 'the source of version % of model "%" arrived on node % with another checksum',
					v.version, model, node
					USING ERRCODE = 'data_corrupted';
			END IF;
			IF v.source IS NOT NULL THEN
				info := @extschema@._compile(model, v.source, v.format);
			ELSE
				info := @extschema@._compile(model, v.source_binary, v.format);
			END IF;
			IF info.compiled_bytes OPERATOR(pg_catalog.<>) v.compiled_bytes THEN
				RAISE EXCEPTION 'version % of model "%" compiles to % bytes on node %, % on the coordinator',
					v.version, model, info.compiled_bytes, node, v.compiled_bytes
					USING ERRCODE = 'object_not_in_prerequisite_state',
						  HINT = 'Install the same model_deploy build on every node.';
			END IF;
			INSERT INTO @extschema@.model_version
				(name, version, active, deploy_id, format, objective, n_features,
				 n_outputs, n_trees, source_bytes, compiled_bytes, source,
				 source_binary, created_at, created_by, activated_at, metadata)
			VALUES
				(model, v.version, false, v.deploy_id, v.format, v.objective,
				 v.n_features, v.n_outputs, v.n_trees, v.source_bytes,
				 v.compiled_bytes, v.source, v.source_binary, v.created_at,
				 v.created_by, v.activated_at, v.metadata);
		END LOOP;

		DELETE FROM @extschema@.model_version w
		 WHERE w.name OPERATOR(pg_catalog.=) model
		   AND NOT w.deploy_id OPERATOR(pg_catalog.=) ANY (ARRAY(
				SELECT (e OPERATOR(pg_catalog.->>) 'deploy_id')::bigint
				  FROM pg_catalog.jsonb_array_elements(m OPERATOR(pg_catalog.->) 'versions') e));
		-- the active version: off first, for the one-active index
		UPDATE @extschema@.model_version w SET active = false
		  FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.model_version,
												   m OPERATOR(pg_catalog.->) 'versions') c
		 WHERE w.deploy_id OPERATOR(pg_catalog.=) c.deploy_id
		   AND w.active AND NOT c.active;
		UPDATE @extschema@.model_version w
		   SET active = c.active, activated_at = c.activated_at
		  FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.model_version,
												   m OPERATOR(pg_catalog.->) 'versions') c
		 WHERE w.deploy_id OPERATOR(pg_catalog.=) c.deploy_id
		   AND (w.active, w.activated_at) IS DISTINCT FROM (c.active, c.activated_at);

		DELETE FROM @extschema@.model_acl a WHERE a.name OPERATOR(pg_catalog.=) model;
		INSERT INTO @extschema@.model_acl
			SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.model_acl,
															  m OPERATOR(pg_catalog.->) 'acl');
		DELETE FROM @extschema@.baselines b WHERE b.name OPERATOR(pg_catalog.=) model;
		-- a state sent in the middle of a cascade (a version's delete
		-- reaching its baseline, then the baseline's features) may still
		-- hold rows whose parent is gone: they go too, as they will once
		-- the cascade's own state arrives
		INSERT INTO @extschema@.baselines
			SELECT b.* FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.baselines,
																m OPERATOR(pg_catalog.->) 'baselines') b
			 WHERE EXISTS (SELECT FROM @extschema@.model_version w
							WHERE w.name OPERATOR(pg_catalog.=) b.name
							  AND w.version OPERATOR(pg_catalog.=) b.version);
		INSERT INTO @extschema@.baseline_features
			SELECT f.* FROM pg_catalog.jsonb_populate_recordset(NULL::@extschema@.baseline_features,
																m OPERATOR(pg_catalog.->) 'baseline_features') f
			 WHERE EXISTS (SELECT FROM @extschema@.baselines b
							WHERE b.name OPERATOR(pg_catalog.=) f.name
							  AND b.version OPERATOR(pg_catalog.=) f.version);
	END LOOP;

	IF complete THEN
		DELETE FROM @extschema@.model_version w
		 WHERE NOT w.name OPERATOR(pg_catalog.=) ANY (ARRAY(
				SELECT e OPERATOR(pg_catalog.->>) 'name'
				  FROM pg_catalog.jsonb_array_elements(state OPERATOR(pg_catalog.->) 'models') e));
		DELETE FROM @extschema@.model_acl a
		 WHERE NOT a.name OPERATOR(pg_catalog.=) ANY (ARRAY(
				SELECT e OPERATOR(pg_catalog.->>) 'name'
				  FROM pg_catalog.jsonb_array_elements(state OPERATOR(pg_catalog.->) 'models') e));
	END IF;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._citus_apply(jsonb) FROM PUBLIC;

-- After each statement that changes the registry: on the coordinator,
-- send the changed models' state to every other node; on a worker, refuse
-- a change that does not come from the coordinator.  The transition table
-- 'changed' holds the statement's rows (new ones, or old ones for DELETE).
CREATE FUNCTION @extschema@._citus_registry_push()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	role text := @extschema@._citus_role();
	models text[];
	ship bigint[];
	failure text;
	code text;
	hint text;
BEGIN
	IF role OPERATOR(pg_catalog.=) 'none' THEN
		RETURN NULL;
	END IF;
	IF role OPERATOR(pg_catalog.=) 'worker' THEN
		IF pg_catalog.current_setting('model_deploy.citus_applying', true)
		   OPERATOR(pg_catalog.=) 'on' THEN
			RETURN NULL;
		END IF;
		RAISE EXCEPTION 'the model registry of a Citus worker changes only through the coordinator'
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Deploy, activate, drop and grant on the coordinator: it applies the change on every node in one distributed transaction.';
	END IF;
	IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
		models := ARRAY(SELECT DISTINCT v.name FROM @extschema@.model_version v);
		PERFORM @extschema@._citus_send(@extschema@._citus_apply_command(
			@extschema@._citus_state(models, '{}', true)));
		RETURN NULL;
	END IF;
	models := ARRAY(SELECT DISTINCT c.name FROM changed c);
	IF pg_catalog.cardinality(models) OPERATOR(pg_catalog.=) 0 THEN
		RETURN NULL;
	END IF;
	IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'model_version'
	   AND TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
		ship := ARRAY(SELECT c.deploy_id FROM changed c);
	ELSE
		ship := '{}';
	END IF;
	BEGIN
		PERFORM @extschema@._citus_send(@extschema@._citus_apply_command(
			@extschema@._citus_state(models, ship, false)));
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT, code = RETURNED_SQLSTATE,
								hint = PG_EXCEPTION_HINT;
		RAISE EXCEPTION 'the change of model "%" could not be applied on every Citus node, so it is made on none',
			pg_catalog.array_to_string(models, '", "')
			USING ERRCODE = code, DETAIL = failure,
				  HINT = COALESCE(NULLIF(hint, ''), 'Bring the node back (or remove it with citus_remove_node()) and try again.');
	END;
	RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._citus_registry_push() FROM PUBLIC;

CREATE TRIGGER citus_insert AFTER INSERT ON @extschema@.model_version
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_update AFTER UPDATE ON @extschema@.model_version
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_delete AFTER DELETE ON @extschema@.model_version
	REFERENCING OLD TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_truncate AFTER TRUNCATE ON @extschema@.model_version
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_insert AFTER INSERT ON @extschema@.model_acl
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_update AFTER UPDATE ON @extschema@.model_acl
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_delete AFTER DELETE ON @extschema@.model_acl
	REFERENCING OLD TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
-- a baseline's features are written after its row, and go with it
CREATE TRIGGER citus_insert AFTER INSERT ON @extschema@.baseline_features
	REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();
CREATE TRIGGER citus_delete AFTER DELETE ON @extschema@.baseline_features
	REFERENCING OLD TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._citus_registry_push();

-- Copy the whole registry to one node (one added after models were
-- deployed, or one that was restored): afterwards it has exactly the
-- coordinator's versions, rights and baselines.  Returns the number of
-- models copied.
CREATE FUNCTION @extschema@.sync_node(node_name text, node_port integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	models text[];
BEGIN
	IF node_name IS NULL OR node_port IS NULL THEN
		RAISE EXCEPTION 'model_deploy.sync_node() arguments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF @extschema@._citus_role() OPERATOR(pg_catalog.<>) 'coordinator' THEN
		RAISE EXCEPTION 'model_deploy.sync_node() runs on a Citus coordinator'
			USING ERRCODE = 'feature_not_supported';
	END IF;
	LOCK TABLE @extschema@.model_version IN SHARE ROW EXCLUSIVE MODE;
	models := ARRAY(SELECT DISTINCT v.name FROM @extschema@.model_version v
					UNION SELECT a.name FROM @extschema@.model_acl a);
	PERFORM @extschema@._citus_send(node_name, node_port,
		@extschema@._citus_apply_command(@extschema@._citus_state(models, NULL, true)));
	RETURN pg_catalog.cardinality(models);
END
$$;

REVOKE ALL ON FUNCTION @extschema@.sync_node(text, integer) FROM PUBLIC;

COMMENT ON FUNCTION @extschema@.sync_node(text, integer) IS
	'Copy the model registry of this Citus coordinator to one node (one added later)';

-- Every output with one fixed version: IMMUTABLE, so Citus pushes them
-- down into distributed UPDATEs (it refuses STABLE functions there), and
-- usable in generated columns and indexes.  The version number names the
-- same version (the same deploy_id) on every node.
CREATE FUNCTION @extschema@.predict_proba_pinned(name text, version integer,
												 features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba_pinned(name text, version integer,
												 features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw_pinned(name text, version integer,
											   features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw_pinned(name text, version integer,
											   features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class_pinned(name text, version integer,
												 features float8[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class_pinned(name text, version integer,
												 features record)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- What Citus makes of a table: 'local' (not a Citus table, or no Citus),
-- 'distributed' (hash-distributed), or 'other' (reference, Citus-managed
-- local, append- or range-distributed tables).
CREATE FUNCTION @extschema@._citus_table_kind(relation regclass)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	method "char";
BEGIN
	IF @extschema@._citus_role() OPERATOR(pg_catalog.=) 'none' THEN
		RETURN 'local';
	END IF;
	SELECT p.partmethod INTO method FROM pg_catalog.pg_dist_partition p
	 WHERE p.logicalrelid OPERATOR(pg_catalog.=) relation;
	RETURN CASE WHEN method IS NULL THEN 'local'
				WHEN method OPERATOR(pg_catalog.=) 'h' THEN 'distributed'
				ELSE 'other' END;
END
$$;

-- score_table() on a Citus distributed table: the rows are on the
-- workers, so each chunk is a set of shards updated on their nodes in
-- parallel (one connection a shard, each committing on its own), and the
-- job is the coordinator's batch_job row, advanced shard by shard
-- (next_page and pages_total count shards).  It makes score_table()'s
-- checks itself, then checks that every node has the job's version with
-- the coordinator's deploy_id; the shards' UPDATEs run as the caller.
CREATE PROCEDURE @extschema@._score_shards(relation regclass, model text,
	target text, batch_size integer, only_missing boolean)
LANGUAGE plpgsql
AS $$
DECLARE
	job_version integer := @extschema@._score_table_check(relation, model, target);
	deploy bigint;
	other record;
	names text[];
	hosts text[];
	ports integer[];
	n_shards integer;
	n_nodes integer;
	n_all bigint;
	n_todo bigint;
	per_chunk integer;
	job bigint;
	first integer := 1;
	last integer;
	done bigint := 0;
	chunk record;
	rate float8;
	started timestamptz := pg_catalog.clock_timestamp();
BEGIN
	IF @extschema@._citus_table_kind(relation) OPERATOR(pg_catalog.<>) 'distributed' THEN
		RAISE EXCEPTION 'score_table() scores plain and hash-distributed tables, not the Citus table %', relation
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'UPDATE it with model_deploy.predict_pinned() (or another _pinned scorer).';
	END IF;
	PERFORM @extschema@._hold_version(model, job_version);
	SELECT pg_catalog.array_agg(s.shard_name ORDER BY s.shardid),
		   pg_catalog.array_agg(s.nodename::text ORDER BY s.shardid),
		   pg_catalog.array_agg(s.nodeport ORDER BY s.shardid),
		   pg_catalog.count(DISTINCT s.shardid),
		   pg_catalog.count(DISTINCT (s.nodename, s.nodeport))
	  INTO names, hosts, ports, n_shards, n_nodes
	  FROM pg_catalog.citus_shards s
	 WHERE s.table_name OPERATOR(pg_catalog.=) relation;
	IF n_shards OPERATOR(pg_catalog.<>) pg_catalog.cardinality(names) THEN
		RAISE EXCEPTION 'score_table() cannot score %: its shards have several placements', relation
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'UPDATE it with model_deploy.predict_pinned() (or another _pinned scorer) instead.';
	END IF;

	SELECT v.deploy_id INTO deploy FROM @extschema@.model_version v
	 WHERE v.name OPERATOR(pg_catalog.=) model
	   AND v.version OPERATOR(pg_catalog.=) job_version;
	FOR other IN
		SELECT r.nodename, r.nodeport, r.success, r.result
		  FROM pg_catalog.run_command_on_workers(pg_catalog.format(
				'SELECT v.deploy_id FROM %s.model_version v WHERE v.name = %L AND v.version = %s',
				'@extschema@', model, job_version)) r
		 WHERE NOT r.success OR r.result IS DISTINCT FROM deploy::text
	LOOP
		RAISE EXCEPTION 'version % of model "%" is deploy_id % on the coordinator and % on node %:%',
			job_version, model, deploy,
			CASE WHEN other.success THEN COALESCE(NULLIF(other.result, ''), 'missing')
				 ELSE other.result END,
			other.nodename, other.nodeport
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'SELECT model_deploy.sync_node(...) on the coordinator copies its registry to the node.';
	END LOOP;

	EXECUTE pg_catalog.format('SELECT count(*), count(*) FILTER (WHERE t.%I IS NULL) FROM %s t',
							  target, relation)
	   INTO n_all, n_todo;
	IF NOT only_missing THEN
		n_todo := n_all;
	END IF;
	-- about batch_size rows a chunk, but a shard on every node at least
	per_chunk := greatest(n_nodes, pg_catalog.ceil(batch_size::numeric
		OPERATOR(pg_catalog.*) n_shards OPERATOR(pg_catalog./) greatest(n_all, 1))::integer);
	job := @extschema@._batch_create(relation, model, job_version, target,
		batch_size, only_missing, n_todo, n_shards, per_chunk);
	RAISE NOTICE 'score_table job %: % rows of % to score with version % of %, % shards on % nodes',
		job, n_todo, relation, job_version, model, n_shards, n_nodes;
	COMMIT;

	WHILE first OPERATOR(pg_catalog.<=) n_shards LOOP
		last := least(first OPERATOR(pg_catalog.+) per_chunk OPERATOR(pg_catalog.-) 1, n_shards);
		SELECT pg_catalog.sum(pg_catalog.split_part(r.result, ' ', 2)::bigint)
				 FILTER (WHERE r.success) AS updated,
			   pg_catalog.min(pg_catalog.format('node %s:%s: %s', r.node_name, r.node_port, r.result))
				 FILTER (WHERE NOT r.success) AS failure
		  INTO chunk
		  FROM pg_catalog.master_run_on_worker(hosts[first:last], ports[first:last],
			ARRAY(SELECT pg_catalog.format(
					'UPDATE %s AS t SET %I = @extschema@._score_into(%L, %s, t, t.%I)%s',
					n, target, model, job_version, target,
					CASE WHEN only_missing THEN pg_catalog.format(' WHERE t.%I IS NULL', target)
						 ELSE '' END)
				  FROM pg_catalog.unnest(names[first:last]) WITH ORDINALITY AS u(n, i)
				 ORDER BY u.i), true) r;
		IF chunk.failure IS NOT NULL THEN
			RAISE EXCEPTION 'score_table job %: a shard failed on %', job, chunk.failure
				USING HINT = 'Call score_table() again: it continues with the rows not yet scored.';
		END IF;
		done := done OPERATOR(pg_catalog.+) COALESCE(chunk.updated, 0);
		PERFORM @extschema@._batch_advance(job, done, last, per_chunk);
		rate := done OPERATOR(pg_catalog./) greatest(extract(epoch FROM
			pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started)::float8, 0.001);
		RAISE NOTICE 'score_table job %: % of % rows (%), % of % shards, % rows/s',
			job, done, n_todo,
			CASE WHEN n_todo OPERATOR(pg_catalog.>) 0
				 THEN pg_catalog.round(100.0 OPERATOR(pg_catalog.*) done OPERATOR(pg_catalog./) n_todo, 1)
				 ELSE 100 END OPERATOR(pg_catalog.||) '%',
			last, n_shards, pg_catalog.round(rate::numeric);
		COMMIT;
		first := last OPERATOR(pg_catalog.+) 1;
	END LOOP;
END
$$;

-- score_table() as in issue 20's section above, and on a Citus distributed
-- table per shard.
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
	IF @extschema@._citus_table_kind(relation) OPERATOR(pg_catalog.<>) 'local' THEN
		CALL @extschema@._score_shards(relation, model, target, batch_size,
									   only_missing);
		RETURN;
	END IF;
	PERFORM @extschema@._hold_version(model, version);
	job := @extschema@._batch_start(relation, model, version, target,
									batch_size, only_missing);
	COMMIT;
	WHILE @extschema@._batch_step(job) LOOP
		COMMIT;
	END LOOP;
END
$$;

-- Serving statistics are counted where the rows are scored: each node's
-- stats and feature_stats views show its own.  cluster_stats() and
-- cluster_feature_stats() gather every node's rows on the coordinator
-- (one row per node and version; sum them for the cluster); without Citus
-- they show this server's, with node_name NULL.
CREATE FUNCTION @extschema@._citus_collect(query text)
RETURNS TABLE (node_name text, node_port integer, item jsonb)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	failed record;
BEGIN
	IF @extschema@._citus_role() OPERATOR(pg_catalog.<>) 'coordinator' THEN
		RETURN QUERY EXECUTE pg_catalog.format(
			'SELECT NULL::text, NULL::integer, pg_catalog.to_jsonb(s) FROM (%s) s', query);
		RETURN;
	END IF;
	CREATE TEMP TABLE IF NOT EXISTS md_node_results
		(nodeid integer, success boolean, result text) ON COMMIT DELETE ROWS;
	DELETE FROM pg_temp.md_node_results;
	INSERT INTO pg_temp.md_node_results
		SELECT r.nodeid, r.success, r.result
		  FROM pg_catalog.run_command_on_all_nodes(pg_catalog.format(
				'SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)), ''[]'') FROM (%s) s',
				query)) r;
	SELECT * INTO failed FROM pg_temp.md_node_results r WHERE NOT r.success LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'could not read the statistics of Citus node %: %',
			failed.nodeid, failed.result
			USING ERRCODE = 'connection_failure';
	END IF;
	RETURN QUERY
		SELECT n.nodename::text, n.nodeport, e
		  FROM pg_temp.md_node_results r
		  LEFT JOIN pg_catalog.pg_dist_node n ON n.nodeid OPERATOR(pg_catalog.=) r.nodeid,
			   pg_catalog.jsonb_array_elements(r.result::jsonb) e;
END
$$;

REVOKE ALL ON FUNCTION @extschema@._citus_collect(text) FROM PUBLIC;

CREATE FUNCTION @extschema@.cluster_stats()
RETURNS TABLE (node_name text, node_port integer, name text, version integer,
			   status text, calls bigint, rows bigint, errors bigint,
			   total_time float8, prediction_mean float8,
			   prediction_min float8, prediction_max float8,
			   first_call timestamptz, last_call timestamptz)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.node_name, c.node_port, s.name, s.version, s.status, s.calls,
		   s.rows, s.errors, s.total_time, s.prediction_mean,
		   s.prediction_min, s.prediction_max, s.first_call, s.last_call
	  FROM @extschema@._citus_collect('SELECT * FROM @extschema@.stats') c,
		   pg_catalog.jsonb_populate_record(NULL::@extschema@.stats, c.item) s;
$$;

REVOKE ALL ON FUNCTION @extschema@.cluster_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_stats() TO pg_read_all_stats;

COMMENT ON FUNCTION @extschema@.cluster_stats() IS
	'Serving statistics of every Citus node (model_deploy.stats of each), one row per node and version';

CREATE FUNCTION @extschema@.cluster_feature_stats()
RETURNS TABLE (node_name text, node_port integer, name text, version integer,
			   feature text, "position" integer, count bigint, missing bigint,
			   mean float8, stddev float8, min float8, max float8)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT c.node_name, c.node_port, f.name, f.version, f.feature,
		   f."position", f.count, f.missing, f.mean, f.stddev, f.min, f.max
	  FROM @extschema@._citus_collect('SELECT * FROM @extschema@.feature_stats') c,
		   pg_catalog.jsonb_populate_record(NULL::@extschema@.feature_stats, c.item) f;
$$;

REVOKE ALL ON FUNCTION @extschema@.cluster_feature_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.cluster_feature_stats() TO pg_read_all_stats;

COMMENT ON FUNCTION @extschema@.cluster_feature_stats() IS
	'Feature statistics of every Citus node (model_deploy.feature_stats of each), one row per node, version and feature';

-- === untyped parameters (issue 19)
--
-- Features as text, for drivers that leave a parameter's type to the
-- server: in "SELECT model_deploy.predict($1, $2)" both are unknown, and
-- of all the overloads PostgreSQL's resolution prefers the one of the
-- string category, so this one is chosen instead of "function is not
-- unique".  The text is an array literal ({1.5,2,NULL}), a JSON array
-- ([1.5, 2, null]) or a JSON object ({"age": 34}), read as the float8[] or
-- jsonb overload reads it.  No implicit cast reaches text from an array,
-- a row or jsonb, so every typed call keeps the function it had.

CREATE FUNCTION @extschema@.predict(name text, features text)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features text)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features text)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba_pinned(name text, version integer,
                                                 features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw_pinned(name text, version integer,
                                               features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class_pinned(name text, version integer,
                                                 features text)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.explain(name text, features text,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_text'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain_json(name text, features text,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_text'
LANGUAGE C STABLE PARALLEL SAFE;

-- === VACUUM never truncates the registry (issue 20)

-- VACUUM never truncates the extension's tables: truncating takes an ACCESS
-- EXCLUSIVE lock, and every scorer reading the registry or the rights queued
-- behind autovacuum until its lock was cancelled (sql/10_registry.sql).
ALTER TABLE @extschema@.model_version
	SET (vacuum_truncate = false, toast.vacuum_truncate = false);
ALTER TABLE @extschema@.evaluations
	SET (vacuum_truncate = false, toast.vacuum_truncate = false);
ALTER TABLE @extschema@.batch_job
	SET (vacuum_truncate = false, toast.vacuum_truncate = false);
ALTER TABLE @extschema@.model_acl
	SET (vacuum_truncate = false, toast.vacuum_truncate = false);
ALTER TABLE @extschema@.baselines
	SET (vacuum_truncate = false, toast.vacuum_truncate = false);
ALTER TABLE @extschema@.baseline_features
	SET (vacuum_truncate = false, toast.vacuum_truncate = false);

-- === one version per distributed statement (issue 16)
--
-- On a Citus coordinator, a statement that reads a Citus table has its
-- predict(), predict_proba(), predict_raw() and predict_class() calls with
-- a constant model name rewritten when it is planned (citus_pin.c): into
-- these, with the version active then and its deploy_id.  Citus pushes
-- them down, and each node scores exactly that version or fails: a dropped
-- version does not exist, and a version number reused by a later deploy is
-- an error naming both deploy_ids (pinned.c).  STABLE, like the calls they
-- replace.  The array overloads of a scorer share anyarray.  The shard
-- queries run as the caller on every node, so PUBLIC may execute these;
-- scoring rights are checked as for predict_pinned().

CREATE FUNCTION @extschema@._predict_at(name text, version integer,
	features anyarray, deploy_id bigint)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_at(name text, version integer,
	features record, deploy_id bigint)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_at(name text, version integer,
	features jsonb, deploy_id bigint)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_at(name text, version integer,
	features text, deploy_id bigint)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_proba_at(name text, version integer,
	features anyarray, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_proba_at(name text, version integer,
	features record, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_proba_at(name text, version integer,
	features jsonb, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_proba_at(name text, version integer,
	features text, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_raw_at(name text, version integer,
	features anyarray, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_raw_at(name text, version integer,
	features record, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_raw_at(name text, version integer,
	features jsonb, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_raw_at(name text, version integer,
	features text, deploy_id bigint)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_class_at(name text, version integer,
	features anyarray, deploy_id bigint)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_class_at(name text, version integer,
	features record, deploy_id bigint)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_class_at(name text, version integer,
	features jsonb, deploy_id bigint)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._predict_class_at(name text, version integer,
	features text, deploy_id bigint)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

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
	-- every helper of the extension in @extschema@ moves (functions and
	-- procedures: ALTER ROUTINE)
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
		EXECUTE pg_catalog.format('ALTER ROUTINE %s SET SCHEMA model_deploy_internal',
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
