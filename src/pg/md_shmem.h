/*-------------------------------------------------------------------------
 *
 * md_shmem.h
 *	  The shared model store: one compiled copy of each model version in
 *	  shared memory, for every backend of the server.
 *
 *	 store_shmem.c   the memory: GUC, reserving it, the two DSA areas and
 *	                 the index, attaching a backend to them
 *	 shared_store.c  the entries: find + pin, publish, evict, release
 *	 store.c         the facade predict() uses: shared copy if possible,
 *	                 otherwise a backend-local one
 *	 store_sql.c     diagnostics for SQL (shared_models, store_stats)
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_SHMEM_H
#define MD_SHMEM_H

#include "md_store.h"

#include "lib/dshash.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "utils/dsa.h"
#include "utils/timestamp.h"

/*
 * Index key.  A deploy_id identifies one immutable version for ever (see
 * shared_store.c), but only within the registry of one database: a
 * database copied from a template shares its ids.
 */
typedef struct MdSharedKey
{
	Oid dboid;
	int32 pad; /* always zero: keys are hashed as bytes */
	int64 deploy_id;
} MdSharedKey;

/* One compiled version in shared memory (a dshash entry). */
typedef struct MdSharedEntry
{
	MdSharedKey key;
	char name[NAMEDATALEN]; /* for the diagnostic view */
	int32 version;
	dsa_pointer blob; /* in the blob area; freed only by eviction */
	Size blob_size;
	pg_atomic_uint32 pins;		/* backends scoring with it right now */
	pg_atomic_uint64 uses;		/* times a backend pinned it */
	pg_atomic_uint64 last_used; /* TimestampTz of the latest pin or unpin */
	TimestampTz loaded_at;
} MdSharedEntry;

/* Server-wide counters, since the server (re)started. */
typedef struct MdStoreCounters
{
	uint64 compiles;	 /* versions compiled to score them */
	uint64 shared_hits;	 /* pins of a version already in memory */
	uint64 local_copies; /* compiled into a backend's own memory */
	uint64 evictions;	 /* versions evicted to make room */
} MdStoreCounters;

/* What the postmaster sets up in the main shared memory segment. */
typedef struct MdShmem
{
	LWLock *evict_lock; /* serialises allocation and eviction */
	int tranche_id;
	dshash_table_handle index_handle;
	void *index_place; /* DSA area of the index */
	void *blob_place;  /* DSA area of the blobs */
	Size blob_area_size;
	pg_atomic_uint32 reserved; /* blobs reserved, not yet in the index */
	pg_atomic_uint64 compiles;
	pg_atomic_uint64 shared_hits;
	pg_atomic_uint64 local_copies;
	pg_atomic_uint64 evictions;
} MdShmem;

/* A backend's view of the shared store, once attached. */
typedef struct MdSharedStore
{
	MdShmem *shmem;
	dsa_area *index_area;
	dsa_area *blob_area;
	dshash_table *index;
} MdSharedStore;

/* store_shmem.c */
extern int md_shared_memory_kb;
extern int md_debug_sleep_in_lock_ms;
extern bool md_shmem_preloaded(void);
extern bool md_shmem_requested(void);
extern MdSharedStore *md_shmem_attach(void);

/* shared_store.c */
extern MdSharedEntry *md_shared_find(int64 deploy_id, const void **blob);
extern MdSharedEntry *md_shared_publish(const MdVersionRef *ref,
										const void *blob, Size blob_size,
										const void **shared_blob,
										bool *too_large);
extern void md_shared_release(MdSharedEntry *entry);
extern bool md_shared_contains(int64 deploy_id);
extern int md_shared_list(MdSharedEntry **copies);
extern bool md_shared_counters(MdStoreCounters *counters);
extern void md_shared_count_local_copy(void);

/* store.c */
extern bool md_store_is_shared(void);
extern void md_store_backend_counters(MdStoreCounters *counters);

#endif /* MD_SHMEM_H */
