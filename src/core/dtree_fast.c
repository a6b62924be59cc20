/*-------------------------------------------------------------------------
 *
 * dtree_fast.c
 *	  The fast layout of double-precision trees (MD_SEC_DTREES_FAST):
 *	  building it from validated trees, validating it, and scoring with it.
 *
 * The node walk of dtree.h branches on every split (missing value? which
 * missing rule? which comparison?), and those branches depend on the data:
 * on LightGBM's 500 trees of depth 6 it mispredicts about 4 of a tree's 6
 * splits (callgrind --branch-sim), which made LightGBM files 16-21 times
 * slower per tree than XGBoost's fast layout.  Here, as in forest_fast.c,
 * trees are complete binary trees stepped without branches
 * (k = 2k + 1 + (x > threshold)), a group's trees stepped together; every
 * comparison is one ">" in double, the missing-value rules moved into the
 * row the splits read (md_blob.h, md_dslot_rule), and CatBoost's oblivious
 * trees are a row of independent comparisons.  Trees too deep or sparse to
 * be complete (LightGBM's 63-leaf trees are 9 to 21 deep) are stepped
 * without branches too, k = next[k] + (x > threshold), a group's trees
 * together for as many steps as the deepest needs, a leaf keeping the row.
 * The leaves are added in tree order, in double, so raw outputs are bit for
 * bit those of the node walk.
 *
 * Trees the layout cannot hold exactly (categorical and equality splits,
 * linear leaves, an infinite threshold) are walked in their place in the
 * tree order.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "dtree.h"

/* A split of MD_SEC_DTREES as "v > threshold" on one slot of the row. */
typedef struct fast_split
{
	double threshold;
	uint32_t rule;	  /* md_dslot_rule */
	uint32_t yes_bit; /* the comparison's result that means 'yes' */
} fast_split;

/*
 * Can the layout hold split n?  v <= t is !(v > t), v >= t is v > the
 * double below t, and a missing value reads as the infinity that gives the
 * default branch's result (or as 0: LightGBM's "None").
 */
static bool
to_fast_split(const md_dnode *n, fast_split *s)
{
	bool gt = n->op == MD_DOP_GT || n->op == MD_DOP_GTE;
	uint32_t default_bit;

	if (n->op != MD_DOP_LEQ && n->op != MD_DOP_LT && !gt)
		return false;
	s->threshold = n->threshold;
	if (n->op == MD_DOP_LT || n->op == MD_DOP_GTE)
		s->threshold = nextafter(n->threshold, -INFINITY);
	if (!isfinite(s->threshold))
		return false;
	s->yes_bit = gt;
	default_bit = (n->flags & MD_DNODE_DEFAULT_YES) ? s->yes_bit : !s->yes_bit;
	switch ((md_dmissing) n->missing)
	{
		case MD_DMISS_NAN:
			s->rule = default_bit ? MD_DSLOT_NAN_HIGH : MD_DSLOT_NAN_LOW;
			return true;
		case MD_DMISS_AS_ZERO:
			s->rule = MD_DSLOT_NAN_ZERO;
			return true;
		case MD_DMISS_ZERO:
			s->rule = default_bit ? MD_DSLOT_ZERO_HIGH : MD_DSLOT_ZERO_LOW;
			return true;
		case MD_DMISS__END:
			break;
	}
	return false;
}

/* --- building ------------------------------------------------------------ */

/* Where a tree's splits and leaves go. */
typedef struct tree_out
{
	double *thresholds;
	uint16_t *slots;
	double *leaves;
	uint32_t *next; /* node-stepped trees only */
} tree_out;

/* What laying out needs besides the tree. */
typedef struct layout
{
	const md_dforest *f;
	uint32_t n_features;
	uint16_t pad_slot; /* a slot of a computed rule */
	int32_t *src;	   /* the node or leaf (~l) each position is */
	int32_t *order;	   /* node-stepped trees' positions, as src */
} layout;

