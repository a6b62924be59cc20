/*-------------------------------------------------------------------------
 *
 * forest_fast.c
 *	  The fast layout of a tree ensemble (MD_SEC_FOREST_FAST): building it
 *	  from validated trees, validating it, and scoring with it.
 *
 * PostgreSQL scores one row per function call, so what counts is the
 * latency of one row, and a walk over node structs is latency-bound: every
 * step waits for the previous load and a mispredicted branch.  Here each
 * tree is a complete binary tree of fixed depth, stepped without branches
 * (k = 2k + 1 + (x >= threshold)), and the trees of a group are stepped
 * together so that their loads overlap.  The leaves found are then added
 * to the margins in tree order, so the float32 sums, and therefore the
 * margins, are bit for bit those of the node walk and of XGBoost.
 *
 * Trees the layout cannot hold exactly or cheaply (categorical splits,
 * depth above MD_FAST_MAX_DEPTH, or a complete tree mostly made of padding)
 * stay with the node walk of score.c, in their place in the tree order.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"

typedef struct forest_view
{
	const md_forest_header *fh;
	const md_tree *trees;
	const md_node *nodes;
} forest_view;

static forest_view
view_forest(const md_model *m)
{
	forest_view v;
	const unsigned char *base;

	v.fh = md_section_ptr(m, MD_SEC_FOREST);
	base = (const unsigned char *) v.fh;
	v.trees = (const md_tree *) (base + v.fh->trees_offset);
	v.nodes = (const md_node *) (base + v.fh->nodes_offset);
	return v;
}

/* --- building ------------------------------------------------------------ */

static bool
has_categorical_split(const md_tree *tree, const md_node *nodes)
{
	for (uint32_t i = 0; i < tree->n_nodes; i++)
		if (nodes[i].flags & MD_NODE_CATEGORICAL)
			return true;
	return false;
}

/* The shape of each tree: complete when the layout can hold it. */
static void
tree_shapes(const forest_view *v, md_fast_shape *shapes)
{
	for (uint32_t t = 0; t < v->fh->n_trees; t++)
	{
		const md_tree *tree = &v->trees[t];
		uint32_t leaves = (tree->n_nodes + 1) / 2;
		bool complete = md_fast_padding_ok(tree->max_depth, leaves) &&
			!has_categorical_split(tree, v->nodes + tree->first_node);

		shapes[t].kind = complete ? MD_FAST_COMPLETE : MD_FAST_WALK;
		shapes[t].depth = tree->max_depth;
		shapes[t].leaves = leaves;
	}
}

/* Where a complete tree's splits and leaves go. */
typedef struct tree_out
{
	float *thresholds;
	uint16_t *features;
	float *leaves;
} tree_out;

/*
 * Lay out one tree as a complete tree of 'depth' levels.  src[p] is the
 * tree node that position p stands for; below a leaf, every position
 * stands for that leaf, so whichever way a padding split sends a row, it
 * reaches the leaf's value.
 */
static void
lay_out_tree(const md_node *tn, const md_tree *tree, bool weighted,
			 uint32_t n_features, uint32_t depth, tree_out out, uint32_t *src)
{
	uint32_t n_internal = (uint32_t) md_fast_slots(depth) - 1;

	src[0] = 0;
	for (uint32_t p = 0; p < n_internal; p++)
	{
		const md_node *n = &tn[src[p]];

		if (n->left == 0)
		{
			out.thresholds[p] = 0.0f;
			out.features[p] = 0;
			src[2 * p + 1] = src[2 * p + 2] = src[p];
			continue;
		}
		out.thresholds[p] = n->value;
		out.features[p] =
			(uint16_t) (n->feature +
						((n->flags & MD_NODE_DEFAULT_LEFT) ? 0 : n_features));
		src[2 * p + 1] = n->left;
		src[2 * p + 2] = n->left + 1;
	}
	for (uint32_t l = 0; l <= n_internal; l++)
	{
		float v = tn[src[n_internal + l]].value;

		/* the very product the node walk adds */
		out.leaves[l] = weighted ? v * tree->weight : v;
	}
}

