--
-- Categorical (text) features of native models by name: text, varchar and
-- char(n) columns and JSON strings in predict(), predict_proba(),
-- predict_raw(), predict_class(), predict_pinned(), score_trigger() and
-- score_table(); class labels into text columns; and every error.
--
-- Models (test/fixtures/native, explained in sql/native.sql):
--   churn   age (numeric), plan (basic/premium/pro, one-hot, unknown plans
--           refused: handle_unknown 'error'); logistic regression with
--           margin 0.5 * (age - 40) / 10 + {-1.0, 0.25, 1.0}[plan] + 0.1,
--           a missing age imputed with 40; classes stay, churn.
--   mixed   load, floors, roof (flat/gable/hip; ordinal on flat, gable and
--           missing = 9; any other roof, hip included, is -1): averaged
--           trees, classes ok, fails.
--   price   x, color (red/green, ordinal, unknown -1): a regression.
-- Probabilities: 1 / (1 + exp(-margin)), computed with Python's math.exp:
--   0.85 -> 0.7005671424739729   1.1 -> 0.7502601055951177
--   -1.9 -> 0.13010847436299786  2.1 -> 0.8909031788043871
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/prelude.sql
\set ECHO all
CREATE SCHEMA categories;
SET search_path = categories, public;
\set dir :abs_srcdir '/fixtures/native/'
SELECT model_deploy.deploy('k_churn', pg_read_file(:'dir' || 'churn.json')) AS v;
SELECT model_deploy.deploy('k_mixed', pg_read_file(:'dir' || 'mixed.json')) AS v;
SELECT model_deploy.deploy('k_price', pg_read_file(:'dir' || 'price.json')) AS v;
SELECT model_deploy.deploy('k_segments', pg_read_file(:'dir' || 'segments.json')) AS v;
SELECT model_deploy.deploy('k_iris', pg_read_file(:'fx' || 'iris_softprob.model.json')) AS v;

-- A table with a text column: every by-name function reads the plan
-- by name; the note column is ignored.
CREATE TABLE customers (id int, age float8, plan text, note text);
INSERT INTO customers VALUES
	(1, 50, 'premium', 'margin 0.85'),
	(2, NULL, 'pro', 'age imputed 40: margin 1.1'),
	(3, 20, 'basic', 'margin -1.9'),
	(4, 60, 'pro', 'margin 2.1');
SELECT id, model_deploy.predict('k_churn', c) AS p,
	   model_deploy.predict_proba('k_churn', c) AS proba,
	   model_deploy.predict_raw('k_churn', c) AS raw,
	   model_deploy.predict_class('k_churn', c) AS class
  FROM customers c ORDER BY id;
-- the same as the category codes in an array (basic 0, premium 1, pro 2)
SELECT bool_and(model_deploy.predict_raw('k_churn', c) =
				model_deploy.predict_raw('k_churn', ARRAY[c.age,
					array_position(ARRAY['basic', 'premium', 'pro'], c.plan) - 1]))
		   AS same_as_codes
  FROM customers c;
-- the issue's example
SELECT model_deploy.predict_class('k_churn', c) FROM customers c WHERE id = 1;

-- varchar, char(n) (its trailing blanks do not count, as in a cast to
-- text), domains over them, and integer/numeric ages
CREATE DOMAIN plan_name AS varchar(10) CHECK (VALUE <> '');
CREATE TABLE typed (id int, age integer, plan varchar(10), plan_c char(10),
	plan_d plan_name, age_n numeric);
INSERT INTO typed VALUES (1, 50, 'premium', 'premium', 'premium', 50),
						 (2, 60, 'pro', 'pro', 'pro', 60);
SELECT id, model_deploy.predict_raw('k_churn', t) AS varchar_raw
  FROM (SELECT id, age, plan FROM typed) t ORDER BY id;
SELECT id, model_deploy.predict_raw('k_churn', t) AS char_raw
  FROM (SELECT id, age_n AS age, plan_c AS plan FROM typed) t ORDER BY id;
SELECT id, model_deploy.predict_raw('k_churn', t) AS domain_raw
  FROM (SELECT id, age, plan_d AS plan FROM typed) t ORDER BY id;
SELECT octet_length(plan_c) AS char_stored_bytes FROM typed WHERE id = 2;

-- an encoder that ignores unknown text: every unknown name is code -1
-- (hip is a category of the feature but not of its encoder), NULL is the
-- encoder's missing category (9).  mixed.json worked out in test_native.c:
-- (30, 2, flat) 0.125, (80, 1, gable) 0.875, (500, 3, hip) 0.375,
-- (30, NULL, NULL) 0.625.
CREATE TABLE buildings (id int, load float8, floors int, roof text);
INSERT INTO buildings VALUES (1, 30, 2, 'flat'), (2, 80, 1, 'gable'),
	(3, 500, 3, 'hip'), (4, 500, 3, 'dome'), (5, 500, 3, 'Flat'),
	(6, 30, NULL, NULL), (7, 500, 3, repeat('thatch', 20000));