/* Can the layout hold every split of tree t?  Gathers their rules. */
static bool
splits_convertible(const md_dforest *f, const md_dtree *t, uint32_t *rules)
{
	if (t->flags & MD_DTREE_LINEAR)
		return false;
	for (uint32_t i = 0; i < t->n_nodes; i++)
	{
		fast_split s;

		if (!to_fast_split(&f->nodes[t->first_node + i], &s))
			return false;
		*rules |= 1u << s.rule;
	}
	return true;
}

/*
 * Lay out tree t for node stepping in 'width' positions, breadth first so
 * that a split's children are adjacent; a leaf, and every position after
 * the tree's, steps to itself.
 */
static void
lay_out_nodes(const layout *lo, const md_dtree *t, uint32_t width,
			  tree_out out)
{
	const md_dnode *nodes = lo->f->nodes + t->first_node;
	const md_dleaf *leaves = lo->f->leaves + t->first_leaf;
	uint32_t used = 1;

	lo->order[0] = t->n_nodes > 0 ? 0 : ~0;
	for (uint32_t p = 0; p < width; p++)
	{
		int32_t at = p < used ? lo->order[p] : ~0;
		fast_split s = {0};

		out.leaves[p] = 0.0;
		if (at < 0)
		{
			out.thresholds[p] = INFINITY;
			out.slots[p] = lo->pad_slot;
			out.next[p] = p;
			if (p < used)
				out.leaves[p] = leaves[~at].value;
			continue;
		}
		to_fast_split(&nodes[at], &s);
		out.thresholds[p] = s.threshold;
		out.slots[p] = (uint16_t) (s.rule * lo->n_features + nodes[at].feature);
		out.next[p] = used;
		lo->order[used + s.yes_bit] = nodes[at].yes;
		lo->order[used + 1 - s.yes_bit] = nodes[at].no;
		used += 2;
	}
}

/*
 * Lay out tree t as a complete tree of 'depth' levels, or say it cannot be.
 * Below a leaf every position stands for that leaf, so whichever way a
 * padding split sends a row, it reaches the leaf's value.  'rules' gathers
 * the rules the tree's splits read.
 */
static bool
lay_out_tree(const layout *lo, const md_dtree *t, uint32_t depth,
			 tree_out out, uint32_t *rules)
{
	const md_dnode *nodes = lo->f->nodes + t->first_node;
	const md_dleaf *leaves = lo->f->leaves + t->first_leaf;
	uint32_t n_internal = (uint32_t) md_fast_slots(depth) - 1;

	if (t->flags & MD_DTREE_LINEAR)
		return false;
	lo->src[0] = t->n_nodes > 0 ? 0 : ~0;
	for (uint32_t p = 0; p < n_internal; p++)
	{
		int32_t at = lo->src[p];
		fast_split s;

		if (at < 0)
		{
			out.thresholds[p] = 0.0;
			out.slots[p] = lo->pad_slot;
			lo->src[2 * p + 1] = lo->src[2 * p + 2] = at;
			continue;
		}
		if (!to_fast_split(&nodes[at], &s))
			return false;
		*rules |= 1u << s.rule;
		out.thresholds[p] = s.threshold;
		out.slots[p] = (uint16_t) (s.rule * lo->n_features + nodes[at].feature);
		lo->src[2 * p + 1 + s.yes_bit] = nodes[at].yes;
		lo->src[2 * p + 2 - s.yes_bit] = nodes[at].no;
	}
	for (uint32_t l = 0; l <= n_internal; l++)
	{
		int32_t at = lo->src[n_internal + l];

		if (at >= 0)
			return false; /* deeper than 'depth' */
		out.leaves[l] = leaves[~at].value;
	}
	return true;
}

/* Does every level of a laid-out tree test one split? */
static bool
is_oblivious(const tree_out *out, uint32_t depth, const md_dtree *t)
{
	if ((uint64_t) t->n_nodes != md_fast_slots(depth) - 1)
		return false;
	for (uint32_t j = 0; j < depth; j++)
	{
		uint32_t first = (uint32_t) md_fast_slots(j) - 1;

		for (uint32_t p = first + 1; p < 2 * first + 1; p++)
			if (out->thresholds[p] != out->thresholds[first] ||
				out->slots[p] != out->slots[first])
				return false;
	}
	return true;
}

