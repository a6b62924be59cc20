--
-- Privileges: who may deploy, read sources, score each model and read
-- server files.  Every rule is exercised as a non-superuser role.
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
-- the first row of iris_softprob.input.csv: XGBoost says class 2
\set row 'ARRAY[5.8, 2.8, 5.1, 2.4]'

-- a model administrator, as docs/security.md sets one up
CREATE ROLE regress_model_admin;
GRANT EXECUTE ON FUNCTION model_deploy.deploy(text, text, text),
					  model_deploy.deploy_file(text, text, text),
					  model_deploy.grant_model(text, name),
					  model_deploy.revoke_model(text, name)
	TO regress_model_admin;
GRANT SELECT ON model_deploy.model_version, model_deploy.model_acl
	TO regress_model_admin;
CREATE ROLE regress_file_admin IN ROLE regress_model_admin, pg_read_server_files;
-- scoring roles
CREATE ROLE regress_user;
CREATE ROLE regress_analyst;
CREATE ROLE regress_member IN ROLE regress_analyst;
CREATE ROLE regress_noinherit NOINHERIT IN ROLE regress_analyst;

-- What PUBLIC may execute: scoring, nothing that changes models.  (Every
-- new function must appear here, with a deliberate answer.)
-- The helpers are in model_deploy_internal (0.2), which PUBLIC may use.
SELECT p.pronamespace::regnamespace AS schema, p.proname,
       bool_and(has_function_privilege('regress_user', p.oid, 'EXECUTE')) AS public_may_execute
  FROM pg_proc p
 WHERE p.pronamespace IN ('model_deploy'::regnamespace, 'model_deploy_internal'::regnamespace)
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT n.nspname, has_schema_privilege('regress_user', n.oid, 'USAGE') AS public_may_use
  FROM pg_namespace n WHERE n.nspname LIKE 'model\_deploy%' ORDER BY 1;

-- Model sources are not readable by PUBLIC; the models view is, and has
-- no source column.
SELECT c.relname, has_table_privilege('regress_user', c.oid, 'SELECT') AS public_may_read
  FROM pg_class c
 WHERE c.relnamespace = 'model_deploy'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY c.relname;
SELECT attname FROM pg_attribute
 WHERE attrelid = 'model_deploy.models'::regclass AND attnum > 0 ORDER BY attnum;

-- an ordinary role: scores open models, deploys nothing, reads no sources
SET ROLE regress_model_admin;
SELECT model_deploy.deploy('p_iris', :'iris');
RESET ROLE;
SET ROLE regress_user;
SELECT model_deploy.predict('p_iris', :row);
SELECT name, version FROM model_deploy.models WHERE name = 'p_iris';
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy(%L, %L)', 'p_iris', :'iris'));
SELECT pg_temp.error_of($$SELECT model_deploy.grant_model('p_iris', 'regress_user')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.revoke_model('p_iris', 'public')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.deploy_file('p_iris', '/dev/null')$$);
SELECT pg_temp.error_of($$SELECT source FROM model_deploy.model_version$$);
SELECT pg_temp.error_of($$SELECT * FROM model_deploy.model_acl$$);
SELECT pg_temp.error_of($$SELECT model_deploy_internal._compile('x', '{}', 'auto')$$);
SELECT pg_temp.error_of($$INSERT INTO model_deploy.model_acl VALUES ('p_iris', '{}')$$);
RESET ROLE;

-- the administrator deploys, reads sources and manages rights
SET ROLE regress_model_admin;
SELECT model_deploy.deploy('p_iris', :'iris') AS version;
SELECT count(*) AS sources_readable FROM model_deploy.model_version
 WHERE name = 'p_iris' AND source = :'iris';
SELECT created_by FROM model_deploy.model_version WHERE name = 'p_iris' ORDER BY version;

