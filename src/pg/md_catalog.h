/*-------------------------------------------------------------------------
 *
 * md_catalog.h
 *	  The extension's own tables: read directly (catalog.c) -- finding one
 *	  in the model_deploy schema, scanning its rows of one model or
 *	  fetching one row by a unique key, reading a column by name -- and written as their owner (record.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_CATALOG_H
#define MD_CATALOG_H

#include "md_pg.h"

#include "access/htup.h"
#include "access/tupdesc.h"

/* The extension's tables and the unique indexes catalog.c scans. */
#define MD_REGISTRY_TABLE "model_version"
#define MD_REGISTRY_PKEY "model_version_pkey"
#define MD_REGISTRY_DEPLOY_ID_KEY "model_version_deploy_id_key"
#define MD_ACL_TABLE "model_acl"
#define MD_ACL_PKEY "model_acl_pkey"
#define MD_BASELINES_TABLE "baselines"
#define MD_BASELINE_FEATURES_TABLE "baseline_features"
#define MD_BASELINE_FEATURES_PKEY "baseline_features_pkey"

/* Called per row of a scan; returns true to stop the scan. */
typedef bool (*MdRowVisitor)(HeapTuple tuple, TupleDesc desc, void *arg);

extern Oid md_catalog_relid(const char *relname, bool missing_ok);
extern bool md_catalog_scan(Oid relid, Oid indexid, const char *name,
							MdRowVisitor visit, void *arg);
extern bool md_catalog_fetch(Oid relid, Oid indexid, const char *colname,
							 int64 value, MdRowVisitor visit, void *arg);
extern bool md_column_if_any(HeapTuple tuple, TupleDesc desc,
							 const char *colname, Datum *value);
extern Datum md_column(HeapTuple tuple, TupleDesc desc, const char *relname,
					   const char *colname);

/* record.c */
extern Datum md_caller_name(void);
extern uint64 md_write_as_owner(const char *relname, const char *sql,
								int nargs, Oid *types, Datum *args,
								const char *nulls);

#endif /* MD_CATALOG_H */
