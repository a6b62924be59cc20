/*-------------------------------------------------------------------------
 *
 * model_deploy.c
 *	  Module entry point: _PG_init has each module define its settings and
 *	  callbacks, and owns the one pair of shared-memory hooks, which
 *	  dispatch to the modules that keep something in shared memory.
 *
 * Shared memory is there only when the library is preloaded
 * (shared_preload_libraries): the compiled-model store (store_shmem.c)
 * and the serving statistics (stats_shmem.c, stats_persist.c).
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"
#include "md_limits.h"
#include "md_registry.h"
#include "md_stats.h"
#include "md_store.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/guc.h"

MD_MODULE_MAGIC("0.2");

void _PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
request_shmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	md_store_shmem_request();
	md_stats_shmem_request();
}

static void
startup_shmem(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	md_stats_startup();
	md_store_shmem_startup();
}

void
_PG_init(void)
{
	md_limits_init();
	md_store_init();
	if (process_shared_preload_libraries_in_progress)
	{
		md_store_shmem_init();
		md_stats_shmem_init();
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = request_shmem;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = startup_shmem;
	}
	md_stats_init();
	md_citus_init();
	md_citus_pin_init();
	MarkGUCPrefixReserved("model_deploy");
	md_registry_init();
}
