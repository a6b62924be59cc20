/*-------------------------------------------------------------------------
 *
 * md_pg.h
 *	  What every file of the PostgreSQL side of model_deploy shares: the
 *	  core's API, the extension's schema, and the utilities (errors.c,
 *	  args.c).  Each module has its own header, included by its users:
 *
 *	 md_catalog.h   the extension's tables (catalog.c, record.c)
 *	 md_limits.h    the compile limits (limits.c)
 *	 md_registry.h  which version scores (registry.c, acl.c, citus.c)
 *	 md_store.h     compiled models (store.c; md_shmem.h inside)
 *	 md_score.h     call sites and scoring a row (callsite.c, score_row.c)
 *	 md_stats.h     serving statistics (stats*.c)
 *	 md_features.h  features by name, query rows, score columns
 *
 * A module includes only the headers of the modules below it (README.md,
 * "Architecture"), so the files' calls form no circle.
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

/* The extension's fixed schema. */
#define MD_SCHEMA_NAME "model_deploy"
#define MD_INTERNAL_SCHEMA_NAME "model_deploy_internal"

/* Model names are 1 to 63 bytes (the registry's CHECK constraint). */
#define MD_MAX_NAME_LEN (NAMEDATALEN - 1)

/* errors.c */
extern pg_noreturn void md_report_error(const md_error *err,
										const char *context);

/* args.c */
extern char *md_required_text(FunctionCallInfo fcinfo, int arg,
							  const char *what);
extern void md_check_version(int32 version, bool null_is_active);
extern int32 md_optional_version(FunctionCallInfo fcinfo, int arg);

#endif /* MD_PG_H */
