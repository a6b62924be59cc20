/*-------------------------------------------------------------------------
 *
 * evaluate.c
 *	  Model performance against ground truth: evaluate() and
 *	  compare_versions(), and their record in model_deploy.evaluations.
 *
 * The caller's query is run as it is, read-only, with the caller's
 * privileges (query_rows.c).  Its output columns are found by name: the
 * features (a "features" array column, or else one column per feature,
 * named like the model's features) and the label column the caller names.
 * Rows whose label is NULL are skipped: labels often arrive later than the
 * rows they judge.  Every row is scored by each version being evaluated,
 * in one pass over the query, so that competing versions are judged on
 * exactly the same rows.  Evaluating is not serving: the versions' serving
 * statistics do not count these rows.
 *
 * The record of each evaluation is inserted as the owner of the
 * evaluations table, with a fixed statement (record.c): callers need no
 * privilege on the table, and cannot write anything into it but true
 * results.
 *
 * Memory: 8 bytes per row for the label and 8 per class (1 for regression)
 * per row and version for the scores; the metrics need all of them (AUC
 * sorts the scores).
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "metrics.h"

PG_FUNCTION_INFO_V1(md_evaluate);
PG_FUNCTION_INFO_V1(md_compare_versions);

#define QUERY_HINT "Pass a query returning the features (a \"features\" " \
				   "array, or one column per feature of the model) and the label column."

/* One version being evaluated and its scores of the query's rows. */
typedef struct EvalVersion
{
	void *slot; /* its call site (md_callsite_in) */
	MdCallSite *site;
	MdRowMap *map;	/* features by name: its columns */
	double *scores; /* rows x width */
} EvalVersion;

/* One evaluation: the query, its labels, and the versions' scores. */
typedef struct Evaluation
{
	const char *name;
	const char *query;
	const char *label;
	bool classifier;
	uint32 width; /* classes, or 1 for a regression */
	int n_versions;
	EvalVersion *versions;
	int64 rows;
	int64 capacity;
	double *labels;
	MemoryContext cxt; /* everything above lives here */
	MdQueryRows query_rows;
	int label_col;
	Oid label_type;
} Evaluation;

/*
 * Bind a call site to each version and check they can be evaluated alike:
 * classifiers (binary or multi-class) or regressions, with the same
 * number of classes.
 */
static void
bind_versions(Evaluation *ev, List *versions)
{
	text *name = cstring_to_text(ev->name);
	ListCell *lc;
	int i = 0;

	ev->n_versions = list_length(versions);
	ev->versions = MemoryContextAllocZero(ev->cxt,
										  sizeof(EvalVersion) * ev->n_versions);
	foreach (lc, versions)
	{
		EvalVersion *v = &ev->versions[i++];
		const md_info *info;
		bool classifier;

		v->site = md_callsite_in(&v->slot, ev->cxt, name, lfirst_int(lc));
		info = &v->site->loaded->info;
		if (info->task != MD_TASK_BINARY && info->task != MD_TASK_MULTICLASS &&
			info->task != MD_TASK_REGRESSION)
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("version %d of model \"%s\" (%s) is neither a "
						   "classifier nor a regression",
						   v->site->loaded->version, ev->name,
						   info->objective),
					errhint("evaluate() computes classification and "
							"regression metrics."));
		classifier = info->task != MD_TASK_REGRESSION;
		if (i == 1)
		{
			ev->classifier = classifier;
			ev->width = classifier ? info->n_classes : 1;
		}
		else if (classifier != ev->classifier ||
				 (classifier && info->n_classes != ev->width))
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("versions of model \"%s\" predict different kinds "
						   "of output, so they cannot be compared",
						   ev->name),
					errhint("Evaluate them one by one with "
							"model_deploy.evaluate()."));
	}
}

/* The scalar types a label may have. */
static bool
is_label_type(Oid type)
{
	return type == BOOLOID || md_is_numeric_type(type);
}

static double
label_value(Oid type, Datum d)
{
	MdValueKind kind;

	if (!md_value_kind(type, &kind))
		elog(ERROR, "unexpected label type %u", type);
	return md_value_double(kind, d);
}

