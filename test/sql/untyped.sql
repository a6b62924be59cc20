--
-- Untyped parameters (issue 19): predict($1, $2) with unknown-typed
-- parameters resolves to the (text, text) overloads, which read an array
-- literal, a JSON array or a JSON object.  The oracle is XGBoost itself:
-- bc_logistic's expected margins and probabilities (test/fixtures/xgboost)
-- for its 200 rows, some with missing values.  And every typed call still
-- resolves to the function it resolved to before the text overloads.
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
SELECT model_deploy.deploy('u_bc', pg_read_file(:'fx' || 'bc_logistic.model.json')) AS v;
SELECT model_deploy.deploy('u_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS v;

CREATE SCHEMA untyped;
SET search_path = untyped, public;
\set ECHO none
\i :abs_srcdir/sql/include/patients.sql
\set ECHO all
-- each patient's features in the model's order, as a float8[]
SELECT format('CREATE VIEW patient_array AS SELECT id, ARRAY[%s]::float8[] AS x FROM patients',
			  string_agg(quote_ident(f), ', ' ORDER BY n))
  FROM unnest(:'bc_features'::text[]) WITH ORDINALITY AS u(f, n) \gexec

-- what drivers send: a statement whose parameters have no type
PREPARE score(unknown, unknown) AS SELECT model_deploy.predict($1, $2);
PREPARE score_raw AS SELECT model_deploy.predict_raw($1, $2);
SELECT parameter_types FROM pg_prepared_statements WHERE name IN ('score', 'score_raw') ORDER BY name;

-- as an array literal, a JSON array and a JSON object: margins bit for bit,
-- probabilities within 1e-6 (XGBoost's are float32)
CREATE FUNCTION untyped.run(stmt text, arg text) RETURNS float8[]
LANGUAGE plpgsql AS $$
DECLARE r float8[];
BEGIN
	EXECUTE format('EXECUTE %I(%L, %L)', stmt, 'u_bc', arg) INTO r;
	RETURN r;
END $$;
SELECT count(*) AS scored,
	   count(*) FILTER (WHERE run('score_raw', a.x::text) = ARRAY[e.m0]) AS literal_raw_is_xgboost,
	   count(*) FILTER (WHERE run('score_raw', array_to_json(a.x)::text) = ARRAY[e.m0]) AS json_array_raw_is_xgboost,
	   count(*) FILTER (WHERE run('score_raw', (to_jsonb(p) - 'id' - 'note')::text) = ARRAY[e.m0]) AS json_object_raw_is_xgboost,
	   count(*) FILTER (WHERE abs(model_deploy.predict('u_bc', a.x::text) - e.p0) <= 1e-6) AS predict_is_xgboost,
	   count(*) FILTER (WHERE model_deploy.predict_proba('u_bc', a.x::text) = model_deploy.predict_proba('u_bc', a.x)) AS proba_is_typed,
	   count(*) FILTER (WHERE model_deploy.predict_class('u_bc', a.x::text) = model_deploy.predict_class('u_bc', a.x)) AS class_is_typed,
	   count(*) FILTER (WHERE model_deploy.predict_pinned('u_bc', 1, a.x::text) = model_deploy.predict('u_bc', a.x)) AS pinned_is_typed,
	   count(*) FILTER (WHERE model_deploy.predict_proba_pinned('u_bc', 1, a.x::text) = model_deploy.predict_proba('u_bc', a.x)
						AND model_deploy.predict_raw_pinned('u_bc', 1, a.x::text) = model_deploy.predict_raw('u_bc', a.x)
						AND model_deploy.predict_class_pinned('u_bc', 1, a.x::text) = model_deploy.predict_class('u_bc', a.x)) AS other_pinned_are_typed,
	   count(*) FILTER (WHERE a.x::text ~ 'NULL') AS with_missing_values
  FROM patient_array a JOIN patients p USING (id) JOIN expected e USING (id);

-- the forms a hand or a driver writes: spaces, quoted elements, NULL and
-- null, numbers as JSON and as float8 spell them
EXECUTE score('u_iris', '{5.8,2.8,5.1,2.4}');
EXECUTE score('u_iris', ' { "5.8" , 2.8e0 ,NULL, 2.4 } ');
EXECUTE score('u_iris', '[5.8, 2.8, null, 2.4]');
EXECUTE score('u_iris', '{"petal_width": 2.4, "sepal_length": 5.8, "sepal_width": null}');
SELECT model_deploy.predict_proba('u_iris', '{5.8,2.8,NULL,2.4}') = model_deploy.predict_proba('u_iris', ARRAY[5.8,2.8,NULL,2.4]) AS proba_same;
SELECT * FROM model_deploy.explain('u_iris', '{5.8,2.8,5.1,2.4}', 2);
SELECT model_deploy.explain_json('u_iris', '{"petal_length": 5.1}', 1) ->> 'margin' AS margin;
PREPARE why AS SELECT * FROM model_deploy.explain($1, $2, 1);
EXECUTE why('u_iris', '[5.8, 2.8, 5.1, 2.4]');

-- text that is not features: clear errors with their SQLSTATE
\set VERBOSITY sqlstate
EXECUTE score('u_iris', '{5.8,2.8,5.1}');
EXECUTE score('u_iris', '[5.8,2.8,5.1,2.4,1]');
EXECUTE score('u_iris', '{}');
EXECUTE score('u_iris', '{{5.8,2.8},{5.1,2.4}}');
EXECUTE score('no_such_model', '{1,2,3,4}');
\set VERBOSITY default
EXECUTE score('u_iris', 'hello');
EXECUTE score('u_iris', '');
EXECUTE score('u_iris', '{5.8,2.8,5.1,2.4} and more');
EXECUTE score('u_iris', '{5.8,2.8,5.1,2.4');
EXECUTE score('u_iris', '{5.8,2.8,5.1,x}');
EXECUTE score('u_iris', '{5.8,2.8,5.1,1e999}');
EXECUTE score('u_iris', '{5.8,2.8,5.1,"2.4}');
EXECUTE score('u_iris', '{5.8,2.8,5.1,}');
EXECUTE score('u_iris', '{"sepal_length": 5.8, "bogus": 1}');
EXECUTE score('u_iris', '{"sepal_length": 5.8');
EXECUTE score('u_iris', '{"sepal_length": "long"}');
SELECT model_deploy.predict('u_iris', NULL::text) IS NULL AS strict;

-- typed calls resolve as before: the function each call binds, read from
-- the dependencies of a view over it (f: a row of a table)
CREATE FUNCTION untyped.resolves(call text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE f text;
BEGIN
	EXECUTE format('CREATE TEMP VIEW resolve_probe AS SELECT %s FROM untyped.flower f', call);
	SELECT string_agg(d.refobjid::regprocedure::text, ', ') INTO f
	  FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
	 WHERE r.ev_class = 'resolve_probe'::regclass
	   AND d.classid = 'pg_rewrite'::regclass
	   AND d.refclassid = 'pg_proc'::regclass
	   AND d.refobjid IN (SELECT oid FROM pg_proc
						   WHERE pronamespace = 'model_deploy'::regnamespace);
	DROP VIEW resolve_probe;
	RETURN f;
END $$;
CREATE TABLE flower (sepal_length float8, sepal_width float8,
					 petal_length float8, petal_width float8, label text);
SELECT fn, resolves(format('model_deploy.%s(''u_iris'', %s)', fn, arg)) AS resolves_to
  FROM unnest(ARRAY['predict', 'predict_proba', 'predict_raw', 'predict_class']) AS fn,
	   unnest(ARRAY['''{1,2,3,4}''::float8[]', '''{1,2,3,4}''::float4[]',
					'ARRAY[1.5,2,3,4]', 'ARRAY[1::bigint,2,3,4]', 'ARRAY[1,2,3,4]',
					'ARRAY[1,2,3,4]::smallint[]', 'f', 'row(1.0, 2.0, 3.0, 4.0)',
					'''{"a": 1}''::jsonb', 'f.label', 'f.label::varchar',
					'''{1,2,3,4}''']) WITH ORDINALITY AS a(arg, n)
 ORDER BY fn, n;
-- (the set-returning explain() in a scalar subquery, as a view's column
-- cannot be a record)
SELECT resolves(call) AS resolves_to FROM unnest(ARRAY[
	'(SELECT count(*) FROM model_deploy.explain(''u_iris'', ARRAY[1.0,2,3,4]))',
	'(SELECT count(*) FROM model_deploy.explain(''u_iris'', ARRAY[1,2,3,4], 2))',
	'(SELECT count(*) FROM model_deploy.explain(''u_iris'', f))',
	'(SELECT count(*) FROM model_deploy.explain(''u_iris'', ''{"a": 1}''::jsonb))',
	'(SELECT count(*) FROM model_deploy.explain(''u_iris'', ''{1,2,3,4}''))',
	'model_deploy.explain_json(''u_iris'', ARRAY[1.0,2,3,4])',
	'model_deploy.explain_json(''u_iris'', f, 1)',
	'model_deploy.explain_json(''u_iris'', ''{"a": 1}''::jsonb)',
	'model_deploy.explain_json(''u_iris'', ''[1,2,3,4]'')',
	'model_deploy.predict_pinned(''u_iris'', 1, ARRAY[1.0,2,3,4])',
	'model_deploy.predict_pinned(''u_iris'', 1, f)',
	'model_deploy.predict_pinned(''u_iris'', 1, ''{1,2,3,4}'')',
	'model_deploy.predict_proba_pinned(''u_iris'', 1, ''{1,2,3,4}'')',
	'model_deploy.predict_raw_pinned(''u_iris'', 1, ARRAY[1.0,2,3,4])',
	'model_deploy.predict_class_pinned(''u_iris'', 1, ''{1,2,3,4}'')']) WITH ORDINALITY AS c(call, n)
 ORDER BY n;

DEALLOCATE ALL;
RESET search_path;
DROP SCHEMA untyped CASCADE;
SELECT model_deploy.drop_model('u_bc');
SELECT model_deploy.drop_model('u_iris');
