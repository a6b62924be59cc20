/*-------------------------------------------------------------------------
 *
 * features.c
 *	  Model features by name: from the columns of a row, or from the keys
 *	  of a jsonb object, into the call site's feature buffer.
 *
 * A row type's columns are matched to the model's feature names once per
 * call site (MdRowMap: for each feature, a column and how to convert it).
 * Each row is then deformed as far as the last feature column and converted
 * value by value: no lookups and no allocation, except inside PostgreSQL's
 * own numeric-to-double conversion.  NULL is a missing value, as in arrays.
 *
 * A categorical feature (native, LightGBM and XGBoost 3.1+ models) takes
 * text (a text, varchar or char(n) column; a JSON string), which the core
 * turns into the category's code by its own rule for unknown text
 * (md_category_code).  The text is read where it lies; only a compressed or
 * out-of-line value is copied.  A number is refused there, and text for a
 * numeric feature: category codes depend on the order of the model's
 * category list, so they are accepted in feature arrays only, where every
 * value is positional anyway.  The exception is an XGBoost feature with
 * text categories, which took codes before XGBoost stored the names, and
 * still does (md_category_takes_codes).
 *
 * Matching is exact and case-sensitive, like quoted SQL identifiers, and
 * strict: a feature without a column, or a jsonb key that is no feature, is
 * an error rather than a silently missing value, because a typo would
 * otherwise score every row as if that feature were unknown.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* The kind of conversion a value of 'type' (not a domain) needs. */
bool
md_value_kind(Oid type, MdValueKind *kind)
{
	switch (type)
	{
		case FLOAT8OID:
			*kind = MD_VALUE_FLOAT8;
			return true;
		case FLOAT4OID:
			*kind = MD_VALUE_FLOAT4;
			return true;
		case NUMERICOID:
			*kind = MD_VALUE_NUMERIC;
			return true;
		case INT8OID:
			*kind = MD_VALUE_INT8;
			return true;
		case INT4OID:
			*kind = MD_VALUE_INT4;
			return true;
		case INT2OID:
			*kind = MD_VALUE_INT2;
			return true;
		case BOOLOID:
			*kind = MD_VALUE_BOOL;
			return true;
	}
	return false;
}

/* A non-NULL value as a double; NaN stays NaN (a missing value). */
double
md_value_double(MdValueKind kind, Datum value)
{
	switch (kind)
	{
		case MD_VALUE_FLOAT8:
			return DatumGetFloat8(value);
		case MD_VALUE_FLOAT4:
			return DatumGetFloat4(value);
		case MD_VALUE_NUMERIC:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, value));
		case MD_VALUE_INT8:
			return (double) DatumGetInt64(value);
		case MD_VALUE_INT4:
			return DatumGetInt32(value);
		case MD_VALUE_INT2:
			return DatumGetInt16(value);
		case MD_VALUE_BOOL:
			return DatumGetBool(value) ? 1.0 : 0.0;
		case MD_VALUE_TEXT:
		case MD_VALUE_BPCHAR:
			break; /* category names: text_datum_code() */
	}
	elog(ERROR, "feature value kind %d is not numeric", (int) kind);
}

/* The kind of a text type (not a domain) for a categorical feature. */
static bool
text_value_kind(Oid type, MdValueKind *kind)
{
	switch (type)
	{
		case TEXTOID:
		case VARCHAROID:
			*kind = MD_VALUE_TEXT;
			return true;
		case BPCHAROID:
			*kind = MD_VALUE_BPCHAR;
			return true;
	}
	return false;
}

static bool
is_categorical(MdCallSite *site, uint32 feature)
{
	return md_feature_kind_of(&site->loaded->model, feature) ==
		MD_FEATURE_CATEGORICAL;
}

/* A categorical feature that takes names only, no codes. */
static bool
names_only(MdCallSite *site, uint32 feature)
{
	return is_categorical(site, feature) &&
		!md_category_takes_codes(&site->loaded->model, feature);
}

