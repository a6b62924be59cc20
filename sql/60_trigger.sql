--------------------------------------------------------------------------
-- Streaming: BEFORE INSERT OR UPDATE ... FOR EACH ROW EXECUTE FUNCTION
-- model_deploy.score_trigger('model', 'column' [, 'on_error=null']).
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.score_trigger()
RETURNS trigger AS 'MODULE_PATHNAME', 'md_score_trigger'
LANGUAGE C;
