/*-------------------------------------------------------------------------
 *
 * stats_sql.c
 *	  The serving statistics for SQL: the functions behind the stats and
 *	  feature_stats views (and drift()), stats_reset() and stats_info().
 *
 * Statistics live in shared memory, so they need model_deploy in
 * shared_preload_libraries; without it these functions say so with a
 * NOTICE and return nothing.  Before reading, a backend flushes its own
 * pending statistics, so that what it scored in its open transaction is
 * included.
 *
 *-------------------------------------------------------------------------
 */
#include "md_score.h"
#include "md_stats.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(md_stats_versions);
PG_FUNCTION_INFO_V1(md_stats_values);
PG_FUNCTION_INFO_V1(md_stats_reset);
PG_FUNCTION_INFO_V1(md_stats_info_sql);

/* Statistics need shared memory: say so, once per call, if there is none */
static bool
statistics_kept(void)
{
	if (md_stats_ready)
	{
		md_stats_flush_all();
		return true;
	}
	ereport(NOTICE,
			errmsg("model_deploy is not in shared_preload_libraries: no "
				   "serving statistics are kept"),
			errhint("Add model_deploy to shared_preload_libraries and "
					"restart the server."));
	return false;
}

static double
stddev_of(const MdValueStats *s)
{
	return s->finite > 1 ? sqrt(s->m2 / (s->finite - 1)) : NAN;
}

/* A value that is NULL when it is NaN (undefined). */
static void
put_double(Datum *values, bool *nulls, int i, double v)
{
	values[i] = Float8GetDatum(v);
	nulls[i] = isnan(v);
}

static Datum
bigint_array(const int64 *values, int n)
{
	Datum *d = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/*
 * The summary of one feature or of the predictions into columns from 'at':
 * count, missing, mean, stddev, min, max, and the histogram (NULL without
 * bins).
 */
static int
put_value_stats(Datum *values, bool *nulls, int at, const MdValueStats *s,
				int n_edges)
{
	bool none = s->count == 0;

	values[at] = Int64GetDatum(s->count);
	values[at + 1] = Int64GetDatum(s->missing);
	put_double(values, nulls, at + 2, s->finite > 0 ? s->mean : NAN);
	put_double(values, nulls, at + 3, stddev_of(s));
	put_double(values, nulls, at + 4, none ? NAN : s->min);
	put_double(values, nulls, at + 5, none ? NAN : s->max);
	nulls[at + 6] = n_edges == 0;
	if (n_edges > 0)
		values[at + 6] = bigint_array(s->bins, n_edges + 1);
	return at + 7;
}

static void
put_timestamp(Datum *values, bool *nulls, int i, TimestampTz t)
{
	values[i] = TimestampTzGetDatum(t);
	nulls[i] = t == 0;
}

/*
 * _stats() -> one row per version of this database: deploy_id, name,
 * version, calls, rows, errors, total_time, mean_time (milliseconds, from
 * the timed sample of rows), predictions, prediction_missing,
 * prediction_mean, prediction_stddev, prediction_min, prediction_max,
 * prediction_histogram, histogram_edges, features_tracked, baseline_id,
 * first_call, last_call.
 */
Datum
md_stats_versions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell *lc;

	InitMaterializedSRF(fcinfo, 0);
	if (!statistics_kept())
		return (Datum) 0;
	foreach (lc, md_stats_snapshots(false))
	{
		MdStatsSnapshot *s = lfirst(lc);
		const MdStatsRecord *r = &s->rec;
		const MdStatsCounters *c = &r->counters;
		double mean_ms = c->timed_rows > 0 ? c->timed_ms / c->timed_rows : NAN;
		Datum values[20];
		bool nulls[20] = {false};
		int i;

		values[0] = Int64GetDatum(r->key.deploy_id);
		values[1] = CStringGetTextDatum(r->name);
		values[2] = Int32GetDatum(r->version);
		values[3] = Int64GetDatum(c->calls);
		values[4] = Int64GetDatum(c->rows);
		values[5] = Int64GetDatum(c->errors);
		put_double(values, nulls, 6, mean_ms * c->rows);
		put_double(values, nulls, 7, mean_ms);
		i = put_value_stats(values, nulls, 8, &r->prediction,
							r->n_prediction_edges);
		nulls[i] = r->n_prediction_edges == 0;
		if (r->n_prediction_edges > 0)
			values[i] = md_float8_array(r->prediction_edges.e,
										r->n_prediction_edges);
		values[i + 1] = BoolGetDatum(s->features_tracked);
		values[i + 2] = Int64GetDatum(r->baseline_id);
		put_timestamp(values, nulls, i + 3, r->first_call);
		put_timestamp(values, nulls, i + 4, r->last_call);
		Assert(i + 5 == lengthof(values));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	return (Datum) 0;
}

/*
 * _feature_stats() -> one row per feature of each version of this database
 * that tracks them, and one for its predictions (position 0, feature
 * "(prediction)"): deploy_id, name, version, position, feature, count,
 * missing, mean, stddev, min, max, bins (NULL without a baseline's bins),
 * baseline_id.
 */
Datum
md_stats_values(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell *lc;

	InitMaterializedSRF(fcinfo, 0);
	if (!statistics_kept())
		return (Datum) 0;
	foreach (lc, md_stats_snapshots(true))
	{
		MdStatsSnapshot *s = lfirst(lc);
		const MdStatsRecord *r = &s->rec;
		const char *name = s->feature_names;

		for (int p = 0; p <= (s->features ? r->n_features : 0); p++)
		{
			Datum values[13];
			bool nulls[13] = {false};
			const MdValueStats *v = p == 0 ? &r->prediction : &s->features[p - 1];
			int n_edges = p == 0 ? r->n_prediction_edges : (r->baseline_id != 0 ? MD_STATS_EDGES : 0);

			values[0] = Int64GetDatum(r->key.deploy_id);
			values[1] = CStringGetTextDatum(r->name);
			values[2] = Int32GetDatum(r->version);
			values[3] = Int32GetDatum(p);
			values[4] = CStringGetTextDatum(p == 0 ? "(prediction)" : name);
			put_value_stats(values, nulls, 5, v, n_edges);
			values[12] = Int64GetDatum(r->baseline_id);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
								 nulls);
			if (p > 0)
				name += strlen(name) + 1;
		}
	}
	return (Datum) 0;
}

/* stats_reset(name text): forget the statistics of a model, or of all. */
Datum
md_stats_reset(PG_FUNCTION_ARGS)
{
	char *name = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (statistics_kept())
		md_stats_remove(name);
	PG_RETURN_VOID();
}

/* stats_info() -> (versions, max_versions, evictions), server-wide. */
Datum
md_stats_info_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum values[3];
	bool nulls[3] = {false};
	int versions;
	int64 evictions;

	InitMaterializedSRF(fcinfo, 0);
	if (!statistics_kept())
		return (Datum) 0;
	md_stats_info(&versions, &evictions);
	values[0] = Int32GetDatum(versions);
	values[1] = Int32GetDatum(md_stats_max);
	values[2] = Int64GetDatum(evictions);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
