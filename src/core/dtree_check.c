/*-------------------------------------------------------------------------
 *
 * dtree_check.c
 *	  Validators of a double-precision tree ensemble (MD_SEC_DTREES), for
 *	  untrusted blobs.
 *
 * dtree_score.c and dtree_explain.c trust the section completely; this
 * establishes what they rely on (md_blob.h): every array inside the
 * section, the trees tiling the node, leaf and term arrays in order, each
 * tree a tree (parents and depths agree with the children), features in
 * range, category sets inside the pool, finite numbers, an output shape the
 * link expects.  No allocation; time linear in the section's size.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "dtree.h"

md_status
md_dtree_check_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);

	if ((meta->format != MD_FORMAT_LIGHTGBM &&
		 meta->format != MD_FORMAT_CATBOOST) ||
		meta->objective != 0 ||
		meta->booster != 0 || meta->n_features == 0 || meta->n_outputs == 0 ||
		md_section_ptr(m, MD_SEC_DTREES) == NULL ||
		m->section_size[MD_SEC_DTREES] < sizeof(md_dforest_header))
		return md_corrupt(err, "bad double-precision tree model description");
	return MD_OK;
}

/* Does the link fit the task and the number of outputs? */
static bool
shape_ok(const md_dforest_header *h)
{
	bool multi =
		h->link == MD_DLINK_SOFTMAX || h->link == MD_DLINK_OVA_SIGMOID;

	if (h->link < MD_DLINK_IDENTITY || h->link >= MD_DLINK__END ||
		!isfinite(h->link_param) || !(h->divisor >= 1.0) ||
		!isfinite(h->divisor))
		return false;
	switch ((md_task) h->task)
	{
		case MD_TASK_MULTICLASS:
			return multi && h->n_outputs >= 2;
		case MD_TASK_BINARY:
			return h->link == MD_DLINK_SIGMOID && h->n_outputs == 1;
		case MD_TASK_REGRESSION:
		case MD_TASK_RANKING:
			return !multi && h->n_outputs == 1;
		case MD_TASK_CLUSTER:
			break;
	}
	return false;
}

static md_status
check_header(const md_dforest_header *h, uint64_t size, uint32_t n_outputs,
			 md_error *err)
{
	bool cover = (h->flags & MD_DF_COVER) != 0;
	uint32_t n_init = n_outputs + ((h->flags & MD_DF_SCALE_LAST) ? 1 : 0);

	if (h->n_outputs != n_outputs || h->n_trees == 0 ||
		(h->flags & ~(uint32_t) (MD_DF_COVER | MD_DF_TINY_IS_ZERO | MD_DF_SCALE_LAST)) ||
		memchr(h->objective, '\0', sizeof(h->objective)) == NULL ||
		!shape_ok(h) ||
		!md_fits(h->init_offset, n_init, sizeof(double), size) ||
		!md_fits(h->trees_offset, h->n_trees, sizeof(md_dtree), size) ||
		!md_fits(h->nodes_offset, h->n_nodes, sizeof(md_dnode), size) ||
		!md_fits(h->leaves_offset, h->n_leaves, sizeof(md_dleaf), size) ||
		!md_fits(h->cat_words_offset, h->n_cat_words, sizeof(uint32_t),
				 size) ||
		!md_fits(h->terms_offset, h->n_terms, sizeof(md_dterm), size))
		return md_corrupt(err, "bad double-precision forest header");
	if (cover ? (!md_fits(h->node_cover_offset, h->n_nodes, sizeof(double),
						  size) ||
				 !md_fits(h->leaf_cover_offset, h->n_leaves, sizeof(double),
						  size))
			  : (h->node_cover_offset != 0 || h->leaf_cover_offset != 0))
		return md_corrupt(err, "bad double-precision forest header");
	return MD_OK;
}

/* A child reference of node 'i' (depth 'depth') in tree 't'. */
static bool
child_ok(const md_dforest *f, const md_dtree *t, uint32_t i, uint32_t depth,
		 int32_t child)
{
	if (child >= 0)
	{
		const md_dnode *c;

		if ((uint32_t) child <= i || (uint32_t) child >= t->n_nodes)
			return false;
		c = f->nodes + t->first_node + child;
		return c->parent == (int32_t) i && c->depth == depth + 1;
	}
	if ((uint32_t) ~child >= t->n_leaves)
		return false;
	return f->leaves[t->first_leaf + ~child].parent == (int32_t) i &&
		f->leaves[t->first_leaf + ~child].depth == depth + 1;
}

/* Is 'ref' (a child reference) a child of node 'parent' of tree t? */
static bool
parent_has(const md_dforest *f, const md_dtree *t, int32_t parent, int32_t ref)
{
	const md_dnode *p;

	if (parent < 0 || (uint32_t) parent >= t->n_nodes)
		return false;
	p = f->nodes + t->first_node + parent;
	return p->yes == ref || p->no == ref;
}

