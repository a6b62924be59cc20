-- Test data loaded with \i by several pg_regress tests (not a test): the
-- 200 input rows of bc_logistic (test/fixtures/xgboost; :fx is that
-- directory) in a table "patients" of the current schema, and XGBoost's
-- answers for them in "expected".
--
-- patients has the 30 features as columns named like the model's features
-- but in reverse order, between an id and a column that is no feature; the
-- CSV's empty fields (missing values) are NULL.  expected has XGBoost's
-- margin m0 and probability p0 for each id.
SELECT string_to_array(split_part(pg_read_file(:'fx' || 'bc_logistic.input.csv'), E'\r\n', 1), ',')
	AS bc_features \gset
SELECT format('CREATE TABLE patients (id serial, %s, note text DEFAULT ''n/a'')',
			  string_agg(format('%I float8', f), ', ' ORDER BY n DESC))
  FROM unnest(:'bc_features'::text[]) WITH ORDINALITY AS u(f, n) \gexec
SELECT format('COPY patients (%s) FROM %L WITH (FORMAT csv, HEADER)',
			  string_agg(quote_ident(f), ', ' ORDER BY n), :'fx' || 'bc_logistic.input.csv')
  FROM unnest(:'bc_features'::text[]) WITH ORDINALITY AS u(f, n) \gexec
CREATE TABLE expected (id serial, m0 float8, p0 float8);
SELECT format('COPY expected (m0, p0) FROM %L WITH (FORMAT csv, HEADER)',
			  :'fx' || 'bc_logistic.expected.csv') \gexec
