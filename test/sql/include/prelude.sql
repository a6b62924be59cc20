-- Start of the pg_regress tests of the scoring modes (loaded with \i, not a
-- test): the extension, created quietly whether or not an earlier test did,
-- the shared helpers, and :fx, the directory of the XGBoost fixtures.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS model_deploy;
RESET client_min_messages;
\i :abs_srcdir/sql/include/helpers.sql
\set fx :abs_srcdir '/fixtures/xgboost/'
