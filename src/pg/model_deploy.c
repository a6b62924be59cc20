/*-------------------------------------------------------------------------
 *
 * model_deploy.c
 *	  Module entry point: each module defines its settings and callbacks.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"
#include "md_limits.h"
#include "md_stats.h"

#include "utils/guc.h"

MD_MODULE_MAGIC("0.2");

void		_PG_init(void);

void
_PG_init(void)
{
	md_limits_init();
	md_store_init();
	md_shmem_init();
	md_stats_init();
	md_citus_init();
	MarkGUCPrefixReserved("model_deploy");
	md_registry_init();
}
