/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  SQL explanations, explain() and explain_json(): how much each feature
 *	  pushed one row's raw margin up or down from the model's bias.
 *
 * The core computes the contributions (md_explain: exact TreeSHAP, as
 * XGBoost's pred_contribs=True; coefficient x value for linear models);
 * this file chooses which margin to explain, orders the features by the
 * size of their contribution and formats the answer.  Each SQL entry point
 * only turns its features (an array, a record, a jsonb object or text,
 * read as predict() reads them) into a row of doubles in model order.
 *
 * Explaining is not serving: explanations bind their model without
 * counting in the serving statistics (md_stats.h).
 *
 * Arguments common to every entry point: 0 name, 1 features, 2 top_n, 3
 * class.  Explanations are for people and applications, not the hot path:
 * scratch memory is allocated per call.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(md_explain_array);
PG_FUNCTION_INFO_V1(md_explain_record);
PG_FUNCTION_INFO_V1(md_explain_jsonb);
PG_FUNCTION_INFO_V1(md_explain_text);
PG_FUNCTION_INFO_V1(md_explain_json_array);
PG_FUNCTION_INFO_V1(md_explain_json_record);
PG_FUNCTION_INFO_V1(md_explain_json_jsonb);
PG_FUNCTION_INFO_V1(md_explain_json_text);

/* One explained row. */
typedef struct Explanation
{
	MdCallSite *site;
	int32 class;		/* the explained class; -1: single output */
	double margin;		/* raw margin of the explained output */
	double prediction;	/* what predict() returns */
	double probability; /* of the class (binary: of 1), or NaN */
	double *contribs;	/* n_features + 1, the bias last */
	int *order;			/* features, largest |contribution| 1st */
	int n_shown;		/* how many of them top_n lets through */
} Explanation;

/* The features of an array, as doubles (float4 data is widened). */
static const double *
array_row(MdCallSite *site, ArrayType *features)
{
	const double *x;
	const float *x32;

	md_read_feature_array(site, features, &x, &x32);
	return md_row_as_doubles(site, x, x32);
}

/* The margin to explain: class 'requested' if given, else the predicted. */
static int32
choose_class(const Explanation *e, const double *margins, bool given,
			 int32 requested)
{
	const md_info *info = &e->site->loaded->info;
	int32 best = 0;

	if (info->n_outputs == 1)
	{
		if (given)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("model \"%s\" has a single output, so class must "
						   "be NULL",
						   e->site->name),
					errhint("class chooses the margin of one class of a "
							"multi-class model; a binary classifier's "
							"margin is the log-odds of class 1."));
		return -1;
	}
	if (given)
	{
		if (requested < 0 || (uint32) requested >= info->n_outputs)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("class %d is out of range for model \"%s\"",
						   requested, e->site->name),
					errhint("The model's classes are 0 to %u.",
							info->n_outputs - 1));
		return requested;
	}
	if (info->n_classes == 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model \"%s\" predicts %u targets, so class must "
					   "choose the one to explain",
					   e->site->name,
					   info->n_outputs),
				errhint("Pass class => 0 to %u.", info->n_outputs - 1));
	/* the predicted class: the first of the largest margins */
	for (uint32 k = 1; k < info->n_outputs; k++)
		if (margins[k] > margins[best])
			best = (int32) k;
	return best;
}

/* qsort_arg comparator: larger |contribution| first, then feature order. */
static int
by_magnitude(const void *a, const void *b, void *arg)
{
	const double *contribs = arg;
	int fa = *(const int *) a;
	int fb = *(const int *) b;
	double ma = fabs(contribs[fa]);
	double mb = fabs(contribs[fb]);

	if (ma != mb)
		return ma > mb ? -1 : 1;
	return (fa > fb) - (fa < fb);
}

/* One value of the site's model for the row: output 'kind', element 'i'. */
static double
score_one(MdCallSite *site, const double *x, md_output kind, uint32 i)
{
	md_score_row(site, kind, x, NULL);
	return site->out[i];
}

