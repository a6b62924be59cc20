/*-------------------------------------------------------------------------
 *
 * shared_store.c
 *	  Compiled model versions in shared memory: finding and pinning one,
 *	  publishing a newly compiled one, evicting unused ones.
 *
 * Keys.  An entry is keyed by (database oid, deploy_id), not by (name,
 * version).  deploy() gives every version a random 63-bit deploy_id that
 * the registry never reuses, and a version never changes, so an entry is
 * correct for as long as it exists and never needs invalidating.  Keyed by
 * name and version instead, a version compiled inside a deploy that then
 * rolled back, or a version of a model since dropped and deployed again
 * under the same name, would be found by the next deploy that got the same
 * number, with the wrong trees.  Name and version are kept in the entry
 * only to be shown.  Superseded, dropped and rolled-back versions are
 * never asked for again and age out like any unused entry.
 *
 * Reclamation: a backend never reads freed memory.
 *	 - Every entry has an atomic pin count: the number of backends scoring
 *	   with it now.  A backend pins an entry while holding the index
 *	   partition lock of its key (dshash_find, shared mode), and reads the
 *	   blob only while pinned.
 *	 - An entry and its blob are freed only by eviction, which re-finds the
 *	   entry with the partition lock in exclusive mode, so no backend can be
 *	   pinning it at that moment, and frees it only if the count is zero.
 *	   Since pinning needs the lock and the count is zero, nobody holds a
 *	   pointer into the blob.
 *	 - Unpinning is one atomic decrement, without any lock (it runs in
 *	   memory-context callbacks, during error recovery too).  It is a full
 *	   barrier, so every read of the blob happens before an evictor can see
 *	   the count drop; afterwards the backend forgets the entry.  Entries
 *	   themselves never move in shared memory while they exist (dshash
 *	   resizes relink them), which is what makes the pointer safe to keep.
 *	 - A backend records every pin it holds (held[]) before taking it, and
 *	   drops them all in a before_shmem_exit callback, so a backend that
 *	   exits, even with FATAL, leaves no pin behind.  A backend that crashes
 *	   makes the postmaster reinitialise all shared memory.
 *	 - Pins are per query (store.c), so an entry is pinned only while a
 *	   query, or a transaction for cached plans, uses it.
 *
 * Publishing.  Compiling is slow and happens outside any lock (store.c).
 * The compiled blob is then copied into memory reserved from the blob area
 * (evicting least recently used unpinned entries until it fits, under one
 * lock that serialises this allocation step only) and inserted into the
 * index.  Several backends often compile a new version at once: under the
 * lock each first looks for a copy another one published meanwhile, and
 * pins that instead; one that finds no room looks again afterwards.  If
 * another backend inserted the same version between our look and our
 * insert, its copy wins and ours is freed.  Nothing is half done when an
 * ERROR strikes: the blob is private until the insert, which is the last
 * step, and a reserved blob not yet inserted is freed on ERROR and at exit.
 * The store counts such reserved blobs: room they hold cannot be made by
 * evicting, so a version is "too large" only if it did not fit once every
 * entry was evicted and no other blob was reserved.
 *
 * No lock is held while compiling or scoring; locks are held only for
 * dshash lookups, the allocation step, and the diagnostics' scans.
 *
 * Crash tests need a backend that holds the allocation lock long enough to
 * be seen holding it and killed: model_deploy.debug_sleep_in_lock (a
 * superuser setting, 0 and without effect unless a test sets it) makes the
 * allocation step sleep that long with the lock held.
 *
 *-------------------------------------------------------------------------
 */
#include "md_shmem.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

/* The pins this backend holds (a backend pins a few entries at a time). */
static MdSharedEntry **held = NULL;
static int n_held = 0;
static int max_held = 0;

/* A blob reserved but not yet inserted, freed if we exit before. */
static dsa_pointer in_flight = InvalidDsaPointer;

static void release_all(int code, Datum arg);

/* The store, attached; registers the exit callback on first use. */
static MdSharedStore *
store(void)
{
	static bool exit_callback = false;
	MdSharedStore *s = md_shmem_attach();

	if (s != NULL && !exit_callback)
	{
		before_shmem_exit(release_all, (Datum) 0);
		exit_callback = true;
	}
	return s;
}

static MdSharedKey
key_of(int64 deploy_id)
{
	MdSharedKey key;

	memset(&key, 0, sizeof(key));
	key.dboid = MyDatabaseId;
	key.deploy_id = deploy_id;
	return key;
}

