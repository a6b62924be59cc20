--------------------------------------------------------------------------
-- Scoring by feature array.  NULL (or NaN) elements are missing values.
-- One overload per numeric array type, so that ARRAY[1,2,3] (integer[]) and
-- ARRAY[1.5,2] (numeric[]) each match exactly and never hit "function is not
-- unique"; an untyped literal needs a cast: '{1.5,2}'::float8[].
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.predict(name text, features float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features float4[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features numeric[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features integer[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict(name text, features smallint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_proba(name text, features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features float4[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features numeric[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features bigint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features integer[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features smallint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict_raw(name text, features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features float4[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features numeric[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features bigint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features integer[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features smallint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

--------------------------------------------------------------------------
-- Class labels.  predict_class() returns the label of the predicted class:
-- a native classifier's own labels (e.g. 'churn'), the class index as text
-- for XGBoost classifiers ('0', '1', ...), the cluster number for k-means.
-- Categorical features of native models are passed in arrays as their
-- category codes (positions in the feature's list of categories, -1 for an
-- unknown category, NULL for missing), by name as text (the section on
-- class labels of rows below).  Same overloads as predict().
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.predict_class(name text, features float8[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features float4[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features numeric[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features bigint[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features integer[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features smallint[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_array'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

--------------------------------------------------------------------------
-- Scoring modes (docs/scoring-modes.md): features by name from a row or a
-- jsonb object, pinned versions (the streaming trigger and the chunked
-- batch job follow in their own files).
--------------------------------------------------------------------------

-- Features by name: each model feature is read from the row's column (or
-- the object's key) of that name; NULL, or an absent key, is missing.
-- `record` and `jsonb` never compete with the array overloads above:
-- predict('m', t) takes the row t, predict('m', '{"a": 1}'::jsonb) JSON.
CREATE FUNCTION @extschema@.predict(name text, features record)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.predict(name text, features jsonb)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features jsonb)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features jsonb)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

--------------------------------------------------------------------------
-- Class labels of rows and JSON objects: predict_class() by name, as
-- predict() by name above.  A categorical feature of a native model is
-- read from a text, varchar or char column (a JSON string) holding the
-- category name, in every by-name entry point (predict*, predict_pinned,
-- score_trigger, score_table); score_trigger() and score_table() store the
-- class label in a text, varchar or char target column.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.predict_class(name text, features record)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_row'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features jsonb)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_jsonb'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

-- One fixed version: IMMUTABLE (a version never changes), so usable in
-- generated columns and expression indexes.  Scoring a version that was
-- dropped is an error (42704), never another version's answer.
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features record)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Every output with one fixed version: IMMUTABLE, so Citus pushes them
-- down into distributed UPDATEs (it refuses STABLE functions there), and
-- usable in generated columns and indexes.  The version number names the
-- same version (the same deploy_id) on every node.
CREATE FUNCTION @extschema@.predict_proba_pinned(name text, version integer,
												 features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba_pinned(name text, version integer,
												 features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw_pinned(name text, version integer,
											   features float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw_pinned(name text, version integer,
											   features record)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class_pinned(name text, version integer,
												 features float8[])
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_array'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class_pinned(name text, version integer,
												 features record)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_row'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Features as text (untyped parameters), for drivers that leave a
-- parameter's type to the server: in "SELECT model_deploy.predict($1,
-- $2)" both are unknown, and of all the overloads PostgreSQL's resolution prefers the one of the
-- string category, so this one is chosen instead of "function is not
-- unique".  The text is an array literal ({1.5,2,NULL}), a JSON array
-- ([1.5, 2, null]) or a JSON object ({"age": 34}), read as the float8[] or
-- jsonb overload reads it.  No implicit cast reaches text from an array,
-- a row or jsonb, so every typed call keeps the function it had.

CREATE FUNCTION @extschema@.predict(name text, features text)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba(name text, features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw(name text, features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class(name text, features text)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_text'
LANGUAGE C STRICT STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_pinned(name text, version integer,
										   features text)
RETURNS float8 AS 'MODULE_PATHNAME', 'md_predict_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_proba_pinned(name text, version integer,
                                                 features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_proba_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_raw_pinned(name text, version integer,
                                               features text)
RETURNS float8[] AS 'MODULE_PATHNAME', 'md_predict_raw_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.predict_class_pinned(name text, version integer,
                                                 features text)
RETURNS text AS 'MODULE_PATHNAME', 'md_predict_class_pinned_text'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

