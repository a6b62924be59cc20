--------------------------------------------------------------------------
-- Drift (docs/monitoring.md): baselines of model versions, and how far
-- serving has moved from them.  The statistics it reads are in
-- sql/80_stats.sql; the same privileges hold.
--------------------------------------------------------------------------

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
) WITH (vacuum_truncate = false, toast.vacuum_truncate = false);

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
) WITH (vacuum_truncate = false, toast.vacuum_truncate = false);

COMMENT ON TABLE @extschema@.baseline_features IS
	'Each feature''s (and the predictions'') distribution in a model version''s baseline';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.baseline_features', '');

REVOKE ALL ON @extschema@.baseline_features FROM PUBLIC;
GRANT SELECT ON @extschema@.baseline_features TO pg_read_all_stats;

CREATE TRIGGER baseline_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.baseline_features
	FOR EACH STATEMENT EXECUTE FUNCTION model_deploy_internal._registry_changed();

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
CREATE FUNCTION model_deploy_internal._psi(shares float8[], missing_rate float8,
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

REVOKE ALL ON FUNCTION model_deploy_internal._psi(float8[], float8, bigint[], bigint, bigint) FROM PUBLIC;

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
		PERFORM model_deploy_internal._missing(drift.name, NULL);
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
	  LEFT JOIN model_deploy_internal._feature_stats() s
		ON s.name = b.name AND s.version = b.version
	   AND s.position = b.position AND s.baseline_id = b.baseline_id
	 CROSS JOIN LATERAL (SELECT model_deploy_internal._psi(b.shares, b.missing_rate,
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