/* Scratch for one tree laid out at its own depth. */
typedef struct scratch
{
	double thresholds[(1 << MD_FAST_MAX_DEPTH) - 1];
	uint16_t slots[(1 << MD_FAST_MAX_DEPTH) - 1];
	double leaves[1 << MD_FAST_MAX_DEPTH];
	int32_t src[(2 << MD_FAST_MAX_DEPTH) - 1];
} scratch;

static tree_out
scratch_out(scratch *s)
{
	tree_out out = {s->thresholds, s->slots, s->leaves, NULL};

	return out;
}

/* Each tree's shape, and the rules that the trees laid out read. */
static uint32_t
tree_shapes(const md_dforest *f, uint32_t n_features, md_fast_shape *shapes,
			scratch *s)
{
	layout lo = {f, n_features, 0, s->src, NULL};
	uint32_t rules = 0;

	for (uint32_t i = 0; i < f->h->n_trees; i++)
	{
		const md_dtree *t = &f->trees[i];
		tree_out out = scratch_out(s);
		uint32_t tree_rules = 0;

		shapes[i].depth = t->max_depth;
		shapes[i].leaves = t->n_leaves;
		shapes[i].kind = MD_FAST_WALK;
		if (!splits_convertible(f, t, &tree_rules))
			continue;
		rules |= tree_rules;
		if (!md_fast_padding_ok(t->max_depth, t->n_leaves))
		{
			if (t->max_depth <= MD_FAST_MAX_STEPS)
				shapes[i].kind = MD_FAST_NODES;
			continue;
		}
		lay_out_tree(&lo, t, t->max_depth, out, &tree_rules);
		shapes[i].kind = is_oblivious(&out, t->max_depth, t) ? MD_FAST_OBLIVIOUS : MD_FAST_COMPLETE;
	}
	return rules != 0 ? rules : 1u << MD_DSLOT_NAN_LOW;
}

/* The lowest rule of a mask. */
static uint32_t
first_rule(uint32_t rules)
{
	uint32_t r = 0;

	while (!(rules & (1u << r)))
		r++;
	return r;
}

/* Lay out the trees of a group other than a walk at 'all'. */
static void
lay_out_group(const layout *lo, const md_fast_group *g, tree_out all,
			  scratch *s)
{
	uint64_t per_tree = md_fast_tree_nodes(g);
	uint32_t rules = 0;

	for (uint32_t j = 0; j < g->n_trees; j++)
	{
		const md_dtree *t = &lo->f->trees[g->first_tree + j];
		uint64_t node = g->first_node + j * per_tree;
		tree_out out = {all.thresholds + node, all.slots + node,
						all.leaves + g->first_leaf +
							j * md_fast_tree_leaves(g),
						all.next + node};

		if (g->kind == MD_FAST_NODES)
		{
			lay_out_nodes(lo, t, g->width, out);
			continue;
		}
		if (g->kind == MD_FAST_COMPLETE)
		{
			lay_out_tree(lo, t, g->depth, out, &rules);
			continue;
		}
		/* oblivious: level j's split is at complete position 2^j - 1 */
		lay_out_tree(lo, t, g->depth, scratch_out(s), &rules);
		for (uint32_t d = 0; d < g->depth; d++)
		{
			out.thresholds[d] = s->thresholds[md_fast_slots(d) - 1];
			out.slots[d] = s->slots[md_fast_slots(d) - 1];
		}
		memcpy(out.leaves, s->leaves, sizeof(double) * md_fast_slots(g->depth));
	}
}

