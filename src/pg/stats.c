/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Serving statistics, per backend: counting each scoring call into a
 *	  pending entry of its model version, and handing the pending entries
 *	  to shared memory when the transaction ends.
 *
 * What counts is serving: the calls that bind through md_callsite()
 * (predict(), predict_proba(), predict_raw(), predict_class(),
 * predict_pinned(), score_trigger() and score_table()).  explain(),
 * evaluate(), compare_versions() and set_baseline() score rows to explain or
 * judge a model, not to serve it: they are not counted, and so do not
 * distort the distributions drift is measured on.
 *
 * A call site keeps a pointer to the pending entry of its version
 * (callsite.c), so a call costs a counter and a pointer store, and
 * a row (md_stats_count_row) a few arithmetic operations per feature, in
 * memory of this backend only.  Between the start of a call and its
 * scored row, the entry is "in flight": if the (sub)transaction aborts
 * then, the call failed, and the abort counts it as an error.
 *
 *-------------------------------------------------------------------------
 */
#include "md_stats.h"

#include <float.h>
#include <math.h>

#include "access/xact.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

bool md_track_stats = true;

/* The pending entry whose current call has not scored its row yet. */
MdStatsPending *md_stats_inflight = NULL;

/*
 * Pending entries by deploy_id.  Each version a backend scores gets one, so
 * a long-lived backend that sees many redeployments would collect them
 * without end: once there are more than MAX_IDLE_PENDING at a top-level
 * transaction end (all flushed, none in use), they are all freed.
 */
static HTAB *pending = NULL;
static MemoryContext stats_context = NULL;
#define MAX_IDLE_PENDING 32

uint64 md_stats_generation = 0;

/* Entries with something to flush. */
static dlist_head dirty = DLIST_STATIC_INIT(dirty);

/* Room for the accumulators of n values, in the current memory context. */
static void
accs_init(MdValueAccs *a, int n)
{
	Size m = Max(n, 1);
	double *d = palloc0(sizeof(double) * 5 * m);
	int64 *i = palloc0(sizeof(int64) * (2 + MD_STATS_BINS) * m);

	a->n = n;
	a->shift = d;
	a->s1 = d + m;
	a->s2 = d + 2 * m;
	a->min = d + 3 * m;
	a->max = d + 4 * m;
	a->missing = i;
	a->nonfinite = i + m;
	a->bins = i + 2 * m;
}

/* Empty the accumulators; the shifts stay. */
static void
accs_reset(MdValueAccs *a)
{
	a->rows = 0;
	memset(a->s1, 0, sizeof(double) * a->n);
	memset(a->s2, 0, sizeof(double) * a->n);
	memset(a->missing, 0, sizeof(int64) * a->n);
	memset(a->nonfinite, 0, sizeof(int64) * a->n);
	memset(a->bins, 0, sizeof(int64) * a->n * MD_STATS_BINS);
	for (int f = 0; f < a->n; f++)
	{
		a->min[f] = INFINITY;
		a->max[f] = -INFINITY;
	}
}

static void
reset_batch(MdStatsPending *p)
{
	memset(&p->counters, 0, sizeof(p->counters));
	p->first_call = 0;
	accs_reset(&p->prediction);
	accs_reset(&p->features);
}

/* Hand one entry's statistics to shared memory, and start afresh. */
static void
flush(MdStatsPending *p)
{
	if (!p->dirty)
		return;
	md_stats_merge(p, GetCurrentTimestamp());
	reset_batch(p);
	dlist_delete(&p->dirty_node);
	p->dirty = false;
}

void
md_stats_flush_all(void)
{
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &dirty)
		flush(dlist_container(MdStatsPending, dirty_node, iter.cur));
}

void
md_stats_mark_dirty(MdStatsPending *p)
{
	dlist_push_tail(&dirty, &p->dirty_node);
	p->dirty = true;
	p->first_call = GetCurrentStatementStartTimestamp();
}

/*
 * Free the pending entries if there are many: called when they are all
 * flushed, and no call is in flight.  Call sites still pointing to them see
 * the generation move and attach again.
 */
static void
forget_idle_pending(void)
{
	if (pending == NULL || hash_get_num_entries(pending) <= MAX_IDLE_PENDING)
		return;
	Assert(dlist_is_empty(&dirty) && md_stats_inflight == NULL);
	MemoryContextReset(stats_context);
	pending = NULL;
	md_stats_generation++;
}

/* A call that began and did not score its row failed. */
static void
count_failed_call(void)
{
	if (md_stats_inflight != NULL)
		md_stats_inflight->counters.errors++;
	md_stats_inflight = NULL;
}

