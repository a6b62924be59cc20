/*-------------------------------------------------------------------------
 *
 * md_stats.h
 *	  Serving statistics: what each model version was asked to score, and
 *	  how its inputs and predictions are distributed.
 *
 *	 stats.c        per backend: counting calls and rows into a pending
 *	                entry per version, flushing them at transaction end
 *	 stats_shmem.c  the shared table of versions (the model_deploy.stats_max
 *	                setting, its shared memory, entries, eviction)
 *	 stats_file.c   the file that keeps the table across a clean restart
 *	 stats_persist.c  setting up the table, filling it from the file at
 *	                start, writing the file at a clean shutdown
 *	 stats_baseline.c  the bins of a version's baseline (set_baseline(),
 *	                baseline.c, keeps them)
 *	 stats_sql.c    the SQL functions behind the stats views, stats_reset()
 *
 * A scoring call of a version adds a few numbers to this backend's pending
 * entry of that version: no lock, no lookup.  The pending entries are
 * merged into the shared table when the transaction ends (commit, abort,
 * prepare; also in parallel workers) and every MD_STATS_FLUSH_ROWS rows
 * within a long statement.
 *
 * The values of one feature (or the predictions) are summarised by their
 * count, missing values, minimum, maximum, mean and sum of squared
 * deviations, and, once the version has a baseline, by a histogram over the
 * baseline's bins.  A pending entry accumulates sums of the values minus a
 * shift (a value close to the mean: the first row's, later the shared mean)
 * so that a row costs one subtraction, two additions and a multiplication
 * per feature; a flush turns them into a mean and a sum of squares and
 * merges those into the shared ones with Chan's formula.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_STATS_H
#define MD_STATS_H

#include "md_store.h"

#include "lib/ilist.h"
#include "portability/instr_time.h"
#include "utils/timestamp.h"

/* Bins of a histogram: the deciles of a baseline. */
#define MD_STATS_BINS 10
#define MD_STATS_EDGES (MD_STATS_BINS - 1)

/* Rows after which a statement flushes its pending statistics. */
#define MD_STATS_FLUSH_ROWS 10000

/* Scoring time is measured on one row in this many (a power of 2). */
#define MD_STATS_TIME_SAMPLE 16

/* Position of the predictions among a version's summaries. */
#define MD_STATS_PREDICTION 0

/*
 * Summary of the values of one feature or of the predictions, as merged in
 * shared memory.  Missing values (NULL, NaN) are only counted; infinite
 * ones are in count, min, max and the histogram but not in mean and m2.
 */
typedef struct MdValueStats
{
	int64 count; /* values that were not missing */
	int64 missing;
	int64 finite; /* values in mean and m2 */
	double mean;
	double m2; /* sum of squared deviations from the mean */
	double min;
	double max;
	int64 bins[MD_STATS_BINS]; /* over the edges of the version */
} MdValueStats;

/*
 * The values of n features (or of the predictions, n = 1) being
 * accumulated by a backend since its last flush: one array per quantity,
 * so that adding a row is a straight loop without branches.
 */
typedef struct MdValueAccs
{
	int n;
	int64 rows;	   /* rows added */
	double *shift; /* subtracted from each finite value */
	double *s1;	   /* sums of (value - shift) */
	double *s2;	   /* sums of (value - shift)^2 */
	double *min;
	double *max;
	int64 *missing;
	int64 *nonfinite; /* missing and infinite values */
	int64 *bins;	  /* n x MD_STATS_BINS */
} MdValueAccs;

/*
 * Histogram edges: a value v falls in bin "number of edges below v", so the
 * bins are (-inf, e1], (e1, e2], ..., (e_last, +inf).  Unused edges are
 * +infinity.
 */
typedef struct MdEdges
{
	double e[MD_STATS_EDGES];
} MdEdges;

/* The bin of a value: the number of edges below it. */
static inline int
md_bin_of(const MdEdges *edges, double v)
{
	int b = 0;

	for (int i = 0; i < MD_STATS_EDGES; i++)
		b += edges->e[i] < v;
	return b;
}

/* Counters of a version, shared and pending alike. */
typedef struct MdStatsCounters
{
	int64 calls;	  /* scoring calls, failed ones included */
	int64 rows;		  /* rows scored */
	int64 errors;	  /* calls that failed */
	int64 timed_rows; /* rows whose scoring was timed */
	double timed_ms;  /* their scoring time */
} MdStatsCounters;