/* Write the section: header, groups, then each laid-out group's trees. */
static void
write_section(md_builder *b, const md_dforest *f, uint32_t n_features,
			  md_fast_group *groups, uint32_t n_groups, uint32_t rules,
			  scratch *s, int32_t *order)
{
	md_dfast_header h = {0};
	layout lo = {f, n_features,
				 (uint16_t) (first_rule(rules) * n_features), s->src,
				 order};
	uint64_t at;

	md_fast_place(groups, n_groups, &h.n_nodes, &h.n_leaves);
	h.n_groups = n_groups;
	h.n_trees = f->h->n_trees;
	h.rules = rules;

	md_builder_begin(b, MD_SEC_DTREES_FAST);
	at = md_builder_reserve(b, sizeof(h));
	h.groups_offset = md_builder_put(b, groups,
									 sizeof(md_fast_group) * n_groups);
	h.thresholds_offset = md_builder_reserve(b, sizeof(double) * h.n_nodes);
	h.slots_offset = md_builder_reserve(b, sizeof(uint16_t) * h.n_nodes);
	h.leaves_offset = md_builder_reserve(b, sizeof(double) * h.n_leaves);
	h.next_offset = md_builder_reserve(b, sizeof(uint32_t) * h.n_nodes);
	if (md_builder_at(b, at) != NULL)
	{
		tree_out all;

		memcpy(md_builder_at(b, at), &h, sizeof(h));
		all.thresholds = md_builder_at(b, h.thresholds_offset);
		all.slots = md_builder_at(b, h.slots_offset);
		all.leaves = md_builder_at(b, h.leaves_offset);
		all.next = md_builder_at(b, h.next_offset);
		for (uint32_t i = 0; i < n_groups; i++)
			if (groups[i].kind != MD_FAST_WALK)
				lay_out_group(&lo, &groups[i], all, s);
	}
	md_builder_end(b);
}

/*
 * Does a validated blob get a fast section?  Double-precision forests do,
 * unless their rows are too wide for the 16-bit slots of the layout.
 */
bool
md_dfast_applies(const md_model *m)
{
	return md_section_ptr(m, MD_SEC_DTREES) != NULL &&
		md_model_meta(m)->n_features <= MD_DFAST_MAX_FEATURES;
}

/* The most leaves of a tree: node-stepped positions are fewer than twice. */
static uint32_t
max_leaves(const md_dforest *f)
{
	uint32_t n = 1;

	for (uint32_t i = 0; i < f->h->n_trees; i++)
		if (f->trees[i].n_leaves > n)
			n = f->trees[i].n_leaves;
	return n;
}

/* As md_fast_compile(), for double-precision trees. */
md_status
md_dfast_compile(const md_model *m, void **blob, size_t *len, md_error *err)
{
	md_dforest f = md_dforest_of(m);
	uint32_t nf = md_model_meta(m)->n_features;
	md_fast_group *groups = malloc(sizeof(md_fast_group) * f.h->n_trees);
	md_fast_shape *shapes = malloc(sizeof(md_fast_shape) * f.h->n_trees);
	scratch *s = malloc(sizeof(scratch));
	int32_t *order = malloc(sizeof(int32_t) * (2 * max_leaves(&f) + 1));
	md_builder b;
	md_status st;

	md_builder_init(&b);
	if (groups == NULL || shapes == NULL || s == NULL || order == NULL)
		b.failed = true;
	else
	{
		uint32_t rules = tree_shapes(&f, nf, shapes, s);

		md_builder_copy_sections(&b, m);
		write_section(&b, &f, nf, groups,
					  md_fast_plan(shapes, f.h->n_trees, groups), rules, s,
					  order);
	}
	st = md_builder_finish(&b, blob, len, err);
	md_builder_free(&b);
	free(groups);
	free(shapes);
	free(s);
	free(order);
	return st;
}

/* --- validating ---------------------------------------------------------- */

/*
 * A node-stepped group's steps stay in its trees: a position steps to next
 * or next + 1 below the width, or is a leaf (steps to itself, threshold
 * +inf, which no slot exceeds: slots are never NaN).  Others have no next.
 */