/* A label a classifier or a regression can be judged by. */
static void
check_label(const Evaluation *ev, double y)
{
	if (!isfinite(y))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("label %g is not a finite number", y));
	if (ev->classifier && (y != floor(y) || y < 0 || y >= ev->width))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("label %g is not a class of model \"%s\"", y,
					   ev->name),
				errhint("A classifier's labels are its class numbers, 0 to "
						"%u (or false and true for a binary one).",
						ev->width - 1));
}

/* Room for one more row in the label and score arrays. */
static void
grow(Evaluation *ev)
{
	if (ev->rows < ev->capacity)
		return;
	ev->capacity = ev->capacity == 0 ? 1024 : 2 * ev->capacity;
	if (ev->labels == NULL)
	{
		ev->labels = MemoryContextAllocHuge(ev->cxt,
											sizeof(double) * ev->capacity);
		for (int i = 0; i < ev->n_versions; i++)
			ev->versions[i].scores =
				MemoryContextAllocHuge(ev->cxt, sizeof(double) * ev->width * ev->capacity);
		return;
	}
	ev->labels = repalloc_huge(ev->labels, sizeof(double) * ev->capacity);
	for (int i = 0; i < ev->n_versions; i++)
		ev->versions[i].scores = repalloc_huge(ev->versions[i].scores,
											   sizeof(double) * ev->width *
												   ev->capacity);
}

/* Score the row taken with every version, into row ev->rows. */
static void
score_row(Evaluation *ev, MdQueryRows *rows)
{
	md_output kind = ev->classifier ? MD_OUTPUT_PROBA : MD_OUTPUT_PREDICT;

	for (int i = 0; i < ev->n_versions; i++)
	{
		MdCallSite *site = ev->versions[i].site;
		const double *x;
		const float *x32;

		md_rows_features(rows, site, &ev->versions[i].map, &x, &x32);
		md_score_row(site, kind, x, x32);
		memcpy(ev->versions[i].scores + ev->rows * ev->width, site->out,
			   sizeof(double) * ev->width);
	}
}

/* One row of the query: scored by every version if it has a label. */
static bool
take_row(HeapTuple tuple, TupleDesc desc, void *arg)
{
	Evaluation *ev = arg;
	bool isnull;
	Datum label = SPI_getbinval(tuple, desc, ev->label_col, &isnull);

	if (isnull)
		return false;
	md_rows_take(&ev->query_rows, tuple);
	grow(ev);
	ev->labels[ev->rows] = label_value(ev->label_type, label);
	check_label(ev, ev->labels[ev->rows]);
	score_row(ev, &ev->query_rows);
	ev->rows++;
	return false;
}

/* The label column of the query, which must be there. */
static int
label_column(const Evaluation *ev, TupleDesc desc)
{
	int col = md_rows_column(desc, ev->label, "evaluation",
							 is_label_type, "a number or boolean");

	if (col == 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("the evaluation query has no column \"%s\"",
					   ev->label),
				errhint("The query must return the label in the column "
						"named in the call."));
	return col;
}

/* Run the query to its end, collecting labels and scores. */
static void
collect(Evaluation *ev)
{
	Portal portal = md_rows_open(ev->query, "evaluation", QUERY_HINT);

	ev->label_col = label_column(ev, portal->tupDesc);
	ev->label_type = getBaseType(SPI_gettypeid(portal->tupDesc,
											   ev->label_col));
	md_rows_init(&ev->query_rows, portal, "evaluation", ev->name);
	md_rows_scan(&ev->query_rows, take_row, ev);
	if (ev->rows == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("the evaluation query returned no labelled rows"),
				errhint("Rows whose label is NULL are left out."));
}

static void
compute_metrics(const Evaluation *ev, const EvalVersion *v, MdMetrics *m)
{
	if (ev->classifier)
	{
		int32 *classes = palloc_extended(sizeof(int32) * ev->rows,
										 MCXT_ALLOC_HUGE);

		for (int64 i = 0; i < ev->rows; i++)
			classes[i] = (int32) ev->labels[i];
		md_classification_metrics(classes, v->scores, ev->rows,
								  (int) ev->width, m);
		pfree(classes);
	}
	else
		md_regression_metrics(ev->labels, v->scores, ev->rows, m);
}

