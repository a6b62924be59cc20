/*-------------------------------------------------------------------------
 *
 * evaluate.c
 *	  Model performance against ground truth: evaluate() and
 *	  compare_versions(), and their record in model_deploy.evaluations.
 *
 * The caller's query is run as it is, through SPI, read-only, with the
 * caller's privileges: it is never pasted into other SQL.  Its output
 * columns are found by name: "features" (a numeric array, as predict()
 * takes) and the label column the caller names.  Rows whose label is NULL
 * are skipped: labels often arrive later than the rows they judge.  Every
 * row is scored by each version being evaluated, in one pass over the
 * query, so that competing versions are judged on exactly the same rows.
 *
 * The record of each evaluation is inserted as the owner of the
 * evaluations table, with a fixed statement: callers need no privilege on
 * the table, and cannot write anything into it but true results.
 *
 * Memory: 8 bytes per row for the label and 8 per class (1 for regression)
 * per row and version for the scores; the metrics need all of them (AUC
 * sorts the scores).
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"
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

#define FEATURES_COLUMN "features"
#define FETCH_ROWS 1000

/* One version being evaluated and its scores of the query's rows. */
typedef struct EvalVersion
{
	void	   *slot;			/* its call site (md_callsite_in) */
	MdCallSite *site;
	double	   *scores;			/* rows x width */
} EvalVersion;

/* One evaluation: the query, its labels, and the versions' scores. */
typedef struct Evaluation
{
	const char *name;
	const char *query;
	const char *label;
	bool		classifier;
	uint32		width;			/* classes, or 1 for a regression */
	int			n_versions;
	EvalVersion *versions;
	int64		rows;
	int64		capacity;
	double	   *labels;
	int64		row_number;		/* of the query, for error context */
	MemoryContext cxt;			/* everything above lives here */
} Evaluation;

/* A text argument that must not be NULL. */
static char *
required_text(FunctionCallInfo fcinfo, int arg, const char *what)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not be NULL", what));
	return text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

/*
 * Bind a call site to each version and check they can be evaluated alike:
 * classifiers (binary or multi-class) or regressions, with the same
 * number of classes.
 */
static void
bind_versions(Evaluation *ev, List *versions)
{
	text	   *name = cstring_to_text(ev->name);
	ListCell   *lc;
	int			i = 0;

	ev->n_versions = list_length(versions);
	ev->versions = MemoryContextAllocZero(ev->cxt,
										  sizeof(EvalVersion) * ev->n_versions);
	foreach(lc, versions)
	{
		EvalVersion *v = &ev->versions[i++];
		const md_info *info;
		bool		classifier;

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

/* Whether a planned statement only reads: one SELECT, no DML in WITH. */
static bool
is_plain_select(SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *source;
	ListCell   *lc;

	if (list_length(sources) != 1)
		return false;
	source = linitial(sources);
	if (source->commandTag != CMDTAG_SELECT)
		return false;
	foreach(lc, source->query_list)
	{
		Query	   *query = lfirst_node(Query, lc);

		if (query->commandType != CMD_SELECT || query->hasModifyingCTE)
			return false;
	}
	return true;
}

/* Plan the caller's query and open it as a read-only cursor. */
static Portal
open_query(const Evaluation *ev)
{
	SPIPlanPtr	plan = SPI_prepare(ev->query, 0, NULL);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s",
			 SPI_result_code_string(SPI_result));
	if (!is_plain_select(plan))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("the evaluation query must be a single SELECT that "
					   "changes no data"),
				errhint("Pass a query returning a \"features\" column and "
						"the label column."));
	return SPI_cursor_open(NULL, plan, NULL, NULL, true);
}

/* The number of the query's column 'name', checked against 'accepts'. */
static int
query_column(TupleDesc desc, const char *name, bool (*accepts) (Oid type),
			 const char *wanted)
{
	int			col = SPI_fnumber(desc, name);
	Oid			type;

	if (col <= 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("the evaluation query has no column \"%s\"", name),
				errhint("The query must return the features in a column "
						"named \"%s\" and the label column named in the "
						"call.", FEATURES_COLUMN));
	type = getBaseType(SPI_gettypeid(desc, col));
	if (!accepts(type))
		ereport(ERROR,
				errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of the evaluation query is of type %s, "
					   "not %s", name, format_type_be(type), wanted));
	return col;
}

