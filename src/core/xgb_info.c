/*-------------------------------------------------------------------------
 *
 * xgb_info.c
 *	  Describing an XGBoost model: its task, objective, classes, trees and
 *	  the width of each of its outputs.
 *
 *-------------------------------------------------------------------------
 */
#include "md_internal.h"
#include "objective.h"

static uint32_t
class_count(const md_meta *meta)
{
	switch (md_objective_task(meta->objective))
	{
		case MD_TASK_BINARY:
			return 2;
		case MD_TASK_MULTICLASS:
			return meta->n_outputs;
		default:
			return 0;
	}
}

void
md_xgb_info(const md_model *m, md_info *info)
{
	const md_meta *meta = md_model_meta(m);
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);

	info->task = md_objective_task(meta->objective);
	info->objective = md_objective_name(meta->objective);
	info->booster = md_booster_name(meta->booster);
	info->n_classes = class_count(meta);
	if (fh != NULL)
	{
		info->n_trees = fh->n_trees;
		info->n_nodes = fh->n_nodes;
		info->max_depth = fh->max_depth;
	}
}

uint32_t
md_xgb_output_width(const md_model *m, md_output kind)
{
	const md_meta *meta = md_model_meta(m);

	/* several targets: a value each, as Booster.predict() */
	if (kind == MD_OUTPUT_PREDICT && class_count(meta) == 0)
		return meta->n_outputs;
	return md_tree_output_width(kind, class_count(meta), meta->n_outputs);
}