/* Keep one version's result in model_deploy.evaluations. */
static void
record(const Evaluation *ev, const EvalVersion *v, const MdMetrics *m)
{
	static const char *insert =
		"INSERT INTO " MD_SCHEMA_NAME ".evaluations "
		"(name, version, rows, metrics, evaluated_by, query, label) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7)";
	Oid types[7] = {TEXTOID, INT4OID, INT8OID, JSONBOID, NAMEOID,
					TEXTOID, TEXTOID};
	Datum args[7];
	StringInfoData metrics;

	initStringInfo(&metrics);
	appendStringInfoChar(&metrics, '{');
	for (int i = 0; i < m->n; i++)
	{
		/* rows has its own column */
		if (strcmp(m->name[i], "rows") != 0)
			md_append_json_member(&metrics, m->name[i], m->value[i]);
	}
	appendStringInfoChar(&metrics, '}');

	args[0] = CStringGetTextDatum(ev->name);
	args[1] = Int32GetDatum(v->site->loaded->version);
	args[2] = Int64GetDatum(ev->rows);
	args[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics.data));
	args[4] = md_caller_name();
	args[5] = CStringGetTextDatum(ev->query);
	args[6] = CStringGetTextDatum(ev->label);
	md_write_as_owner("evaluations", insert, 7, types, args, NULL);
}

/*
 * Evaluate 'versions' of the model on the query's rows, record each, and
 * return the metrics as rows (version,) metric, value.
 */
static Datum
evaluate_versions(FunctionCallInfo fcinfo, const char *name, List *versions,
				  bool with_version)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Evaluation ev;

	memset(&ev, 0, sizeof(ev));
	ev.name = name;
	ev.query = md_required_text(fcinfo, 1, "query");
	ev.label = md_required_text(fcinfo, 2, "label");
	ev.cxt = AllocSetContextCreate(CurrentMemoryContext,
								   "model_deploy evaluation",
								   ALLOCSET_DEFAULT_SIZES);
	bind_versions(&ev, versions);

	SPI_connect();
	collect(&ev);
	for (int i = 0; i < ev.n_versions; i++)
	{
		EvalVersion *v = &ev.versions[i];
		MdMetrics m;

		compute_metrics(&ev, v, &m);
		record(&ev, v, &m);
		for (int j = 0; j < m.n; j++)
		{
			Datum values[3];
			bool nulls[3] = {false, false, false};
			int c = 0;

			if (with_version)
				values[c++] = Int32GetDatum(v->site->loaded->version);
			values[c] = CStringGetTextDatum(m.name[j]);
			nulls[c + 1] = isnan(m.value[j]);
			values[c + 1] = Float8GetDatum(m.value[j]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
								 nulls);
		}
	}
	SPI_finish();
	/* releases the versions' pins */
	MemoryContextDelete(ev.cxt);
	return (Datum) 0;
}

/* evaluate(name text, query text, label text, version integer) */
Datum
md_evaluate(PG_FUNCTION_ARGS)
{
	char *name = md_required_text(fcinfo, 0, "name");
	int32 version = md_optional_version(fcinfo, 3);

	InitMaterializedSRF(fcinfo, 0);
	return evaluate_versions(fcinfo, name, list_make1_int(version), false);
}

/* compare_versions(name text, query text, label text) */
Datum
md_compare_versions(PG_FUNCTION_ARGS)
{
	char *name = md_required_text(fcinfo, 0, "name");
	List *versions;
	MdVersionRef ref;

	InitMaterializedSRF(fcinfo, 0);
	md_check_model_name(name, strlen(name));
	versions = md_registry_versions(name);
	if (versions == NIL)
		md_resolve(name, 0, &ref); /* reports the unknown model */
	return evaluate_versions(fcinfo, name, versions, true);
}