/* Make room to record one more pin, before taking it: this may ERROR. */
static void
reserve_pin_slot(void)
{
	if (n_held < max_held)
		return;
	if (held == NULL)
	{
		max_held = 8;
		held = MemoryContextAlloc(TopMemoryContext,
								  sizeof(MdSharedEntry *) * max_held);
	}
	else
	{
		held = repalloc(held, sizeof(MdSharedEntry *) * max_held * 2);
		max_held *= 2;
	}
}

/*
 * Pin an entry; the caller holds its partition lock and reserved a slot.
 * Cannot fail.
 */
static void
pin(MdSharedEntry *entry, TimestampTz now)
{
	Assert(n_held < max_held);
	pg_atomic_fetch_add_u32(&entry->pins, 1);
	pg_atomic_fetch_add_u64(&entry->uses, 1);
	pg_atomic_write_u64(&entry->last_used, (uint64) now);
	held[n_held++] = entry;
}

/*
 * Unpin an entry this backend pinned.  Lock-free and cannot fail: it runs
 * in memory-context callbacks during error recovery.  An entry not held
 * (all pins are dropped at exit, before the queries' memory goes) is left
 * alone.
 */
void
md_shared_release(MdSharedEntry *entry)
{
	for (int i = n_held - 1; i >= 0; i--)
	{
		if (held[i] != entry)
			continue;
		held[i] = held[--n_held];
		/* last access to the entry: the decrement is the release */
		pg_atomic_write_u64(&entry->last_used, (uint64) GetCurrentTimestamp());
		pg_atomic_fetch_sub_u32(&entry->pins, 1);
		return;
	}
}

/* Our reserved blob is in the index now, or freed. */
static void
end_in_flight(MdSharedStore *s)
{
	in_flight = InvalidDsaPointer;
	pg_atomic_fetch_sub_u32(&s->shmem->reserved, 1);
}

static void
release_all(int code pg_attribute_unused(), Datum arg pg_attribute_unused())
{
	MdSharedStore *s = md_shmem_attach();

	while (n_held > 0)
		md_shared_release(held[n_held - 1]);
	if (DsaPointerIsValid(in_flight))
	{
		dsa_free(s->blob_area, in_flight);
		end_in_flight(s);
	}
}

/*
 * Pin the entry 'key' if it is in the index, and point *blob at its
 * compiled model; the caller reserved a pin slot.  Cannot fail.
 */
static MdSharedEntry *
find_and_pin(MdSharedStore *s, const MdSharedKey *key, const void **blob)
{
	TimestampTz now = GetCurrentTimestamp();
	MdSharedEntry *entry = dshash_find(s->index, key, false);
	dsa_pointer dp;

	if (entry == NULL)
		return NULL;
	pin(entry, now);
	dp = entry->blob;
	dshash_release_lock(s->index, entry);
	pg_atomic_fetch_add_u64(&s->shmem->shared_hits, 1);
	/* in place: already mapped, cannot fail */
	*blob = dsa_get_address(s->blob_area, dp);
	return entry;
}

/*
 * Find the version 'deploy_id' of this database in shared memory and pin
 * it; NULL if it is not there (or there is no shared store).  *blob is
 * its compiled model, readable until md_shared_release().
 */
MdSharedEntry *
md_shared_find(int64 deploy_id, const void **blob)
{
	MdSharedStore *s = store();
	MdSharedKey key = key_of(deploy_id);

	if (s == NULL)
		return NULL;
	reserve_pin_slot();
	return find_and_pin(s, &key, blob);
}

/* An eviction candidate. */
typedef struct Victim
{
	MdSharedKey key;
	uint64 last_used;
} Victim;

static int
older_first(const void *a, const void *b)
{
	uint64 x = ((const Victim *) a)->last_used;
	uint64 y = ((const Victim *) b)->last_used;

	return x < y ? -1 : x > y ? 1
							  : 0;
}

/*
 * The unpinned entries, least recently used first (palloc'd); *n_entries
 * is the number of entries, pinned or not.
 */
static Victim *
unpinned_by_age(MdSharedStore *s, int *n_victims, int *n_entries)
{
	dshash_seq_status it;
	MdSharedEntry *entry;
	int max = 16;
	Victim *victims = palloc(sizeof(Victim) * max);

	*n_victims = *n_entries = 0;
	dshash_seq_init(&it, s->index, false);
	while ((entry = dshash_seq_next(&it)) != NULL)
	{
		(*n_entries)++;
		if (pg_atomic_read_u32(&entry->pins) != 0)
			continue;
		if (*n_victims == max)
		{
			max *= 2;
			victims = repalloc(victims, sizeof(Victim) * max);
		}
		victims[*n_victims].key = entry->key;
		victims[*n_victims].last_used = pg_atomic_read_u64(&entry->last_used);
		(*n_victims)++;
	}
	dshash_seq_term(&it);
	qsort(victims, *n_victims, sizeof(Victim), older_first);
	return victims;
}

