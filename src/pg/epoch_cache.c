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
 * Every entry is of one epoch: the first store under a new epoch empties
 * the table.  Stale answers are never read again, and a backend that
 * resolves a new pinned version after every deploy (a score_table job
 * each time, in the 30-minute soak: 1,200 versions made 532 kB of them)
 * would otherwise keep one entry per version for its lifetime.
 *
 *-------------------------------------------------------------------------
 */
#include "md_registry.h"

#include "access/xact.h"
#include "utils/inval.h"
#include "utils/memutils.h"

/* An entry is the key, then the value, MAXALIGNed. */
static char *
entry_value(const MdEpochCache *cache, char *entry)
{
	return entry + MAXALIGN(cache->keysize);
}

/* Make an empty cache in TopMemoryContext; 'name' names its hash table. */
void
md_epoch_cache_init(MdEpochCache *cache, const char *name, Size keysize,
					Size valuesize, MdEpochFn current_epoch)
{
	HASHCTL ctl;

	cache->keysize = keysize;
	cache->valuesize = valuesize;
	cache->current_epoch = current_epoch;
	cache->entries_epoch = 0;
	ctl.keysize = keysize;
	ctl.entrysize = MAXALIGN(keysize) + valuesize;
	ctl.hcxt = TopMemoryContext;
	cache->entries = hash_create(name, 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* The value stored for 'key' under the current epoch, or NULL. */
const void *
md_epoch_cache_find(const MdEpochCache *cache, const void *key)
{
	char *entry;

	if (cache->entries_epoch != cache->current_epoch())
		return NULL;
	entry = hash_search(cache->entries, key, HASH_FIND, NULL);
	return entry ? entry_value(cache, entry) : NULL;
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

/* Remove every entry (dynahash keeps their memory for the next ones). */
static void
forget_all(MdEpochCache *cache)
{
	HASH_SEQ_STATUS seq;
	void *entry;

	hash_seq_init(&seq, cache->entries);
	while ((entry = hash_seq_search(&seq)) != NULL)
		hash_search(cache->entries, entry, HASH_REMOVE, NULL);
}

/* Keep the answer read since md_epoch_cache_begin returned 'epoch'. */
void
md_epoch_cache_store(MdEpochCache *cache, const void *key, uint64 epoch,
					 const void *value)
{
	char *entry;

	if (IsInParallelMode() || epoch != cache->current_epoch())
		return;
	if (epoch != cache->entries_epoch)
	{
		forget_all(cache);
		cache->entries_epoch = epoch;
	}
	entry = hash_search(cache->entries, key, HASH_ENTER, NULL);
	memcpy(entry_value(cache, entry), value, cache->valuesize);
}
