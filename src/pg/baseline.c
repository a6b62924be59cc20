/*-------------------------------------------------------------------------
 *
 * baseline.c
 *	  Baselines for drift: set_baseline() summarises a reference data set
 *	  (say, the training table) per feature and for the predictions, and
 *	  keeps the summaries with the model version; the serving statistics
 *	  then count their values over the same bins (md_baseline_edges).
 *
 * A summary (of one feature, or of the model's predictions on the
 * reference rows) is its missing rate, the mean and sample standard
 * deviation of its finite values, and a histogram: bins whose edges are
 * the distinct deciles of the values that are not missing -- the
 * ceil(k n / 10)-th smallest value for k = 1..9, as percentile_disc(k/10)
 * -- leaving out an edge equal to the largest value, so that no bin is
 * empty (a constant feature keeps its one value as an edge).  A value v
 * falls in the bin numbered by the edges below it: (-inf, e1], (e1, e2],
 * ..., (e_last, +inf); the histogram is each bin's share of the values.
 *
 * The reference query is read like evaluate()'s (query_rows.c), with the
 * caller's privileges; scoring it is not serving, and is not counted.  The
 * summaries are written as the owner of the baseline tables (record.c).
 * Memory: 8 bytes per value that is not missing, for every feature and
 * the predictions, held until the summaries are computed (they sort them).
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"
#include "md_stats.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "metrics.h"

PG_FUNCTION_INFO_V1(md_set_baseline);

#define PREDICTION_NAME "(prediction)"

/* The values of one position (0: predictions, f + 1: feature f). */
typedef struct Column
{
	double *values; /* not missing */
	int64 n;
	int64 capacity;
	int64 missing;
} Column;

/* What a position's baseline is. */
typedef struct Summary
{
	double missing_rate;
	double mean;   /* NaN: no finite value */
	double stddev; /* NaN: fewer than two */
	int n_edges;
	MdEdges edges;
	double shares[MD_STATS_BINS];
} Summary;

/* One set_baseline() run. */
typedef struct Baseline
{
	MdCallSite *site;
	MdRowMap *map;
	MdQueryRows rows;
	int n_columns; /* n_features + 1 */
	Column *columns;
	MemoryContext cxt;
} Baseline;

/* --- computing ----------------------------------------------------------- */

static void
add(Baseline *b, int position, double v)
{
	Column *c = &b->columns[position];

	if (isnan(v))
	{
		c->missing++;
		return;
	}
	if (c->n == c->capacity)
	{
		c->capacity = c->capacity == 0 ? 1024 : 2 * c->capacity;
		c->values = c->values == NULL ? MemoryContextAllocHuge(b->cxt, sizeof(double) * c->capacity) : repalloc_huge(c->values, sizeof(double) * c->capacity);
	}
	c->values[c->n++] = v;
}

/* One reference row: its features, and the model's prediction of it. */
static bool
take_row(HeapTuple tuple, TupleDesc desc pg_attribute_unused(), void *arg)
{
	Baseline *b = arg;
	MdCallSite *site = b->site;
	const double *x;
	const float *x32;

	md_rows_take(&b->rows, tuple);
	md_rows_features(&b->rows, site, &b->map, &x, &x32);
	md_score_row(site, MD_OUTPUT_PREDICT, x, x32);
	add(b, MD_STATS_PREDICTION, site->out[0]);
	for (int f = 0; f + 1 < b->n_columns; f++)
		add(b, f + 1, x32 != NULL ? x32[f] : x[f]);
	return false;
}

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *) a;
	double y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The distinct deciles below the largest value, as the header says. */
static void
decile_edges(const double *sorted, int64 n, Summary *s)
{
	double max = sorted[n - 1];

	s->n_edges = 0;
	for (int k = 1; k < MD_STATS_BINS; k++)
	{
		double v = sorted[(k * n + MD_STATS_BINS - 1) / MD_STATS_BINS - 1];

		if (v < max && (s->n_edges == 0 || v > s->edges.e[s->n_edges - 1]))
			s->edges.e[s->n_edges++] = v;
	}
	if (s->n_edges == 0)
		s->edges.e[s->n_edges++] = max;
	for (int i = s->n_edges; i < MD_STATS_EDGES; i++)
		s->edges.e[i] = INFINITY;
}