/*
 * The code of category name text[0..len) of categorical feature 'feature';
 * an unknown name is an ERROR (22023, naming the feature and the text) if
 * the model's encoder was fitted to refuse it.
 */
static double
category_code(MdCallSite *site, uint32 feature, const char *text, int len)
{
	md_error err;
	double code;

	if (md_category_code(&site->loaded->model, feature, text, (size_t) len,
						 &code, &err) != MD_OK)
		md_report_error(&err, NULL);
	return code;
}

/*
 * The category code of a text or char(n) datum.  char(n)'s trailing blanks
 * are insignificant, as its cast to text says.
 */
static double
text_datum_code(MdCallSite *site, uint32 feature, MdValueKind kind,
				Datum value)
{
	struct varlena *v = pg_detoast_datum_packed((struct varlena *)
													DatumGetPointer(value));
	char *text = VARDATA_ANY(v);
	int len = VARSIZE_ANY_EXHDR(v);
	double code;

	if (kind == MD_VALUE_BPCHAR)
		len = bpchartruelen(text, len);
	code = category_code(site, feature, text, len);
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return code;
}

/* Rows and jsonb objects name features: the model must have names. */
static void
require_feature_names(MdCallSite *site)
{
	if (!md_has_feature_names(&site->loaded->model))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("model \"%s\" has no feature names, so it can only be "
					   "scored with a feature array",
					   site->name),
				errhint("Pass the features as an array in the model's order, "
						"e.g. model_deploy.predict('%s', ARRAY[...]::float8[]), "
						"or deploy a model trained with feature names.",
						site->name));
}

/* Map a feature (its column entry 'f') to the column 'i' of 'desc'. */
static void
map_column(MdCallSite *site, TupleDesc desc, int i, uint32 feature,
		   MdFeatureColumn *f)
{
	Form_pg_attribute att = TupleDescAttr(desc, i);
	Oid base = getBaseType(att->atttypid);
	bool categorical = is_categorical(site, feature);

	if (f->column >= 0)
		ereport(ERROR,
				errcode(ERRCODE_AMBIGUOUS_COLUMN),
				errmsg("the row has more than one column named \"%s\"",
					   NameStr(att->attname)),
				errhint("Each feature of model \"%s\" must be given once.",
						site->name));
	if (!(categorical && text_value_kind(base, &f->kind)) &&
		!(!names_only(site, feature) && md_value_kind(base, &f->kind)))
		ereport(ERROR,
				errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of type %s cannot be a feature of "
					   "model \"%s\"",
					   NameStr(att->attname),
					   format_type_be(att->atttypid), site->name),
				categorical ? errhint("Feature \"%s\" is categorical: its column must be "
									  "text, character varying or character, holding "
									  "category names such as \"%s\" (category codes "
									  "are taken %s).",
									  NameStr(att->attname),
									  md_category_name(&site->loaded->model, feature, 0),
									  names_only(site, feature) ? "in feature arrays only" : "from numeric columns and feature arrays")
							: errhint("Feature \"%s\" is numeric: its column must be "
									  "smallint, integer, bigint, real, double precision, "
									  "numeric or boolean; cast the column in a view or "
									  "subquery.",
									  NameStr(att->attname)));
	f->column = i;
}

/*
 * Match the columns of 'desc' to the features of the site's model, in
 * 'mcxt'.  Columns that are no feature are ignored; a feature that is no
 * column is an error.
 */
MdRowMap *
md_row_map(MdCallSite *site, TupleDesc desc, MemoryContext mcxt)
{
	const md_model *model = &site->loaded->model;
	int n = (int) site->loaded->info.n_features;
	MdRowMap *map;

	require_feature_names(site);
	map = MemoryContextAllocZero(mcxt, offsetof(MdRowMap, features) + sizeof(MdFeatureColumn) * n);
	map->deploy_id = site->loaded->deploy_id;
	map->n_features = n;
	for (int f = 0; f < n; f++)
		map->features[f].column = -1;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		const char *colname = NameStr(att->attname);
		int64 f;

		if (att->attisdropped)
			continue;
		f = md_feature_index(model, colname, strlen(colname));
		if (f < 0)
			continue;
		map_column(site, desc, i, (uint32) f, &map->features[f]);
		map->natts = Max(map->natts, i + 1);
	}

	for (int f = 0; f < n; f++)
		if (map->features[f].column < 0)
			ereport(ERROR,
					errcode(ERRCODE_UNDEFINED_COLUMN),
					errmsg("model \"%s\" has a feature \"%s\", but the row "
						   "has no column of that name",
						   site->name, md_feature_name(model, (uint32) f)),
					errhint("Columns are matched to feature names exactly "
							"(case-sensitively); add or rename the column, "
							"or select it under the feature's name in a "
							"view or subquery.  Other columns are ignored."));
	return map;
}