/* Write the section: header, groups, then each complete group's trees. */
static void
write_section(md_builder *b, const md_model *m, const forest_view *v,
			  md_fast_group *groups, uint32_t n_groups, uint32_t *src)
{
	md_fast_header h = {0};
	uint32_t n_features = md_model_meta(m)->n_features;
	bool weighted = (v->fh->flags & MD_FOREST_WEIGHTED) != 0;
	uint64_t at;

	md_fast_place(groups, n_groups, &h.n_nodes, &h.n_leaves);
	h.n_groups = n_groups;
	h.n_trees = v->fh->n_trees;

	md_builder_begin(b, MD_SEC_FOREST_FAST);
	at = md_builder_reserve(b, sizeof(h));
	h.groups_offset = md_builder_put(b, groups,
									 sizeof(md_fast_group) * n_groups);
	h.thresholds_offset = md_builder_reserve(b, sizeof(float) * h.n_nodes);
	h.features_offset = md_builder_reserve(b, sizeof(uint16_t) * h.n_nodes);
	h.leaves_offset = md_builder_reserve(b, sizeof(float) * h.n_leaves);
	if (md_builder_at(b, at) != NULL)
	{
		tree_out all;

		memcpy(md_builder_at(b, at), &h, sizeof(h));
		all.thresholds = md_builder_at(b, h.thresholds_offset);
		all.features = md_builder_at(b, h.features_offset);
		all.leaves = md_builder_at(b, h.leaves_offset);
		for (uint32_t i = 0; i < n_groups; i++)
		{
			const md_fast_group *g = &groups[i];

			if (g->kind != MD_FAST_COMPLETE)
				continue;
			for (uint32_t j = 0; j < g->n_trees; j++)
			{
				const md_tree *tree = &v->trees[g->first_tree + j];
				uint64_t node = g->first_node + j * (md_fast_slots(g->depth) - 1);
				tree_out out = {all.thresholds + node, all.features + node,
								all.leaves + g->first_leaf +
									j * md_fast_slots(g->depth)};

				lay_out_tree(v->nodes + tree->first_node, tree, weighted,
							 n_features, g->depth, out, src);
			}
		}
	}
	md_builder_end(b);
}

/*
 * Does a validated blob get a fast section?  Forests do, unless their rows
 * are too wide for the 16-bit feature indices of the layout.
 */
bool
md_fast_applies(const md_model *m)
{
	return md_section_ptr(m, MD_SEC_FOREST) != NULL &&
		md_model_meta(m)->n_features <= MD_FAST_MAX_FEATURES;
}

/*
 * A copy of the open, validated forest blob with the fast section added.
 * Sections are position independent, so they are copied byte for byte.
 * On success *blob and *len describe the new blob; the old one is the
 * caller's to free.
 */
md_status
md_fast_compile(const md_model *m, void **blob, size_t *len, md_error *err)
{
	forest_view v = view_forest(m);
	md_fast_group *groups = malloc(sizeof(md_fast_group) * v.fh->n_trees);
	md_fast_shape *shapes = malloc(sizeof(md_fast_shape) * v.fh->n_trees);
	uint32_t *src = malloc(sizeof(uint32_t) *
						   (2 * md_fast_slots(MD_FAST_MAX_DEPTH) - 1));
	md_builder b;
	md_status st;

	md_builder_init(&b);
	if (groups == NULL || shapes == NULL || src == NULL)
		b.failed = true;
	else
	{
		md_builder_copy_sections(&b, m);
		tree_shapes(&v, shapes);
		write_section(&b, m, &v, groups,
					  md_fast_plan(shapes, v.fh->n_trees, groups), src);
	}
	st = md_builder_finish(&b, blob, len, err);
	md_builder_free(&b);
	free(groups);
	free(shapes);
	free(src);
	return st;
}

/* --- validating ---------------------------------------------------------- */

/*
 * Everything the scoring loop relies on: the groups tile the trees and the
 * arrays, and every feature it reads lies in the row of 2 * n_features.
 */