/* Mean and sample standard deviation of the finite values. */
static void
moments(const double *values, int64 n, Summary *s)
{
	MdSum sum = {0, 0};
	MdSum squares = {0, 0};
	int64 finite = 0;

	for (int64 i = 0; i < n; i++)
		if (isfinite(values[i]))
		{
			md_sum_add(&sum, values[i]);
			finite++;
		}
	s->mean = finite > 0 ? md_sum_value(&sum) / finite : NAN;
	for (int64 i = 0; i < n; i++)
		if (isfinite(values[i]))
			md_sum_add(&squares, (values[i] - s->mean) * (values[i] - s->mean));
	s->stddev = finite > 1 ? sqrt(md_sum_value(&squares) / (finite - 1)) : NAN;
}

static void
summarise(Column *c, int64 rows, Summary *s)
{
	int64 counts[MD_STATS_BINS] = {0};

	memset(s, 0, sizeof(*s));
	s->missing_rate = rows > 0 ? (double) c->missing / rows : 0;
	s->mean = NAN;
	s->stddev = NAN;
	if (c->n == 0)
		return;
	qsort(c->values, c->n, sizeof(double), compare_doubles);
	moments(c->values, c->n, s);
	decile_edges(c->values, c->n, s);
	for (int64 i = 0; i < c->n; i++)
		counts[md_bin_of(&s->edges, c->values[i])]++;
	for (int i = 0; i <= s->n_edges; i++)
		s->shares[i] = (double) counts[i] / c->n;
}

/* --- storing ------------------------------------------------------------- */

