/*-------------------------------------------------------------------------
 *
 * md_pg.h
 *	  Declarations shared by the PostgreSQL side of model_deploy.
 *
 * How a call to predict() finds its model:
 *
 *	 call site (fn_extra)  --name-->  registry.c  --deploy_id-->  store.c
 *	 MdCallSite                       MdVersionRef                MdLoadedModel
 *
 * registry.c resolves a model name (and optional pinned version) to the
 * immutable version that should score, caching the answer per backend until
 * the registry's invalidation epoch moves.  store.c turns a version into a
 * compiled model, compiling its source on first use, and keeps it pinned
 * while any call site uses it.  callsite.c ties the two to one call site of
 * one query, so that the per-row path is a name comparison and an epoch
 * comparison.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_PG_H
#define MD_PG_H

#include "postgres.h"

#include "compat.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/array.h"

#include "mdscore.h"

/* The extension's fixed schema and registry table. */
#define MD_SCHEMA_NAME "model_deploy"
#define MD_REGISTRY_TABLE "model_version"
#define MD_REGISTRY_PKEY "model_version_pkey"

/* Model names are 1 to 63 bytes (the registry's CHECK constraint). */
#define MD_MAX_NAME_LEN (NAMEDATALEN - 1)

/* citus.c */
extern void md_citus_init(void);

/* errors.c */
extern pg_noreturn void md_report_error(const md_error *err,
										 const char *context);

/* registry.c */

/* One immutable version of a model, as the registry describes it. */
typedef struct MdVersionRef
{
	char		name[NAMEDATALEN];
	int32		version;
	int64		deploy_id;
} MdVersionRef;

/* Bumped by every invalidation of the registry table in this backend. */
extern uint64 md_registry_epoch;

/* Called per row of a registry scan; returns true to stop the scan. */
typedef bool (*MdRowVisitor) (HeapTuple tuple, TupleDesc desc, void *arg);

extern void md_registry_init(void);
extern bool md_registry_scan(Oid relid, Oid indexid, const char *name,
							 MdRowVisitor visit, void *arg);
extern void md_check_model_name(const char *name, int len);
extern void md_resolve(const char *name, int32 version, MdVersionRef *ref);
extern text *md_registry_source(const MdVersionRef *ref, md_format *format);
extern List *md_registry_versions(const char *name);

/* acl.c */
extern void md_check_model_access(const char *name);

/* store.c */

/*
 * A compiled model used by this backend; stays valid while pinned.  The
 * blob is in shared memory if 'shared' is set (md_shmem.h), else our own.
 */
typedef struct MdLoadedModel
{
	int64		deploy_id;		/* hash key */
	char		name[NAMEDATALEN];
	int32		version;
	int			pins;
	uint64		last_used;		/* for least-recently-used eviction */
	struct MdSharedEntry *shared;	/* pinned while pins > 0 */
	void	   *blob;
	Size		blob_size;
	md_model	model;
	md_info		info;
} MdLoadedModel;

extern void md_store_init(void);
extern MdLoadedModel *md_store_acquire(const MdVersionRef *ref);
extern void md_store_release(MdLoadedModel *loaded);

/* shmem.c */
extern void md_shmem_init(void);

/* callsite.c */

/* What one call site of one query keeps between rows. */
typedef struct MdCallSite
{
	char		name[NAMEDATALEN];
	int			name_len;
	int32		version;		/* pinned version, or 0 for the active one */
	uint64		epoch;			/* md_registry_epoch when resolved */
	MdLoadedModel *loaded;		/* pinned until the query's memory goes */
	void	   *workspace;		/* md_workspace_size() bytes */
	double	   *features;		/* n_features, for converted input */
	double	   *out;			/* widest output of the model */
	void	   *input;			/* a row argument's mapping (predict_named.c) */
	struct MdStatsPending *stats;	/* serving statistics (md_stats.h) */
	uint64		stats_generation;	/* md_stats_generation when 'stats' was set */
	MemoryContext mcxt;
	MemoryContextCallback release;
} MdCallSite;

extern MdCallSite *md_callsite(FunctionCallInfo fcinfo, text *name,
							   int32 version);
extern MdCallSite *md_callsite_in(void **slot, MemoryContext mcxt,
								  text *name, int32 version);

/* predict.c */
extern void md_check_feature_count(const MdCallSite *site, int n);
extern ArrayType *md_feature_array_arg(const MdCallSite *site,
									   FunctionCallInfo fcinfo, int argno);
extern void md_read_feature_array(MdCallSite *site, ArrayType *arr,
								  const double **x, const float **x32);
extern const double *md_row_as_doubles(MdCallSite *site, const double *x,
									   const float *x32);
extern Datum md_float8_array(const double *values, int n);
extern uint32 md_check_output(MdCallSite *site, md_output kind);
extern int	md_score_array(MdCallSite *site, ArrayType *features,
						   md_output kind);
extern void md_score_row(MdCallSite *site, md_output kind, const double *x,
						 const float *x32);
extern Datum md_class_label_text(MdCallSite *site);
extern Datum md_output_datum(MdCallSite *site, md_output kind, uint32 width);

/* record.c */
extern Datum md_caller_name(void);
extern uint64 md_write_as_owner(const char *relname, const char *sql,
								int nargs, Oid *types, Datum *args,
								const char *nulls);

/* explain.c */
extern void md_append_json_member(StringInfo buf, const char *key,
								  double v);

#endif							/* MD_PG_H */
