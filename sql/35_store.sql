--------------------------------------------------------------------------
-- The shared model store (shared_preload_libraries): what it holds, and
-- counters that show who compiled and who reused a compiled copy.
--------------------------------------------------------------------------

CREATE FUNCTION model_deploy_internal._shared_models(
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
	  FROM model_deploy_internal._shared_models() s
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
