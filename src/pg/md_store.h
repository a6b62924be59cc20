/*-------------------------------------------------------------------------
 *
 * md_store.h
 *	  Compiled models for this backend's call sites (store.c): the shared
 *	  copy when the server has a shared store (md_shmem.h), else our own.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_STORE_H
#define MD_STORE_H

#include "md_registry.h"

/*
 * A compiled model used by this backend; stays valid while pinned.  The
 * blob is in shared memory if 'shared' is set (md_shmem.h), else our own.
 */
typedef struct MdLoadedModel
{
	int64 deploy_id; /* hash key */
	char name[NAMEDATALEN];
	int32 version;
	int pins;
	uint64 last_used;			  /* for least-recently-used eviction */
	struct MdSharedEntry *shared; /* pinned while pins > 0 */
	void *blob;
	Size blob_size;
	md_model model;
	md_info info;
} MdLoadedModel;

/* store.c */
extern void md_store_init(void);
extern MdLoadedModel *md_store_acquire(const MdVersionRef *ref);
extern void md_store_release(MdLoadedModel *loaded);

/* store_shmem.c: from _PG_init and its shared-memory hooks */
extern void md_store_shmem_init(void);
extern void md_store_shmem_request(void);
extern void md_store_shmem_startup(void);

#endif /* MD_STORE_H */
