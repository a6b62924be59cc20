/*-------------------------------------------------------------------------
 *
 * pinned.c
 *	  predict_pinned(): scoring with one fixed version of a model.
 *
 * A version never changes once deployed, so these functions are declared
 * IMMUTABLE and may appear where PostgreSQL accepts nothing else: generated
 * columns and expression indexes.  The promise holds for as long as the
 * version exists; once it is dropped, scoring with it is an error
 * (undefined object), never a stale or different answer.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

PG_FUNCTION_INFO_V1(md_predict_pinned_array);
PG_FUNCTION_INFO_V1(md_predict_pinned_row);
PG_FUNCTION_INFO_V1(md_predict_pinned_text);

/* The call site of a predict_pinned() call: arguments 0 and 1. */
static MdCallSite *
pinned_callsite(FunctionCallInfo fcinfo)
{
	int32		version = PG_GETARG_INT32(1);

	if (version < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("a pinned model version must be positive, not %d",
					   version),
				errhint("Versions are numbered from 1; see "
						"model_deploy.model_version."));
	return md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), version);
}

Datum
md_predict_pinned_array(PG_FUNCTION_ARGS)
{
	MdCallSite *site = pinned_callsite(fcinfo);

	md_score_array(site, md_feature_array_arg(site, fcinfo, 2),
				   MD_OUTPUT_PREDICT);
	PG_RETURN_FLOAT8(site->out[0]);
}

Datum
md_predict_pinned_row(PG_FUNCTION_ARGS)
{
	MdCallSite *site = pinned_callsite(fcinfo);

	md_read_row_arg(site, PG_GETARG_HEAPTUPLEHEADER(2));
	PG_RETURN_DATUM(md_score_features(site, MD_OUTPUT_PREDICT));
}

Datum
md_predict_pinned_text(PG_FUNCTION_ARGS)
{
	MdCallSite *site = pinned_callsite(fcinfo);

	md_read_text_features(site, PG_GETARG_TEXT_PP(2));
	PG_RETURN_DATUM(md_score_features(site, MD_OUTPUT_PREDICT));
}
