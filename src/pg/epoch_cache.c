/*-------------------------------------------------------------------------
 *
 * epoch_cache.c
 *	  A per-backend cache of answers read from the extension's tables,
 *	  each kept while the epoch it was read under is current.
 *
 * registry.c caches which version a name resolves to, acl.c whether a
 * role may score a model.  Both answers hold until an invalidation moves
 * an epoch: the registry's (md_registry_epoch), and for rights also the
 * roles' (acl.c).  The cache's owner gives the function that says the
 * current epoch; this file keeps the rules that make a cached answer never
 * older than its epoch:
 *
 * - pending invalidations are accepted before the answer is read
 *   (md_epoch_cache_begin), so the epoch taken then is the newest;
 * - an answer is stored only if the epoch did not move while it was read
 *   (an invalidation that arrived meanwhile may make it stale);
 * - nothing is stored inside a parallel operation, whose snapshot is the
 *   leader's and may be older than the epoch (registry.c).
 *
 *-------------------------------------------------------------------------
 */
#include "md_registry.h"

#include "access/xact.h"
#include "utils/inval.h"
#include "utils/memutils.h"

/*
 * An entry is the key, the epoch it was stored under, then the value, each
 * MAXALIGNed.
 */
static uint64 *
entry_epoch(const MdEpochCache *cache, char *entry)
{
	return (uint64 *) (entry + MAXALIGN(cache->keysize));
}

static char *
entry_value(const MdEpochCache *cache, char *entry)
{
	return entry + MAXALIGN(cache->keysize) + MAXALIGN(sizeof(uint64));
}

/* Make an empty cache in TopMemoryContext; 'name' names its hash table. */
void
md_epoch_cache_init(MdEpochCache *cache, const char *name, Size keysize,
					Size valuesize, MdEpochFn current_epoch)
{
	HASHCTL		ctl;

	cache->keysize = keysize;
	cache->valuesize = valuesize;
	cache->current_epoch = current_epoch;
	ctl.keysize = keysize;
	ctl.entrysize = MAXALIGN(keysize) + MAXALIGN(sizeof(uint64)) + valuesize;
	ctl.hcxt = TopMemoryContext;
	cache->entries = hash_create(name, 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* The value stored for 'key' under the current epoch, or NULL. */
const void *
md_epoch_cache_find(const MdEpochCache *cache, const void *key)
{
	char	   *entry = hash_search(cache->entries, key, HASH_FIND, NULL);

	if (entry == NULL || *entry_epoch(cache, entry) != cache->current_epoch())
		return NULL;
	return entry_value(cache, entry);
}

/*
 * Before an answer is read: accept pending invalidations, and return the
 * epoch to give md_epoch_cache_store with the answer.
 */
uint64
md_epoch_cache_begin(const MdEpochCache *cache)
{
	AcceptInvalidationMessages();
	return cache->current_epoch();
}

/* Keep the answer read since md_epoch_cache_begin returned 'epoch'. */
void
md_epoch_cache_store(MdEpochCache *cache, const void *key, uint64 epoch,
					 const void *value)
{
	char	   *entry;

	if (IsInParallelMode() || epoch != cache->current_epoch())
		return;
	entry = hash_search(cache->entries, key, HASH_ENTER, NULL);
	*entry_epoch(cache, entry) = epoch;
	memcpy(entry_value(cache, entry), value, cache->valuesize);
}
