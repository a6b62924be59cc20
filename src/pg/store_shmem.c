/*-------------------------------------------------------------------------
 *
 * store_shmem.c
 *	  The shared model store's memory: the model_deploy.shared_memory
 *	  setting, reserving and laying out the memory, attaching a backend.
 *
 * Loaded through shared_preload_libraries, the postmaster reserves, in the
 * main shared memory segment:
 *
 *	 +---------+--------------------------+-----------------------------+
 *	 | MdShmem | index area (DSA, 512 kB  | blob area (DSA, exactly     |
 *	 |         | in place, grows in DSM)  | model_deploy.shared_memory) |
 *	 +---------+--------------------------+-----------------------------+
 *	              dshash: key -> entry  ---->  compiled blobs
 *
 * Two areas, so that the index can always grow (an insert that cannot get
 * memory would be an ERROR) while blobs are bounded exactly by the setting:
 * the blob area's size limit is its in-place size, so it never creates a
 * DSM segment.  That also means a backend never maps anything to read a
 * blob (no dsm_attach that could fail, no /dev/shm, whose size containers
 * often cap at 64 MB): the segment is already mapped at the same address in
 * every process.  The memory is reserved at start but only touched, and so
 * only backed by RAM, as models are loaded (unless huge pages are on).
 *
 * The index area starts in the main segment like the statistics
 * collector's (pgstat_shmem.c) and grows in DSM segments only with
 * thousands of versions loaded at once.
 *
 * Without shared_preload_libraries, or with model_deploy.shared_memory set
 * to 0, none of this is reserved and store.c keeps models per backend.
 * _PG_init's shared-memory hooks (model_deploy.c) call this file's
 * request and startup functions.
 *
 *-------------------------------------------------------------------------
 */
#include "md_shmem.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#define MD_TRANCHE_NAME "model_deploy"
#define MD_SHMEM_NAME "model_deploy shared store"
#define MD_INDEX_AREA_SIZE ((Size) 512 * 1024)

/* Smallest non-zero model_deploy.shared_memory, in kB. */
#define MD_MIN_SHARED_MEMORY_KB 128

int md_shared_memory_kb;
int md_debug_sleep_in_lock_ms;

static MdShmem *md_shmem = NULL;
static bool preloaded = false;

/* This backend's attachment, set up on first use. */
static MdSharedStore attached;

static Size
blob_area_size(void)
{
	return (Size) md_shared_memory_kb * 1024;
}

static Size
shmem_size(void)
{
	return add_size(MAXALIGN(sizeof(MdShmem)),
					add_size(MD_INDEX_AREA_SIZE, blob_area_size()));
}

static dshash_parameters
index_parameters(int tranche_id)
{
	dshash_parameters params;

	params.key_size = sizeof(MdSharedKey);
	params.entry_size = sizeof(MdSharedEntry);
	params.compare_function = dshash_memcmp;
	params.hash_function = dshash_memhash;
	md_dshash_set_copy_memcpy(&params);
	params.tranche_id = tranche_id;
	return params;
}

static bool
check_shared_memory(int *newval, void **extra pg_attribute_unused(),
					GucSource source pg_attribute_unused())
{
	if (*newval != 0 && *newval < MD_MIN_SHARED_MEMORY_KB)
	{
		GUC_check_errdetail("model_deploy.shared_memory must be 0 (off) or "
							"at least %d kB.",
							MD_MIN_SHARED_MEMORY_KB);
		return false;
	}
	return true;
}

/* The postmaster's shmem_request_hook, through _PG_init's. */
void
md_store_shmem_request(void)
{
	if (md_shared_memory_kb != 0)
	{
		RequestAddinShmemSpace(shmem_size());
		RequestNamedLWLockTranche(MD_TRANCHE_NAME, 1);
	}
}

/* Create the index area and the (empty) index in it; returns its handle. */
static dshash_table_handle
create_index(void *place, int tranche_id)
{
	dsa_area *area;
	dshash_table *index;
	dshash_parameters params = index_parameters(tranche_id);
	dshash_table_handle handle;

	area = dsa_create_in_place(place, MD_INDEX_AREA_SIZE, tranche_id, NULL);
	dsa_pin(area);
	/* the postmaster cannot create DSM segments: build it in place */
	dsa_set_size_limit(area, MD_INDEX_AREA_SIZE);
	index = dshash_create(area, &params, NULL);
	handle = dshash_get_hash_table_handle(index);
	dsa_set_size_limit(area, (Size) -1);
	dshash_detach(index);
	dsa_detach(area);
	return handle;
}