/* This backend's statistics of one version, not yet in shared memory. */
typedef struct MdStatsPending
{
	int64 deploy_id; /* hash key */
	char name[NAMEDATALEN];
	int32 version;
	int32 n_features;
	char *feature_names; /* n_features NUL-terminated names */
	Size names_size;
	uint64 epoch;	   /* md_registry_epoch of the baseline read */
	int64 baseline_id; /* 0: none; then feature edges are NULL */
	int n_prediction_edges;
	MdEdges prediction_edges;
	MdEdges *feature_edges; /* n_features, or NULL */
	int8 prediction_of[4];	/* by md_output: out[] index, or -1 */
	bool shifted;			/* shifts set from a first row */
	bool dirty;				/* on the dirty list */
	uint32 time_clock;		/* rows seen, for sampling the time */
	dlist_node dirty_node;
	/* since the last flush */
	MdStatsCounters counters;
	TimestampTz first_call;
	MdValueAccs prediction;
	MdValueAccs features;
} MdStatsPending;

/*
 * A version's entry in shared memory, keyed by database and deploy_id (a
 * database copied from a template shares its deploy_ids).  The record is
 * what the statistics file keeps; its per-feature summaries and feature
 * names are in the entry's own piece of the feature area.
 */
typedef struct MdStatsKey
{
	Oid dboid;
	int32 pad; /* always zero: keys are hashed as bytes */
	int64 deploy_id;
} MdStatsKey;

typedef struct MdStatsRecord
{
	MdStatsKey key; /* first: the hash key */
	char name[NAMEDATALEN];
	int32 version;
	int32 n_features;
	int32 names_size; /* bytes of feature names */
	int32 n_prediction_edges;
	int64 baseline_id;
	MdEdges prediction_edges;
	MdStatsCounters counters;
	TimestampTz first_call;
	TimestampTz last_call;
	MdValueStats prediction;
} MdStatsRecord;

/* A version as the SQL functions read it from shared memory. */
typedef struct MdStatsSnapshot
{
	MdStatsRecord rec;
	bool features_tracked;
	MdValueStats *features; /* n_features, if asked for and tracked */
	char *feature_names;
} MdStatsSnapshot;

/* stats_shmem.c: whether this server keeps statistics */
extern bool md_stats_ready;

/* stats.c */
extern bool md_track_stats;
extern MdStatsPending *md_stats_inflight;
extern void md_stats_init(void);
extern MdStatsPending *md_stats_attach(const MdLoadedModel *m);
extern void md_stats_mark_dirty(MdStatsPending *p);
extern void md_stats_count_row(MdStatsPending *p, md_output kind,
							   const double *out, const double *x,
							   const float *x32, instr_time *start);
extern void md_stats_flush_all(void);

/* Bumped when the pending entries are freed: call sites attach again. */
extern uint64 md_stats_generation;

/* Whether this row of a tracked site is one whose scoring is timed. */
static inline bool
md_stats_time_this_row(MdStatsPending *p)
{
	return p != NULL && (p->time_clock++ & (MD_STATS_TIME_SAMPLE - 1)) == 0;
}

/* stats_shmem.c */
extern int md_stats_max;
extern void md_stats_shmem_init(void);
extern void md_stats_shmem_request(void);
extern bool md_stats_shmem_startup(void);
extern void md_stats_shmem_startup_done(void);
extern void md_stats_shmem_attach(void);
extern void md_stats_merge(MdStatsPending *p, TimestampTz now);
extern List *md_stats_snapshots(bool with_features);
extern int md_stats_remove(const char *name);
extern void md_stats_info(int *versions, int64 *evictions);
extern bool md_stats_restore(const MdStatsRecord *rec,
							 const MdValueStats *features, const char *names);
typedef void (*MdStatsVisitor)(const MdStatsRecord *rec,
							   const MdValueStats *features,
							   const char *names, void *arg);
extern void md_stats_visit_all(MdStatsVisitor visit, void *arg);

/* stats_file.c: the entries come from a walker and go to a restorer */
typedef void (*MdStatsWalker)(MdStatsVisitor visit, void *arg);
typedef bool (*MdStatsRestorer)(const MdStatsRecord *rec,
								const MdValueStats *features,
								const char *names);
extern void md_stats_file_save(MdStatsWalker walk);
extern void md_stats_file_load(MdStatsRestorer restore);

/* stats_persist.c: the postmaster's shmem startup, through _PG_init's */
extern void md_stats_startup(void);

/* stats_baseline.c */
extern int64 md_baseline_edges(MdStatsPending *p, MemoryContext mcxt);

#endif /* MD_STATS_H */