-- Per-model rights.  The first grant restricts an open model.
SELECT model_deploy.grant_model('p_iris', 'regress_analyst');
SELECT model_deploy.grant_model('p_iris', 'regress_analyst');	-- no duplicate
SELECT name, roles FROM model_deploy.model_acl WHERE name = 'p_iris';
RESET ROLE;
SET ROLE regress_analyst;
SELECT model_deploy.predict('p_iris', :row) AS analyst_scores;
RESET ROLE;
SET ROLE regress_member;
SELECT model_deploy.predict_proba('p_iris', :row)::float4[] AS member_inherits;
RESET ROLE;
SET ROLE regress_noinherit;
SELECT pg_temp.error_of($$SELECT model_deploy.predict('p_iris', ARRAY[5.8, 2.8, 5.1, 2.4])$$) AS noinherit_member;
RESET ROLE;
SET ROLE regress_user;
SELECT pg_temp.error_of($$SELECT model_deploy.predict('p_iris', ARRAY[5.8, 2.8, 5.1, 2.4])$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_raw('p_iris', ARRAY[5.8, 2.8, 5.1, 2.4])$$);
-- a prepared statement checks at each execution (a new call site each time)
PREPARE score AS SELECT model_deploy.predict('p_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);
SELECT pg_temp.error_of('EXECUTE score');
RESET ROLE;
-- a superuser may always score
SELECT model_deploy.predict('p_iris', :row) AS superuser_scores;

-- a new membership counts at once, in a session that was refused before
GRANT regress_analyst TO regress_user;
SET ROLE regress_user;
EXECUTE score;
RESET ROLE;
REVOKE regress_analyst FROM regress_user;
SET ROLE regress_user;
SELECT pg_temp.error_of('EXECUTE score') AS after_membership_revoked;
RESET ROLE;

-- revoking the last role keeps the model restricted (to superusers)
SET ROLE regress_model_admin;
SELECT model_deploy.revoke_model('p_iris', 'regress_analyst');
SELECT name, roles FROM model_deploy.model_acl WHERE name = 'p_iris';
SELECT model_deploy.revoke_model('p_iris', 'regress_analyst');	-- notice
RESET ROLE;
SET ROLE regress_analyst;
SELECT pg_temp.error_of($$SELECT model_deploy.predict('p_iris', ARRAY[5.8, 2.8, 5.1, 2.4])$$) AS analyst_after_revoke;
RESET ROLE;
-- 'public' opens the model to everyone again, and closes it
SET ROLE regress_model_admin;
SELECT model_deploy.grant_model('p_iris', 'public');
SELECT count(*) AS acl_rows FROM model_deploy.model_acl WHERE name = 'p_iris';
RESET ROLE;
SET ROLE regress_user;
EXECUTE score;
RESET ROLE;
SET ROLE regress_model_admin;
SELECT model_deploy.revoke_model('p_iris', 'regress_user');	-- notice: open
SELECT model_deploy.revoke_model('p_iris', 'public');
SELECT name, roles FROM model_deploy.model_acl WHERE name = 'p_iris';
RESET ROLE;
SET ROLE regress_user;
SELECT pg_temp.error_of('EXECUTE score') AS after_revoke_from_public;
RESET ROLE;
-- rights follow the model, not a version: a redeploy keeps them
SET ROLE regress_model_admin;
SELECT model_deploy.grant_model('p_iris', 'regress_user');
SELECT model_deploy.deploy('p_iris', :'iris') AS version;
RESET ROLE;
SET ROLE regress_user;
EXECUTE score;
DEALLOCATE score;
RESET ROLE;

-- mistakes in grants
SELECT pg_temp.error_of($$SELECT model_deploy.grant_model('nonesuch', 'regress_user')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.grant_model('p_iris', 'regress_nonesuch')$$);
SELECT pg_temp.error_of($$SELECT model_deploy.revoke_model('p_iris', NULL)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.grant_model(NULL, 'public')$$);

-- Reading server files needs the privileges of pg_read_server_files, on
-- top of EXECUTE on deploy_file() and deploy().
SELECT model_deploy.deploy_file('p_file', :'iris_file') AS superuser_version;
SET ROLE regress_model_admin;
SELECT replace(pg_temp.error_of(format('SELECT model_deploy.deploy_file(%L, %L)', 'p_file', :'iris_file')), :'abs_srcdir', '$SRC');
SELECT replace(pg_temp.error_of(format('SELECT model_deploy_internal._read_model_file(%L)', :'iris_file')), :'abs_srcdir', '$SRC');
RESET ROLE;
SET ROLE regress_file_admin;
SELECT model_deploy.deploy_file('p_file', :'iris_file') AS file_admin_version;
SELECT model_deploy.deploy_file('p_file', :'iris_file', 'xgboost') AS explicit_format;
SELECT model_deploy.predict('p_file', :row);
SELECT source = :'iris' AS exact_source FROM model_deploy.model_version
 WHERE name = 'p_file' AND version = 2;
RESET ROLE;
-- pg_read_server_files alone does not make a model administrator
CREATE ROLE regress_reader IN ROLE pg_read_server_files;
SET ROLE regress_reader;
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy_file(%L, %L)', 'p_file', :'iris_file'));
RESET ROLE;
-- file errors: missing, not a file, too large (refused before reading)
SELECT regexp_replace(pg_temp.error_of($$SELECT model_deploy.deploy_file('p_file', '/nonexistent/model.json')$$), E'\n.*', '');
SELECT pg_temp.error_of($$SELECT model_deploy.deploy_file('p_file', '/')$$);
SET model_deploy.max_model_size = '64kB';
SELECT pg_temp.error_of(format('SELECT model_deploy.deploy_file(%L, %L)', 'p_file', :'iris_file'));
RESET model_deploy.max_model_size;
SELECT pg_temp.error_of($$SELECT model_deploy.deploy_file('p_file', NULL)$$);
SELECT max(version) AS p_file_versions FROM model_deploy.model_version WHERE name = 'p_file';

-- dropping a model drops its scoring rights: a namesake deployed later is
-- open again, not restricted to the old model's roles
SELECT model_deploy.deploy('p_dropped', :'iris') AS p_dropped_version;
SELECT model_deploy.grant_model('p_dropped', 'regress_analyst');
SELECT count(*) AS acl_rows FROM model_deploy.model_acl WHERE name = 'p_dropped';
SELECT model_deploy.drop_model('p_dropped');
SELECT count(*) AS acl_rows FROM model_deploy.model_acl WHERE name = 'p_dropped';
SELECT model_deploy.deploy('p_dropped', :'iris') AS p_dropped_version;
SET ROLE regress_user;
SELECT model_deploy.predict('p_dropped', :row) AS namesake_is_open;
RESET ROLE;

-- limits are for superusers to set
SET ROLE regress_model_admin;
SELECT pg_temp.error_of($$SET model_deploy.max_trees = 1000000$$);
RESET ROLE;

DROP OWNED BY regress_model_admin, regress_user;
DROP ROLE regress_file_admin, regress_model_admin, regress_user, regress_member,
	regress_noinherit, regress_analyst, regress_reader;
