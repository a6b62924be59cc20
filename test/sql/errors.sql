--
-- Every error a user can provoke in the foundation: a clear message, a
-- proper SQLSTATE, a hint where one helps, and nothing stored.
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
SELECT pg_read_file(:'iris_file') AS iris \gset
SELECT pg_read_file(:'diab_file') AS diab \gset
SELECT model_deploy.deploy('e_iris', :'iris');
SELECT model_deploy.deploy('e_diabetes', :'diab');

-- scoring
SELECT pg_temp.error_of($$SELECT model_deploy.predict('nonesuch', ARRAY[1, 2, 3, 4])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('e_iris', ARRAY[1, 2, 3])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('e_iris', ARRAY[1, 2, 3, 4, 5]::float4[])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('e_iris', '{}'::float8[])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('e_iris', ARRAY[[1, 2], [3, 4]])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('', ARRAY[1, 2, 3, 4])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict(repeat('x', 64), ARRAY[1, 2, 3, 4])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_proba('e_diabetes', array_fill(1.0, ARRAY[10]))$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('e_iris', ARRAY[1e400, 2, 3, 4])$$);
-- an untyped literal is read as text: an array literal or JSON (sql/untyped.sql)
SELECT pg_temp.error_of($$SELECT model_deploy.predict('e_iris', '{5.8,2.8,5.1,2.4}')$$);

-- deployment: syntax
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', 'not json')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', '{"learner": {')$$);
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris' || ' trailing garbage'));
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', '{"learner": "x\u0000y"}')$$);
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', repeat('[', 65) || repeat(']', 65)));
-- deployment: not a model, or not one we support
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', '{"a": 1}')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', '[1, 2, 3]')$$);
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L, %L)', 'bad', :'iris', 'pmml'));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'iris', 'multi:softprob', 'reg:linear')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'iris', '"gbtree"', '"gbforest"')));
-- deployment: inconsistent models
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'iris', '"num_feature":"4"', '"num_feature":"2"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'iris', '"base_score":"5E-1"', '"base_score":"1e999"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'iris', '"base_score":"5E-1"', '"base_score":"zero"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'diab', '"num_class":"0"', '"num_class":"3"')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', replace(:'iris', '"num_nodes":"7"', '"num_nodes":"9"')));
-- deployment: trees that are not trees, indices out of range, NaN thresholds
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'iris', '"left_children":\[1,', '"left_children":[0,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'iris', '"left_children":\[1,', '"left_children":[99,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'iris', '"split_indices":\[[0-9]+,', '"split_indices":[7,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'iris', '"split_conditions":\[[^,]+,', '"split_conditions":[NaN,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'iris', '"split_conditions":\[[^,]+,', '"split_conditions":[1e999,')));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', regexp_replace(:'iris', '"tree_info":\[0,', '"tree_info":[5,')));
-- deployment: arguments
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', '', :'iris'));
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', repeat('m', 64), :'iris'));
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('bad', NULL)$$);
SELECT count(*) AS bad_versions FROM model_deploy.model_version WHERE name = 'bad';

-- a failed redeploy leaves the previous version serving
SELECT pg_temp.error_of($$SELECT model_deploy.deploy('e_iris', 'garbage')$$);
SELECT version FROM model_deploy.models WHERE name = 'e_iris';
SELECT model_deploy.predict('e_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);

-- versions are immutable
SELECT pg_temp.error_of($$UPDATE model_deploy.model_version SET source = '{}' WHERE name = 'e_iris'$$);

-- limits are enforced (and only a superuser may change them)
SET model_deploy.max_trees = 10;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris'));
RESET model_deploy.max_trees;
SET model_deploy.max_features = 3;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris'));
RESET model_deploy.max_features;
SET model_deploy.max_depth = 2;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris'));
RESET model_deploy.max_depth;
SET model_deploy.max_nodes_per_tree = 3;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris'));
RESET model_deploy.max_nodes_per_tree;
SET model_deploy.max_classes = 2;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris'));
RESET model_deploy.max_classes;
SET model_deploy.max_model_size = '64kB';
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'bad', :'iris'));
RESET model_deploy.max_model_size;