md_status
md_validate_fast(const md_model *m, md_error *err)
{
	const md_fast_header *h = md_section_ptr(m, MD_SEC_FOREST_FAST);
	uint64_t size = m->section_size[MD_SEC_FOREST_FAST];
	uint64_t row = 2 * (uint64_t) md_model_meta(m)->n_features;
	forest_view v = view_forest(m);
	const unsigned char *base = (const unsigned char *) h;
	const float *thresholds;
	const uint16_t *features;
	const float *leaves;
	md_status st;

	if (size < sizeof(*h) || h->n_trees != v.fh->n_trees ||
		h->n_groups == 0 || h->n_groups > h->n_trees ||
		!md_fits(h->groups_offset, h->n_groups, sizeof(md_fast_group), size) ||
		!md_fits(h->thresholds_offset, h->n_nodes, sizeof(float), size) ||
		!md_fits(h->features_offset, h->n_nodes, sizeof(uint16_t), size) ||
		!md_fits(h->leaves_offset, h->n_leaves, sizeof(float), size))
		return md_corrupt(err, "bad fast layout header");
	st = md_fast_validate_groups((const md_fast_group *) (base + h->groups_offset),
								 h->n_groups, h->n_trees, h->n_nodes,
								 h->n_leaves, false, err);
	if (st != MD_OK)
		return st;

	thresholds = (const float *) (base + h->thresholds_offset);
	features = (const uint16_t *) (base + h->features_offset);
	for (uint64_t i = 0; i < h->n_nodes; i++)
		if (features[i] >= row || !isfinite(thresholds[i]))
			return md_corrupt(err, "bad fast layout split");
	leaves = (const float *) (base + h->leaves_offset);
	for (uint64_t i = 0; i < h->n_leaves; i++)
		if (!isfinite(leaves[i]))
			return md_corrupt(err, "non-finite fast layout leaf");
	return MD_OK;
}

/* --- scoring ------------------------------------------------------------- */

/*
 * Rows scored together by md_fast_add_leaves(): each group's trees then
 * stay in cache for a whole block of rows, which pays when the model is
 * larger than the cache (1.6x on 1000 trees of depth 8, 1.2x on 500 of
 * depth 6).  Bounded because every workspace holds a block's scratch, and
 * the extension keeps a workspace per call site.
 */
#define BLOCK_ROWS_MAX 64
#define BLOCK_SCRATCH_BYTES (64 * 1024)

size_t
md_fast_block_rows(const md_model *m)
{
	const md_meta *meta = md_model_meta(m);
	size_t per_row = sizeof(float) *
		(3 * (size_t) meta->n_features + meta->n_outputs);
	size_t rows = BLOCK_SCRATCH_BYTES / per_row;

	if (md_section_ptr(m, MD_SEC_FOREST_FAST) == NULL || rows == 0)
		return 1;
	return rows < BLOCK_ROWS_MAX ? rows : BLOCK_ROWS_MAX;
}

size_t
md_fast_row_size(const md_model *m)
{
	if (md_section_ptr(m, MD_SEC_FOREST_FAST) == NULL)
		return 0;
	return 2 * sizeof(float) * md_model_meta(m)->n_features;
}

/*
 * The row as the splits read it: x2[f] goes left when missing, and
 * x2[n + f] goes right.  Thresholds are finite, so -inf < t always holds
 * and +inf < t never does, exactly the default directions.
 */
static void
split_row(const float *x, uint32_t n, float *x2)
{
	for (uint32_t f = 0; f < n; f++)
	{
		bool missing = isnan(x[f]);

		x2[f] = missing ? -INFINITY : x[f];
		x2[n + f] = missing ? INFINITY : x[f];
	}
}

/*
 * The leaves of a complete group's 'count' trees for one row.  Always
 * inlined, so that with a constant count and depth the compiler unrolls
 * the steps of all trees, keeps their positions in registers and folds
 * each tree's offset into its addresses (positions are size_t for that:
 * 32-bit ones would have to be widened at every step).
 */
