--
-- The install script and the SQL functions do not depend on search_path:
-- hostile objects in public and in pg_temp, looked up before pg_catalog,
-- are never called, and deploy/grant/predict still do the right thing.
-- In a database of its own, so that the extension is created after the
-- hostile objects exist.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set iris_file :abs_srcdir '/fixtures/xgboost/iris_softprob.model.json'
\set diab_file :abs_srcdir '/fixtures/xgboost/diabetes_reg.model.json'
SELECT pg_read_file(:'iris_file') AS iris \gset
SELECT pg_read_file(:'diab_file') AS diab \gset
CREATE DATABASE regress_md_hostile;
\c regress_md_hostile
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all

CREATE ROLE regress_attacker;
GRANT CREATE ON SCHEMA public TO regress_attacker;
SET ROLE regress_attacker;
-- every hostile object leaves a trace here when called
CREATE TABLE public.hijacks (what text);
GRANT INSERT, SELECT ON public.hijacks TO PUBLIC;
CREATE FUNCTION public.hijacked(what text) RETURNS boolean LANGUAGE sql
	AS $$ INSERT INTO public.hijacks VALUES (what) RETURNING true $$;
CREATE FUNCTION public.text_eq(text, text) RETURNS boolean LANGUAGE sql
	AS $$ SELECT public.hijacked('text =') $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_eq);
CREATE FUNCTION public.regrole_eq(regrole, regrole) RETURNS boolean LANGUAGE sql
	AS $$ SELECT public.hijacked('regrole =') $$;
CREATE OPERATOR public.= (LEFTARG = regrole, RIGHTARG = regrole, FUNCTION = public.regrole_eq);
CREATE FUNCTION public.int_plus(integer, integer) RETURNS integer LANGUAGE sql
	AS $$ SELECT 1000 WHERE public.hijacked('integer +') $$;
CREATE OPERATOR public.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.int_plus);
CREATE FUNCTION public.append(regrole[], regrole) RETURNS regrole[] LANGUAGE sql
	AS $$ SELECT '{}'::regrole[] WHERE public.hijacked('regrole[] ||') $$;
CREATE OPERATOR public.|| (LEFTARG = regrole[], RIGHTARG = regrole, FUNCTION = public.append);
CREATE FUNCTION public.coalesce(integer, integer) RETURNS integer LANGUAGE sql
	AS $$ SELECT 1000 WHERE public.hijacked('coalesce') $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
	AS $$ SELECT '2000-01-01'::timestamptz WHERE public.hijacked('now') $$;
CREATE FUNCTION public.octet_length(text) RETURNS integer LANGUAGE sql
	AS $$ SELECT -1 WHERE public.hijacked('octet_length') $$;
CREATE FUNCTION public.length(text) RETURNS integer LANGUAGE sql
	AS $$ SELECT 1 WHERE public.hijacked('length') $$;
CREATE FUNCTION public.array_remove(regrole[], regrole) RETURNS regrole[] LANGUAGE sql
	AS $$ SELECT $1 WHERE public.hijacked('array_remove') $$;
CREATE FUNCTION public.max_sfunc(integer, integer) RETURNS integer LANGUAGE sql
	AS $$ SELECT 1000 WHERE public.hijacked('max') $$;
CREATE AGGREGATE public.max(integer) (SFUNC = public.max_sfunc, STYPE = integer);
RESET ROLE;

-- the installing superuser has public first in its search_path
SET search_path = public, pg_catalog;
CREATE EXTENSION model_deploy;
SELECT count(*) AS hijacks_by_install FROM public.hijacks;

-- deploy numbers versions per model and keeps one active
SELECT model_deploy.deploy('h_iris', :'iris') AS v1,
	   model_deploy.deploy('h_iris', :'iris') AS v2,
	   model_deploy.deploy('h_diab', :'diab') AS other_model;
SELECT name, version, active, source_bytes = pg_catalog.octet_length(source) AS bytes_right,
	   created_at OPERATOR(pg_catalog.>) '2001-01-01' AS created_now
  FROM model_deploy.model_version ORDER BY name, version;
SELECT name, version FROM model_deploy.models ORDER BY name;
-- the first row of iris_softprob.input.csv: XGBoost says class 2
SELECT model_deploy.predict('h_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);
-- versions stay immutable (the trigger's IS DISTINCT FROM is not hijacked)
SELECT pg_temp.error_of($$UPDATE model_deploy.model_version SET source = 'x' WHERE name OPERATOR(pg_catalog.=) 'h_iris'$$);

-- grants build the right role lists
CREATE ROLE regress_scorer;
CREATE ROLE regress_other;
SELECT model_deploy.grant_model('h_iris', 'regress_scorer'),
	   model_deploy.grant_model('h_iris', 'regress_other'),
	   model_deploy.revoke_model('h_iris', 'regress_scorer');
SELECT name, roles FROM model_deploy.model_acl;

-- a model administrator with hostile temporary objects of its own, first
-- in its search_path, calling the SECURITY DEFINER functions
GRANT EXECUTE ON FUNCTION model_deploy.deploy(text, text, text),
					  model_deploy.grant_model(text, name) TO regress_attacker;
SET ROLE regress_attacker;
CREATE TEMP TABLE model_version (name text, version integer, active boolean);
CREATE TEMP TABLE model_acl (name text, roles regrole[]);
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql
	AS $$ SELECT '2000-01-01'::timestamptz WHERE public.hijacked('pg_temp.now') $$;
SET search_path = pg_temp, public;
SELECT model_deploy.deploy('h_iris', :'iris') AS v3;
SELECT model_deploy.grant_model('h_iris', 'regress_scorer');
SELECT count(*) AS temp_rows FROM pg_temp.model_version;
RESET ROLE;
SET search_path = public, pg_catalog;
SELECT name, version, active FROM model_deploy.model_version
 WHERE name OPERATOR(pg_catalog.=) 'h_iris' ORDER BY version;
SELECT name, roles FROM model_deploy.model_acl;
SELECT model_deploy.predict('h_iris', ARRAY[5.8, 2.8, 5.1, 2.4]);

-- nothing hostile ran, at any point
SELECT count(*) AS hijacks FROM public.hijacks;

\c contrib_regression
DROP DATABASE regress_md_hostile;
DROP ROLE regress_attacker, regress_scorer, regress_other;
