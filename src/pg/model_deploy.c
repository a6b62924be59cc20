/*-------------------------------------------------------------------------
 *
 * model_deploy.c
 *	  Module entry point: configuration parameters and initialisation.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"
#include "md_stats.h"

#include <limits.h>

#include "utils/guc.h"

MD_MODULE_MAGIC("0.2");

void		_PG_init(void);

/* Limits a model must respect to be compiled (see md_limits). */
static int	max_model_size_kb;
static int	max_trees;
static int	max_nodes_per_tree;
static int	max_depth;
static int	max_features;
static int	max_classes;
static int	max_json_depth;

/* Budget of this backend's own compiled models (store.c). */
int			md_local_cache_kb;

md_limits
md_current_limits(void)
{
	md_limits	limits;

	limits.max_source_bytes = (size_t) max_model_size_kb * 1024;
	limits.max_trees = (uint32_t) max_trees;
	limits.max_nodes_per_tree = (uint32_t) max_nodes_per_tree;
	limits.max_depth = (uint32_t) max_depth;
	limits.max_features = (uint32_t) max_features;
	limits.max_classes = (uint32_t) max_classes;
	limits.max_json_depth = (uint32_t) max_json_depth;
	return limits;
}

/*
 * The limits protect the server from hostile or absurd models, so only
 * superusers may change them (PGC_SUSET); the defaults are the core's.
 */
static void
define_limits(void)
{
	md_limits	d;

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

void
_PG_init(void)
{
	define_limits();
	DefineCustomIntVariable("model_deploy.local_cache_size",
							"Memory for compiled models a backend keeps for "
							"itself.",
							NULL, &md_local_cache_kb, 256 * 1024, 1024,
							INT_MAX, PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	md_shmem_init();
	md_stats_init();
	MarkGUCPrefixReserved("model_deploy");
	md_registry_init();
}
