/*-------------------------------------------------------------------------
 *
 * stats_shmem.c
 *	  Serving statistics in shared memory: the model_deploy.stats_max
 *	  setting, the table of versions, merging a backend's pending
 *	  statistics into it, evicting, removing and reading entries.
 *
 * Loaded through shared_preload_libraries, the postmaster reserves:
 *
 *	 +---------------+-------------------------------------+
 *	 | MdStatsShared | feature area (DSA, in place, fixed:  |
 *	 |               | 8 kB per version of stats_max)       |
 *	 +---------------+-------------------------------------+
 *	 a fixed-size hash table: (database, deploy_id) -> MdStatsEntry
 *
 * The table has room for model_deploy.stats_max versions.  When it is full,
 * a version that has not been seen yet takes the place of the version whose
 * statistics were flushed longest ago, and the eviction is counted
 * (stats_info()).  Each entry's per-feature summaries and feature names
 * are allocated in the feature area when the entry is made; a version that
 * finds no room there is tracked without them (stats.features_tracked is
 * false).  The area never grows: its size limit is its size in place, so it
 * creates no DSM segment and a backend maps nothing to use it.
 *
 * Locking: the table's lock is held in shared mode to find an entry (and
 * while it is used), in exclusive mode to add or remove one; each entry has
 * its own LWLock for its numbers.  Merging never raises an error: it runs
 * after a transaction has committed or aborted.
 *
 *-------------------------------------------------------------------------
 */
#include "md_stats.h"

#include <math.h>

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/dsa.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#define MD_STATS_TRANCHE "model_deploy stats"
#define MD_STATS_SHMEM "model_deploy stats"
#define MD_STATS_TABLE "model_deploy stats table"

/* Feature area per version of model_deploy.stats_max. */
#define MD_STATS_AREA_PER_VERSION ((Size) 8 * 1024)

typedef struct MdStatsShared
{
	LWLock *lock;	/* the table */
	int tranche_id; /* of the entries' locks */
	pg_atomic_uint64 evictions;
	Size area_size;
} MdStatsShared;

typedef struct MdStatsEntry
{
	MdStatsRecord rec; /* first: its key is the hash key */
	LWLock lock;
	dsa_pointer features; /* MdValueStats[n_features], then names */
} MdStatsEntry;

int md_stats_max = 1000;

/* Whether this server keeps statistics (set in the postmaster). */
bool md_stats_ready = false;

static MdStatsShared *shared = NULL;
static HTAB *table = NULL;
static dsa_area *area = NULL;

static Size
area_size(void)
{
	return Max(dsa_minimum_size(),
			   mul_size(MD_STATS_AREA_PER_VERSION, md_stats_max));
}

static Size
shared_size(void)
{
	return add_size(MAXALIGN(sizeof(MdStatsShared)), area_size());
}

static void *
area_place(void)
{
	return (char *) shared + MAXALIGN(sizeof(MdStatsShared));
}