/* The numeric types predict() takes arrays of. */
static bool
is_numeric_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;
}

/* The scalar types a label may have. */
static bool
is_label_type(Oid type)
{
	return type == BOOLOID || is_numeric_type(type);
}

static bool
is_features_type(Oid type)
{
	return is_numeric_type(get_element_type(type));
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
				MemoryContextAllocHuge(ev->cxt, sizeof(double) * ev->width *
									   ev->capacity);
		return;
	}
	ev->labels = repalloc_huge(ev->labels, sizeof(double) * ev->capacity);
	for (int i = 0; i < ev->n_versions; i++)
		ev->versions[i].scores = repalloc_huge(ev->versions[i].scores,
											   sizeof(double) * ev->width *
											   ev->capacity);
}

/* Score one row's features with every version, into row ev->rows. */
static void
score_row(Evaluation *ev, ArrayType *features)
{
	md_output	kind = ev->classifier ? MD_OUTPUT_PROBA : MD_OUTPUT_PREDICT;

	for (int i = 0; i < ev->n_versions; i++)
	{
		MdCallSite *site = ev->versions[i].site;
		const double *x;
		const float *x32;

		md_read_feature_array(site, features, &x, &x32);
		md_score_row(site, kind, x, x32);
		memcpy(ev->versions[i].scores + ev->rows * ev->width, site->out,
			   sizeof(double) * ev->width);
	}
}

static void
row_context(void *arg)
{
	Evaluation *ev = arg;

	errcontext("row %lld of the evaluation query of model \"%s\"",
			   (long long) ev->row_number, ev->name);
}

/* Take in one fetched batch of the query's rows. */
static void
take_rows(Evaluation *ev, SPITupleTable *batch, int features_col,
		  int label_col, Oid label_type)
{
	for (uint64 r = 0; r < batch->numvals; r++)
	{
		HeapTuple	tuple = batch->vals[r];
		bool		isnull;
		Datum		label = SPI_getbinval(tuple, batch->tupdesc, label_col,
										  &isnull);
		Datum		features;

		ev->row_number++;
		if (isnull)
			continue;
		features = SPI_getbinval(tuple, batch->tupdesc, features_col,
								 &isnull);
		if (isnull)
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("the features of a labelled row are NULL"),
					errhint("Leave out rows without features, or mark "
							"single missing values with NULL elements."));
		grow(ev);
		ev->labels[ev->rows] = label_value(label_type, label);
		check_label(ev, ev->labels[ev->rows]);
		score_row(ev, DatumGetArrayTypeP(features));
		ev->rows++;
	}
}

