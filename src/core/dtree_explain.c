/*-------------------------------------------------------------------------
 *
 * dtree_explain.c
 *	  TreeSHAP explanations of double-precision tree ensembles, as
 *	  LightGBM's predict(pred_contrib=True) computes them.
 *
 * The algorithm is explain.c's (path-dependent TreeSHAP, Lundberg et al.
 * 2018, algorithm 2), in LightGBM's form (Tree::TreeSHAP): double
 * precision, node cover = the training rows that reached a node (the
 * model's internal_count and leaf_count), contributions of every tree added
 * straight into the totals, each tree's expected value (its leaves weighted
 * by their share of the root's rows) into the bias.  Every row takes the
 * branch scoring takes (md_dnode_next).  The recursion is at most
 * MD_DTREE_EXPLAIN_MAX_DEPTH deep, which bounds its use of the C stack; the
 * paths live in the caller's workspace.  Linear leaves have no TreeSHAP
 * explanation and are refused.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dtree.h"

/* Deepest tree explained: about 100 bytes of C stack per level. */
#define MD_DTREE_EXPLAIN_MAX_DEPTH 256

/* The feature of the root's placeholder path element: matches no split. */
#define NO_FEATURE UINT32_MAX

typedef struct path_elem
{
	uint32_t feature;
	double zero_fraction;
	double one_fraction;
	double pweight;
} path_elem;

typedef struct shap_walk
{
	const md_dforest *f;
	const md_dtree *t;
	const double *row;
	double *phi;
	path_elem *paths; /* level L's path at L(L+1)/2, L+1 long */
} shap_walk;

static size_t
path_elems(uint32_t levels)
{
	return (size_t) levels * (levels + 1) / 2;
}

md_status
md_dtree_explain_workspace_size(const md_model *m, size_t *size, md_error *err)
{
	md_dforest f = md_dforest_of(m);
	uint32_t n_features = md_model_meta(m)->n_features;

	for (uint32_t i = 0; i < f.h->n_trees; i++)
		if (f.trees[i].flags & MD_DTREE_LINEAR)
		{
			md_fail(err, MD_ERR_UNSUPPORTED,
					"explanations of linear trees (linear_tree) are not "
					"supported");
			md_hint(err, "TreeSHAP explains constant leaves; train without "
						 "linear_tree=True to explain the model.");
			return MD_ERR_UNSUPPORTED;
		}
	if (f.node_cover == NULL)
	{
		md_fail(err, MD_ERR_UNSUPPORTED,
				"the model's trees carry no node counts, which explanations "
				"need");
		md_hint(err,
				"Deploy the model text that LightGBM's "
				"Booster.save_model() writes: it keeps internal_count and "
				"leaf_count.");
		return MD_ERR_UNSUPPORTED;
	}
	if (f.h->max_depth > MD_DTREE_EXPLAIN_MAX_DEPTH)
	{
		md_fail(err, MD_ERR_LIMIT,
				"the model's trees are %u levels deep; explanations support "
				"at most %u",
				f.h->max_depth, MD_DTREE_EXPLAIN_MAX_DEPTH);
		return MD_ERR_LIMIT;
	}
	*size = md_align(sizeof(double) * n_features) +
		sizeof(path_elem) * path_elems(f.h->max_depth + 1);
	return MD_OK;
}

static void
extend_path(path_elem *path, uint32_t depth, double zero, double one,
			uint32_t feature)
{
	path[depth].feature = feature;
	path[depth].zero_fraction = zero;
	path[depth].one_fraction = one;
	path[depth].pweight = depth == 0 ? 1.0 : 0.0;
	for (int i = (int) depth - 1; i >= 0; i--)
	{
		path[i + 1].pweight +=
			one * path[i].pweight * (i + 1) / (double) (depth + 1);
		path[i].pweight =
			zero * path[i].pweight * (depth - i) / (double) (depth + 1);
	}
}

static void
unwind_path(path_elem *path, uint32_t depth, uint32_t index)
{
	double one = path[index].one_fraction;
	double zero = path[index].zero_fraction;
	double next_one = path[depth].pweight;

	for (int i = (int) depth - 1; i >= 0; i--)
	{
		if (one != 0.0)
		{
			double tmp = path[i].pweight;

			path[i].pweight = next_one * (depth + 1) / ((i + 1) * one);
			next_one = tmp - path[i].pweight * zero * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].pweight =
				(path[i].pweight * (depth + 1)) / (zero * (depth - i));
	}
	for (uint32_t i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero_fraction = path[i + 1].zero_fraction;
		path[i].one_fraction = path[i + 1].one_fraction;
	}
}

static double
unwound_sum(const path_elem *path, uint32_t depth, uint32_t index)
{
	double one = path[index].one_fraction;
	double zero = path[index].zero_fraction;
	double next_one = path[depth].pweight;
	double total = 0.0;

	for (int i = (int) depth - 1; i >= 0; i--)
	{
		if (one != 0.0)
		{
			double tmp = next_one * (depth + 1) / ((i + 1) * one);

			total += tmp;
			next_one = path[i].pweight -
				tmp * zero * ((depth - i) / (double) (depth + 1));
		}
		else
			total += (path[i].pweight / zero) /
				((depth - i) / (double) (depth + 1));
	}
	return total;
}

