/*-------------------------------------------------------------------------
 *
 * dtree.h
 *	  Double-precision tree ensembles (MD_SEC_DTREES, md_blob.h): the split
 *	  and leaf rules that scoring and explanations share, and the kind's
 *	  operations.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_DTREE_H
#define MD_DTREE_H

#include "md_internal.h"

/* LightGBM's kZeroThreshold, a float constant compared in double. */
#define MD_DTREE_ZERO ((double) 1e-35f)

/* The arrays of a validated MD_SEC_DTREES section. */
typedef struct md_dforest
{
	const md_dforest_header *h;
	const double *init;
	const md_dtree *trees;
	const md_dnode *nodes;
	const md_dleaf *leaves;
	const uint32_t *cat_words;
	const md_dterm *terms;
	const double *node_cover; /* NULL without MD_DF_COVER */
	const double *leaf_cover;
} md_dforest;

static inline md_dforest
md_dforest_of(const md_model *m)
{
	const md_dforest_header *h = md_section_ptr(m, MD_SEC_DTREES);
	const unsigned char *base = (const unsigned char *) h;
	md_dforest f;

	f.h = h;
	f.init = (const double *) (base + h->init_offset);
	f.trees = (const md_dtree *) (base + h->trees_offset);
	f.nodes = (const md_dnode *) (base + h->nodes_offset);
	f.leaves = (const md_dleaf *) (base + h->leaves_offset);
	f.cat_words = (const uint32_t *) (base + h->cat_words_offset);
	f.terms = (const md_dterm *) (base + h->terms_offset);
	f.node_cover = NULL;
	f.leaf_cover = NULL;
	if (h->flags & MD_DF_COVER)
	{
		f.node_cover = (const double *) (base + h->node_cover_offset);
		f.leaf_cover = (const double *) (base + h->leaf_cover_offset);
	}
	return f;
}

/*
 * Is category trunc(v) in the node's bitset?  Values that truncate below 0
 * or beyond int32 are in no set (LightGBM sends them right).
 */
static inline bool
md_dnode_in_set(const md_dnode *n, const uint32_t *cat_words, double v)
{
	uint32_t c;

	if (!(v > -1.0) || v >= 2147483648.0)
		return false;
	c = (uint32_t) (int32_t) v;
	if ((c >> 5) >= n->cat_words)
		return false;
	return (cat_words[n->cat_offset + (c >> 5)] >> (c & 31)) & 1;
}

/* The child a row whose split feature has the value 'v' goes to. */
static inline int32_t
md_dnode_next(const md_dnode *n, const uint32_t *cat_words, double v)
{
	bool yes;

	if (isnan(v))
	{
		if (n->missing == MD_DMISS_NAN)
			return (n->flags & MD_DNODE_DEFAULT_YES) ? n->yes : n->no;
		v = 0.0;
	}
	if (n->missing == MD_DMISS_ZERO && v >= -MD_DTREE_ZERO &&
		v <= MD_DTREE_ZERO)
		return (n->flags & MD_DNODE_DEFAULT_YES) ? n->yes : n->no;
	switch ((md_dop) n->op)
	{
		case MD_DOP_LEQ:
			yes = v <= n->threshold;
			break;
		case MD_DOP_LT:
			yes = v < n->threshold;
			break;
		case MD_DOP_GTE:
			yes = v >= n->threshold;
			break;
		case MD_DOP_GT:
			yes = v > n->threshold;
			break;
		case MD_DOP_EQ:
			yes = v == n->threshold;
			break;
		case MD_DOP_NEQ:
			yes = v != n->threshold;
			break;
		default:
			yes = md_dnode_in_set(n, cat_words, v);
			break;
	}
	return yes ? n->yes : n->no;
}

/* The leaf index (within its tree) that row x reaches in tree t. */
static inline uint32_t
md_dtree_leaf(const md_dforest *f, const md_dtree *t, const double *x)
{
	const md_dnode *nodes = f->nodes + t->first_node;
	int32_t i = t->n_nodes > 0 ? 0 : -1;

	while (i >= 0)
		i = md_dnode_next(&nodes[i], f->cat_words, x[nodes[i].feature]);
	return (uint32_t) ~i;
}

/* kind.c's operations of this kind */
md_status md_dtree_check_meta(const md_model *m, md_error *err);
md_status md_dtree_validate(const md_model *m, md_error *err);
void md_dtree_info(const md_model *m, md_info *info);
uint32_t md_dtree_output_width(const md_model *m, md_output kind);
size_t md_dtree_workspace_size(const md_model *m);
md_status md_dtree_score(const md_model *m, md_output kind, const double *x,
						 const float *x32, size_t n_rows, double *out,
						 void *workspace);
md_status md_dtree_explain_workspace_size(const md_model *m, size_t *size,
										  md_error *err);
md_status md_dtree_explain(const md_model *m, const double *x, uint32_t output,
						   double *contribs, void *workspace);

/* dtree_score.c: the row as the trees read it; walking trees for it */
void md_dtree_read_row(const md_dforest *f, uint32_t n_features,
					   const double *x, const float *x32, double *row);
void md_dtree_walk_trees(const md_dforest *f, uint32_t first, uint32_t count,
						 const double *row, double *raw);

/*
 * dtree_fast.c: the fast layout (MD_SEC_DTREES_FAST), as forest_fast.c's
 * for XGBoost: whether a validated blob gets one, a copy of the blob with
 * it, its validator, the scratch bytes a row needs, and adding every
 * tree's leaf for one row to its raw outputs in tree order.
 */
bool md_dfast_applies(const md_model *m);
md_status md_dfast_compile(const md_model *m, void **blob, size_t *len,
						   md_error *err);
md_status md_dfast_validate(const md_model *m, md_error *err);
size_t md_dfast_row_size(const md_model *m);
void md_dfast_add_leaves(const md_model *m, const md_dforest *f,
						 const double *row, double *x2, double *raw);

#endif /* MD_DTREE_H */