/* Replace the version's baseline; returns its new id. */
static int64
store_header(const MdCallSite *site, const char *query, int64 rows)
{
	static const char *delete =
		"DELETE FROM " MD_SCHEMA_NAME "." MD_BASELINES_TABLE
		" WHERE name = $1 AND version = $2";
	static const char *insert =
		"INSERT INTO " MD_SCHEMA_NAME "." MD_BASELINES_TABLE
		" (name, version, baseline_id, rows, query, created_by)"
		" VALUES ($1, $2, pg_catalog.nextval('" MD_SCHEMA_NAME
		".baseline_id_seq'), $3, $4, $5) RETURNING baseline_id";
	Oid types[5] = {TEXTOID, INT4OID, INT8OID, TEXTOID, NAMEOID};
	Datum args[5];
	bool isnull;

	args[0] = CStringGetTextDatum(site->name);
	args[1] = Int32GetDatum(site->loaded->version);
	args[2] = Int64GetDatum(rows);
	args[3] = CStringGetTextDatum(query);
	args[4] = md_caller_name();
	md_write_as_owner(MD_BASELINES_TABLE, delete, 2, types, args, NULL);
	md_write_as_owner(MD_BASELINES_TABLE, insert, 5, types, args, NULL);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

static void
store_summary(const MdCallSite *site, int64 id, int position,
			  const char *feature, const Summary *s)
{
	static const char *insert =
		"INSERT INTO " MD_SCHEMA_NAME "." MD_BASELINE_FEATURES_TABLE
		" (name, version, position, feature, baseline_id, missing_rate,"
		" mean, stddev, edges, shares)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
	Oid types[10] = {TEXTOID, INT4OID, INT4OID, TEXTOID, INT8OID,
					 FLOAT8OID, FLOAT8OID, FLOAT8OID,
					 FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum args[10];
	char nulls[10];
	bool none = s->n_edges == 0;

	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(site->name);
	args[1] = Int32GetDatum(site->loaded->version);
	args[2] = Int32GetDatum(position);
	args[3] = CStringGetTextDatum(feature);
	args[4] = Int64GetDatum(id);
	args[5] = Float8GetDatum(s->missing_rate);
	args[6] = Float8GetDatum(s->mean);
	nulls[6] = isnan(s->mean) ? 'n' : ' ';
	args[7] = Float8GetDatum(s->stddev);
	nulls[7] = isnan(s->stddev) ? 'n' : ' ';
	args[8] = md_float8_array(s->edges.e, s->n_edges);
	args[9] = md_float8_array(s->shares, none ? 0 : s->n_edges + 1);
	md_write_as_owner(MD_BASELINE_FEATURES_TABLE, insert, 10, types, args, nulls);
}

/* The name of position p: the predictions, or a feature. */
static char *
position_name(const MdCallSite *site, int p)
{
	const char *name;

	if (p == MD_STATS_PREDICTION)
		return PREDICTION_NAME;
	name = md_feature_name(&site->loaded->model, (uint32) p - 1);
	return name != NULL ? pstrdup(name) : psprintf("f%d", p - 1);
}

static void
put_result(ReturnSetInfo *rsinfo, const char *feature, const Summary *s)
{
	Datum values[6];
	bool nulls[6] = {false};

	values[0] = CStringGetTextDatum(feature);
	values[1] = Float8GetDatum(s->missing_rate);
	values[2] = Float8GetDatum(s->mean);
	nulls[2] = isnan(s->mean);
	values[3] = Float8GetDatum(s->stddev);
	nulls[3] = isnan(s->stddev);
	values[4] = md_float8_array(s->edges.e, s->n_edges);
	values[5] = md_float8_array(s->shares, s->n_edges == 0 ? 0 : s->n_edges + 1);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * set_baseline(name text, query text, version integer) -> (feature,
 * missing_rate, mean, stddev, edges, shares): summarise the query's rows
 * as the baseline of the version (the active one if NULL), replacing its
 * baseline if it had one.
 */
Datum
md_set_baseline(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char *name = md_required_text(fcinfo, 0, "name");
	char *query = md_required_text(fcinfo, 1, "query");
	int32 version = md_optional_version(fcinfo, 2);
	void *slot = NULL;
	Baseline b;
	Summary *summaries;
	int64 id;

	InitMaterializedSRF(fcinfo, 0);
	memset(&b, 0, sizeof(b));
	b.cxt = AllocSetContextCreate(CurrentMemoryContext,
								  "model_deploy baseline",
								  ALLOCSET_DEFAULT_SIZES);
	/* not a serving call: md_callsite_in, which keeps no statistics */
	b.site = md_callsite_in(&slot, b.cxt, cstring_to_text(name), version);
	b.n_columns = (int) b.site->loaded->info.n_features + 1;
	b.columns = MemoryContextAllocZero(b.cxt, sizeof(Column) * b.n_columns);

	SPI_connect();
	md_rows_init(&b.rows,
				 md_rows_open(query, "baseline",
							  "Pass a query returning the features: a "
							  "\"features\" array, or one column per "
							  "feature of the model."),
				 "baseline", name);
	md_rows_scan(&b.rows, take_row, &b);
	if (b.rows.row_number == 0)
		ereport(ERROR,
				errcode(ERRCODE_NO_DATA_FOUND),
				errmsg("the baseline query returned no rows"));

	summaries = palloc(sizeof(Summary) * b.n_columns);
	for (int p = 0; p < b.n_columns; p++)
		summarise(&b.columns[p], b.rows.row_number, &summaries[p]);
	id = store_header(b.site, query, b.rows.row_number);
	for (int p = 0; p < b.n_columns; p++)
	{
		char *feature = position_name(b.site, p);

		store_summary(b.site, id, p, feature, &summaries[p]);
		put_result(rsinfo, feature, &summaries[p]);
	}
	SPI_finish();
	/* releases the version's pin */
	MemoryContextDelete(b.cxt);
	return (Datum) 0;
}
