/*-------------------------------------------------------------------------
 *
 * stats_persist.c
 *	  Serving statistics across a restart: setting up the shared table
 *	  (stats_shmem.c) in the postmaster and filling it from the file of the
 *	  last clean shutdown (stats_file.c), which the postmaster writes again
 *	  when it exits normally.
 *
 * The two files do not know each other: the table knows nothing of the
 * file, the file nothing of the table; this one passes the entries from
 * one to the other.
 *
 *-------------------------------------------------------------------------
 */
#include "md_stats.h"

#include "miscadmin.h"
#include "storage/ipc.h"

/*
 * on_shmem_exit callback of the postmaster: write the file, unless the
 * postmaster is exiting because of a failure (code != 0) or the
 * reinitialisation after a crash (which also passes 1).
 */
static void
save_at_exit(int code, Datum arg pg_attribute_unused())
{
	if (code != 0 || !md_stats_ready)
		return;
	md_stats_file_save(md_stats_visit_all);
}

/*
 * The postmaster's shmem_startup_hook, through _PG_init's: at start and
 * after a crash restart.  At start the statistics are read back from the
 * file written at the last clean shutdown; after a crash they start empty
 * (the file was removed when it was read).
 */
void
md_stats_startup(void)
{
	bool fresh = md_stats_shmem_startup();

	if (!IsUnderPostmaster)
	{
		if (fresh)
			md_stats_file_load(md_stats_restore);
		on_shmem_exit(save_at_exit, (Datum) 0);
	}
	md_stats_shmem_startup_done();
}
