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
 * On a Citus cluster the version number means the same version on every
 * node (the registry is replicated with its numbers and deploy_ids), so
 * these are the scorers Citus pushes down into distributed UPDATEs.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

PG_FUNCTION_INFO_V1(md_predict_pinned_array);
PG_FUNCTION_INFO_V1(md_predict_pinned_row);
PG_FUNCTION_INFO_V1(md_predict_proba_pinned_array);
PG_FUNCTION_INFO_V1(md_predict_proba_pinned_row);
PG_FUNCTION_INFO_V1(md_predict_raw_pinned_array);
PG_FUNCTION_INFO_V1(md_predict_raw_pinned_row);
PG_FUNCTION_INFO_V1(md_predict_class_pinned_array);
PG_FUNCTION_INFO_V1(md_predict_class_pinned_row);
PG_FUNCTION_INFO_V1(md_predict_pinned_text);
PG_FUNCTION_INFO_V1(md_predict_proba_pinned_text);
PG_FUNCTION_INFO_V1(md_predict_raw_pinned_text);
PG_FUNCTION_INFO_V1(md_predict_class_pinned_text);

/* The call site of a pinned call: arguments 0 and 1. */
static MdCallSite *
pinned_callsite(FunctionCallInfo fcinfo)
{
	int32		version = PG_GETARG_INT32(1);

	md_check_version(version, false);
	return md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), version);
}

/* Score the feature array in argument 2 with the pinned version. */
static Datum
pinned_array(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = pinned_callsite(fcinfo);
	int			width = md_score_array(site,
									   md_feature_array_arg(site, fcinfo, 2),
									   kind);

	return md_output_datum(site, kind, (uint32) width);
}

/* Score the row in argument 2 (features by column name). */
static Datum
pinned_row(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = pinned_callsite(fcinfo);

	md_read_row_arg(site, PG_GETARG_HEAPTUPLEHEADER(2));
	return md_score_features(site, kind);
}

/* A pinned call with its features as text (untyped driver parameters). */
static Datum
pinned_text(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = pinned_callsite(fcinfo);

	md_read_text_features(site, PG_GETARG_TEXT_PP(2));
	return md_score_features(site, kind);
}

Datum
md_predict_pinned_array(PG_FUNCTION_ARGS)
{
	return pinned_array(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_pinned_row(PG_FUNCTION_ARGS)
{
	return pinned_row(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_proba_pinned_array(PG_FUNCTION_ARGS)
{
	return pinned_array(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_proba_pinned_row(PG_FUNCTION_ARGS)
{
	return pinned_row(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_raw_pinned_array(PG_FUNCTION_ARGS)
{
	return pinned_array(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_raw_pinned_row(PG_FUNCTION_ARGS)
{
	return pinned_row(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_class_pinned_array(PG_FUNCTION_ARGS)
{
	return pinned_array(fcinfo, MD_OUTPUT_CLASS);
}

Datum
md_predict_class_pinned_row(PG_FUNCTION_ARGS)
{
	return pinned_row(fcinfo, MD_OUTPUT_CLASS);
}


Datum
md_predict_pinned_text(PG_FUNCTION_ARGS)
{
	return pinned_text(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_proba_pinned_text(PG_FUNCTION_ARGS)
{
	return pinned_text(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_raw_pinned_text(PG_FUNCTION_ARGS)
{
	return pinned_text(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_class_pinned_text(PG_FUNCTION_ARGS)
{
	return pinned_text(fcinfo, MD_OUTPUT_CLASS);
}
