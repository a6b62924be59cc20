--------------------------------------------------------------------------
-- Batch: score_table() updates a table in chunks of whole heap pages that
-- hold about batch_size rows to score, read by TID range scans (each chunk
-- reads only its pages, so a job reads the table about once), committing
-- after each chunk.  A job's progress is in batch_jobs, chunk by chunk.
--------------------------------------------------------------------------

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
) WITH (vacuum_truncate = false, toast.vacuum_truncate = false);

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
CREATE FUNCTION model_deploy_internal._score_table_check(relation regclass, model text,
											   target text)
RETURNS integer AS 'MODULE_PATHNAME', 'md_score_table_check'
LANGUAGE C STRICT VOLATILE;

-- The score of a row by a version of a model as a value of the target's
-- type (as score_trigger() stores it); 'target' is the column's current
-- value, read for its type.
CREATE FUNCTION model_deploy_internal._score_into(model text, version integer,
										features record, target anyelement)
RETURNS anyelement AS 'MODULE_PATHNAME', 'md_score_into'
LANGUAGE C STABLE PARALLEL SAFE;

-- Job bookkeeping runs as the extension owner, so callers need no
-- privilege on batch_job; a session may only advance its own jobs.
CREATE FUNCTION model_deploy_internal._batch_create(relation regclass, model text,
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

CREATE FUNCTION model_deploy_internal._batch_advance(job bigint, rows_done bigint,
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
CREATE FUNCTION model_deploy_internal._batch_start(relation regclass, model text,
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
	job := model_deploy_internal._batch_create(relation, model, version, target,
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
CREATE FUNCTION model_deploy_internal._batch_step(job bigint)
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
	EXECUTE format('UPDATE %s AS t SET %I = model_deploy_internal._score_into($1, $2, t, t.%I) '
				   'WHERE t.ctid >= $3 AND t.ctid < $4%s',
				   j.relation, j.target, j.target, todo)
	  USING j.model, j.version, format('(%s,0)', j.next_page)::tid,
			format('(%s,0)', chunk_end)::tid;
	GET DIAGNOSTICS n = ROW_COUNT;
	done := j.rows_done + n;
	PERFORM model_deploy_internal._batch_advance(job, done, chunk_end,
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
-- A Citus distributed table is scored shard by shard (_score_shards(),
-- sql/90_citus.sql); the version scored is held until the job is recorded
-- (_hold_version(), sql/30_versions.sql).
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
	version := model_deploy_internal._score_table_check(relation, model, target);
	IF model_deploy_internal._citus_table_kind(relation) OPERATOR(pg_catalog.<>) 'local' THEN
		CALL model_deploy_internal._score_shards(relation, model, target, batch_size,
									   only_missing);
		RETURN;
	END IF;
	PERFORM model_deploy_internal._hold_version(model, version);
	job := model_deploy_internal._batch_start(relation, model, version, target,
									batch_size, only_missing);
	COMMIT;
	WHILE model_deploy_internal._batch_step(job) LOOP
		COMMIT;
	END LOOP;
END
$$;

COMMENT ON PROCEDURE @extschema@.score_table(regclass, text, text, integer,
	boolean) IS
	'Score a table into a column in committed chunks; see model_deploy.batch_jobs';