static void
create_blob_area(void *place, Size size, int tranche_id)
{
	dsa_area *area;

	area = dsa_create_in_place(place, size, tranche_id, NULL);
	dsa_pin(area);
	/* never more than the setting: no DSM segments */
	dsa_set_size_limit(area, size);
	dsa_detach(area);
}

/*
 * Lay out the store in the main segment.  Runs in the postmaster at start
 * and after every crash restart (shared memory is then new and empty: it
 * is a cache, the registry tables are the truth).  The postmaster's
 * shmem_startup_hook, through _PG_init's.
 */
void
md_store_shmem_startup(void)
{
	bool found;
	char *p;

	if (md_shared_memory_kb == 0)
		return;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	md_shmem = ShmemInitStruct(MD_SHMEM_NAME, shmem_size(), &found);
	if (!found)
	{
		MdShmem *s = md_shmem;

		s->evict_lock = &GetNamedLWLockTranche(MD_TRANCHE_NAME)[0].lock;
		s->tranche_id = s->evict_lock->tranche;
		p = (char *) s + MAXALIGN(sizeof(MdShmem));
		s->index_place = p;
		s->blob_place = p + MD_INDEX_AREA_SIZE;
		s->blob_area_size = blob_area_size();
		s->index_handle = create_index(s->index_place, s->tranche_id);
		create_blob_area(s->blob_place, s->blob_area_size, s->tranche_id);
		pg_atomic_init_u32(&s->reserved, 0);
		pg_atomic_init_u64(&s->compiles, 0);
		pg_atomic_init_u64(&s->shared_hits, 0);
		pg_atomic_init_u64(&s->local_copies, 0);
		pg_atomic_init_u64(&s->evictions, 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Called from _PG_init while the postmaster preloads libraries (only then
 * can a PGC_POSTMASTER setting be defined: without preloading there is no
 * setting, and nothing it could set).
 */
void
md_store_shmem_init(void)
{
	preloaded = true;
	DefineCustomIntVariable("model_deploy.shared_memory",
							"Shared memory for compiled models, shared by "
							"all connections (0: each connection compiles "
							"its own copies).",
							NULL,
							&md_shared_memory_kb, 256 * 1024, 0,
							MAX_KILOBYTES, PGC_POSTMASTER, GUC_UNIT_KB,
							check_shared_memory, NULL, NULL);
	/* for crash tests only: see debug_sleep_in_lock() in shared_store.c */
	DefineCustomIntVariable("model_deploy.debug_sleep_in_lock",
							"Testing only: time a backend sleeps while it "
							"holds the shared store's allocation lock.",
							NULL,
							&md_debug_sleep_in_lock_ms, 0, 0, 3600 * 1000,
							PGC_SUSET, GUC_UNIT_MS | GUC_NOT_IN_SAMPLE,
							NULL, NULL, NULL);
}

/* Was the library loaded through shared_preload_libraries? */
bool
md_shmem_preloaded(void)
{
	return preloaded;
}

/* Is there a shared store in this server? */
bool
md_shmem_requested(void)
{
	return md_shmem != NULL;
}

/*
 * This backend's attachment to the store, or NULL if the server has none.
 * The areas stay attached, and their DSM mappings pinned, for the life of
 * the backend; the reference counts they take are dropped at exit.
 */
MdSharedStore *
md_shmem_attach(void)
{
	MemoryContext old;
	dshash_parameters params;

	if (attached.index != NULL)
		return &attached;
	if (md_shmem == NULL)
		return NULL;

	old = MemoryContextSwitchTo(TopMemoryContext);
	if (attached.index_area == NULL)
	{
		attached.index_area = dsa_attach_in_place(md_shmem->index_place, NULL);
		dsa_pin_mapping(attached.index_area);
		on_shmem_exit(dsa_on_shmem_exit_release_in_place,
					  PointerGetDatum(md_shmem->index_place));
	}
	if (attached.blob_area == NULL)
	{
		attached.blob_area = dsa_attach_in_place(md_shmem->blob_place, NULL);
		dsa_pin_mapping(attached.blob_area);
		on_shmem_exit(dsa_on_shmem_exit_release_in_place,
					  PointerGetDatum(md_shmem->blob_place));
	}
	params = index_parameters(md_shmem->tranche_id);
	attached.index = dshash_attach(attached.index_area, &params,
								   md_shmem->index_handle, NULL);
	attached.shmem = md_shmem;
	MemoryContextSwitchTo(old);
	return &attached;
}
