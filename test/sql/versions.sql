--
-- Versioned deployment: activate() (rollback and roll forward),
-- drop_version(), drop_model(), the versions view, and the models view's
-- versions and in_shared_memory columns.
--
-- Model 'vm' gets two different XGBoost models of the same ten diabetes
-- features: version 1 is diabetes_reg, version 2 is deep_reg.  Which
-- version scored is checked against XGBoost's own outputs: row A (first
-- row of diabetes_reg.input.csv) gives 135.1949005126953 with diabetes_reg,
-- row B (first row of deep_reg.input.csv) gives 189.78758239746094 with
-- deep_reg (the .expected.csv files).
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all
\set fx :abs_srcdir '/fixtures/xgboost/'
SELECT pg_read_file(:'fx' || 'diabetes_reg.model.json') AS diab \gset
SELECT pg_read_file(:'fx' || 'deep_reg.model.json') AS deep \gset
\set row_a 'ARRAY[0.04534098333546186,-0.044641636506989144,-0.006205954135807083,0.011543832586488917,0.06310082451524143,0.01622243643399523,0.09650139090327886,-0.03949338287409329,0.04289703595278786,-0.03835665973397607]'
\set row_b 'ARRAY[0.005383060374248237,0.05068011873981862,-0.0018947058402839008,0.008100981610639655,-0.004320865536613489,-0.015718706668537318,-0.002902829807068556,-0.002592261998183278,0.038393928263466416,-0.013504018244969336]'

-- which version scores: v1 if row A gives diabetes_reg's value, v2 if row B
-- gives deep_reg's (each is false for the other model)
CREATE TEMP TABLE probe AS SELECT :row_a::float8[] AS a, :row_b::float8[] AS b;
CREATE FUNCTION pg_temp.scoring() RETURNS TABLE (v1 boolean, v2 boolean)
LANGUAGE sql AS $$
	SELECT model_deploy.predict('vm', a) = 135.1949005126953,
		   model_deploy.predict('vm', b) = 189.78758239746094
	  FROM probe
$$;

SELECT model_deploy.deploy('vm', :'diab') AS v1, model_deploy.deploy('vm', :'deep') AS v2;
SELECT * FROM pg_temp.scoring();

-- the versions view
SELECT name, version, active, format, compiled_bytes > 0 AS compiled,
	   created_at <= now() AS created, created_by = session_user AS by_me
  FROM model_deploy.versions WHERE name = 'vm' ORDER BY version;
SELECT version, source_bytes = octet_length(CASE version WHEN 1 THEN :'diab' ELSE :'deep' END) AS exact_bytes
  FROM model_deploy.versions WHERE name = 'vm' ORDER BY version;
SELECT array_agg(attname ORDER BY attnum) AS versions_columns
  FROM pg_attribute WHERE attrelid = 'model_deploy.versions'::regclass AND attnum > 0;

-- the models view: one row, the active version, and how many there are
SELECT name, version, versions, in_shared_memory FROM model_deploy.models WHERE name = 'vm';

-- rollback: one call
SELECT deployed_at AS v2_activated FROM model_deploy.models WHERE name = 'vm' \gset
SELECT model_deploy.activate('vm', 1);
SELECT * FROM pg_temp.scoring();
SELECT name, version, versions, deployed_at > :'v2_activated' AS reactivated
  FROM model_deploy.models WHERE name = 'vm';
SELECT version, active FROM model_deploy.versions WHERE name = 'vm' ORDER BY version;

-- activating the active version changes nothing
SELECT deployed_at AS v1_activated FROM model_deploy.models WHERE name = 'vm' \gset
SELECT model_deploy.activate('vm', 1);
SELECT version, deployed_at = :'v1_activated' AS unchanged FROM model_deploy.models WHERE name = 'vm';

-- roll forward inside a transaction: seen by its next statement, and gone
-- with the rollback
BEGIN;
SELECT model_deploy.activate('vm', 2);
SELECT * FROM pg_temp.scoring();
ROLLBACK;
SELECT * FROM pg_temp.scoring();
SELECT version FROM model_deploy.models WHERE name = 'vm';

