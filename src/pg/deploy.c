/*-------------------------------------------------------------------------
 *
 * deploy.c
 *	  Compiling model text at deployment, so that a model that cannot score
 *	  is refused before it is stored.
 *
 * model_deploy.deploy() (SQL, in the install script) calls _compile() for
 * the description it stores with the new version, then inserts the row.
 *
 *-------------------------------------------------------------------------
 */
#include "md_registry.h"
#include "md_limits.h"

#include "access/detoast.h"
#include "funcapi.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(md_compile_sql);

/* A random, positive 63-bit id; never reused in practice. */
static int64
new_deploy_id(void)
{
	uint64 id;

	if (!pg_strong_random(&id, sizeof(id)))
		ereport(ERROR,
				errcode(ERRCODE_INTERNAL_ERROR),
				errmsg("could not generate a random deploy id"));
	return (int64) (id >> 1) + 1;
}

static md_format
parse_format(text *format_text)
{
	char *name = text_to_cstring(format_text);
	md_format format;

	if (md_format_from_name(name, &format) != MD_OK)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("unknown model format \"%s\"", name),
				errhint("Use 'auto', 'xgboost', 'native', 'lightgbm', "
						"'catboost' or 'onnx'."));
	return format;
}

/* _compile(name text, model text, requested_format text) -> description */
Datum
md_compile_sql(PG_FUNCTION_ARGS)
{
	text *name = PG_GETARG_TEXT_PP(0);
	text *source;
	md_format format = parse_format(PG_GETARG_TEXT_PP(2));
	md_limits limits = md_current_limits();
	void *blob;
	size_t blob_len;
	md_error err;
	md_model model;
	md_info info;
	TupleDesc desc;
	Datum values[7];
	bool nulls[7] = {false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	md_check_model_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	/* an oversized text is refused before it is decompressed or fetched */
	if (md_check_source_size(toast_raw_datum_size(PG_GETARG_DATUM(1)) - VARHDRSZ,
							 &limits, &err) != MD_OK)
		md_report_error(&err, NULL);
	source = PG_GETARG_TEXT_PP(1);

	if (md_compile(VARDATA_ANY(source), VARSIZE_ANY_EXHDR(source), format,
				   &limits, &blob, &blob_len, &err) != MD_OK)
		md_report_error(&err, NULL);
	/*
	 * The blob is ours and valid; info.objective points into it, so it is
	 * freed only once copied (a large blob is unmapped when freed).
	 */
	md_open(&model, blob, blob_len, MD_OPEN_TRUSTED, &err);
	md_get_info(&model, &info);

	values[0] = CStringGetTextDatum(md_format_name(info.format));
	values[1] = CStringGetTextDatum(info.objective);
	md_blob_free(blob);
	values[2] = Int32GetDatum((int32) info.n_features);
	values[3] = Int32GetDatum((int32) info.n_outputs);
	values[4] = Int32GetDatum((int32) info.n_trees);
	values[5] = Int32GetDatum((int32) Min(info.blob_size, PG_INT32_MAX));
	values[6] = Int64GetDatum(new_deploy_id());
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
