/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  SQL scoring functions that take the features as an array:
 *	  predict(), predict_proba() and predict_raw().
 *
 * A float4[] or float8[] without NULLs is scored where it lies
 * (ARR_DATA_PTR); other element types, and arrays with NULLs, are converted
 * into the call site's buffer.  Nothing is allocated per row except the
 * array a proba/raw call returns.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"

#include <math.h>

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

PG_FUNCTION_INFO_V1(md_predict_array);
PG_FUNCTION_INFO_V1(md_predict_proba_array);
PG_FUNCTION_INFO_V1(md_predict_raw_array);

/* One element of a numeric array as a double; NaN stays NaN (missing). */
static double
element_value(Oid elemtype, Datum d)
{
	switch (elemtype)
	{
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT2OID:
			return DatumGetInt16(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	}
	elog(ERROR, "unexpected feature array element type %u", elemtype);
	return 0.0;
}

/* Storage of the element types the SQL signatures admit. */
static void
element_storage(Oid elemtype, int16 *typlen, char *typalign)
{
	switch (elemtype)
	{
		case FLOAT8OID:
		case INT8OID:
			*typlen = 8;
			*typalign = TYPALIGN_DOUBLE;
			return;
		case FLOAT4OID:
		case INT4OID:
			*typlen = 4;
			*typalign = TYPALIGN_INT;
			return;
		case INT2OID:
			*typlen = 2;
			*typalign = TYPALIGN_SHORT;
			return;
		case NUMERICOID:
			*typlen = -1;
			*typalign = TYPALIGN_INT;
			return;
	}
	elog(ERROR, "unexpected feature array element type %u", elemtype);
}

/* Copy an array with NULLs or of another type into the site's buffer. */
static void
convert_elements(MdCallSite *site, ArrayType *arr, int n)
{
	Oid			elemtype = ARR_ELEMTYPE(arr);
	bits8	   *nulls = ARR_NULLBITMAP(arr);
	char	   *p = ARR_DATA_PTR(arr);
	int16		typlen;
	char		typalign;

	element_storage(elemtype, &typlen, &typalign);
	for (int i = 0; i < n; i++)
	{
		if (nulls != NULL && !(nulls[i / 8] & (1 << (i % 8))))
		{
			site->features[i] = NAN;
			continue;
		}
		site->features[i] = element_value(elemtype,
										  fetch_att(p, typlen > 0 && typlen <= 8, typlen));
		p = att_addlength_pointer(p, typlen, p);
		p = (char *) att_align_nominal(p, typalign);
	}
}

/* Refuse a feature array of the wrong shape; returns its length. */
static int
check_feature_shape(const MdCallSite *site, int ndim, const int *dims)
{
	const md_info *info = &site->loaded->info;
	int			n;

	if (ndim > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("features must be a one-dimensional array"));
	n = ndim == 0 ? 0 : dims[0];
	if (n != (int) info->n_features)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model \"%s\" expects %u features, got %d",
					   site->name, info->n_features, n),
				errhint("Pass one value per feature, in the model's order; "
						"NULL marks a missing value."));
	return n;
}

/*
 * The features argument 'argno', detoasted only once its header shows the
 * right shape: an array stored compressed or out of line is checked from
 * a slice of its first bytes, an expanded one from its expanded header,
 * so a huge array is refused before anything proportional to it is
 * fetched, decompressed or copied.
 */
ArrayType *
md_feature_array_arg(const MdCallSite *site, FunctionCallInfo fcinfo,
					 int argno)
{
	Datum		d = PG_GETARG_DATUM(argno);
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_EXTERNAL_EXPANDED(v))
	{
		AnyArrayType *a = DatumGetAnyArrayP(d);

		check_feature_shape(site, AARR_NDIM(a), AARR_DIMS(a));
	}
	else if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
	{
		/* ndim, dataoffset, elemtype and the first dimension */
		ArrayType  *head = (ArrayType *)
			PG_DETOAST_DATUM_SLICE(d, 0, ARR_OVERHEAD_NONULLS(1) - VARHDRSZ);

		if (VARSIZE(head) < sizeof(ArrayType) ||
			(ARR_NDIM(head) > 0 && VARSIZE(head) < ARR_OVERHEAD_NONULLS(1)))
			elog(ERROR, "feature array header is truncated");
		check_feature_shape(site, ARR_NDIM(head), ARR_DIMS(head));
		pfree(head);
	}
	return DatumGetArrayTypeP(d);
}

/*
 * Check a feature array against the site's model and point at its values:
 * *x32 (float4 data in place), or *x (float8 data in place, or converted).
 */
void
md_read_feature_array(MdCallSite *site, ArrayType *arr, const double **x,
					  const float **x32)
{
	int			n = check_feature_shape(site, ARR_NDIM(arr), ARR_DIMS(arr));

	*x = NULL;
	*x32 = NULL;
	if (!ARR_HASNULL(arr) && ARR_ELEMTYPE(arr) == FLOAT4OID)
		*x32 = (const float *) ARR_DATA_PTR(arr);
	else if (!ARR_HASNULL(arr) && ARR_ELEMTYPE(arr) == FLOAT8OID)
		*x = (const double *) ARR_DATA_PTR(arr);
	else
	{
		convert_elements(site, arr, n);
		*x = site->features;
	}
}

/* A float8[] of n values, built directly (no per-element Datums). */
Datum
md_float8_array(const double *values, int n)
{
	Size		size = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * n;
	ArrayType  *a = palloc0(size);

	SET_VARSIZE(a, size);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	memcpy(ARR_DATA_PTR(a), values, sizeof(double) * n);
	return PointerGetDatum(a);
}

/* Score one array into site->out; returns the number of values. */
static int
score_array(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), 0);
	const md_model *model = &site->loaded->model;
	uint32		width = md_output_width(model, kind);
	const double *x;
	const float *x32;

	if (width == 0)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("model \"%s\" (%s) does not predict class probabilities",
					   site->name, site->loaded->info.objective),
				errhint("Use model_deploy.predict() for its value."));
	md_read_feature_array(site, md_feature_array_arg(site, fcinfo, 1), &x,
						  &x32);
	if (x32 != NULL)
		md_score_f32(model, kind, x32, 1, site->out, site->workspace);
	else
		md_score(model, kind, x, 1, site->out, site->workspace);
	return (int) width;
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
	int			n = score_array(fcinfo, MD_OUTPUT_PROBA);

	PG_RETURN_DATUM(md_float8_array(((MdCallSite *) fcinfo->flinfo->fn_extra)->out, n));
}

Datum
md_predict_raw_array(PG_FUNCTION_ARGS)
{
	int			n = score_array(fcinfo, MD_OUTPUT_RAW);

	PG_RETURN_DATUM(md_float8_array(((MdCallSite *) fcinfo->flinfo->fn_extra)->out, n));
}