/* Called from _PG_init while the postmaster preloads libraries. */
void
md_stats_shmem_init(void)
{
	DefineCustomIntVariable("model_deploy.stats_max",
							"Model versions whose serving statistics are "
							"kept (the least recently used make room).",
							NULL, &md_stats_max, 1000, 10, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
}

/* The postmaster's shmem_request_hook, through _PG_init's. */
void
md_stats_shmem_request(void)
{
	RequestAddinShmemSpace(add_size(shared_size(),
									hash_estimate_size(md_stats_max,
													   sizeof(MdStatsEntry))));
	RequestNamedLWLockTranche(MD_STATS_TRANCHE, 1);
}

/*
 * Set up the statistics in the postmaster, at start and after a crash
 * restart (shared memory is then new: stats_persist.c decides what goes
 * in).  Returns whether the table was made just now; this process then
 * stays attached to the feature area, so that md_stats_restore() can fill
 * it, until md_stats_shmem_startup_done().
 */
bool
md_stats_shmem_startup(void)
{
	HASHCTL info;
	bool found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct(MD_STATS_SHMEM, shared_size(), &found);
	info.keysize = sizeof(MdStatsKey);
	info.entrysize = sizeof(MdStatsEntry);
	table = ShmemInitHash(MD_STATS_TABLE, md_stats_max, md_stats_max, &info,
						  HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	if (!found)
	{
		shared->lock = &GetNamedLWLockTranche(MD_STATS_TRANCHE)[0].lock;
		shared->tranche_id = shared->lock->tranche;
		pg_atomic_init_u64(&shared->evictions, 0);
		shared->area_size = area_size();
		area = dsa_create_in_place(area_place(), shared->area_size,
								   shared->tranche_id, NULL);
		dsa_pin(area);
		dsa_set_size_limit(area, shared->area_size);
	}
	LWLockRelease(AddinShmemInitLock);
	md_stats_ready = true;
	return area != NULL;
}

/* The end of md_stats_shmem_startup(): backends attach on their own. */
void
md_stats_shmem_startup_done(void)
{
	if (area != NULL)
		dsa_detach(area);
	area = NULL;
}

/* Attach this process to the feature area, once. */
void
md_stats_shmem_attach(void)
{
	MemoryContext old;

	if (area != NULL)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	area = dsa_attach_in_place(area_place(), NULL);
	dsa_pin_mapping(area);
	if (IsUnderPostmaster)
		on_shmem_exit(dsa_on_shmem_exit_release_in_place,
					  PointerGetDatum(area_place()));
	MemoryContextSwitchTo(old);
}

static MdValueStats *
entry_features(MdStatsEntry *e)
{
	if (!DsaPointerIsValid(e->features))
		return NULL;
	return dsa_get_address(area, e->features);
}

static char *
entry_names(MdStatsEntry *e)
{
	MdValueStats *f = entry_features(e);

	return f == NULL ? NULL : (char *) (f + e->rec.n_features);
}

static void
free_entry(MdStatsEntry *e)
{
	if (DsaPointerIsValid(e->features))
		dsa_free(area, e->features);
	hash_search(table, &e->rec.key, HASH_REMOVE, NULL);
}

/* Make room for one more entry: evict the least recently flushed one. */
static void
evict_one(void)
{
	HASH_SEQ_STATUS seq;
	MdStatsEntry *e;
	MdStatsEntry *oldest = NULL;

	hash_seq_init(&seq, table);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (oldest == NULL || e->rec.last_call < oldest->rec.last_call)
			oldest = e;
	if (oldest != NULL)
	{
		free_entry(oldest);
		pg_atomic_fetch_add_u64(&shared->evictions, 1);
	}
}

/*
 * A new entry for 'rec' (the table locked exclusively), with its features
 * and names copied in if given and the area has room for them; NULL only
 * if the table cannot take it.  Raises no error.
 */
static MdStatsEntry *
new_entry(const MdStatsRecord *rec, const MdValueStats *features,
		  const char *names)
{
	MdStatsEntry *e;
	Size size;

	if (hash_get_num_entries(table) >= md_stats_max)
		evict_one();
	e = hash_search(table, &rec->key, HASH_ENTER_NULL, NULL);
	if (e == NULL)
		return NULL;
	e->rec = *rec;
	LWLockInitialize(&e->lock, shared->tranche_id);
	e->features = InvalidDsaPointer;
	size = sizeof(MdValueStats) * (Size) rec->n_features + rec->names_size;
	if (features != NULL && rec->n_features > 0 && AllocSizeIsValid(size))
		e->features = dsa_allocate_extended(area, size, DSA_ALLOC_NO_OOM);
	if (DsaPointerIsValid(e->features))
	{
		MdValueStats *f = entry_features(e);

		memcpy(f, features, sizeof(MdValueStats) * rec->n_features);
		memcpy(f + rec->n_features, names, rec->names_size);
	}
	return e;
}

static void
reset_value(MdValueStats *s)
{
	memset(s, 0, sizeof(*s));
}

/*
 * Chan et al.'s merge of value i of a batch (its shifted sums) into a
 * summary, and its histogram if 'bins'.
 */
static void
merge_value(MdValueStats *s, const MdValueAccs *a, int i, bool bins)
{
	int64 count = a->rows - a->missing[i];
	int64 nb = a->rows - a->nonfinite[i];

	s->missing += a->missing[i];
	if (count == 0)
		return;
	s->min = s->count == 0 ? a->min[i] : Min(s->min, a->min[i]);
	s->max = s->count == 0 ? a->max[i] : Max(s->max, a->max[i]);
	s->count += count;
	if (nb > 0)
	{
		double mean_b = a->shift[i] + a->s1[i] / nb;
		double m2_b = Max(a->s2[i] - a->s1[i] * a->s1[i] / nb, 0.0);
		int64 n = s->finite + nb;
		double delta = mean_b - s->mean;

		s->m2 += m2_b + delta * delta * ((double) s->finite * nb / n);
		s->mean += delta * ((double) nb / n);
		s->finite = n;
	}
	if (bins)
		for (int b = 0; b < MD_STATS_BINS; b++)
			s->bins[b] += a->bins[i * MD_STATS_BINS + b];
}

/* The next batch subtracts the merged mean: its sums stay small. */
static void
take_shift(MdValueAccs *a, int i, const MdValueStats *s)
{
	if (s->finite > 0 && isfinite(s->mean))
		a->shift[i] = s->mean;
}

/*
 * A newer baseline than the entry's: what the entry summarised was over
 * other bins, so the distributions start again from this batch.
 */
static void
adopt_baseline(MdStatsEntry *e, const MdStatsPending *p)
{
	MdValueStats *f = entry_features(e);

	e->rec.baseline_id = p->baseline_id;
	e->rec.n_prediction_edges = p->n_prediction_edges;
	e->rec.prediction_edges = p->prediction_edges;
	reset_value(&e->rec.prediction);
	if (f != NULL)
		for (int i = 0; i < e->rec.n_features; i++)
			reset_value(&f[i]);
}

static void
merge_into(MdStatsEntry *e, MdStatsPending *p, TimestampTz now)
{
	MdStatsRecord *r = &e->rec;
	MdValueStats *f = entry_features(e);

	r->counters.calls += p->counters.calls;
	r->counters.rows += p->counters.rows;
	r->counters.errors += p->counters.errors;
	r->counters.timed_rows += p->counters.timed_rows;
	r->counters.timed_ms += p->counters.timed_ms;
	if (r->first_call == 0 || (p->first_call != 0 && p->first_call < r->first_call))
		r->first_call = p->first_call;
	r->last_call = now;

	/* a batch over an older baseline's bins than the entry's is left out */
	if (p->baseline_id > r->baseline_id)
		adopt_baseline(e, p);
	if (p->baseline_id != r->baseline_id)
		return;
	merge_value(&r->prediction, &p->prediction, 0, r->n_prediction_edges > 0);
	take_shift(&p->prediction, 0, &r->prediction);
	if (f == NULL || r->n_features != p->n_features)
		return;
	for (int i = 0; i < p->n_features; i++)
	{
		merge_value(&f[i], &p->features, i, p->feature_edges != NULL);
		take_shift(&p->features, i, &f[i]);
	}
}

/* The record of a new entry for a pending entry: empty, its identity. */
static void
record_of(const MdStatsPending *p, MdStatsRecord *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->key.dboid = MyDatabaseId;
	rec->key.deploy_id = p->deploy_id;
	strlcpy(rec->name, p->name, NAMEDATALEN);
	rec->version = p->version;
	rec->n_features = p->n_features;
	rec->names_size = (int32) p->names_size;
	rec->baseline_id = p->baseline_id;
	rec->n_prediction_edges = p->n_prediction_edges;
	rec->prediction_edges = p->prediction_edges;
}

/*
 * Add a backend's pending statistics of a version to shared memory,
 * making its entry if needed.  'now' is the time of its last call.
 */
void
md_stats_merge(MdStatsPending *p, TimestampTz now)
{
	MdStatsKey key;
	MdStatsEntry *e;

	if (shared == NULL || area == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.dboid = MyDatabaseId;
	key.deploy_id = p->deploy_id;

	LWLockAcquire(shared->lock, LW_SHARED);
	e = hash_search(table, &key, HASH_FIND, NULL);
	if (e == NULL)
	{
		MdStatsRecord rec;
		MdValueStats *zero;

		LWLockRelease(shared->lock);
		record_of(p, &rec);
		/* the area gets no uninitialised bytes: a copy of zeroes */
		zero = MemoryContextAllocExtended(TopMemoryContext,
										  sizeof(MdValueStats) * Max(p->n_features, 1),
										  MCXT_ALLOC_ZERO | MCXT_ALLOC_NO_OOM);
		LWLockAcquire(shared->lock, LW_EXCLUSIVE);
		e = hash_search(table, &key, HASH_FIND, NULL);
		if (e == NULL && zero != NULL)
			e = new_entry(&rec, zero, p->feature_names);
		if (zero != NULL)
			pfree(zero);
		if (e == NULL)
		{
			LWLockRelease(shared->lock);
			return;
		}
	}
	LWLockAcquire(&e->lock, LW_EXCLUSIVE);
	merge_into(e, p, now);
	LWLockRelease(&e->lock);
	LWLockRelease(shared->lock);
}

/* Copy an entry for the SQL functions (its lock held). */
static MdStatsSnapshot *
snapshot_of(MdStatsEntry *e, bool with_features)
{
	MdStatsSnapshot *s = palloc0(sizeof(MdStatsSnapshot));
	MdValueStats *f = entry_features(e);

	s->rec = e->rec;
	s->features_tracked = f != NULL;
	if (f != NULL && with_features)
	{
		s->features = palloc(sizeof(MdValueStats) * e->rec.n_features);
		memcpy(s->features, f, sizeof(MdValueStats) * e->rec.n_features);
		s->feature_names = palloc(e->rec.names_size);
		memcpy(s->feature_names, entry_names(e), e->rec.names_size);
	}
	return s;
}

/* This database's versions, as MdStatsSnapshots. */
List *
md_stats_snapshots(bool with_features)
{
	HASH_SEQ_STATUS seq;
	MdStatsEntry *e;
	List *list = NIL;

	if (shared == NULL)
		return NIL;
	md_stats_shmem_attach();
	LWLockAcquire(shared->lock, LW_SHARED);
	hash_seq_init(&seq, table);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (e->rec.key.dboid != MyDatabaseId)
			continue;
		LWLockAcquire(&e->lock, LW_SHARED);
		list = lappend(list, snapshot_of(e, with_features));
		LWLockRelease(&e->lock);
	}
	LWLockRelease(shared->lock);
	return list;
}

/*
 * Remove this database's entries of the model 'name' (every version,
 * dropped ones included), or all of them if 'name' is NULL; returns how
 * many.
 */
int
md_stats_remove(const char *name)
{
	HASH_SEQ_STATUS seq;
	MdStatsEntry *e;
	int removed = 0;

	if (shared == NULL)
		return 0;
	md_stats_shmem_attach();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, table);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		if (e->rec.key.dboid != MyDatabaseId ||
			(name != NULL && strcmp(e->rec.name, name) != 0))
			continue;
		free_entry(e);
		removed++;
	}
	LWLockRelease(shared->lock);
	return removed;
}