static bool
next_ok(const md_fast_group *g, const double *thresholds, const uint32_t *next)
{
	uint64_t n = g->n_trees * md_fast_tree_nodes(g);

	for (uint64_t i = 0; i < n; i++)
	{
		const uint64_t at = g->first_node + i;

		if (g->kind != MD_FAST_NODES)
		{
			if (next[at] != 0)
				return false;
		}
		else if (!((uint64_t) next[at] + 1 < g->width ||
				   (next[at] == i % g->width && thresholds[at] == INFINITY)))
			return false;
	}
	return true;
}

/*
 * Everything the scoring loop relies on: the groups tile the trees and the
 * arrays, every slot read is one the scorer computes, every step stays in
 * its tree, every leaf is finite and no threshold NaN.
 */
md_status
md_dfast_validate(const md_model *m, md_error *err)
{
	const md_dfast_header *h = md_section_ptr(m, MD_SEC_DTREES_FAST);
	uint64_t size = m->section_size[MD_SEC_DTREES_FAST];
	uint32_t nf = md_model_meta(m)->n_features;
	const md_dforest_header *fh = md_section_ptr(m, MD_SEC_DTREES);
	const unsigned char *base = (const unsigned char *) h;
	const md_fast_group *groups;
	const double *thresholds;
	const uint16_t *slots;
	md_status st;

	if (size < sizeof(*h) || h->n_trees != fh->n_trees ||
		h->n_groups == 0 || h->n_groups > h->n_trees ||
		h->rules == 0 || (h->rules >> MD_DSLOT__COUNT) != 0 ||
		h->reserved != 0 || nf > MD_DFAST_MAX_FEATURES ||
		!md_fits(h->groups_offset, h->n_groups, sizeof(md_fast_group), size) ||
		!md_fits(h->thresholds_offset, h->n_nodes, sizeof(double), size) ||
		!md_fits(h->slots_offset, h->n_nodes, sizeof(uint16_t), size) ||
		!md_fits(h->leaves_offset, h->n_leaves, sizeof(double), size) ||
		!md_fits(h->next_offset, h->n_nodes, sizeof(uint32_t), size))
		return md_corrupt(err, "bad double-precision fast layout header");
	groups = (const md_fast_group *) (base + h->groups_offset);
	st = md_fast_validate_groups(groups, h->n_groups, h->n_trees, h->n_nodes,
								 h->n_leaves, true, err);
	if (st != MD_OK)
		return st;
	thresholds = (const double *) (base + h->thresholds_offset);
	slots = (const uint16_t *) (base + h->slots_offset);
	for (uint64_t i = 0; i < h->n_nodes; i++)
		if (slots[i] >= MD_DSLOT__COUNT * nf ||
			!(h->rules & (1u << (slots[i] / nf))) || isnan(thresholds[i]))
			return md_corrupt(err, "bad double-precision fast layout split");
	for (uint32_t i = 0; i < h->n_groups; i++)
		if (!next_ok(&groups[i], thresholds,
					 (const uint32_t *) (base + h->next_offset)))
			return md_corrupt(err, "a double-precision fast layout step "
								   "leaves its tree");
	if (!md_all_finite((const double *) (base + h->leaves_offset),
					   h->n_leaves))
		return md_corrupt(err, "non-finite double-precision fast layout leaf");
	return MD_OK;
}

/* --- scoring ------------------------------------------------------------- */

size_t
md_dfast_row_size(const md_model *m)
{
	if (md_section_ptr(m, MD_SEC_DTREES_FAST) == NULL)
		return 0;
	return sizeof(double) * MD_DSLOT__COUNT * md_model_meta(m)->n_features;
}

/* Is v missing under LightGBM's "Zero" rule (NaN, or within 1e-35f of 0)? */
static inline bool
zero_missing(double v)
{
	return isnan(v) || (v >= -MD_DTREE_ZERO && v <= MD_DTREE_ZERO);
}

