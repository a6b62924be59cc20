/*-------------------------------------------------------------------------
 *
 * store.c
 *	  Compiled models held by this backend, keyed by their deploy_id.
 *
 * A version is immutable and its deploy_id is never reused, so a compiled
 * model never goes stale: an entry is correct for as long as it exists.  The
 * only question is when to free it.  Call sites pin the entries they score
 * with; unpinned entries stay (the next execution of a prepared statement
 * wants them again) until the cache exceeds model_deploy.local_cache_size,
 * and then the least recently used go first.  A superseded version is
 * simply never used again and ages out.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"

#include "utils/hsearch.h"
#include "utils/memutils.h"

static HTAB *loaded_models = NULL;
static MemoryContext store_context = NULL;
static uint64 use_clock = 0;

static void
store_init(void)
{
	HASHCTL		ctl;

	store_context = AllocSetContextCreate(TopMemoryContext,
										  "model_deploy compiled models",
										  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(MdLoadedModel);
	ctl.hcxt = store_context;
	loaded_models = hash_create("model_deploy compiled models", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Compile a version's source into memory of this backend.  The core
 * allocates with malloc; the copy into a memory context is the only step
 * that can throw, so the malloc'd blob is freed on every path.
 */
static void
compile_into(MdLoadedModel *entry, const MdVersionRef *ref)
{
	md_format	format;
	text	   *source = md_registry_source(ref, &format);
	md_limits	limits = md_current_limits();
	void	   *blob;
	size_t		blob_len;
	md_error	err;

	if (md_compile(VARDATA_ANY(source), VARSIZE_ANY_EXHDR(source), format,
				   &limits, &blob, &blob_len, &err) != MD_OK)
		md_report_error(&err, psprintf("compiling version %d of model \"%s\"",
									   ref->version, ref->name));
	pfree(source);

	PG_TRY();
	{
		entry->blob = MemoryContextAllocHuge(store_context, blob_len);
		memcpy(entry->blob, blob, blob_len);
		entry->blob_size = blob_len;
	}
	PG_FINALLY();
	{
		md_blob_free(blob);
	}
	PG_END_TRY();

	if (md_open(&entry->model, entry->blob, entry->blob_size,
				MD_OPEN_TRUSTED, &err) != MD_OK)
		md_report_error(&err, NULL);
	md_get_info(&entry->model, &entry->info);
}

/*
 * Make room for 'incoming' more bytes: free the least recently used entries
 * that no call site pins until the cache fits its budget (or nothing
 * unpinned is left: pinned models must stay, whatever their size).
 */
static void
evict_for(Size incoming)
{
	Size		budget = (Size) md_local_cache_kb * 1024;

	for (;;)
	{
		HASH_SEQ_STATUS it;
		MdLoadedModel *entry;
		MdLoadedModel *oldest = NULL;
		Size		total = incoming;

		hash_seq_init(&it, loaded_models);
		while ((entry = hash_seq_search(&it)) != NULL)
		{
			total += entry->blob_size;
			if (entry->pins == 0 &&
				(oldest == NULL || entry->last_used < oldest->last_used))
				oldest = entry;
		}
		if (total <= budget || oldest == NULL)
			return;
		pfree(oldest->blob);
		hash_search(loaded_models, &oldest->deploy_id, HASH_REMOVE, NULL);
	}
}

/* Return the compiled model of a resolved version, pinned. */
MdLoadedModel *
md_store_acquire(const MdVersionRef *ref)
{
	MdLoadedModel *entry;
	bool		found;

	if (loaded_models == NULL)
		store_init();

	entry = hash_search(loaded_models, &ref->deploy_id, HASH_FIND, NULL);
	if (entry == NULL)
	{
		MdLoadedModel fresh;

		/* compile first: an error must not leave a half-made entry */
		memset(&fresh, 0, sizeof(fresh));
		fresh.deploy_id = ref->deploy_id;
		strlcpy(fresh.name, ref->name, sizeof(fresh.name));
		fresh.version = ref->version;
		compile_into(&fresh, ref);
		evict_for(fresh.blob_size);

		entry = hash_search(loaded_models, &ref->deploy_id, HASH_ENTER,
							&found);
		*entry = fresh;
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
}