/*
 * Transaction end, in backends and parallel workers alike.  Runs after the
 * commit or abort is decided, so nothing here may raise an error: the
 * merge takes locks and reads memory, nothing else.
 */
static void
xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			count_failed_call();
			md_stats_flush_all();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			md_stats_inflight = NULL;
			md_stats_flush_all();
			break;
		default:
			break;
	}
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT ||
		event == XACT_EVENT_PREPARE)
		forget_idle_pending();
}

/* An exception block or on_error=null caught the failure of a call. */
static void
subxact_callback(SubXactEvent event,
				 SubTransactionId sub pg_attribute_unused(),
				 SubTransactionId parent pg_attribute_unused(),
				 void *arg pg_attribute_unused())
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		count_failed_call();
}

void
md_stats_init(void)
{
	DefineCustomBoolVariable("model_deploy.track_stats",
							 "Collects serving statistics of the models "
							 "(model_deploy.stats).",
							 NULL, &md_track_stats, true, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}

/*
 * Which element of each kind of output is the value predict() returns:
 * predict() itself, and for multi-class models and clusterings the class,
 * which is their prediction.  Probabilities and raw margins are not.
 */
static void
set_prediction_of(MdStatsPending *p, const md_info *info)
{
	memset(p->prediction_of, -1, sizeof(p->prediction_of));
	p->prediction_of[MD_OUTPUT_PREDICT] = 0;
	if (info->task == MD_TASK_MULTICLASS || info->task == MD_TASK_CLUSTER)
		p->prediction_of[MD_OUTPUT_CLASS] = 0;
}

/*
 * Histogram bins of the predictions without a baseline: tenths of a
 * probability, or one bin per class (the tenth: all the others).  A
 * regression has none until it has a baseline.
 */
static void
default_prediction_edges(MdStatsPending *p, const md_info *info)
{
	int n = 0;

	if (info->task == MD_TASK_BINARY)
		for (n = 0; n < MD_STATS_EDGES; n++)
			p->prediction_edges.e[n] = (n + 1) / 10.0;
	else if (info->task == MD_TASK_MULTICLASS ||
			 info->task == MD_TASK_CLUSTER)
	{
		uint32 classes = info->task == MD_TASK_CLUSTER ? info->n_outputs : info->n_classes;

		for (n = 0; n + 1 < (int) Min(classes, MD_STATS_BINS); n++)
			p->prediction_edges.e[n] = n;
	}
	p->n_prediction_edges = n;
	for (; n < MD_STATS_EDGES; n++)
		p->prediction_edges.e[n] = INFINITY;
}

/* The model's feature names, NUL-terminated one after the other. */
static char *
copy_feature_names(const MdLoadedModel *m, Size *size)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (uint32 f = 0; f < m->info.n_features; f++)
	{
		const char *name = md_feature_name(&m->model, f);

		if (name != NULL)
			appendStringInfoString(&buf, name);
		else
			appendStringInfo(&buf, "f%u", f);
		appendStringInfoChar(&buf, '\0');
	}
	*size = buf.len;
	return buf.data;
}

/* A new pending entry for the site's version, entered into the hash. */
static MdStatsPending *
new_pending(const MdLoadedModel *m)
{
	MemoryContext old = MemoryContextSwitchTo(stats_context);
	MdStatsPending tmpl;
	MdStatsPending *p;

	/* everything that can fail first: the hash must get a whole entry */
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.deploy_id = m->deploy_id;
	strlcpy(tmpl.name, m->name, NAMEDATALEN);
	tmpl.version = m->version;
	tmpl.n_features = (int32) m->info.n_features;
	tmpl.feature_names = copy_feature_names(m, &tmpl.names_size);
	accs_init(&tmpl.prediction, 1);
	accs_init(&tmpl.features, tmpl.n_features);
	set_prediction_of(&tmpl, &m->info);
	default_prediction_edges(&tmpl, &m->info);
	reset_batch(&tmpl);
	MemoryContextSwitchTo(old);

	p = hash_search(pending, &m->deploy_id, HASH_ENTER, NULL);
	*p = tmpl;
	return p;
}

/*
 * Read the version's baseline again after a registry change.  A new
 * baseline brings new bins: what was counted over the old ones is flushed
 * first, under the old baseline's id.
 */