SELECT id, model_deploy.predict('k_mixed', b) AS p_fails,
	   model_deploy.predict_class('k_mixed', b) AS class
  FROM buildings b ORDER BY id;
-- row 7's roof is stored compressed: it is decompressed to be looked up
SELECT pg_column_size(roof) < octet_length(roof) AS compressed FROM buildings WHERE id = 7;

-- JSON: category names as strings; null or an absent key is missing
SELECT model_deploy.predict('k_churn', '{"age": 50, "plan": "premium"}'::jsonb) AS p,
	   model_deploy.predict_proba('k_churn', '{"plan": "pro", "age": null}'::jsonb) AS proba,
	   model_deploy.predict_raw('k_churn', '{"plan": "pro"}'::jsonb) AS raw_age_imputed,
	   model_deploy.predict_class('k_churn', '{"age": 20, "plan": "basic"}'::jsonb) AS class;
SELECT model_deploy.predict('k_mixed', '{"load": 500, "floors": 3, "roof": "dome"}'::jsonb) AS unknown_roof,
	   model_deploy.predict('k_mixed', '{"load": 30}'::jsonb) AS all_missing;

-- predict_class() of other models, by row and by JSON: XGBoost classes
-- are their index (iris row 1 is class 2), k-means clusters their number
SELECT model_deploy.predict_class('k_iris',
	'{"sepal_length": 5.8, "sepal_width": 2.8, "petal_length": 5.1, "petal_width": 2.4}'::jsonb) AS iris_class,
	   model_deploy.predict_class('k_iris', f) AS iris_class_row
  FROM (SELECT 5.8 AS sepal_length, 2.8 AS sepal_width, 5.1 AS petal_length,
			   2.4 AS petal_width) f;
