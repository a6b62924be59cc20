/*-------------------------------------------------------------------------
 *
 * target.c
 *	  Scoring into a column: what a column of each type receives from a
 *	  model, shared by the streaming trigger and the batch job.
 *
 *	  double precision, real, numeric    the prediction (predict())
 *	  smallint, integer, bigint          the class index: for a binary
 *	                                     model 1 if p > 0.5, else 0 (as
 *	                                     XGBClassifier.predict); for a
 *	                                     multi-class model the argmax
 *	  double precision[]                 the class probabilities
 *	  text, varchar, char                the class label, as predict_class()
 *
 * A numeric, varchar or char column's typmod and a domain's constraints
 * are applied, as an assignment would apply them.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/* The kind of target a column of 'base_type' is; 'column' names it. */
MdTargetKind
md_target_kind(Oid base_type, const char *column)
{
	switch (base_type)
	{
		case FLOAT8OID:
			return MD_TARGET_FLOAT8;
		case FLOAT4OID:
			return MD_TARGET_FLOAT4;
		case NUMERICOID:
			return MD_TARGET_NUMERIC;
		case INT8OID:
			return MD_TARGET_INT8;
		case INT4OID:
			return MD_TARGET_INT4;
		case INT2OID:
			return MD_TARGET_INT2;
		case FLOAT8ARRAYOID:
			return MD_TARGET_PROBA;
		case TEXTOID:
			return MD_TARGET_TEXT;
		case VARCHAROID:
			return MD_TARGET_VARCHAR;
		case BPCHAROID:
			return MD_TARGET_BPCHAR;
	}
	ereport(ERROR,
			errcode(ERRCODE_DATATYPE_MISMATCH),
			errmsg("column \"%s\" of type %s cannot receive scores",
				   column, format_type_be(base_type)),
			errhint("Use double precision, real or numeric for the "
					"prediction, smallint, integer or bigint for the class, "
					"text for the class label, or double precision[] for "
					"the class probabilities."));
	pg_unreachable();
}

/* Resolve the column 'column' of 'rel' as a target of scores. */
void
md_target_column(Relation rel, const char *column, MdTarget *target)
{
	TupleDesc desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), column) != 0)
			continue;
		if (att->attgenerated)
			ereport(ERROR,
					errcode(ERRCODE_GENERATED_ALWAYS),
					errmsg("column \"%s\" of \"%s\" is a generated column and "
						   "cannot receive scores",
						   column, RelationGetRelationName(rel)));
		target->attnum = att->attnum;
		target->type = att->atttypid;
		target->base_typmod = att->atttypmod;
		target->base_type = getBaseTypeAndTypmod(att->atttypid,
												 &target->base_typmod);
		target->kind = md_target_kind(target->base_type, column);
		target->domain_cache = NULL;
		return;
	}
	ereport(ERROR,
			errcode(ERRCODE_UNDEFINED_COLUMN),
			errmsg("column \"%s\" of relation \"%s\" does not exist",
				   column, RelationGetRelationName(rel)));
}

/* Whether the site's model can fill a target of 'kind'. */
void
md_check_target_model(MdCallSite *site, MdTargetKind kind)
{
	switch (kind)
	{
		case MD_TARGET_PROBA:
			md_check_output(site, MD_OUTPUT_PROBA);
			return;
		case MD_TARGET_INT8:
		case MD_TARGET_INT4:
		case MD_TARGET_INT2:
		case MD_TARGET_TEXT:
		case MD_TARGET_VARCHAR:
		case MD_TARGET_BPCHAR:
			if (md_output_width(&site->loaded->model, MD_OUTPUT_CLASS) == 0)
				ereport(ERROR,
						errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("model \"%s\" (%s) predicts values, not classes",
							   site->name, site->loaded->info.objective),
						errhint("Store its prediction in a double precision, "
								"real or numeric column."));
			return;
		default:
			return;
	}
}

/* The class of the site's features, by the model's own rule. */
static int64
class_index(MdCallSite *site)
{
	md_score_row(site, MD_OUTPUT_CLASS, site->features, NULL);
	return (int64) site->out[0];
}

/*
 * The class label of the site's features, as text, or as varchar(n) or
 * char(n) with their typmod applied as an assignment does (too long is an
 * error, char(n) is padded).
 */
static Datum
class_label(MdCallSite *site, MdTargetKind kind, int32 typmod)
{
	Datum label;

	md_score_row(site, MD_OUTPUT_CLASS, site->features, NULL);
	label = md_class_label_text(site);
	if (typmod < 0 || kind == MD_TARGET_TEXT)
		return label;
	return DirectFunctionCall3(kind == MD_TARGET_VARCHAR ? varchar : bpchar,
							   label, Int32GetDatum(typmod),
							   BoolGetDatum(false));
}

/*
 * Score the site's features (already read) into a value of the base type
 * of a 'kind' target with typmod 'typmod'.
 */
Datum
md_score_target(MdCallSite *site, MdTargetKind kind, int32 typmod)
{
	const md_model *model = &site->loaded->model;
	Datum value;
	int64 class;

	md_check_target_model(site, kind);
	switch (kind)
	{
		case MD_TARGET_PROBA:
			md_score_row(site, MD_OUTPUT_PROBA, site->features, NULL);
			return md_float8_array(site->out,
								   (int) md_output_width(model, MD_OUTPUT_PROBA));
		case MD_TARGET_INT8:
			return Int64GetDatum(class_index(site));
		case MD_TARGET_INT4:
			return Int32GetDatum((int32) class_index(site));
		case MD_TARGET_INT2:
			class = class_index(site);
			if (class > PG_INT16_MAX)
				ereport(ERROR,
						errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						errmsg("class " INT64_FORMAT " of model \"%s\" is out "
							   "of range for type smallint",
							   class, site->name));
			return Int16GetDatum((int16) class);
		case MD_TARGET_TEXT:
		case MD_TARGET_VARCHAR:
		case MD_TARGET_BPCHAR:
			return class_label(site, kind, typmod);
		default:
			break;
	}

	md_score_row(site, MD_OUTPUT_PREDICT, site->features, NULL);
	value = Float8GetDatum(site->out[0]);
	if (kind == MD_TARGET_FLOAT8)
		return value;
	if (kind == MD_TARGET_FLOAT4)
		return DirectFunctionCall1(dtof, value);
	value = DirectFunctionCall1(float8_numeric, value);
	if (typmod >= 0)
		value = DirectFunctionCall2(numeric, value, Int32GetDatum(typmod));
	return value;
}

/*
 * Score the site's features into a value of the target column, applying
 * its domain's constraints, if any (their cache lives in 'mcxt').
 */
Datum
md_score_into_column(MdCallSite *site, MdTarget *target, MemoryContext mcxt)
{
	Datum value = md_score_target(site, target->kind,
								  target->base_typmod);

	if (target->type != target->base_type)
		domain_check(value, false, target->type, &target->domain_cache, mcxt);
	return value;
}