-- the active version cannot be dropped; an inactive one can
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vm', 1)$$);
SELECT model_deploy.drop_version('vm', 2);
SELECT version, active FROM model_deploy.versions WHERE name = 'vm' ORDER BY version;
SELECT versions FROM model_deploy.models WHERE name = 'vm';
SELECT * FROM pg_temp.scoring();

-- A new deploy may get the number of a dropped version (2 again), but it
-- is a different version: it scores its own trees (diabetes_reg, so row A
-- gives v1's value and row B is not deep_reg's any more), never the copy
-- of the dropped version 2 that scoring compiled above.
SELECT model_deploy.deploy('vm', :'diab') AS new_v2;
SELECT * FROM pg_temp.scoring();

-- drop_model rolled back drops nothing; committed, the model is gone
BEGIN;
SELECT model_deploy.drop_model('vm');
SELECT pg_temp.error_of($$SELECT model_deploy.predict('vm', ARRAY[1,2,3,4,5,6,7,8,9,10])$$);
ROLLBACK;
SELECT * FROM pg_temp.scoring();
SELECT model_deploy.drop_model('vm');
SELECT count(*) AS versions_left FROM model_deploy.versions WHERE name = 'vm';
SELECT count(*) AS models_left FROM model_deploy.models WHERE name = 'vm';
SELECT pg_temp.error_of($$SELECT model_deploy.predict('vm', ARRAY[1,2,3,4,5,6,7,8,9,10])$$);

-- a model deployed again after a drop starts again at version 1
SELECT model_deploy.deploy('vm', :'deep') AS version;
SELECT * FROM pg_temp.scoring();

-- in_shared_memory: a version is compiled into shared memory by its first
-- use, not by deploy()
SELECT model_deploy.deploy('vm_fresh', :'diab') AS version;
SELECT in_shared_memory FROM model_deploy.models WHERE name = 'vm_fresh';
SELECT model_deploy.predict('vm_fresh', :row_a) = 135.1949005126953 AS scores;
SELECT in_shared_memory FROM model_deploy.models WHERE name = 'vm_fresh';

-- errors: unknown model or version (42704, the words of predict()), NULLs
SELECT pg_temp.error_of($$SELECT model_deploy.activate('nonesuch', 1)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.activate('vm', 7)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.activate('vm', 0)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.activate('vm', NULL)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.activate(NULL, 1)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('nonesuch', 1)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vm', 7)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vm', NULL)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_model('nonesuch')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_model(NULL)$$);
-- errors leave everything as it was
SELECT name, version, versions FROM model_deploy.models WHERE name LIKE 'vm%' ORDER BY name;

-- administration is for the owner (or whom it grants it to); everybody may
-- look at the versions and score
CREATE ROLE md_versions_user;
GRANT USAGE ON SCHEMA model_deploy TO md_versions_user;
GRANT SELECT ON probe TO md_versions_user;
SET ROLE md_versions_user;
SELECT pg_temp.error_of($$SELECT model_deploy.activate('vm', 1)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_version('vm', 1)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.drop_model('vm')$$);
SELECT pg_temp.error_of($$SELECT model_deploy_internal._missing('vm', 1)$$);
SELECT pg_temp.error_of($$SELECT count(*) FROM model_deploy.model_version$$);
SELECT count(*) AS visible_versions FROM model_deploy.versions WHERE name = 'vm';
SELECT * FROM pg_temp.scoring();
RESET ROLE;
REVOKE USAGE ON SCHEMA model_deploy FROM md_versions_user;
REVOKE SELECT ON probe FROM md_versions_user;
DROP ROLE md_versions_user;

-- the admin functions are SECURITY DEFINER with a safe search_path, and
-- not executable by PUBLIC
SELECT proname, prosecdef,
	   proconfig = ARRAY['search_path=pg_catalog, pg_temp'] AS safe_path,
	   has_function_privilege('public', oid, 'EXECUTE') AS public_may_run
  FROM pg_proc
 WHERE pronamespace = 'model_deploy'::regnamespace
   AND proname IN ('activate', 'drop_version', 'drop_model')
 ORDER BY proname;

SELECT model_deploy.drop_model('vm'), model_deploy.drop_model('vm_fresh');
