--
-- export_compiled(): the compiled model the database scores with, for
-- libmdscore and the mdscore command.  (That the exported bytes score
-- exactly as SQL does is checked by test/t/013_edge_identical.pl.)
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all
\set iris_file :abs_srcdir '/fixtures/xgboost/iris_softprob.model.json'
\set diab_file :abs_srcdir '/fixtures/xgboost/diabetes_reg.model.json'
SELECT model_deploy.deploy('edge_m', pg_read_file(:'iris_file')) AS v1;
SELECT model_deploy.deploy('edge_m', pg_read_file(:'diab_file')) AS v2;

-- a blob starts with its magic number "mdscore\0", and is as long as the
-- registry says the compiled model is, for the active version and for v1
SELECT substr(model_deploy.export_compiled('edge_m'), 1, 8) = '\x6d6473636f726500'::bytea AS magic,
	   length(model_deploy.export_compiled('edge_m')) = m.compiled_bytes AS active_size,
	   length(model_deploy.export_compiled('edge_m', 1)) = v.compiled_bytes AS v1_size,
	   model_deploy.export_compiled('edge_m', 2) = model_deploy.export_compiled('edge_m') AS v2_is_active,
	   model_deploy.export_compiled('edge_m', 1) <> model_deploy.export_compiled('edge_m') AS v1_differs
  FROM model_deploy.models m, model_deploy.model_version v
 WHERE m.name = 'edge_m' AND v.name = 'edge_m' AND v.version = 1;

-- explicit NULL is the active version, as the default is
SELECT model_deploy.export_compiled('edge_m', NULL) = model_deploy.export_compiled('edge_m') AS null_is_active;

-- errors
SELECT pg_temp.error_of($$SELECT model_deploy.export_compiled('nonesuch')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.export_compiled('edge_m', 3)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.export_compiled('edge_m', 0)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.export_compiled(NULL)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.export_compiled('')$$);

-- it reveals the model, as its source does: not for PUBLIC
CREATE ROLE regress_edge_user;
GRANT USAGE ON SCHEMA model_deploy TO regress_edge_user;
SET ROLE regress_edge_user;
SELECT pg_temp.error_of($$SELECT model_deploy.export_compiled('edge_m')$$);
SELECT model_deploy.predict('edge_m', array_fill(0.01, ARRAY[10])) IS NOT NULL AS can_still_predict;
RESET ROLE;
REVOKE USAGE ON SCHEMA model_deploy FROM regress_edge_user;
DROP ROLE regress_edge_user;