/* Explain row x with the site's model, honouring top_n and class. */
static void
explain_row(FunctionCallInfo fcinfo, MdCallSite *site, const double *x,
			Explanation *e)
{
	const md_model *model = &site->loaded->model;
	const md_info *info = &site->loaded->info;
	int nf = (int) info->n_features;
	md_error err;
	size_t ws_size;
	double *margins;
	uint32 output;

	if (!PG_ARGISNULL(2) && PG_GETARG_INT32(2) < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top_n must not be negative"));
	if (md_explain_workspace_size(model, &ws_size, &err) != MD_OK)
	{
		md_error named = err;

		snprintf(named.message, sizeof(named.message),
				 "model \"%s\" cannot be explained: %s", site->name,
				 err.message);
		md_report_error(&named, NULL);
	}

	e->site = site;
	md_score_row(site, MD_OUTPUT_RAW, x, NULL);
	margins = palloc(sizeof(double) * info->n_outputs);
	memcpy(margins, site->out, sizeof(double) * info->n_outputs);
	e->class = choose_class(e, margins, !PG_ARGISNULL(3),
							PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3));
	output = e->class < 0 ? 0 : (uint32) e->class;
	e->margin = margins[output];
	/* several targets: their objectives predict the margins (the parser) */
	e->prediction = info->n_classes == 0 && info->n_outputs > 1 ? margins[output] : score_one(site, x, MD_OUTPUT_PREDICT, 0);
	e->probability = info->n_classes == 0 ? NAN : score_one(site, x, MD_OUTPUT_PROBA, e->class < 0 ? 1 : output);

	e->contribs = palloc(sizeof(double) * (nf + 1));
	if (md_explain(model, x, output, e->contribs, palloc(ws_size)) != MD_OK)
		elog(ERROR, "md_explain() refused a checked request");
	e->order = palloc(sizeof(int) * Max(nf, 1));
	for (int i = 0; i < nf; i++)
		e->order[i] = i;
	qsort_arg(e->order, nf, sizeof(int), by_magnitude, e->contribs);
	e->n_shown = PG_ARGISNULL(2) ? nf : Min(PG_GETARG_INT32(2), nf);
}

/* A feature's name in the model, or f<i> if the model has none. */
static char *
feature_name(const MdCallSite *site, int i)
{
	const char *name = md_feature_name(&site->loaded->model, (uint32) i);

	return name != NULL ? pstrdup(name) : psprintf("f%d", i);
}

/*
 * explain()'s rows for the row x: the top_n features by |contribution|,
 * then the bias.  The SQL function must have been declared RETURNS TABLE
 * (feature text, value float8, contribution float8).
 */
