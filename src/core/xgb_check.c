/*-------------------------------------------------------------------------
 *
 * xgb_check.c
 *	  Validators of the sections of an XGBoost model (MD_SEC_FOREST and its
 *	  cover, MD_SEC_LINEAR), for untrusted blobs.
 *
 * score.c and explain.c trust these sections completely; the checks here
 * establish what they rely on: every offset and count inside its section,
 * every tree in canonical breadth-first form, every feature index in range,
 * every number finite.  forest_fast.c validates the fast layout.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "md_internal.h"
#include "objective.h"

md_status
md_xgb_check_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);

	if (meta->format != MD_FORMAT_XGBOOST ||
		!md_objective_is_valid(meta->objective) ||
		meta->booster < MD_BOOSTER_GBTREE ||
		meta->booster >= MD_BOOSTER__END || meta->n_features == 0 ||
		meta->n_outputs == 0)
		return md_corrupt(err, "bad model description");
	if (meta->estimator == MD_EST_FOREST &&
		md_section_ptr(m, MD_SEC_FOREST) == NULL)
		return md_corrupt(err, "tree model without trees");
	if (meta->estimator == MD_EST_LINEAR &&
		md_section_ptr(m, MD_SEC_LINEAR) == NULL)
		return md_corrupt(err, "linear model without weights");
	return MD_OK;
}

/*
 * Check one tree's nodes: canonical breadth-first form (the k-th internal
 * node's children at 2k+1 and 2k+2, so the tree is full, connected and
 * acyclic), features in range, finite values, category bitsets in the pool.
 * Computes the tree's depth level by level without extra memory.
 */
static md_status
validate_tree(const md_tree *tree, const md_node *nodes, uint64_t n_cat_words,
			  uint32_t n_features, uint32_t tree_no, uint32_t *depth_out,
			  md_error *err)
{
	uint64_t internal = 0;
	uint64_t level_end = 1;
	uint32_t depth = 0;

	for (uint64_t i = 0; i < tree->n_nodes; i++)
	{
		const md_node *n = &nodes[i];

		if (i == level_end)
		{
			depth++;
			level_end = 2 * internal + 1;
		}
		if (n->flags &
			~(uint32_t) (MD_NODE_DEFAULT_LEFT | MD_NODE_CATEGORICAL))
			return md_corrupt(err, "unknown node flags");
		if (n->left == 0)
		{
			if (!isfinite(n->value))
				return md_fail(err, MD_ERR_BLOB,
							   "compiled model is corrupt: tree %u has a "
							   "non-finite leaf",
							   tree_no);
			continue;
		}
		if (n->left != 2 * internal + 1 ||
			(uint64_t) n->left + 1 >= tree->n_nodes)
			return md_fail(err, MD_ERR_BLOB,
						   "compiled model is corrupt: tree %u is not in "
						   "breadth-first form at node %llu",
						   tree_no, (unsigned long long) i);
		internal++;
		if (n->feature >= n_features)
			return md_corrupt(err, "split on a feature out of range");
		if (n->flags & MD_NODE_CATEGORICAL)
		{
			if ((uint64_t) n->cat_offset + n->cat_words > n_cat_words)
				return md_corrupt(err, "category set outside the pool");
		}
		else if (!isfinite(n->value))
			return md_corrupt(err, "non-finite split threshold");
	}
	if (tree->n_nodes != 2 * internal + 1)
		return md_corrupt(err, "tree with unreachable nodes");
	*depth_out = depth;
	return MD_OK;
}