static inline __attribute__((always_inline)) void
group_leaves(const float *thresholds, const uint16_t *features,
			 const float *leaves, uint32_t depth, uint32_t count,
			 const float *x2, float *out)
{
	size_t n_internal = md_fast_slots(depth) - 1;
	size_t k[MD_FAST_GROUP_MAX];

	for (uint32_t j = 0; j < count; j++)
		k[j] = 0;
	for (uint32_t d = 0; d < depth; d++)
		for (uint32_t j = 0; j < count; j++)
		{
			size_t i = j * n_internal + k[j];

			k[j] = 2 * k[j] + 1 + (x2[features[i]] >= thresholds[i]);
		}
	for (uint32_t j = 0; j < count; j++)
		out[j] = leaves[j * (n_internal + 1) + k[j] - n_internal];
}

/*
 * A full group, with its depth a constant for the depths that matter.  Not
 * inlined into the caller's loops, which would cost it the registers.
 */
static __attribute__((noinline)) void
full_group_leaves(const float *thresholds, const uint16_t *features,
				  const float *leaves, uint32_t depth, const float *x2,
				  float *out)
{
	switch (depth)
	{
#define DEPTH_CASE(d) \
	case d: \
		group_leaves(thresholds, features, leaves, d, MD_FAST_GROUP_MAX, \
					 x2, out); \
		break
		DEPTH_CASE(1);
		DEPTH_CASE(2);
		DEPTH_CASE(3);
		DEPTH_CASE(4);
		DEPTH_CASE(5);
		DEPTH_CASE(6);
		DEPTH_CASE(7);
		DEPTH_CASE(8);
#undef DEPTH_CASE
		default:
			group_leaves(thresholds, features, leaves, depth,
						 MD_FAST_GROUP_MAX, x2, out);
			break;
	}
}

/*
 * Add every tree's leaf to the margins of n_rows rows (row-major, already
 * holding the base margins), in tree order: float32 addition is not
 * associative, so this order is what keeps the margins bit-identical.
 * x2 is scratch for n_rows split rows (md_fast_row_size() each).
 */
void
md_fast_add_leaves(const md_model *m, const float *x, size_t n_rows,
				   float *x2, float *margin)
{
	const md_fast_header *h = md_section_ptr(m, MD_SEC_FOREST_FAST);
	const unsigned char *base = (const unsigned char *) h;
	const md_fast_group *groups = (const md_fast_group *) (base + h->groups_offset);
	const float *thresholds = (const float *) (base + h->thresholds_offset);
	const uint16_t *features = (const uint16_t *) (base + h->features_offset);
	const float *leaves = (const float *) (base + h->leaves_offset);
	forest_view v = view_forest(m);
	uint32_t nf = md_model_meta(m)->n_features;
	uint32_t no = v.fh->n_outputs;
	float leaf[MD_FAST_GROUP_MAX];

	for (size_t r = 0; r < n_rows; r++)
		split_row(x + r * nf, nf, x2 + r * 2 * nf);
	for (uint32_t i = 0; i < h->n_groups; i++)
	{
		const md_fast_group *g = &groups[i];

		for (size_t r = 0; r < n_rows; r++)
		{
			float *mr = margin + r * no;

			if (g->kind == MD_FAST_WALK)
			{
				md_walk_trees(m, g->first_tree, g->n_trees, x + r * nf, mr);
				continue;
			}
			if (g->n_trees == MD_FAST_GROUP_MAX)
				full_group_leaves(thresholds + g->first_node,
								  features + g->first_node,
								  leaves + g->first_leaf, g->depth,
								  x2 + r * 2 * nf, leaf);
			else
				group_leaves(thresholds + g->first_node,
							 features + g->first_node, leaves + g->first_leaf,
							 g->depth, g->n_trees, x2 + r * 2 * nf, leaf);
			if (no == 1)
			{
				float sum = mr[0];

				for (uint32_t j = 0; j < g->n_trees; j++)
					sum += leaf[j];
				mr[0] = sum;
			}
			else
				for (uint32_t j = 0; j < g->n_trees; j++)
					mr[v.trees[g->first_tree + j].output] += leaf[j];
		}
	}
}