static void
refresh_baseline(MdStatsPending *p)
{
	uint64 epoch = md_registry_epoch;
	MdStatsPending next = *p;

	next.feature_edges = NULL;
	next.baseline_id = md_baseline_edges(&next, stats_context);
	if (next.baseline_id != p->baseline_id)
	{
		flush(p);
		if (p->feature_edges != NULL)
			pfree(p->feature_edges);
		p->baseline_id = next.baseline_id;
		p->feature_edges = next.feature_edges;
		p->n_prediction_edges = next.n_prediction_edges;
		p->prediction_edges = next.prediction_edges;
	}
	else if (next.feature_edges != NULL)
		pfree(next.feature_edges);
	p->epoch = epoch;
}

/*
 * The pending entry of a loaded version, made ready: created on first
 * use, its baseline read again if the registry changed since.
 */
MdStatsPending *
md_stats_attach(const MdLoadedModel *m)
{
	MdStatsPending *p;

	if (pending == NULL)
	{
		HASHCTL ctl;

		if (stats_context == NULL)
			stats_context = AllocSetContextCreate(TopMemoryContext,
												  "model_deploy statistics",
												  ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(MdStatsPending);
		ctl.hcxt = stats_context;
		pending = hash_create("model_deploy pending statistics", 16, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	md_stats_shmem_attach();
	p = hash_search(pending, &m->deploy_id, HASH_FIND, NULL);
	if (p == NULL)
		p = new_pending(m);
	if (p->epoch != md_registry_epoch)
		refresh_baseline(p);
	return p;
}

/*
 * Add a row of values (x, or x32 if x is NULL) to the accumulators, and to
 * their histograms over 'edges' if not NULL.  Missing values (NaN) and
 * infinite ones add nothing to the sums, without a branch; NaN compares
 * false, so it is never a minimum, a maximum, or above an edge.  Inlined
 * four ways, for arrays of each type with and without bins.
 */
static pg_attribute_always_inline void
add_values(MdValueAccs *a, const double *x, const float *x32,
		   const MdEdges *edges)
{
	/* the arrays in registers: they overlap nothing */
	const double *pg_restrict shift = a->shift;
	double *pg_restrict s1 = a->s1;
	double *pg_restrict s2 = a->s2;
	double *pg_restrict min = a->min;
	double *pg_restrict max = a->max;
	int64 *pg_restrict missing = a->missing;
	int64 *pg_restrict nonfinite = a->nonfinite;
	int64 *pg_restrict bins = a->bins;
	int n = a->n;

	for (int f = 0; f < n; f++)
	{
		double v = x != NULL ? x[f] : (double) x32[f];
		bool finite = fabs(v) <= DBL_MAX;
		double d = finite ? v - shift[f] : 0.0;

		s1[f] += d;
		s2[f] += d * d;
		nonfinite[f] += !finite;
		missing[f] += isnan(v);
		min[f] = v < min[f] ? v : min[f];
		max[f] = v > max[f] ? v : max[f];
		if (edges != NULL)
			bins[f * MD_STATS_BINS + md_bin_of(&edges[f], v)] += !isnan(v);
	}
	a->rows++;
}

/*
 * The first row of an entry: its values become the shifts, so that the
 * sums stay small and their squares exact enough (later batches shift by
 * the merged mean).
 */
static void
pick_shifts(MdStatsPending *p, const double *x, const float *x32)
{
	for (int f = 0; f < p->n_features; f++)
	{
		double v = x32 != NULL ? x32[f] : x[f];

		if (isfinite(v))
			p->features.shift[f] = v;
	}
	p->shifted = true;
}

/*
 * A row was scored (its values in x or x32, its output in out): count it
 * and add its features and its prediction.  'start' is when its timed
 * scoring began, or NULL.
 */
void
md_stats_count_row(MdStatsPending *p, md_output kind, const double *out,
				   const double *x, const float *x32, instr_time *start)
{
	const MdEdges *edges = p->feature_edges;
	int pred = p->prediction_of[kind];

	if (start != NULL)
	{
		instr_time now;

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, *start);
		p->counters.timed_ms += INSTR_TIME_GET_MILLISEC(now);
		p->counters.timed_rows++;
	}
	md_stats_inflight = NULL;
	p->counters.rows++;

	if (unlikely(!p->shifted))
		pick_shifts(p, x, x32);
	if (pred >= 0)
		add_values(&p->prediction, &out[pred], NULL,
				   p->n_prediction_edges > 0 ? &p->prediction_edges : NULL);
	if (x32 == NULL && edges == NULL)
		add_values(&p->features, x, NULL, NULL);
	else if (x32 == NULL)
		add_values(&p->features, x, NULL, edges);
	else if (edges == NULL)
		add_values(&p->features, NULL, x32, NULL);
	else
		add_values(&p->features, NULL, x32, edges);

	if (unlikely(p->counters.rows >= MD_STATS_FLUSH_ROWS))
		flush(p);
}