/* Convert one deformed row (at least map->natts columns) into features. */
void
md_read_row(MdCallSite *site, const MdRowMap *map, const Datum *values,
			const bool *isnull)
{
	double *x = site->features;

	for (int f = 0; f < map->n_features; f++)
	{
		int c = map->features[f].column;
		MdValueKind kind = map->features[f].kind;

		if (isnull[c])
			x[f] = NAN;
		else if (kind == MD_VALUE_TEXT || kind == MD_VALUE_BPCHAR)
			x[f] = text_datum_code(site, (uint32) f, kind, values[c]);
		else
			x[f] = md_value_double(kind, values[c]);
	}
}

/* The value of feature 'f' given as the jsonb value 'v'. */
static double
json_feature_value(MdCallSite *site, uint32 f, const JsonbValue *v)
{
	const md_model *model = &site->loaded->model;

	if (v->type == jbvNull)
		return NAN;
	if (is_categorical(site, f) && v->type == jbvString)
		return category_code(site, f, v->val.string.val, v->val.string.len);
	if (names_only(site, f))
	{
		if (v->type != jbvString)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("feature \"%s\" of model \"%s\" is categorical: "
						   "it must be a string or null in the JSON object",
						   md_feature_name(model, f), site->name),
					errhint("Pass a category name such as \"%s\"; missing "
							"values may be null or left out.",
							md_category_name(model, f, 0)));
	}
	switch (v->type)
	{
		case jbvNumeric:
			return md_value_double(MD_VALUE_NUMERIC,
								   NumericGetDatum(v->val.numeric));
		case jbvBool:
			return v->val.boolean ? 1.0 : 0.0;
		default:
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("feature \"%s\" of model \"%s\" must be a number "
						   "or null in the JSON object",
						   md_feature_name(model, f), site->name),
					errhint("Missing values may be null or left out."));
	}
	pg_unreachable();
}

/*
 * Read a jsonb object of feature name -> number, boolean, category name or
 * null into the site's features; a feature without a key is missing.
 */
void
md_read_jsonb(MdCallSite *site, Jsonb *features)
{
	const md_model *model = &site->loaded->model;
	double *x = site->features;
	JsonbIterator *it;
	JsonbValue v;
	JsonbIteratorToken token;

	require_feature_names(site);
	if (!JB_ROOT_IS_OBJECT(features))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("features of model \"%s\" must be a JSON object, "
					   "not a JSON %s",
					   site->name,
					   JB_ROOT_IS_SCALAR(features) ? "scalar" : "array"),
				errhint("Pass {\"feature name\": value, ...}."));

	for (uint32 f = 0; f < site->loaded->info.n_features; f++)
		x[f] = NAN;

	it = JsonbIteratorInit(&features->root);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *key;
		int len;
		int64 f;

		if (token != WJB_KEY)
			continue;
		key = v.val.string.val;
		len = v.val.string.len;
		f = md_feature_index(model, key, len);
		if (f < 0)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("\"%.*s\" is not a feature of model \"%s\"",
						   len, key, site->name),
					errhint("Keys are matched to feature names exactly "
							"(case-sensitively); leave out a feature to "
							"make it a missing value."));
		token = JsonbIteratorNext(&it, &v, true);
		Assert(token == WJB_VALUE);
		x[f] = json_feature_value(site, (uint32) f, &v);
	}
}