static md_status
validate_forest(const md_model *m, md_error *err)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	uint64_t size = m->section_size[MD_SEC_FOREST];
	const md_meta *meta = md_model_meta(m);
	const unsigned char *base = (const unsigned char *) fh;
	const md_tree *trees;
	const md_node *nodes;
	uint64_t next_node = 0;
	uint32_t max_depth = 0;
	md_status st;

	if (size < sizeof(*fh) || fh->n_outputs != meta->n_outputs ||
		fh->n_trees == 0 ||
		(fh->flags &
		 ~(uint32_t) (MD_FOREST_WEIGHTED | MD_FOREST_CATEGORICAL)) ||
		!md_fits(fh->base_margin_offset, fh->n_outputs, sizeof(float), size) ||
		!md_fits(fh->trees_offset, fh->n_trees, sizeof(md_tree), size) ||
		!md_fits(fh->nodes_offset, fh->n_nodes, sizeof(md_node), size) ||
		!md_fits(fh->cat_words_offset, fh->n_cat_words, sizeof(uint32_t),
				 size))
		return md_corrupt(err, "bad forest header");

	for (uint32_t o = 0; o < fh->n_outputs; o++)
		if (!isfinite(((const float *) (base + fh->base_margin_offset))[o]))
			return md_corrupt(err, "non-finite base margin");

	trees = (const md_tree *) (base + fh->trees_offset);
	nodes = (const md_node *) (base + fh->nodes_offset);
	for (uint32_t t = 0; t < fh->n_trees; t++)
	{
		const md_tree *tree = &trees[t];
		uint32_t depth = 0;

		/* trees tile the node array in order */
		if (tree->first_node != next_node || tree->n_nodes == 0 ||
			tree->n_nodes > fh->n_nodes - next_node ||
			tree->output >= fh->n_outputs || !isfinite(tree->weight))
			return md_corrupt(err, "bad tree table");
		st = validate_tree(tree, nodes + tree->first_node, fh->n_cat_words,
						   meta->n_features, t, &depth, err);
		if (st != MD_OK)
			return st;
		if (depth != tree->max_depth)
			return md_corrupt(err, "wrong tree depth");
		if (depth > max_depth)
			max_depth = depth;
		next_node += tree->n_nodes;
	}
	if (next_node != fh->n_nodes || max_depth != fh->max_depth)
		return md_corrupt(err, "forest counts disagree");

	if (md_section_ptr(m, MD_SEC_FOREST_COVER) != NULL)
	{
		const float *cover = md_section_ptr(m, MD_SEC_FOREST_COVER);

		if (m->section_size[MD_SEC_FOREST_COVER] / sizeof(float) < fh->n_nodes)
			return md_corrupt(err, "cover table too short");
		for (uint64_t i = 0; i < fh->n_nodes; i++)
			if (!(cover[i] >= 0.0f) || !isfinite(cover[i]))
				return md_corrupt(err, "bad node cover");
	}
	return MD_OK;
}

/* A tree model: its forest, then the fast layout when it has one. */
md_status
md_xgb_validate_forest(const md_model *m, md_error *err)
{
	md_status st = validate_forest(m, err);

	if (st == MD_OK && md_section_ptr(m, MD_SEC_FOREST_FAST) != NULL)
		st = md_validate_fast(m, err);
	return st;
}

md_status
md_xgb_validate_linear(const md_model *m, md_error *err)
{
	const md_linear_header *lh = md_section_ptr(m, MD_SEC_LINEAR);
	uint64_t size = m->section_size[MD_SEC_LINEAR];
	const md_meta *meta = md_model_meta(m);
	const unsigned char *base = (const unsigned char *) lh;
	uint64_t n_weights;

	if (size < sizeof(*lh) || lh->n_features != meta->n_features ||
		lh->n_outputs != meta->n_outputs)
		return md_corrupt(err, "bad linear header");
	n_weights = ((uint64_t) lh->n_features + 1) * lh->n_outputs;
	if (!md_fits(lh->weights_offset, n_weights, sizeof(float), size) ||
		!md_fits(lh->base_margin_offset, lh->n_outputs, sizeof(float), size))
		return md_corrupt(err, "bad linear header");
	for (uint64_t i = 0; i < n_weights; i++)
		if (!isfinite(((const float *) (base + lh->weights_offset))[i]))
			return md_corrupt(err, "non-finite weight");
	for (uint32_t o = 0; o < lh->n_outputs; o++)
		if (!isfinite(((const float *) (base + lh->base_margin_offset))[o]))
			return md_corrupt(err, "non-finite base margin");
	return MD_OK;
}