/* The slots of rule r: the row as that rule's splits read it. */
static void
rule_slots(uint32_t r, const double *row, uint32_t n, double *out)
{
	for (uint32_t f = 0; f < n; f++)
	{
		double v = row[f];

		switch ((md_dslot_rule) r)
		{
			case MD_DSLOT_NAN_LOW:
				out[f] = isnan(v) ? -INFINITY : v;
				break;
			case MD_DSLOT_NAN_HIGH:
				out[f] = isnan(v) ? INFINITY : v;
				break;
			case MD_DSLOT_NAN_ZERO:
				out[f] = isnan(v) ? 0.0 : v;
				break;
			case MD_DSLOT_ZERO_LOW:
				out[f] = zero_missing(v) ? -INFINITY : v;
				break;
			case MD_DSLOT_ZERO_HIGH:
				out[f] = zero_missing(v) ? INFINITY : v;
				break;
			case MD_DSLOT__COUNT:
				break;
		}
	}
}

/*
 * The leaves of a complete group's 'count' trees for one row; always
 * inlined, so that with constant count and depth the steps of all trees
 * are unrolled and their positions stay in registers (forest_fast.c).
 */
static inline __attribute__((always_inline)) void
complete_leaves(const double *thresholds, const uint16_t *slots,
				const double *leaves, uint32_t depth, uint32_t count,
				const double *x2, double *out)
{
	size_t n_internal = md_fast_slots(depth) - 1;
	size_t k[MD_FAST_GROUP_MAX];

	for (uint32_t j = 0; j < count; j++)
		k[j] = 0;
	for (uint32_t d = 0; d < depth; d++)
		for (uint32_t j = 0; j < count; j++)
		{
			size_t i = j * n_internal + k[j];

			k[j] = 2 * k[j] + 1 + (x2[slots[i]] > thresholds[i]);
		}
	for (uint32_t j = 0; j < count; j++)
		out[j] = leaves[j * (n_internal + 1) + k[j] - n_internal];
}

/* An oblivious group: each level's comparison is one bit of the leaf. */
static inline __attribute__((always_inline)) void
oblivious_leaves(const double *thresholds, const uint16_t *slots,
				 const double *leaves, uint32_t depth, uint32_t count,
				 const double *x2, double *out)
{
	for (uint32_t j = 0; j < count; j++)
	{
		const double *t = thresholds + j * depth;
		const uint16_t *s = slots + j * depth;
		size_t leaf = 0;

		for (uint32_t d = 0; d < depth; d++)
			leaf = 2 * leaf + (x2[s[d]] > t[d]);
		out[j] = leaves[j * md_fast_slots(depth) + leaf];
	}
}

/* A node-stepped group: 'depth' steps of every tree, none waiting. */
static inline __attribute__((always_inline)) void
nodes_leaves(const md_fast_group *g, const double *thresholds,
			 const uint16_t *slots, const uint32_t *next,
			 const double *leaves, uint32_t count, const double *x2,
			 double *out)
{
	size_t w = g->width;
	size_t k[MD_FAST_GROUP_MAX];

	for (uint32_t j = 0; j < count; j++)
		k[j] = 0;
	for (uint32_t d = 0; d < g->depth; d++)
		for (uint32_t j = 0; j < count; j++)
		{
			size_t i = j * w + k[j];

			k[j] = next[i] + (x2[slots[i]] > thresholds[i]);
		}
	for (uint32_t j = 0; j < count; j++)
		out[j] = leaves[j * w + k[j]];
}

static __attribute__((noinline)) void
full_nodes_leaves(const md_fast_group *g, const double *thresholds,
				  const uint16_t *slots, const uint32_t *next,
				  const double *leaves, const double *x2, double *out)
{
	nodes_leaves(g, thresholds, slots, next, leaves, MD_FAST_GROUP_MAX, x2,
				 out);
}

/*
 * A full group, its depth a constant for the depths that matter; not
 * inlined into the caller's loop, which would cost it the registers.
 */
