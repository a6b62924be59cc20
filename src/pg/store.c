/*-------------------------------------------------------------------------
 *
 * store.c
 *	  Compiled models for the call sites of this backend: the shared copy
 *	  when the server has a shared store, otherwise a copy of our own.
 *
 * md_store_acquire() returns an MdLoadedModel, pinned, for a resolved
 * version.  Entries are kept in a backend-local hash keyed by deploy_id.
 *
 * Shared copies (md_shmem.h): the entry maps a blob in shared memory and
 * holds one pin on it for as long as call sites pin the entry; when the last
 * call site lets go (the end of its query), the shared pin is dropped and
 * the entry forgotten, so the next query looks the version up again (one
 * dshash lookup, one header check: no parsing, no copying).  Holding pins
 * only while queries run is what lets other backends evict unused versions.
 *
 * Own copies (no shared_preload_libraries, model_deploy.shared_memory = 0,
 * or a version that does not fit in shared memory): the blob is ours.  A
 * version is immutable and its deploy_id is never reused, so a compiled
 * model never goes stale: an entry is correct for as long as it exists.
 * Unpinned own copies stay (the next execution of a prepared statement
 * wants them again) until they exceed model_deploy.local_cache_size, and
 * then the least recently used go first.  A superseded version is simply
 * never used again and ages out.
 *
 *-------------------------------------------------------------------------
 */
#include "md_shmem.h"
#include "md_limits.h"

#include <limits.h>

#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

/* model_deploy.local_cache_size: budget of our own copies, in kB. */
static int local_cache_kb;

static HTAB *loaded_models = NULL;
static MemoryContext store_context = NULL;
static uint64 use_clock = 0;

/* Versions we warned about not fitting in shared memory. */
static HTAB *warned = NULL;

/* This backend's counters (md_shmem.h). */
static MdStoreCounters counters;

