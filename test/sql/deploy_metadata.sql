--
-- Deploy metadata (issue 18): deploy(name, model, format, metadata jsonb)
-- records where a version came from; it shows in the versions view, is
-- immutable like the version, and must be an object.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
SELECT model_deploy.deploy('dm_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS v;
SELECT model_deploy.deploy('dm_iris', pg_read_file(:'fx' || 'iris_softprob.model.json'), 'auto',
       '{"mlflow": {"run_id": "0123abcd", "model_uri": "models:/iris/3", "version": "3"}}') AS v;
SELECT model_deploy.deploy('dm_iris', pg_read_file(:'fx' || 'iris_softprob.model.json'), 'xgboost', NULL) AS v;
SELECT version, active, metadata FROM model_deploy.versions WHERE name = 'dm_iris' ORDER BY version;
SELECT metadata -> 'mlflow' ->> 'run_id' AS run_id FROM model_deploy.versions
 WHERE name = 'dm_iris' AND version = 2;
-- the scores are those of the model, whatever the metadata
SELECT model_deploy.predict_raw('dm_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);
-- not an object
SELECT model_deploy.deploy('dm_iris', pg_read_file(:'fx' || 'iris_softprob.model.json'), 'auto', '[1, 2]');
SELECT model_deploy.deploy('dm_iris', pg_read_file(:'fx' || 'iris_softprob.model.json'), 'auto', '"text"');
-- immutable
UPDATE model_deploy.model_version SET metadata = '{}' WHERE name = 'dm_iris' AND version = 2;
-- not executable by PUBLIC
SELECT has_function_privilege('public', 'model_deploy.deploy(text, text, text, jsonb)', 'EXECUTE');
SELECT model_deploy.drop_model('dm_iris');