static __attribute__((noinline)) void
full_group_leaves(const md_fast_group *g, const double *thresholds,
				  const uint16_t *slots, const double *leaves,
				  const double *x2, double *out)
{
#define DEPTH_CASE(d) \
	case d: \
		if (g->kind == MD_FAST_OBLIVIOUS) \
			oblivious_leaves(thresholds, slots, leaves, d, MD_FAST_GROUP_MAX, \
							 x2, out); \
		else \
			complete_leaves(thresholds, slots, leaves, d, MD_FAST_GROUP_MAX, \
							x2, out); \
		return
	switch (g->depth)
	{
		DEPTH_CASE(1);
		DEPTH_CASE(2);
		DEPTH_CASE(3);
		DEPTH_CASE(4);
		DEPTH_CASE(5);
		DEPTH_CASE(6);
		DEPTH_CASE(7);
		DEPTH_CASE(8);
	}
#undef DEPTH_CASE
	if (g->kind == MD_FAST_OBLIVIOUS)
		oblivious_leaves(thresholds, slots, leaves, g->depth,
						 MD_FAST_GROUP_MAX, x2, out);
	else
		complete_leaves(thresholds, slots, leaves, g->depth,
						MD_FAST_GROUP_MAX, x2, out);
}

static void
group_leaves(const md_fast_group *g, const double *thresholds,
			 const uint16_t *slots, const uint32_t *next,
			 const double *leaves, const double *x2, double *out)
{
	if (g->kind == MD_FAST_NODES && g->n_trees == MD_FAST_GROUP_MAX)
		full_nodes_leaves(g, thresholds, slots, next, leaves, x2, out);
	else if (g->kind == MD_FAST_NODES)
		nodes_leaves(g, thresholds, slots, next, leaves, g->n_trees, x2, out);
	else if (g->n_trees == MD_FAST_GROUP_MAX)
		full_group_leaves(g, thresholds, slots, leaves, x2, out);
	else if (g->kind == MD_FAST_OBLIVIOUS)
		oblivious_leaves(thresholds, slots, leaves, g->depth, g->n_trees, x2,
						 out);
	else
		complete_leaves(thresholds, slots, leaves, g->depth, g->n_trees, x2,
						out);
}

/*
 * Add every tree's leaf to the raw outputs of one row (read by
 * md_dtree_read_row()), in tree order: double addition is not associative,
 * so this order is what keeps the outputs bit-identical.  x2 is scratch of
 * md_dfast_row_size() bytes.
 */
void
md_dfast_add_leaves(const md_model *m, const md_dforest *f, const double *row,
					double *x2, double *raw)
{
	const md_dfast_header *h = md_section_ptr(m, MD_SEC_DTREES_FAST);
	const unsigned char *base = (const unsigned char *) h;
	const md_fast_group *groups = (const md_fast_group *) (base + h->groups_offset);
	const double *thresholds = (const double *) (base + h->thresholds_offset);
	const uint16_t *slots = (const uint16_t *) (base + h->slots_offset);
	const double *leaves = (const double *) (base + h->leaves_offset);
	const uint32_t *next = (const uint32_t *) (base + h->next_offset);
	uint32_t nf = md_model_meta(m)->n_features;
	double leaf[MD_FAST_GROUP_MAX];

	for (uint32_t r = 0; r < MD_DSLOT__COUNT; r++)
		if (h->rules & (1u << r))
			rule_slots(r, row, nf, x2 + (size_t) r * nf);
	for (uint32_t i = 0; i < h->n_groups; i++)
	{
		const md_fast_group *g = &groups[i];

		if (g->kind == MD_FAST_WALK)
		{
			md_dtree_walk_trees(f, g->first_tree, g->n_trees, row, raw);
			continue;
		}
		group_leaves(g, thresholds + g->first_node, slots + g->first_node,
					 next + g->first_node, leaves + g->first_leaf, x2, leaf);
		if (f->h->n_outputs == 1)
		{
			double sum = raw[0];

			for (uint32_t j = 0; j < g->n_trees; j++)
				sum += leaf[j];
			raw[0] = sum;
		}
		else
			for (uint32_t j = 0; j < g->n_trees; j++)
				raw[f->trees[g->first_tree + j].output] += leaf[j];
	}
}