/*
 * Evict the entry 'key' if nobody pins it (a backend may have pinned it
 * since it was chosen); returns whether it did.
 */
static bool
evict(MdSharedStore *s, const MdSharedKey *key)
{
	MdSharedEntry *entry = dshash_find(s->index, key, true);
	dsa_pointer blob;

	if (entry == NULL)
		return false;
	if (pg_atomic_read_u32(&entry->pins) != 0)
	{
		dshash_release_lock(s->index, entry);
		return false;
	}
	blob = entry->blob;
	dshash_delete_entry(s->index, entry);
	dsa_free(s->blob_area, blob);
	pg_atomic_fetch_add_u64(&s->shmem->evictions, 1);
	return true;
}

/*
 * The test hook model_deploy.debug_sleep_in_lock: sleep with the allocation
 * lock held.  Interrupts are held with it, so only a crash or an immediate
 * shutdown ends the sleep early; the wait shows as wait_event
 * ModelDeploySleepInLock (Extension before PostgreSQL 17).
 */
static void
debug_sleep_in_lock(void)
{
	static uint32 wait_event = 0;
	TimestampTz end;
	long ms;

	if (md_debug_sleep_in_lock_ms <= 0)
		return;
	if (wait_event == 0)
		wait_event = md_wait_event("ModelDeploySleepInLock");
	end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
									  md_debug_sleep_in_lock_ms);
	while ((ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
												 end)) > 0)
	{
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
						 wait_event);
		ResetLatch(MyLatch);
	}
}

static dsa_pointer
try_allocate(MdSharedStore *s, Size size)
{
	return dsa_allocate_extended(s->blob_area, size,
								 DSA_ALLOC_NO_OOM | DSA_ALLOC_HUGE);
}

/*
 * Reserve 'size' bytes of the blob area for the entry 'key' (in_flight),
 * evicting unpinned versions, least recently used first, until it fits.
 * Unless another backend published the entry meanwhile: then it returns
 * InvalidDsaPointer and *existing, pinned.  InvalidDsaPointer and no
 * *existing if even evicting does not make room; *too_large then says if
 * it could never fit (it did not fit once every version was evicted, and
 * no room was reserved by others).  evict_lock makes us the only evictor,
 * so the room we make is not taken by another one.
 */
static dsa_pointer
allocate_blob(MdSharedStore *s, const MdSharedKey *key, Size size,
			  MdSharedEntry **existing, const void **existing_blob,
			  bool *too_large)
{
	dsa_pointer dp;
	bool others_reserved;
	Victim *victims;
	int n_victims;
	int n_entries;
	int evicted = 0;

	*existing = NULL;
	*too_large = size > s->shmem->blob_area_size;
	if (*too_large)
		return InvalidDsaPointer;
	LWLockAcquire(s->shmem->evict_lock, LW_EXCLUSIVE);
	debug_sleep_in_lock();
	/* under the lock, so that nobody evicts it before we pin it */
	*existing = find_and_pin(s, key, existing_blob);
	if (*existing != NULL)
	{
		LWLockRelease(s->shmem->evict_lock);
		return InvalidDsaPointer;
	}
	/* reserving needs this lock: nobody reserves more until we are done */
	others_reserved = pg_atomic_read_u32(&s->shmem->reserved) > 0;
	dp = try_allocate(s, size);
	if (!DsaPointerIsValid(dp))
	{
		victims = unpinned_by_age(s, &n_victims, &n_entries);
		for (int i = 0; i < n_victims && !DsaPointerIsValid(dp); i++)
		{
			if (!evict(s, &victims[i].key))
				continue;
			evicted++;
			dp = try_allocate(s, size);
		}
		*too_large =
			!DsaPointerIsValid(dp) && evicted == n_entries && !others_reserved;
		pfree(victims);
	}
	if (DsaPointerIsValid(dp))
	{
		Assert(!DsaPointerIsValid(in_flight));
		in_flight = dp;
		pg_atomic_fetch_add_u32(&s->shmem->reserved, 1);
	}
	LWLockRelease(s->shmem->evict_lock);
	return dp;
}

