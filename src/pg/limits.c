/*-------------------------------------------------------------------------
 *
 * limits.c
 *	  The limits a model must respect to be compiled: the model_deploy.max_*
 *	  settings, and the core's poll for a pending cancel.
 *
 * Every compile (deploy(), the store compiling a version on first use,
 * model files) takes md_current_limits(), so a change of a setting applies
 * to the next compile of every session that sees it.
 *
 *-------------------------------------------------------------------------
 */
#include "md_limits.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

static int max_model_size_kb;
static int max_trees;
static int max_nodes_per_tree;
static int max_depth;
static int max_features;
static int max_classes;
static int max_json_depth;

/*
 * The core's interrupt poll: a cancel, a statement timeout or a termination
 * is pending and would be served at the next CHECK_FOR_INTERRUPTS (not
 * while interrupts are held, when stopping would not end the statement).
 */
static int
interrupt_pending(void)
{
	return INTERRUPTS_CAN_BE_PROCESSED() &&
		(QueryCancelPending || ProcDiePending);
}

md_limits
md_current_limits(void)
{
	md_limits limits;

	limits.max_source_bytes = (size_t) max_model_size_kb * 1024;
	limits.max_trees = (uint32_t) max_trees;
	limits.max_nodes_per_tree = (uint32_t) max_nodes_per_tree;
	limits.max_depth = (uint32_t) max_depth;
	limits.max_features = (uint32_t) max_features;
	limits.max_classes = (uint32_t) max_classes;
	limits.max_json_depth = (uint32_t) max_json_depth;
	limits.interrupted = interrupt_pending;
	return limits;
}

/*
 * The limits protect the server from hostile or absurd models, so only
 * superusers may change them (PGC_SUSET); the defaults are the core's.
 */
void
md_limits_init(void)
{
	md_limits d;

	md_limits_default(&d);
	DefineCustomIntVariable("model_deploy.max_model_size",
							"Largest model source text accepted.",
							NULL, &max_model_size_kb,
							(int) (d.max_source_bytes / 1024), 1,
							1024 * 1024, PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("model_deploy.max_trees",
							"Most trees a model may have.",
							NULL, &max_trees, (int) d.max_trees, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("model_deploy.max_nodes_per_tree",
							"Most nodes one tree of a model may have.",
							NULL, &max_nodes_per_tree,
							(int) d.max_nodes_per_tree, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("model_deploy.max_depth",
							"Deepest tree a model may have.",
							NULL, &max_depth, (int) d.max_depth, 1, 4096,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("model_deploy.max_features",
							"Most input features a model may have.",
							NULL, &max_features, (int) d.max_features, 1,
							INT_MAX, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("model_deploy.max_classes",
							"Most classes a model may have.",
							NULL, &max_classes, (int) d.max_classes, 1,
							INT_MAX, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("model_deploy.max_json_depth",
							"Deepest nesting of arrays and objects in model JSON.",
							NULL, &max_json_depth, (int) d.max_json_depth, 8,
							1000, PGC_SUSET, 0, NULL, NULL, NULL);
}
