/*-------------------------------------------------------------------------
 *
 * query_rows.c
 *	  A caller's query whose rows carry a model's features: evaluate(),
 *	  compare_versions() and set_baseline() read their rows through here.
 *
 * The query is run as it is, through SPI, read-only, with the caller's
 * privileges: it is never pasted into other SQL.  It must be one SELECT
 * that changes no data.  Its features come, by the first rule that
 * applies:
 *
 *	 - from its column "features", a numeric array in the model's order,
 *	   as predict() takes it;
 *	 - otherwise from its columns named like the model's features, as
 *	   predict(name, row) reads a row (features.c): exact names, other
 *	   columns ignored, NULL a missing value.
 *
 * A row is taken once (md_rows_take) and read by each model version that
 * scores it (md_rows_features), each with its own column mapping.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#define FETCH_ROWS 1000

/* Whether a planned statement only reads: one SELECT, no DML in WITH. */
static bool
is_plain_select(SPIPlanPtr plan)
{
	List *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *source;
	ListCell *lc;

	if (list_length(sources) != 1)
		return false;
	source = linitial(sources);
	if (source->commandTag != CMDTAG_SELECT)
		return false;
	foreach (lc, source->query_list)
	{
		Query *query = lfirst_node(Query, lc);

		if (query->commandType != CMD_SELECT || query->hasModifyingCTE)
			return false;
	}
	return true;
}

/*
 * Plan the caller's query (the 'what' query, e.g. "evaluation") and open
 * it as a read-only cursor; 'hint' says what it must return.  SPI must be
 * connected.
 */
Portal
md_rows_open(const char *query, const char *what, const char *hint)
{
	SPIPlanPtr plan = SPI_prepare(query, 0, NULL);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s",
			 SPI_result_code_string(SPI_result));
	if (!is_plain_select(plan))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("the %s query must be a single SELECT that changes no "
					   "data",
					   what),
				errhint("%s", hint));
	return SPI_cursor_open(NULL, plan, NULL, NULL, true);
}

/*
 * The number of the query's column 'name', checked against 'accepts'
 * (which gets its type under any domain); 0 if there is none.
 */
int
md_rows_column(TupleDesc desc, const char *name, const char *what,
			   bool (*accepts)(Oid type), const char *wanted)
{
	int col = SPI_fnumber(desc, name);
	Oid type;

	if (col <= 0)
		return 0;
	type = getBaseType(SPI_gettypeid(desc, col));
	if (!accepts(type))
		ereport(ERROR,
				errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of the %s query is of type %s, not %s",
					   name, what, format_type_be(type), wanted));
	return col;
}

/* The numeric types predict() takes arrays of. */
bool
md_is_numeric_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;
}

static bool
is_features_type(Oid type)
{
	return md_is_numeric_type(get_element_type(type));
}

/* Where the rows of an opened query have their features. */
void
md_rows_init(MdQueryRows *rows, Portal portal, const char *what,
			 const char *model)
{
	TupleDesc desc = portal->tupDesc;

	memset(rows, 0, sizeof(*rows));
	rows->portal = portal;
	rows->desc = desc;
	rows->what = what;
	rows->model = model;
	rows->features_col = md_rows_column(desc, MD_FEATURES_COLUMN, what,
										is_features_type, "a numeric array");
	if (rows->features_col == 0)
	{
		rows->values = palloc(sizeof(Datum) * desc->natts);
		rows->isnull = palloc(sizeof(bool) * desc->natts);
	}
}

/* Take one row of the query (its array detoasted in the current memory). */
void
md_rows_take(MdQueryRows *rows, HeapTuple tuple)
{
	bool isnull;
	Datum d;

	if (rows->features_col == 0)
	{
		heap_deform_tuple(tuple, rows->desc, rows->values, rows->isnull);
		return;
	}
	d = SPI_getbinval(tuple, rows->desc, rows->features_col, &isnull);
	if (isnull)
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("the features of a row of the %s query are NULL",
					   rows->what),
				errhint("Leave out rows without features, or mark single "
						"missing values with NULL elements."));
	rows->array = DatumGetArrayTypeP(d);
}

/*
 * The features of the row taken, for the site's model: *x32 (float4 data
 * in place) or *x.  *map is the site's mapping of the query's columns,
 * made on first use (in the site's memory).
 */
void
md_rows_features(MdQueryRows *rows, MdCallSite *site, MdRowMap **map,
				 const double **x, const float **x32)
{
	if (rows->features_col != 0)
	{
		md_read_feature_array(site, rows->array, x, x32);
		return;
	}
	if (*map == NULL)
		*map = md_row_map(site, rows->desc, site->mcxt);
	md_read_row(site, *map, rows->values, rows->isnull);
	*x = site->features;
	*x32 = NULL;
}

static void
row_context(void *arg)
{
	MdQueryRows *rows = arg;

	errcontext("row %lld of the %s query of model \"%s\"",
			   (long long) rows->row_number, rows->what, rows->model);
}

/*
 * Run the query to its end, calling 'visit' on each row (its return value
 * is ignored), with errors naming the row; memory allocated by 'visit' in
 * the current context goes with each batch of rows.  Closes the cursor.
 */
void
md_rows_scan(MdQueryRows *rows, MdRowVisitor visit, void *arg)
{
	MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"model_deploy query rows",
													ALLOCSET_DEFAULT_SIZES);
	ErrorContextCallback context = {NULL, row_context, rows};

	for (;;)
	{
		MemoryContext old;

		SPI_cursor_fetch(rows->portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		context.previous = error_context_stack;
		error_context_stack = &context;
		old = MemoryContextSwitchTo(batch_cxt);
		for (uint64 r = 0; r < SPI_tuptable->numvals; r++)
		{
			rows->row_number++;
			(void) visit(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, arg);
		}
		MemoryContextSwitchTo(old);
		error_context_stack = context.previous;
		MemoryContextReset(batch_cxt);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(rows->portal);
	MemoryContextDelete(batch_cxt);
}
