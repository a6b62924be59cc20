/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  SQL scoring functions that take the features as an array:
 *	  predict(), predict_proba(), predict_raw() and predict_class().
 *
 * Each binds its call site (callsite.c) and scores the array through
 * md_score_array() (score_row.c).
 *
 *-------------------------------------------------------------------------
 */
#include "md_score.h"

PG_FUNCTION_INFO_V1(md_predict_array);
PG_FUNCTION_INFO_V1(md_predict_proba_array);
PG_FUNCTION_INFO_V1(md_predict_raw_array);
PG_FUNCTION_INFO_V1(md_predict_class_array);

static int
score_array(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), 0);

	return md_score_array(site, md_feature_array_arg(site, fcinfo, 1), kind);
}

Datum
md_predict_array(PG_FUNCTION_ARGS)
{
	score_array(fcinfo, MD_OUTPUT_PREDICT);
	PG_RETURN_FLOAT8(((MdCallSite *) fcinfo->flinfo->fn_extra)->out[0]);
}

Datum
md_predict_proba_array(PG_FUNCTION_ARGS)
{
	int n = score_array(fcinfo, MD_OUTPUT_PROBA);

	PG_RETURN_DATUM(md_float8_array(((MdCallSite *) fcinfo->flinfo->fn_extra)->out, n));
}

Datum
md_predict_raw_array(PG_FUNCTION_ARGS)
{
	int n = score_array(fcinfo, MD_OUTPUT_RAW);

	PG_RETURN_DATUM(md_float8_array(((MdCallSite *) fcinfo->flinfo->fn_extra)->out, n));
}

Datum
md_predict_class_array(PG_FUNCTION_ARGS)
{
	score_array(fcinfo, MD_OUTPUT_CLASS);
	PG_RETURN_DATUM(md_class_label_text(fcinfo->flinfo->fn_extra));
}