static md_status
check_nodes(const md_dforest *f, const md_dtree *t, uint32_t n_features,
			md_error *err)
{
	for (uint32_t i = 0; i < t->n_nodes; i++)
	{
		const md_dnode *n = f->nodes + t->first_node + i;

		if (n->feature >= n_features || n->op < MD_DOP_LEQ ||
			n->op >= MD_DOP__END || n->missing < MD_DMISS_NAN ||
			n->missing >= MD_DMISS__END ||
			(n->flags & ~MD_DNODE_DEFAULT_YES) || n->reserved != 0 ||
			n->yes == n->no)
			return md_corrupt(err, "bad double-precision tree node");
		if (n->op == MD_DOP_IN
				? !md_span_in(f->h->n_cat_words, n->cat_offset, n->cat_words)
				: (isnan(n->threshold) || n->cat_offset != 0 ||
				   n->cat_words != 0))
			return md_corrupt(err, "bad double-precision split");
		if (i == 0 ? (n->parent != -1 || n->depth != 0)
				   : ((uint32_t) n->parent >= i ||
					  !parent_has(f, t, n->parent, (int32_t) i)))
			return md_corrupt(err, "double-precision tree is not a tree");
		if (!child_ok(f, t, i, n->depth, n->yes) ||
			!child_ok(f, t, i, n->depth, n->no))
			return md_corrupt(err, "double-precision tree is not a tree");
	}
	return MD_OK;
}

static md_status
check_leaves(const md_dforest *f, const md_dtree *t, uint32_t n_features,
			 uint64_t *next_term, md_error *err)
{
	bool linear = (t->flags & MD_DTREE_LINEAR) != 0;
	uint32_t depth = 0;

	for (uint32_t l = 0; l < t->n_leaves; l++)
	{
		const md_dleaf *leaf = f->leaves + t->first_leaf + l;

		if (t->n_nodes == 0 ? (leaf->parent != -1 || leaf->depth != 0)
							: !parent_has(f, t, leaf->parent, ~(int32_t) l))
			return md_corrupt(err, "double-precision tree is not a tree");
		if (!isfinite(leaf->value) || !isfinite(leaf->constant) ||
			leaf->reserved != 0 ||
			(!linear && (leaf->n_terms != 0 || leaf->constant != 0.0)) ||
			leaf->first_term != *next_term ||
			leaf->n_terms > f->h->n_terms - *next_term)
			return md_corrupt(err, "bad double-precision leaf");
		for (uint32_t k = 0; k < leaf->n_terms; k++)
		{
			const md_dterm *term = f->terms + leaf->first_term + k;

			if (term->feature >= n_features || !isfinite(term->coeff) ||
				term->reserved != 0)
				return md_corrupt(err, "bad linear leaf term");
		}
		*next_term += leaf->n_terms;
		if (leaf->depth > depth)
			depth = leaf->depth;
	}
	if (depth != t->max_depth)
		return md_corrupt(err, "wrong double-precision tree depth");
	return MD_OK;
}

static md_status
check_cover(const md_dforest *f, md_error *err)
{
	if (f->node_cover == NULL)
		return MD_OK;
	for (uint64_t i = 0; i < f->h->n_nodes; i++)
		if (!(f->node_cover[i] >= 0.0) || !isfinite(f->node_cover[i]))
			return md_corrupt(err, "bad node cover");
	for (uint64_t i = 0; i < f->h->n_leaves; i++)
		if (!(f->leaf_cover[i] >= 0.0) || !isfinite(f->leaf_cover[i]))
			return md_corrupt(err, "bad leaf cover");
	return MD_OK;
}

md_status
md_dtree_validate(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	const md_dforest_header *h = md_section_ptr(m, MD_SEC_DTREES);
	md_dforest f;
	uint64_t next_node = 0;
	uint64_t next_leaf = 0;
	uint64_t next_term = 0;
	uint32_t max_depth = 0;
	md_status st;

	st = check_header(h, m->section_size[MD_SEC_DTREES], meta->n_outputs, err);
	if (st != MD_OK)
		return st;
	f = md_dforest_of(m);
	if (!md_all_finite(f.init, h->n_outputs + ((h->flags & MD_DF_SCALE_LAST) ? 1 : 0)))
		return md_corrupt(err, "non-finite initial score");
	for (uint32_t i = 0; i < h->n_trees; i++)
	{
		const md_dtree *t = &f.trees[i];

		if (t->first_node != next_node || t->first_leaf != next_leaf ||
			t->n_nodes > h->n_nodes - next_node ||
			t->n_leaves != (uint64_t) t->n_nodes + 1 ||
			t->n_leaves > h->n_leaves - next_leaf ||
			t->output >= h->n_outputs ||
			(t->flags & ~(uint32_t) MD_DTREE_LINEAR) || t->reserved != 0)
			return md_corrupt(err, "bad double-precision tree table");
		if ((st = check_nodes(&f, t, meta->n_features, err)) != MD_OK ||
			(st = check_leaves(&f, t, meta->n_features, &next_term, err)) !=
				MD_OK)
			return st;
		if (t->max_depth > max_depth)
			max_depth = t->max_depth;
		next_node += t->n_nodes;
		next_leaf += t->n_leaves;
	}
	if (next_node != h->n_nodes || next_leaf != h->n_leaves ||
		next_term != h->n_terms || max_depth != h->max_depth)
		return md_corrupt(err, "double-precision forest counts disagree");
	st = check_cover(&f, err);
	if (st == MD_OK && md_section_ptr(m, MD_SEC_DTREES_FAST) != NULL)
		st = md_dfast_validate(m, err);
	return st;
}
