--------------------------------------------------------------------------
-- Explanations: each feature's contribution to a row's raw margin (exact
-- TreeSHAP for tree models, as XGBoost's pred_contribs=True; coefficient x
-- value for linear ones).  The feature rows come by |contribution|, largest
-- first, cut to top_n; the bias row always comes last and is not counted in
-- top_n, so without top_n the contributions sum to the margin.  Any numeric
-- array converts implicitly to float8[].
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.explain(name text, features float8[],
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_array'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

COMMENT ON FUNCTION @extschema@.explain(text, float8[], integer, integer) IS
	'Why a row got its score: each feature''s contribution to the raw margin, and the bias';

CREATE FUNCTION @extschema@.explain_json(name text, features float8[],
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_array'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.explain_json(text, float8[], integer, integer) IS
	'explain() as one jsonb document with the margin, prediction and probability';

--------------------------------------------------------------------------
-- Explanations by feature name: explain() and explain_json() of a row
-- (features from its columns, as predict(name, row) reads them) or of a
-- jsonb object (from its keys).
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.explain(name text, features record,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_record'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain(name text, features jsonb,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_jsonb'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain_json(name text, features record,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_record'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.explain_json(name text, features jsonb,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_jsonb'
LANGUAGE C STABLE PARALLEL SAFE;

-- Features as text (untyped parameters), as predict(name, text) reads them
CREATE FUNCTION @extschema@.explain(name text, features text,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS TABLE (feature text, value float8, contribution float8)
AS 'MODULE_PATHNAME', 'md_explain_text'
LANGUAGE C STABLE PARALLEL SAFE ROWS 20;

CREATE FUNCTION @extschema@.explain_json(name text, features text,
	top_n integer DEFAULT NULL, class integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'md_explain_json_text'
LANGUAGE C STABLE PARALLEL SAFE;
