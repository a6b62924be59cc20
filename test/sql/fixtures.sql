--
-- Accuracy against XGBoost itself: every fixture in test/fixtures/xgboost
-- (written by Debian's python3-xgboost, see test/fixtures/make_fixtures.py)
-- is deployed and scored through SQL.  Raw margins must equal XGBoost's
-- output_margin=True bit for bit; predictions and class probabilities must
-- lie within 1e-6 of XGBoost's predict().
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
\set ECHO none
\i :abs_srcdir/sql/include/helpers.sql
\set ECHO all

CREATE TEMP TABLE fixture AS
	SELECT replace(f, '.model.json', '') AS name
	  FROM pg_ls_dir(current_setting('md_test.fixtures')) AS f
	 WHERE f LIKE '%.model.json';

SELECT count(*) >= 27 AS enough_fixtures FROM fixture;

SELECT count(*) = (SELECT count(*) FROM fixture) AS all_deployed
  FROM fixture,
	   LATERAL model_deploy.deploy('fx_' || name,
			pg_read_file(current_setting('md_test.fixtures') || '/' || name || '.model.json')) AS v;

-- Per fixture: rows scored, margins that differ from XGBoost's in any bit,
-- and predictions (or probabilities) further than 1e-6 from XGBoost's.
WITH cases AS (
	SELECT f.name, c.n, c.x, c.want AS expected, c.cols
	  FROM fixture f,
		   LATERAL pg_temp.fixture_cases(f.name, '.expected.csv') c
), scored AS (
	SELECT name, x, expected, cols,
		   model_deploy.predict_raw('fx_' || name, x) AS raw,
		   model_deploy.predict('fx_' || name, x) AS pred,
		   CASE WHEN 'p1' = ANY (cols)
				THEN model_deploy.predict_proba('fx_' || name, x) END AS proba,
		   (SELECT count(*) FROM unnest(cols) c WHERE c LIKE 'm%') AS n_margins
	  FROM cases
)
SELECT name,
	   count(*) AS rows,
	   count(*) FILTER (WHERE raw IS DISTINCT FROM expected[1:n_margins]) AS margins_differ,
	   count(*) FILTER (WHERE CASE WHEN proba IS NULL
			THEN NOT abs(pred - expected[n_margins + 1]) <= 1e-6
			ELSE EXISTS (SELECT FROM unnest(proba, expected[n_margins + 1:]) AS u(got, want)
						 WHERE NOT abs(got - want) <= 1e-6) END) AS predictions_off
  FROM scored
 GROUP BY name
 ORDER BY name;
