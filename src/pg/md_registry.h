/*-------------------------------------------------------------------------
 *
 * md_registry.h
 *	  Which version of a model scores, and who may score it.
 *
 *	 registry.c  resolving a name (and optional version) to an immutable
 *	             version, cached per backend until the registry's
 *	             invalidation epoch moves; the version's source
 *	 acl.c       per-model scoring rights
 *	 citus.c     registry changes sent to every Citus node
 *	 epoch_cache.c  the per-backend cache of registry.c's and acl.c's
 *	             answers, each kept while its epoch is current
 *	 citus_pin.c one version per distributed statement: the coordinator
 *	             pins the active version into the calls Citus pushes down
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_REGISTRY_H
#define MD_REGISTRY_H

#include "md_pg.h"

#include "nodes/pg_list.h"
#include "utils/hsearch.h"

/* One immutable version of a model, as the registry describes it. */
typedef struct MdVersionRef
{
	char name[NAMEDATALEN];
	int32 version;
	int64 deploy_id;
} MdVersionRef;

/* registry.c */

/* Bumped by every invalidation of the registry table in this backend. */
extern uint64 md_registry_epoch;

extern void md_registry_init(void);
extern void md_check_model_name(const char *name, int len);
extern void md_resolve(const char *name, int32 version, MdVersionRef *ref);
extern text *md_registry_source(const MdVersionRef *ref, md_format *format);
extern List *md_registry_versions(const char *name);
extern Oid md_registry_relid(void);

/* acl.c */
extern void md_check_model_access(const char *name);

/* epoch_cache.c */

/* The epoch an answer is valid under: it only ever grows. */
typedef uint64 (*MdEpochFn)(void);

typedef struct MdEpochCache
{
	HTAB *entries; /* NULL until md_epoch_cache_init */
	Size keysize;
	Size valuesize;
	MdEpochFn current_epoch;
	uint64 entries_epoch; /* the epoch every entry was stored under */
} MdEpochCache;

extern void md_epoch_cache_init(MdEpochCache *cache, const char *name,
								Size keysize, Size valuesize,
								MdEpochFn current_epoch);
extern const void *md_epoch_cache_find(const MdEpochCache *cache,
									   const void *key);
extern uint64 md_epoch_cache_begin(const MdEpochCache *cache);
extern void md_epoch_cache_store(MdEpochCache *cache, const void *key,
								 uint64 epoch, const void *value);

/* citus.c */
extern void md_citus_init(void);
extern void *md_citus_function(const char *name);

/* citus_pin.c */
extern void md_citus_pin_init(void);

#endif /* MD_REGISTRY_H */