SELECT model_deploy.predict_class('k_segments', '{"a": 9, "b": 9}'::jsonb) AS cluster,
	   model_deploy.predict_class('k_segments', s) AS cluster_row
  FROM (SELECT 1 AS a, 2 AS b) s;
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('k_price', '{"x": 0.2, "color": "red"}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('k_price', p) FROM (SELECT 0.2 AS x, 'red' AS color) p$$);

-- predict_pinned() takes the same rows
SELECT id, model_deploy.predict_pinned('k_churn', 1, c) = model_deploy.predict('k_churn', c) AS pinned_same
  FROM customers c ORDER BY id;
CREATE INDEX customers_risk ON customers (model_deploy.predict_pinned('k_churn', 1, customers));
SET enable_seqscan = off;
SELECT id FROM customers c
 WHERE model_deploy.predict_pinned('k_churn', 1, c) > 0.8 ORDER BY id;
RESET enable_seqscan;

-- Errors.  An unknown name where the encoder says 'error', by row, by JSON
-- and in an array (code -1): 22023, naming the feature and the value.
-- Names match exactly: case and blanks count.
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, 'gold' AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('k_churn', c) FROM (SELECT 50 AS age, 'Premium'::varchar AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, 'pro '::text AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, ''::text AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_proba('k_churn', '{"age": 50, "plan": "gold"}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', ARRAY[50, -1])$$);
-- a long unknown name is quoted to 100 bytes
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, repeat('x', 100000) AS plan) c$$);
-- a missing plan: the encoder has no missing category and no imputer
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, NULL::text AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', '{"age": 50}'::jsonb)$$);
-- columns of the wrong kind: numbers for a categorical feature (codes
-- are for arrays only), text for a numeric one (42804, naming the column)
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, 1 AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, 1.0 AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, true AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT '50'::text AS age, 'pro' AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', c) FROM (SELECT 50 AS age, 'pro'::name AS plan) c$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_pinned('k_churn', 1, c) FROM (SELECT 50 AS age, 2 AS plan) c$$);
-- JSON values of the wrong kind
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', '{"age": 50, "plan": 1}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', '{"age": 50, "plan": true}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('k_churn', '{"age": 50, "plan": ["pro"]}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict('k_churn', '{"age": "50", "plan": "pro"}'::jsonb)$$);
SELECT pg_temp.error_of($$SELECT model_deploy.predict_class('k_churn', '["pro"]'::jsonb)$$);

-- Streaming: text features in, class labels out.  A text column gets the
-- label, a char(n) one the label padded, a domain's check applies, and a
-- float8 column the probability, from the same row.
CREATE DOMAIN churn_label AS text CHECK (VALUE IN ('stay', 'churn'));
CREATE TABLE signups (id int, age float8, plan text, label text,
	label_c char(6), label_d churn_label, p float8);
CREATE TRIGGER label BEFORE INSERT OR UPDATE ON signups FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_churn', 'label');
CREATE TRIGGER label_c BEFORE INSERT OR UPDATE ON signups FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_churn', 'label_c');
CREATE TRIGGER label_d BEFORE INSERT OR UPDATE ON signups FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_churn', 'label_d');
CREATE TRIGGER p BEFORE INSERT OR UPDATE ON signups FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_churn', 'p');
INSERT INTO signups (id, age, plan) VALUES (1, 50, 'premium'), (2, 20, 'basic');
COPY signups (id, age, plan) FROM STDIN (FORMAT csv);
3,,pro
4,60,pro
\.
UPDATE signups SET plan = 'pro' WHERE id = 2;
SELECT id, plan, label, label_c || '|' AS label_c, label_d, p FROM signups ORDER BY id;
-- an unknown plan fails the statement; nothing is inserted
SELECT pg_temp.error_of($$INSERT INTO signups (id, age, plan) VALUES (5, 30, 'basic'), (6, 30, 'gold')$$);
SELECT count(*) FROM signups;
-- ... unless on_error=null: NULL and a WARNING
CREATE TABLE signups_tolerant (id int, age float8, plan text, label text);
CREATE TRIGGER label BEFORE INSERT ON signups_tolerant FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_churn', 'label', 'on_error=null');
INSERT INTO signups_tolerant VALUES (1, 30, 'gold'), (2, 60, 'pro');
SELECT * FROM signups_tolerant ORDER BY id;
-- a varchar(n) too short for a label is refused as an assignment would be
CREATE TABLE signups_short (id int, age float8, plan text, label varchar(4));
CREATE TRIGGER label BEFORE INSERT ON signups_short FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_churn', 'label');
INSERT INTO signups_short VALUES (1, 20, 'basic');
SELECT pg_temp.error_of($$INSERT INTO signups_short VALUES (2, 60, 'pro')$$);
SELECT * FROM signups_short;
-- a regression has no label; a feature column of the wrong kind
CREATE TABLE quotes (x float8, color text, label text, color_code int);
CREATE TRIGGER label BEFORE INSERT ON quotes FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_price', 'label');
SELECT pg_temp.error_of($$INSERT INTO quotes (x, color) VALUES (0.2, 'green')$$);
CREATE TABLE quotes_coded (x float8, color int, price float8);
CREATE TRIGGER price BEFORE INSERT ON quotes_coded FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_price', 'price');
SELECT pg_temp.error_of($$INSERT INTO quotes_coded VALUES (0.2, 1)$$);
-- a regression into a float8 column, with a text feature: green is 14,
-- an unknown color 12 (code -1), as in sql/native.sql
CREATE TABLE quotes_priced (x float8, color varchar, price float8);
CREATE TRIGGER price BEFORE INSERT ON quotes_priced FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_price', 'price');
INSERT INTO quotes_priced VALUES (0.2, 'green'), (0.2, 'purple');
SELECT * FROM quotes_priced;
-- an UPDATE that leaves a compressed unknown roof in place re-reads it
CREATE TABLE roofs (id int, load float8, floors int, roof text, p float8);
CREATE TRIGGER p BEFORE INSERT OR UPDATE ON roofs FOR EACH ROW
	EXECUTE FUNCTION model_deploy.score_trigger('k_mixed', 'p');
INSERT INTO roofs VALUES (1, 500, 3, repeat('thatch', 20000));
UPDATE roofs SET load = 30;
-- load 30 goes left in tree 1 (0.25), roof -1 left then floors 3 -> 0:
-- (0.25 + 0) / 2
SELECT id, load, p FROM roofs;

-- Batch: score_table() into a text column, with a text feature
SET client_min_messages = warning;
CREATE TABLE accounts AS
	SELECT g AS id, 20 + g % 50 AS age,
		   (ARRAY['basic', 'premium', 'pro'])[1 + g % 3] AS plan,
		   NULL::text AS label, NULL::char(5) AS label_c
	  FROM generate_series(1, 3000) g;
CALL model_deploy.score_table('accounts', 'k_churn', 'label', 1000);
CALL model_deploy.score_table('accounts', 'k_churn', 'label_c');
RESET client_min_messages;
-- the label is 'churn' where the margin is above 0 (LogisticRegression's
-- rule); at ages 33 (premium) and 58 (basic) the margin is a rounding
-- error above 0 (about 3e-17): 'churn', though P(churn) rounds to 0.5
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE label = model_deploy.predict_class('k_churn', a)) AS label_ok,
	   count(*) FILTER (WHERE label_c = left(label, 5)::char(5)) AS label_c_ok,
	   count(*) FILTER (WHERE label = CASE WHEN (model_deploy.predict_raw('k_churn', a))[1] > 0
										   THEN 'churn' ELSE 'stay' END) AS label_is_margin_over_0,
	   count(*) FILTER (WHERE model_deploy.predict('k_churn', a) = 0.5 AND label = 'churn') AS churn_at_half
  FROM accounts a;
SELECT label, count(*) FROM accounts GROUP BY label ORDER BY label;
-- refused before any work: a regression into text, a coded feature column
-- (CALL, not error_of(): score_table() commits, so it cannot run in a
-- function)
CALL model_deploy.score_table('quotes', 'k_price', 'label');
CALL model_deploy.score_table('quotes_coded', 'k_price', 'price');