/* Run the query to its end, collecting labels and scores. */
static void
collect(Evaluation *ev)
{
	Portal		portal = open_query(ev);
	int			features_col = query_column(portal->tupDesc, FEATURES_COLUMN,
											is_features_type,
											"a numeric array");
	int			label_col = query_column(portal->tupDesc, ev->label,
										 is_label_type,
										 "a number or boolean");
	Oid			label_type = getBaseType(SPI_gettypeid(portal->tupDesc,
													   label_col));
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"evaluation batch",
													ALLOCSET_DEFAULT_SIZES);
	ErrorContextCallback context = {NULL, row_context, ev};

	for (;;)
	{
		MemoryContext old;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		/* errors in our rows name the row; detoasted arrays go per batch */
		context.previous = error_context_stack;
		error_context_stack = &context;
		old = MemoryContextSwitchTo(batch_cxt);
		take_rows(ev, SPI_tuptable, features_col, label_col, label_type);
		MemoryContextSwitchTo(old);
		error_context_stack = context.previous;
		MemoryContextReset(batch_cxt);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(batch_cxt);

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
		int32	   *classes = palloc_extended(sizeof(int32) * ev->rows,
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

/* The owner of model_deploy.evaluations, who writes its rows. */
static Oid
evaluations_owner(void)
{
	Oid			relid = get_relname_relid("evaluations",
										  get_namespace_oid(MD_SCHEMA_NAME,
															false));
	HeapTuple	tuple;
	Oid			owner;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("table %s.evaluations does not exist", MD_SCHEMA_NAME),
				errhint("Run CREATE EXTENSION model_deploy."));
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* Keep one version's result in model_deploy.evaluations. */
static void
record(const Evaluation *ev, const EvalVersion *v, const MdMetrics *m)
{
	static const char *insert =
		"INSERT INTO " MD_SCHEMA_NAME ".evaluations "
		"(name, version, rows, metrics, evaluated_by, query, label) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7)";
	Oid			types[7] = {TEXTOID, INT4OID, INT8OID, JSONBOID, NAMEOID,
							TEXTOID, TEXTOID};
	Datum		args[7];
	StringInfoData metrics;
	Oid			owner = evaluations_owner();
	Oid			caller;
	int			sec_context;
	int			ret;

	initStringInfo(&metrics);
	appendStringInfoChar(&metrics, '{');
	for (int i = 0; i < m->n; i++)
	{
		/* rows has its own column */
		if (strcmp(m->name[i], "rows") != 0)
			md_append_json_member(&metrics, m->name[i], m->value[i]);
	}
	appendStringInfoChar(&metrics, '}');

	GetUserIdAndSecContext(&caller, &sec_context);
	args[0] = CStringGetTextDatum(ev->name);
	args[1] = Int32GetDatum(v->site->loaded->version);
	args[2] = Int64GetDatum(ev->rows);
	args[3] = DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics.data));
	args[4] = DirectFunctionCall1(namein,
								  CStringGetDatum(GetUserNameFromId(caller,
																	false)));
	args[5] = CStringGetTextDatum(ev->query);
	args[6] = CStringGetTextDatum(ev->label);

	SetUserIdAndSecContext(owner, sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	ret = SPI_execute_with_args(insert, 7, types, args, NULL, false, 0);
	SetUserIdAndSecContext(caller, sec_context);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record the evaluation: %s",
			 SPI_result_code_string(ret));
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
	Evaluation	ev;

	memset(&ev, 0, sizeof(ev));
	ev.name = name;
	ev.query = required_text(fcinfo, 1, "query");
	ev.label = required_text(fcinfo, 2, "label");
	ev.cxt = AllocSetContextCreate(CurrentMemoryContext,
								   "model_deploy evaluation",
								   ALLOCSET_DEFAULT_SIZES);
	bind_versions(&ev, versions);

	SPI_connect();
	collect(&ev);
	for (int i = 0; i < ev.n_versions; i++)
	{
		EvalVersion *v = &ev.versions[i];
		MdMetrics	m;

		compute_metrics(&ev, v, &m);
		record(&ev, v, &m);
		for (int j = 0; j < m.n; j++)
		{
			Datum		values[3];
			bool		nulls[3] = {false, false, false};
			int			c = 0;

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
	char	   *name = required_text(fcinfo, 0, "name");
	int32		version = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);

	InitMaterializedSRF(fcinfo, 0);
	if (!PG_ARGISNULL(3) && version <= 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("version must be positive"),
				errhint("Pass NULL for the active version."));
	return evaluate_versions(fcinfo, name, list_make1_int(version), false);
}

/* compare_versions(name text, query text, label text) */
Datum
md_compare_versions(PG_FUNCTION_ARGS)
{
	char	   *name = required_text(fcinfo, 0, "name");
	List	   *versions;
	MdVersionRef ref;

	InitMaterializedSRF(fcinfo, 0);
	md_check_model_name(name, strlen(name));
	versions = md_registry_versions(name);
	if (versions == NIL)
		md_resolve(name, 0, &ref);	/* reports the unknown model */
	return evaluate_versions(fcinfo, name, versions, true);
}
