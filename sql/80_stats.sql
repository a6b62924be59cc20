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

CREATE FUNCTION model_deploy_internal._stats(
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

REVOKE ALL ON FUNCTION model_deploy_internal._stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION model_deploy_internal._stats() TO pg_read_all_stats;

-- position 0 is the predictions, feature '(prediction)'; bins are counts
-- over the baseline's bins (NULL before a baseline)
CREATE FUNCTION model_deploy_internal._feature_stats(
	OUT deploy_id bigint, OUT name text, OUT version integer,
	OUT "position" integer, OUT feature text, OUT count bigint,
	OUT missing bigint, OUT mean float8, OUT stddev float8, OUT min float8,
	OUT max float8, OUT bins bigint[], OUT baseline_id bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'md_stats_values'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION model_deploy_internal._feature_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION model_deploy_internal._feature_stats() TO pg_read_all_stats;

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
	  FROM model_deploy_internal._stats() s
	  LEFT JOIN @extschema@.model_version v
		ON v.deploy_id OPERATOR(pg_catalog.=) s.deploy_id;

REVOKE ALL ON @extschema@.stats FROM PUBLIC;
GRANT SELECT ON @extschema@.stats TO pg_read_all_stats;

COMMENT ON VIEW @extschema@.stats IS
	'Serving statistics per model version: calls, rows, errors, scoring time, distribution of the predictions';

CREATE VIEW @extschema@.feature_stats AS
	SELECT f.name, f.version, f.feature, f.position, f.count, f.missing,
		   f.mean, f.stddev, f.min, f.max
	  FROM model_deploy_internal._feature_stats() f
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