static Datum
explanation_rows(FunctionCallInfo fcinfo, MdCallSite *site, const double *x)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Explanation e;
	Datum values[3];
	bool nulls[3] = {false, false, false};
	int nf;

	explain_row(fcinfo, site, x, &e);
	nf = (int) site->loaded->info.n_features;
	for (int i = 0; i < e.n_shown; i++)
	{
		int f = e.order[i];

		values[0] = CStringGetTextDatum(feature_name(site, f));
		nulls[1] = isnan(x[f]);
		values[1] = Float8GetDatum(x[f]);
		values[2] = Float8GetDatum(e.contribs[f]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	values[0] = CStringGetTextDatum("bias");
	nulls[1] = true;
	values[2] = Float8GetDatum(e.contribs[nf]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * A double as JSON, as to_jsonb() writes a float8: the shortest text that
 * reads back as the same double; NaN (a missing value here) is null and
 * the infinities, which JSON lacks, are strings.
 */
static void
append_json_number(StringInfo buf, double v)
{
	char digits[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isnan(v))
		appendStringInfoString(buf, "null");
	else if (isinf(v))
		appendStringInfoString(buf, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
	{
		double_to_shortest_decimal_buf(v, digits);
		appendStringInfoString(buf, digits);
	}
}

/* A "key": number member, preceded by a comma unless it is the first. */
void
md_append_json_member(StringInfo buf, const char *key, double v)
{
	if (buf->data[buf->len - 1] != '{')
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	append_json_number(buf, v);
}

/*
 * explain_json()'s document for the row x: the model, version, class,
 * margin, prediction, probability and bias, and the top_n contributions
 * as an array of {feature, value, contribution} ordered by |contribution|.
 */
static Datum
explanation_jsonb(FunctionCallInfo fcinfo, MdCallSite *site, const double *x)
{
	Explanation e;
	StringInfoData buf;
	int nf = (int) site->loaded->info.n_features;

	explain_row(fcinfo, site, x, &e);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"model\":");
	escape_json(&buf, site->name);
	appendStringInfo(&buf, ",\"version\":%d", site->loaded->version);
	md_append_json_member(&buf, "class", e.class < 0 ? NAN : e.class);
	md_append_json_member(&buf, "margin", e.margin);
	md_append_json_member(&buf, "prediction", e.prediction);
	md_append_json_member(&buf, "probability", e.probability);
	md_append_json_member(&buf, "bias", e.contribs[nf]);
	appendStringInfoString(&buf, ",\"contributions\":[");
	for (int i = 0; i < e.n_shown; i++)
	{
		int f = e.order[i];

		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, "{\"feature\":");
		escape_json(&buf, feature_name(site, f));
		md_append_json_member(&buf, "value", x[f]);
		md_append_json_member(&buf, "contribution", e.contribs[f]);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* Argument 1 of an entry point as the row to explain, in model order. */
typedef const double *(*RowReader)(MdCallSite *site, FunctionCallInfo fcinfo);

static const double *
array_arg(MdCallSite *site, FunctionCallInfo fcinfo)
{
	return array_row(site, md_feature_array_arg(site, fcinfo, 1));
}

static const double *
record_arg(MdCallSite *site, FunctionCallInfo fcinfo)
{
	md_read_row_arg(site, PG_GETARG_HEAPTUPLEHEADER(1));
	return site->features;
}

static const double *
jsonb_arg(MdCallSite *site, FunctionCallInfo fcinfo)
{
	md_read_jsonb(site, PG_GETARG_JSONB_P(1));
	return site->features;
}

static const double *
text_arg(MdCallSite *site, FunctionCallInfo fcinfo)
{
	md_read_text_features(site, PG_GETARG_TEXT_PP(1));
	return site->features;
}

/*
 * The call site of an explanation: bound like a scoring function's, but
 * explaining is not serving, so it is not counted in the statistics.
 */
static MdCallSite *
explain_site(FunctionCallInfo fcinfo)
{
	return md_callsite_in(&fcinfo->flinfo->fn_extra, fcinfo->flinfo->fn_mcxt,
						  PG_GETARG_TEXT_PP(0), 0);
}

/* explain(name text, features ..., top_n integer, class integer) */
static Datum
explain_rows_of(FunctionCallInfo fcinfo, RowReader read)
{
	MdCallSite *site;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	site = explain_site(fcinfo);
	return explanation_rows(fcinfo, site, read(site, fcinfo));
}

/* explain_json(name text, features ..., top_n integer, class integer) */
static Datum
explain_json_of(FunctionCallInfo fcinfo, RowReader read)
{
	MdCallSite *site;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	site = explain_site(fcinfo);
	return explanation_jsonb(fcinfo, site, read(site, fcinfo));
}

Datum
md_explain_array(PG_FUNCTION_ARGS)
{
	return explain_rows_of(fcinfo, array_arg);
}

Datum
md_explain_record(PG_FUNCTION_ARGS)
{
	return explain_rows_of(fcinfo, record_arg);
}

Datum
md_explain_jsonb(PG_FUNCTION_ARGS)
{
	return explain_rows_of(fcinfo, jsonb_arg);
}

Datum
md_explain_json_array(PG_FUNCTION_ARGS)
{
	return explain_json_of(fcinfo, array_arg);
}

Datum
md_explain_json_record(PG_FUNCTION_ARGS)
{
	return explain_json_of(fcinfo, record_arg);
}

Datum
md_explain_json_jsonb(PG_FUNCTION_ARGS)
{
	return explain_json_of(fcinfo, jsonb_arg);
}

Datum
md_explain_text(PG_FUNCTION_ARGS)
{
	return explain_rows_of(fcinfo, text_arg);
}

Datum
md_explain_json_text(PG_FUNCTION_ARGS)
{
	return explain_json_of(fcinfo, text_arg);
}