static double
cover(const shap_walk *w, int32_t ref)
{
	if (ref >= 0)
		return w->f->node_cover[w->t->first_node + ref];
	return w->f->leaf_cover[w->t->first_leaf + ~ref];
}

/*
 * The share of ref's training rows that reach its child; CatBoost's trees
 * have nodes no row reached, whose children get none.
 */
static double
share(const shap_walk *w, int32_t child, int32_t ref)
{
	double whole = cover(w, ref);

	return whole > 0.0 ? cover(w, child) / whole : 0.0;
}

static void shap_child(const shap_walk *w, int32_t child, uint32_t level,
					   uint32_t depth, double zero, double one,
					   uint32_t feature);

/* Visit 'ref' at tree level 'level'; its path extends its parent's. */
static void
shap_node(const shap_walk *w, int32_t ref, uint32_t level, uint32_t depth,
		  double zero, double one, uint32_t feature)
{
	path_elem *path = w->paths + path_elems(level);
	const md_dnode *n;
	int32_t hot;
	int32_t cold;
	double incoming_zero = 1.0;
	double incoming_one = 1.0;
	uint32_t k;

	if (depth > 0)
		memcpy(path, w->paths + path_elems(level - 1),
			   sizeof(path_elem) * depth);
	extend_path(path, depth, zero, one, feature);
	if (ref < 0)
	{
		double value = w->f->leaves[w->t->first_leaf + ~ref].value;

		for (uint32_t i = 1; i <= depth; i++)
			w->phi[path[i].feature] +=
				unwound_sum(path, depth, i) *
				(path[i].one_fraction - path[i].zero_fraction) * value;
		return;
	}
	n = w->f->nodes + w->t->first_node + ref;
	hot = md_dnode_next(n, w->f->cat_words, w->row[n->feature]);
	cold = hot == n->yes ? n->no : n->yes;
	for (k = 0; k <= depth; k++)
		if (path[k].feature == n->feature)
			break;
	if (k <= depth)
	{
		incoming_zero = path[k].zero_fraction;
		incoming_one = path[k].one_fraction;
		unwind_path(path, depth, k);
		depth--;
	}
	shap_child(w, hot, level, depth, share(w, hot, ref) * incoming_zero,
			   incoming_one, n->feature);
	shap_child(w, cold, level, depth, share(w, cold, ref) * incoming_zero,
			   0.0, n->feature);
}

/*
 * A child that neither the row nor any training row reaches adds nothing
 * (its share is a factor of every term) and would divide 0 by 0 in the
 * unwinding: skip it, as CatBoost's ShapValues does.
 */
static void
shap_child(const shap_walk *w, int32_t child, uint32_t level, uint32_t depth,
		   double zero, double one, uint32_t feature)
{
	if (zero == 0.0 && one == 0.0)
		return;
	shap_node(w, child, level + 1, depth + 1, zero, one, feature);
}

/* Tree::ExpectedValue: the leaves weighted by their share of the rows. */
static double
expected_value(const md_dforest *f, const md_dtree *t)
{
	double total;
	double v = 0.0;

	if (t->n_nodes == 0)
		return f->leaves[t->first_leaf].value;
	total = f->node_cover[t->first_node];
	if (!(total > 0.0))
		return 0.0;
	for (uint32_t l = 0; l < t->n_leaves; l++)
		v += (f->leaf_cover[t->first_leaf + l] / total) *
			f->leaves[t->first_leaf + l].value;
	return v;
}

md_status
md_dtree_explain(const md_model *m, const double *x, uint32_t output,
				 double *contribs, void *workspace)
{
	uint32_t nf = md_model_meta(m)->n_features;
	md_dforest f = md_dforest_of(m);
	double *row = workspace;
	shap_walk w;
	size_t size;

	/* callers that skipped md_explain_workspace_size() get its verdict */
	if (md_dtree_explain_workspace_size(m, &size, NULL) != MD_OK)
		return MD_ERR_UNSUPPORTED;
	md_dtree_read_row(&f, nf, x, NULL, row);
	memset(contribs, 0, sizeof(double) * ((size_t) nf + 1));
	w.f = &f;
	w.row = row;
	w.phi = contribs;
	w.paths =
		(path_elem *) ((char *) workspace + md_align(sizeof(double) * nf));
	for (uint32_t i = 0; i < f.h->n_trees; i++)
	{
		w.t = &f.trees[i];
		if (w.t->output != output)
			continue;
		contribs[nf] += expected_value(&f, w.t);
		if (w.t->n_nodes > 0)
			shap_node(&w, 0, 0, 0, 1.0, 1.0, NO_FEATURE);
	}
	/* CatBoost's scale multiplies every tree's share, its bias is base */
	if (f.h->flags & MD_DF_SCALE_LAST)
	{
		for (uint32_t i = 0; i <= nf; i++)
			contribs[i] *= f.init[f.h->n_outputs];
		contribs[nf] += f.init[output];
	}
	return MD_OK;
}
