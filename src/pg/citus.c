/*-------------------------------------------------------------------------
 *
 * citus.c
 *	  Registry changes sent to every Citus node in the coordinator's
 *	  distributed transaction.
 *
 * model_deploy has no link dependency on Citus: whether Citus is there is
 * decided at run time (the SQL side asks pg_extension and
 * citus_is_coordinator()), and only then are Citus's functions looked up
 * in citus.so.  The two used are Citus's own means of running a command
 * on other nodes inside the current coordinated transaction, which Citus
 * commits on every node with two-phase commit, or on none:
 * SendCommandToRemoteNodesWithMetadata() (every other active primary node)
 * and SendCommandToWorker() (one node, for sync_node()).  A node that
 * cannot be reached makes the call fail, so the change fails everywhere.
 *
 * Their signatures are those of Citus 11 to 13; the SQL side refuses any
 * other major version.
 *
 *-------------------------------------------------------------------------
 */
#include "md_registry.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_FUNCTION_INFO_V1(md_citus_send_all);
PG_FUNCTION_INFO_V1(md_citus_send_node);

typedef void (*CitusSendAll)(const char *command);
typedef void (*CitusSendNode)(const char *node_name, int32 node_port,
							  const char *command);

/*
 * True while a registry change sent by the coordinator is being applied
 * on this node: only then may a worker's registry change (see the
 * registry's citus triggers).  Superusers only: the functions that set it
 * are SECURITY DEFINER.
 */
static bool md_citus_applying = false;

void
md_citus_init(void)
{
	DefineCustomBoolVariable("model_deploy.citus_applying",
							 "Set while a Citus worker applies a registry "
							 "change sent by its coordinator.",
							 NULL, &md_citus_applying, false, PGC_SUSET,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE |
								 GUC_DISALLOW_IN_FILE,
							 NULL, NULL, NULL);
}

/* A function of the loaded citus.so; an ERROR naming it if it is absent. */
void *
md_citus_function(const char *name)
{
	void *fn = load_external_function("$libdir/citus", name, false, NULL);

	if (fn == NULL)
		ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("this Citus library has no function %s()", name),
				errhint("model_deploy distributes its registry with "
						"Citus 11 to 13."));
	return fn;
}

/* _citus_send(command): run it on every other node, in this transaction. */
Datum
md_citus_send_all(PG_FUNCTION_ARGS)
{
	CitusSendAll send =
		(CitusSendAll) md_citus_function("SendCommandToRemoteNodesWithMetadata");

	send(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/* _citus_send(node_name, node_port, command): run it on one node. */
Datum
md_citus_send_node(PG_FUNCTION_ARGS)
{
	CitusSendNode send = (CitusSendNode) md_citus_function("SendCommandToWorker");

	send(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_INT32(1),
		 text_to_cstring(PG_GETARG_TEXT_PP(2)));
	PG_RETURN_VOID();
}
