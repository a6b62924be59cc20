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
 * The same entry points serve model_deploy_internal._predict_at() and its
 * siblings, the calls a Citus coordinator pins into distributed statements
 * (citus_pin.c): those have a fourth argument, the deploy_id the
 * coordinator resolved, and score only that version.  A version number
 * reused since (drop the highest version, deploy again) names another
 * deploy_id, and is then an error naming both, never the other version's
 * answer.
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
PG_FUNCTION_INFO_V1(md_predict_pinned_jsonb);
PG_FUNCTION_INFO_V1(md_predict_proba_pinned_jsonb);
PG_FUNCTION_INFO_V1(md_predict_raw_pinned_jsonb);
PG_FUNCTION_INFO_V1(md_predict_class_pinned_jsonb);

/*
 * A _predict_at() call's version must be the one its statement resolved on
 * the coordinator: the same deploy_id.
 */
static void
check_statement_version(const MdCallSite *site, int64 deploy_id)
{
	if (likely(site->loaded->deploy_id == deploy_id))
		return;
	ereport(ERROR,
			errcode(ERRCODE_UNDEFINED_OBJECT),
			errmsg("version %d of model \"%s\" is not the version this statement "
				   "resolved",
				   site->version, site->name),
			errdetail("The statement was planned with version %d as deploy_id " INT64_FORMAT "; version %d here is deploy_id " INT64_FORMAT
					  ", deployed after that one was dropped.",
					  site->version, deploy_id, site->version,
					  site->loaded->deploy_id),
			errhint("Run the statement again: it scores the version active "
					"when it is planned."));
}

/*
 * The call site of a pinned call: arguments 0 and 1, and for _predict_at()
 * and its siblings the deploy_id in argument 3.
 */
static MdCallSite *
pinned_callsite(FunctionCallInfo fcinfo)
{
	int32 version = PG_GETARG_INT32(1);
	MdCallSite *site;

	md_check_version(version, false);
	site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), version);
	if (PG_NARGS() > 3)
		check_statement_version(site, PG_GETARG_INT64(3));
	return site;
}

/* Score the feature array in argument 2 with the pinned version. */
static Datum
pinned_array(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = pinned_callsite(fcinfo);
	int width = md_score_array(site,
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

/* Score the jsonb object in argument 2 (_predict_at() and its siblings). */
static Datum
pinned_jsonb(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = pinned_callsite(fcinfo);

	md_read_jsonb(site, PG_GETARG_JSONB_P(2));
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

Datum
md_predict_pinned_jsonb(PG_FUNCTION_ARGS)
{
	return pinned_jsonb(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_proba_pinned_jsonb(PG_FUNCTION_ARGS)
{
	return pinned_jsonb(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_raw_pinned_jsonb(PG_FUNCTION_ARGS)
{
	return pinned_jsonb(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_class_pinned_jsonb(PG_FUNCTION_ARGS)
{
	return pinned_jsonb(fcinfo, MD_OUTPUT_CLASS);
}
