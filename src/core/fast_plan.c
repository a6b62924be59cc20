/*-------------------------------------------------------------------------
 *
 * fast_plan.c
 *	  The groups of a fast layout (md_fast_group, md_blob.h), shared by the
 *	  float trees of XGBoost (forest_fast.c) and the double-precision trees
 *	  (dtree_fast.c): cutting the trees into groups, and checking that an
 *	  untrusted section's groups tile its trees and arrays.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "md_internal.h"

/*
 * Padding trees to a common depth costs 2^depth slots per tree: always
 * accepted up to this depth, and beyond it only while the slots are at most
 * MAX_PADDING times the tree's real leaves, so that the layout takes at
 * most about 16 times the memory of the nodes it lays out.  Padding is
 * cheap in time: 300 sparse trees of depth 10 (100 leaves each) score 4x
 * faster padded than walked.
 */
#define FREE_PADDING_DEPTH 6
#define MAX_PADDING 64

static inline uint32_t
max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static inline uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

bool
md_fast_padding_ok(uint32_t depth, uint32_t min_leaves)
{
	return depth <= MD_FAST_MAX_DEPTH &&
		(depth <= FREE_PADDING_DEPTH ||
		 md_fast_slots(depth) <= (uint64_t) MAX_PADDING * min_leaves);
}

/* May tree 'shape' join group 'g' (of the same kind)? */
static bool
joins(const md_fast_group *g, uint32_t min_leaves, const md_fast_shape *shape)
{
	switch ((md_fast_kind) g->kind)
	{
		case MD_FAST_WALK:
			return true;
		case MD_FAST_NODES:
			return g->n_trees < MD_FAST_GROUP_MAX;
		case MD_FAST_OBLIVIOUS:
			return g->n_trees < MD_FAST_GROUP_MAX && g->depth == shape->depth;
		case MD_FAST_COMPLETE:
			return g->n_trees < MD_FAST_GROUP_MAX &&
				md_fast_padding_ok(max_u32(g->depth, shape->depth),
								   min_u32(shape->leaves, min_leaves));
	}
	return false;
}

/*
 * Cut the trees into groups, in order: runs of trees of one kind, at most
 * MD_FAST_GROUP_MAX to a complete or oblivious group; complete trees are
 * padded to the deepest of their group, oblivious ones share one depth,
 * node-stepped ones take the steps of the deepest and the positions of the
 * largest.
 * 'groups' has room for one group per tree.  Returns the number of groups.
 */
uint32_t
md_fast_plan(const md_fast_shape *shapes, uint32_t n_trees,
			 md_fast_group *groups)
{
	uint32_t n = 0;
	md_fast_group *g = NULL;
	uint32_t min_leaves = 0;

	for (uint32_t t = 0; t < n_trees; t++)
	{
		const md_fast_shape *s = &shapes[t];

		if (g != NULL && g->kind == s->kind && joins(g, min_leaves, s))
		{
			g->n_trees++;
			if (s->kind != MD_FAST_WALK)
				g->depth = max_u32(g->depth, s->depth);
			if (s->kind == MD_FAST_NODES)
				g->width = max_u32(g->width, 2 * s->leaves - 1);
			min_leaves = min_u32(min_leaves, s->leaves);
			continue;
		}
		g = &groups[n++];
		memset(g, 0, sizeof(*g));
		g->kind = s->kind;
		g->first_tree = t;
		g->n_trees = 1;
		g->depth = s->kind == MD_FAST_WALK ? 0 : s->depth;
		g->width = s->kind == MD_FAST_NODES ? 2 * s->leaves - 1 : 0;
		min_leaves = s->leaves;
	}
	return n;
}

/* Splits (or positions) and leaves of each tree of a group. */
uint64_t
md_fast_tree_nodes(const md_fast_group *g)
{
	if (g->kind == MD_FAST_NODES)
		return g->width;
	if (g->kind == MD_FAST_OBLIVIOUS)
		return g->depth;
	return md_fast_slots(g->depth) - 1;
}

uint64_t
md_fast_tree_leaves(const md_fast_group *g)
{
	if (g->kind == MD_FAST_NODES)
		return g->width;
	return md_fast_slots(g->depth);
}

/* Give the complete and oblivious groups their places in the arrays. */
void
md_fast_place(md_fast_group *groups, uint32_t n_groups, uint64_t *n_nodes,
			  uint64_t *n_leaves)
{
	*n_nodes = 0;
	*n_leaves = 0;
	for (uint32_t i = 0; i < n_groups; i++)
	{
		md_fast_group *g = &groups[i];

		if (g->kind == MD_FAST_WALK)
			continue;
		g->first_node = *n_nodes;
		g->first_leaf = *n_leaves;
		*n_nodes += g->n_trees * md_fast_tree_nodes(g);
		*n_leaves += g->n_trees * md_fast_tree_leaves(g);
	}
}

/*
 * Untrusted groups: they tile the n_trees trees in order, and the others
 * than walks (oblivious and node-stepped ones only where 'dtree_kinds')
 * the n_nodes splits and n_leaves leaves.
 */
static bool
group_ok(const md_fast_group *g, bool dtree_kinds)
{
	if (g->reserved != 0)
		return false;
	switch ((md_fast_kind) g->kind)
	{
		case MD_FAST_WALK:
			return g->depth == 0 && g->first_node == 0 &&
				g->first_leaf == 0 && g->width == 0;
		case MD_FAST_OBLIVIOUS:
			if (!dtree_kinds)
				return false;
			/* FALLTHROUGH */
		case MD_FAST_COMPLETE:
			return g->depth <= MD_FAST_MAX_DEPTH && g->width == 0;
		case MD_FAST_NODES:
			return dtree_kinds && g->depth <= MD_FAST_MAX_STEPS &&
				g->width > 0;
	}
	return false;
}

md_status
md_fast_validate_groups(const md_fast_group *groups, uint32_t n_groups,
						uint32_t n_trees, uint64_t n_nodes, uint64_t n_leaves,
						bool dtree_kinds, md_error *err)
{
	uint64_t next_tree = 0;
	uint64_t next_node = 0;
	uint64_t next_leaf = 0;

	for (uint32_t i = 0; i < n_groups; i++)
	{
		const md_fast_group *g = &groups[i];

		if (g->first_tree != next_tree || g->n_trees == 0 ||
			g->n_trees > n_trees - next_tree)
			return md_corrupt(err, "fast layout groups do not tile the trees");
		next_tree += g->n_trees;
		if (!group_ok(g, dtree_kinds))
			return md_corrupt(err, "bad fast layout group");
		if (g->kind == MD_FAST_WALK)
			continue;
		if (g->n_trees > MD_FAST_GROUP_MAX ||
			g->first_node != next_node || g->first_leaf != next_leaf)
			return md_corrupt(err, "bad fast layout group");
		next_node += g->n_trees * md_fast_tree_nodes(g);
		next_leaf += g->n_trees * md_fast_tree_leaves(g);
	}
	if (next_tree != n_trees || next_node != n_nodes || next_leaf != n_leaves)
		return md_corrupt(err, "fast layout counts disagree");
	return MD_OK;
}