/*
 * Copy a blob compiled for 'ref' into shared memory and pin it, or pin the
 * copy another backend published meanwhile.  NULL if it does not fit, even
 * after evicting every unpinned version (or there is no shared store);
 * *too_large then says if it would not even fit alone.
 */
MdSharedEntry *
md_shared_publish(const MdVersionRef *ref, const void *blob, Size blob_size,
				  const void **shared_blob, bool *too_large)
{
	MdSharedStore *s = store();
	MdSharedKey key = key_of(ref->deploy_id);
	TimestampTz now = GetCurrentTimestamp();
	MdSharedEntry *entry;
	bool found;
	dsa_pointer dp;

	*too_large = false;
	if (s == NULL)
		return NULL;
	reserve_pin_slot();
	dp = allocate_blob(s, &key, blob_size, &entry, shared_blob, too_large);
	/* no room: perhaps because another backend was publishing it */
	if (entry == NULL && !DsaPointerIsValid(dp))
		entry = find_and_pin(s, &key, shared_blob);
	if (entry != NULL)
	{
		*too_large = false;
		return entry;
	}
	if (!DsaPointerIsValid(dp))
		return NULL;
	PG_TRY();
	{
		/* mapping a segment may ERROR */
		memcpy(dsa_get_address(s->blob_area, dp), blob, blob_size);
		/* may need index memory: ERROR if none */
		entry = dshash_find_or_insert(s->index, &key, &found);
	}
	PG_CATCH();
	{
		dsa_free(s->blob_area, dp);
		end_in_flight(s);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (!found)
	{
		strlcpy(entry->name, ref->name, sizeof(entry->name));
		entry->version = ref->version;
		entry->blob = dp;
		entry->blob_size = blob_size;
		entry->loaded_at = now;
		pg_atomic_init_u32(&entry->pins, 0);
		pg_atomic_init_u64(&entry->uses, 0);
		pg_atomic_init_u64(&entry->last_used, (uint64) now);
		pg_atomic_fetch_add_u64(&s->shmem->compiles, 1);
	}
	pin(entry, now);
	dp = entry->blob;
	dshash_release_lock(s->index, entry);
	if (found)
		dsa_free(s->blob_area, in_flight);
	end_in_flight(s);
	*shared_blob = dsa_get_address(s->blob_area, dp);
	return entry;
}

/* Is the version 'deploy_id' of this database in shared memory? */
bool
md_shared_contains(int64 deploy_id)
{
	MdSharedStore *s = store();
	MdSharedKey key = key_of(deploy_id);
	MdSharedEntry *entry;

	if (s == NULL)
		return false;
	entry = dshash_find(s->index, &key, false);
	if (entry == NULL)
		return false;
	dshash_release_lock(s->index, entry);
	return true;
}

/*
 * Copies of this database's entries (palloc'd, in the caller's context);
 * returns how many.  The copies' atomics are plain snapshots.
 */
int
md_shared_list(MdSharedEntry **copies)
{
	MdSharedStore *s = store();
	dshash_seq_status it;
	MdSharedEntry *entry;
	int n = 0;
	int max = 16;

	*copies = palloc(sizeof(MdSharedEntry) * max);
	if (s == NULL)
		return 0;
	dshash_seq_init(&it, s->index, false);
	while ((entry = dshash_seq_next(&it)) != NULL)
	{
		if (entry->key.dboid != MyDatabaseId)
			continue;
		if (n == max)
		{
			max *= 2;
			*copies = repalloc(*copies, sizeof(MdSharedEntry) * max);
		}
		memcpy(&(*copies)[n++], entry, sizeof(MdSharedEntry));
	}
	dshash_seq_term(&it);
	return n;
}

/* The server-wide counters; false if there is no shared store. */
bool
md_shared_counters(MdStoreCounters *c)
{
	MdSharedStore *s = store();

	if (s == NULL)
		return false;
	c->compiles = pg_atomic_read_u64(&s->shmem->compiles);
	c->shared_hits = pg_atomic_read_u64(&s->shmem->shared_hits);
	c->local_copies = pg_atomic_read_u64(&s->shmem->local_copies);
	c->evictions = pg_atomic_read_u64(&s->shmem->evictions);
	return true;
}

/* Count a model compiled into a backend's own memory, server-wide. */
void
md_shared_count_local_copy(void)
{
	MdSharedStore *s = store();

	if (s != NULL)
		pg_atomic_fetch_add_u64(&s->shmem->local_copies, 1);
}