/* Versions tracked in the whole server, and evictions since start. */
void
md_stats_info(int *versions, int64 *evictions)
{
	*versions = 0;
	*evictions = 0;
	if (shared == NULL)
		return;
	LWLockAcquire(shared->lock, LW_SHARED);
	*versions = (int) hash_get_num_entries(table);
	LWLockRelease(shared->lock);
	*evictions = (int64) pg_atomic_read_u64(&shared->evictions);
}

/*
 * For the file: call 'visit' on every entry of every database.  Only the
 * postmaster calls this, at shutdown, when no other process is left.
 */
void
md_stats_visit_all(MdStatsVisitor visit, void *arg)
{
	HASH_SEQ_STATUS seq;
	MdStatsEntry *e;

	if (shared == NULL)
		return;
	md_stats_shmem_attach();
	hash_seq_init(&seq, table);
	while ((e = hash_seq_search(&seq)) != NULL)
		visit(&e->rec, entry_features(e), entry_names(e), arg);
}

/*
 * For the file: add an entry read back at start, in the postmaster.
 * Returns false when the table is full.
 */
bool
md_stats_restore(const MdStatsRecord *rec, const MdValueStats *features,
				 const char *names)
{
	MdStatsEntry *e;

	if (hash_get_num_entries(table) >= md_stats_max)
		return false;
	e = new_entry(rec, features, names);
	return e != NULL;
}