/* Called from _PG_init. */
void
md_store_init(void)
{
	DefineCustomIntVariable("model_deploy.local_cache_size",
							"Memory for compiled models a backend keeps for "
							"itself.",
							NULL, &local_cache_kb, 256 * 1024, 1024,
							INT_MAX, PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
}

static void
store_init(void)
{
	HASHCTL ctl;

	store_context = AllocSetContextCreate(TopMemoryContext,
										  "model_deploy compiled models",
										  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(MdLoadedModel);
	ctl.hcxt = store_context;
	loaded_models = hash_create("model_deploy compiled models", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.entrysize = sizeof(int64);
	warned = hash_create("model_deploy shared memory warnings", 16, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Does this backend use the shared store? */
bool
md_store_is_shared(void)
{
	return md_shmem_requested();
}

void
md_store_backend_counters(MdStoreCounters *c)
{
	*c = counters;
}

/* Say once per backend that models are not shared, and how to fix it. */
static void
notice_not_shared(void)
{
	static bool told = false;

	if (told)
		return;
	told = true;
	if (!md_shmem_preloaded())
		ereport(NOTICE,
				errmsg("model_deploy is not in shared_preload_libraries: "
					   "each connection compiles and keeps its own copy of "
					   "the models it uses"),
				errhint("Add model_deploy to shared_preload_libraries and "
						"restart the server to keep one copy of each model "
						"in shared memory for all connections."));
	else
		ereport(NOTICE,
				errmsg("model_deploy.shared_memory is 0: each connection "
					   "compiles and keeps its own copy of the models it "
					   "uses"),
				errhint("Set model_deploy.shared_memory and restart the "
						"server to keep one copy of each model in shared "
						"memory for all connections."));
}

/* Say once per version per backend that it did not fit in shared memory. */
static void
warn_not_in_shared(const MdVersionRef *ref, Size blob_size, bool too_large)
{
	bool found;

	hash_search(warned, &ref->deploy_id, HASH_ENTER, &found);
	if (found)
		return;
	if (too_large)
		ereport(WARNING,
				errmsg("version %d of model \"%s\" is too large for shared "
					   "memory: this connection keeps its own copy",
					   ref->version, ref->name),
				errdetail("It takes %zu bytes compiled; model_deploy.shared_memory "
						  "is %d kB.",
						  blob_size, md_shared_memory_kb),
				errhint("Raise model_deploy.shared_memory and restart the "
						"server."));
	else
		ereport(WARNING,
				errmsg("no room in shared memory for version %d of model "
					   "\"%s\": this connection keeps its own copy",
					   ref->version, ref->name),
				errdetail("The models in use fill model_deploy.shared_memory "
						  "(%d kB).",
						  md_shared_memory_kb),
				errhint("Raise model_deploy.shared_memory and restart the "
						"server."));
}

/*
 * Compile a version's source; the result is malloc'd, for md_blob_free().
 */
static void *
compile_version(const MdVersionRef *ref, size_t *blob_len)
{
	md_format format;
	text *source = md_registry_source(ref, &format);
	md_limits limits = md_current_limits();
	void *blob;
	md_error err;

	if (md_compile(VARDATA_ANY(source), VARSIZE_ANY_EXHDR(source), format,
				   &limits, &blob, blob_len, &err) != MD_OK)
		md_report_error(&err, psprintf("compiling version %d of model \"%s\"", ref->version, ref->name));
	pfree(source);
	counters.compiles++;
	return blob;
}

/* Open the view of a compiled blob this backend or another one made. */
static void
open_blob(MdLoadedModel *entry, const void *blob, Size blob_size)
{
	md_error err;

	entry->blob = (void *) blob;
	entry->blob_size = blob_size;
	if (md_open(&entry->model, blob, blob_size, MD_OPEN_TRUSTED, &err) != MD_OK)
		md_report_error(&err, NULL);
	md_get_info(&entry->model, &entry->info);
}

/*
 * Make room for 'incoming' more bytes of own copies: free the least
 * recently used ones no call site pins until they fit their budget (or
 * nothing unpinned is left: pinned models must stay, whatever their size).
 * Shared copies cost this backend nothing and are always pinned.
 */
static void
evict_for(Size incoming)
{
	Size budget = (Size) local_cache_kb * 1024;

	for (;;)
	{
		HASH_SEQ_STATUS it;
		MdLoadedModel *entry;
		MdLoadedModel *oldest = NULL;
		Size total = incoming;

		hash_seq_init(&it, loaded_models);
		while ((entry = hash_seq_search(&it)) != NULL)
		{
			if (entry->shared != NULL)
				continue;
			total += entry->blob_size;
			if (entry->pins == 0 &&
				(oldest == NULL || entry->last_used < oldest->last_used))
				oldest = entry;
		}
		if (total <= budget || oldest == NULL)
			return;
		pfree(oldest->blob);
		hash_search(loaded_models, &oldest->deploy_id, HASH_REMOVE, NULL);
		counters.evictions++;
	}
}

/* Keep our own copy of a compiled blob. */
static void
keep_own_copy(MdLoadedModel *fresh, const void *blob, Size blob_len)
{
	void *copy;

	evict_for(blob_len);
	copy = MemoryContextAllocHuge(store_context, blob_len);
	memcpy(copy, blob, blob_len);
	open_blob(fresh, copy, blob_len);
	counters.local_copies++;
	md_shared_count_local_copy();
}

/*
 * Fill 'fresh' with a compiled copy of 'ref': the shared one if there is
 * one, else compile it and publish it, else keep our own.  fresh->shared is
 * pinned as soon as it is set, also if an error follows.
 */
static void
load(MdLoadedModel *fresh, const MdVersionRef *ref)
{
	const void *shared_blob;
	void *blob;
	size_t blob_len;
	bool too_large;

	fresh->shared = md_shared_find(ref->deploy_id, &shared_blob);
	if (fresh->shared != NULL)
	{
		counters.shared_hits++;
		open_blob(fresh, shared_blob, fresh->shared->blob_size);
		return;
	}
	if (!md_store_is_shared())
		notice_not_shared();

	/* compile outside any lock: it takes long for large models */
	blob = compile_version(ref, &blob_len);
	PG_TRY();
	{
		fresh->shared = md_shared_publish(ref, blob, blob_len, &shared_blob,
										  &too_large);
		if (fresh->shared != NULL)
			open_blob(fresh, shared_blob, fresh->shared->blob_size);
		else
		{
			if (md_store_is_shared())
				warn_not_in_shared(ref, blob_len, too_large);
			keep_own_copy(fresh, blob, blob_len);
		}
	}
	PG_FINALLY();
	{
		md_blob_free(blob);
	}
	PG_END_TRY();
}

/* Return the compiled model of a resolved version, pinned. */
MdLoadedModel *
md_store_acquire(const MdVersionRef *ref)
{
	MdLoadedModel *entry;
	bool found;

	if (loaded_models == NULL)
		store_init();

	entry = hash_search(loaded_models, &ref->deploy_id, HASH_ENTER, &found);
	if (!found)
	{
		/* pinned from the start, so evict_for() leaves it alone */
		memset(entry, 0, sizeof(*entry));
		entry->deploy_id = ref->deploy_id;
		strlcpy(entry->name, ref->name, sizeof(entry->name));
		entry->version = ref->version;
		entry->pins = 1;
		entry->last_used = ++use_clock;

		/* an error must leave neither a half-made entry nor a shared pin */
		PG_TRY();
		{
			load(entry, ref);
		}
		PG_CATCH();
		{
			if (entry->shared != NULL)
				md_shared_release(entry->shared);
			hash_search(loaded_models, &ref->deploy_id, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
		return entry;
	}
	entry->pins++;
	entry->last_used = ++use_clock;
	return entry;
}

/*
 * Unpin a model.  Called from memory-context reset callbacks, including
 * during transaction abort, so it must not throw.
 */
void
md_store_release(MdLoadedModel *entry)
{
	Assert(entry->pins > 0);
	entry->pins--;
	if (entry->pins == 0 && entry->shared != NULL)
	{
		md_shared_release(entry->shared);
		hash_search(loaded_models, &entry->deploy_id, HASH_REMOVE, NULL);
	}
}
