/*-------------------------------------------------------------------------
 *
 * score_row.c
 *	  Scoring one row: reading a feature array, md_score_row() through which
 *	  every entry point scores, and the SQL values of a scored row's
 *	  outputs.
 *
 * A float4[] or float8[] without NULLs is scored where it lies
 * (ARR_DATA_PTR); other element types, and arrays with NULLs, are converted
 * into the call site's buffer.  Nothing is allocated per row except the
 * array a proba/raw call returns.
 *
 *-------------------------------------------------------------------------
 */
#include "md_score.h"
#include "md_features.h"
#include "md_stats.h"

#include <math.h>

#include "access/tupmacs.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"

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
	Oid elemtype = ARR_ELEMTYPE(arr);
	bits8 *nulls = ARR_NULLBITMAP(arr);
	char *p = ARR_DATA_PTR(arr);
	int16 typlen;
	char typalign;
	MdValueKind kind;

	if (!md_value_kind(elemtype, &kind))
		elog(ERROR, "unexpected feature array element type %u", elemtype);
	element_storage(elemtype, &typlen, &typalign);
	for (int i = 0; i < n; i++)
	{
		if (nulls != NULL && !(nulls[i / 8] & (1 << (i % 8))))
		{
			site->features[i] = NAN;
			continue;
		}
		site->features[i] = md_value_double(kind,
											fetch_att(p, typlen > 0 && typlen <= 8, typlen));
		p = att_addlength_pointer(p, typlen, p);
		p = (char *) att_align_nominal(p, typalign);
	}
}

/* Refuse n values for a model that has another number of features. */
void
md_check_feature_count(const MdCallSite *site, int n)
{
	const md_info *info = &site->loaded->info;

	if (n != (int) info->n_features)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model \"%s\" expects %u features, got %d",
					   site->name, info->n_features, n),
				errhint("Pass one value per feature, in the model's order; "
						"NULL marks a missing value."));
}

/* Refuse a feature array of the wrong shape; returns its length. */
static int
check_feature_shape(const MdCallSite *site, int ndim, const int *dims)
{
	int n;

	if (ndim > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("features must be a one-dimensional array"));
	n = ndim == 0 ? 0 : dims[0];
	md_check_feature_count(site, n);
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
	Datum d = PG_GETARG_DATUM(argno);
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_EXTERNAL_EXPANDED(v))
	{
		AnyArrayType *a = DatumGetAnyArrayP(d);

		check_feature_shape(site, AARR_NDIM(a), AARR_DIMS(a));
	}
	else if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
	{
		/* ndim, dataoffset, elemtype and the first dimension */
		ArrayType *head = (ArrayType *)
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
	int n = check_feature_shape(site, ARR_NDIM(arr), ARR_DIMS(arr));

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
	Size size = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * n;
	ArrayType *a;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(FLOAT8OID));
	a = palloc0(size);

	SET_VARSIZE(a, size);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)
	[0] = n;
	ARR_LBOUND(a)
	[0] = 1;
	memcpy(ARR_DATA_PTR(a), values, sizeof(double) * n);
	return PointerGetDatum(a);
}

/*
 * Width of the site's model's output of 'kind'; an ERROR if the model has
 * no such output (class probabilities of a regression).
 */
uint32
md_check_output(MdCallSite *site, md_output kind)
{
	uint32 width = md_output_width(&site->loaded->model, kind);

	if (kind == MD_OUTPUT_PREDICT && width > 1)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("model \"%s\" (%s) predicts %u targets, and "
					   "predict() returns one value",
					   site->name,
					   site->loaded->info.objective, width),
				errhint("model_deploy.predict_raw() returns a float8[] of "
						"one value per target, before the model's output "
						"transform if it has one."));
	if (width == 0)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("model \"%s\" (%s) does not predict %s", site->name,
					   site->loaded->info.objective,
					   kind == MD_OUTPUT_CLASS ? "classes" : "class probabilities"),
				errhint("Use model_deploy.predict() for its value."));
	return width;
}

/*
 * A row read as doubles (x) or floats (x32), as doubles: float data is
 * widened into site->features.
 */
const double *
md_row_as_doubles(MdCallSite *site, const double *x, const float *x32)
{
	if (x32 == NULL)
		return x;
	for (uint32 f = 0; f < site->loaded->info.n_features; f++)
		site->features[f] = x32[f];
	return site->features;
}

/*
 * A row the model refuses (native models: an unknown category, a missing
 * value it does not impute): report why, naming the feature.
 */
static void
report_refused_row(MdCallSite *site, const double *x, const float *x32)
{
	md_error err;

	md_check_row(&site->loaded->model, md_row_as_doubles(site, x, x32),
				 site->workspace, &err);
	md_report_error(&err, NULL);
}

/*
 * Score one row, given as doubles (x) or floats (x32), into site->out.
 * Every SQL entry point scores through here, so a refused row is always an
 * ERROR naming its cause, never a silent NaN; and a serving call's row is
 * counted in its version's statistics (md_stats.h).
 */
void
md_score_row(MdCallSite *site, md_output kind, const double *x,
			 const float *x32)
{
	const md_model *model = &site->loaded->model;
	MdStatsPending *stats = site->stats;
	bool timed = md_stats_time_this_row(stats);
	instr_time start;
	md_status st;

	/* one value where the model has several targets: refused */
	if (unlikely(kind == MD_OUTPUT_PREDICT &&
				 site->loaded->info.n_classes == 0 &&
				 site->loaded->info.n_outputs > 1))
		md_check_output(site, kind);
	if (timed)
		INSTR_TIME_SET_CURRENT(start);
	if (x32 != NULL)
		st = md_score_f32(model, kind, x32, 1, site->out, site->workspace);
	else
		st = md_score(model, kind, x, 1, site->out, site->workspace);
	if (st == MD_ERR_INPUT)
		report_refused_row(site, x, x32);
	if (stats != NULL)
		md_stats_count_row(stats, kind, site->out, x, x32,
						   timed ? &start : NULL);
}

/* Score one feature array into site->out; returns the number of values. */
int
md_score_array(MdCallSite *site, ArrayType *features, md_output kind)
{
	uint32 width = md_check_output(site, kind);
	const double *x;
	const float *x32;

	md_read_feature_array(site, features, &x, &x32);
	md_score_row(site, kind, x, x32);
	return (int) width;
}

/*
 * The class label of the site's last scored row: the native model's own
 * labels, or the class index as text for XGBoost classifiers (and the
 * cluster number for k-means).
 */
Datum
md_class_label_text(MdCallSite *site)
{
	uint32 k = (uint32) site->out[0];
	const char *label = md_class_label(&site->loaded->model, k);

	if (label != NULL)
		return PointerGetDatum(cstring_to_text(label));
	return PointerGetDatum(cstring_to_text(psprintf("%u", k)));
}

/*
 * The site's last scored row as the SQL value of an output of 'kind'
 * (width values): float8, float8[] or the class label.
 */
Datum
md_output_datum(MdCallSite *site, md_output kind, uint32 width)
{
	if (kind == MD_OUTPUT_CLASS)
		return md_class_label_text(site);
	if (kind == MD_OUTPUT_PREDICT)
		return Float8GetDatum(site->out[0]);
	return md_float8_array(site->out, (int) width);
}
