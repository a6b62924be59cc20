/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  Why a model gave a row its margin: per-feature contributions.
 *
 * Tree models use exact path-dependent TreeSHAP (Lundberg, Erion and Lee,
 * "Consistent Individualized Feature Attribution for Tree Ensembles", 2018,
 * algorithm 2), which is what XGBoost's predict(pred_contribs=True)
 * computes.  It visits every node of a tree once, carrying the path of
 * distinct features split on between the root and the node.  Each path
 * element records the share of training cover that flowed down the branch
 * taken ("zero fraction": the feature unknown) and whether the explained
 * row takes it too ("one fraction": the feature known), plus permutation
 * weights over the path's subsets; at a leaf, those weights give each
 * feature on the path its Shapley share of the leaf value.  A feature split
 * on twice is first "unwound" from the path, then extended again.  The
 * tree's bias is the cover-weighted mean of its leaves.
 *
 * To agree with XGBoost to the float32 bit where it can, the arithmetic is
 * XGBoost's: float32 throughout, the same operation order, each tree's
 * contributions summed on their own and then scaled by the tree's DART
 * weight into the totals, and the base margin added to the bias last.
 *
 * The walk is iterative: an explicit stack of at most max_depth + 1 frames
 * and one path per tree level, all carved out of the caller's workspace.  A
 * deep tree can therefore not exhaust the C stack of a database backend,
 * and nothing is allocated.
 *
 * Linear models: a feature's contribution is its coefficient times its
 * value (0 if missing), the bias is the intercept plus the base margin.
 * Native models are explained in native_explain.c; kind.c dispatches.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "md_internal.h"

/* The feature of the root's placeholder path element: matches no split. */
#define NO_FEATURE UINT32_MAX

/* One element of a TreeSHAP path. */
typedef struct path_elem
{
	uint32_t feature;
	float zero_fraction; /* share of cover that took this branch */
	float one_fraction;	 /* 1 if the row takes it, else 0 */
	float pweight;		 /* weight of subsets of this many features */
} path_elem;

/* An internal node being visited: its children are walked hot first. */
typedef struct frame
{
	uint32_t node;	  /* index in its tree */
	uint32_t depth;	  /* last index of its path after unwinding */
	uint32_t hot;	  /* child the row goes to */
	uint32_t entered; /* children entered so far: 0, 1 or 2 */
	float hot_zero;	  /* cover share of each child */
	float cold_zero;
	float incoming_zero; /* fractions of an earlier split on the */
	float incoming_one;	 /* same feature, unwound from the path */
	float child_mean[2]; /* cover-weighted leaf mean, left/right */
} frame;

/* Scratch memory of one explanation, carved out of the workspace. */
typedef struct workspace
{
	float *x;		  /* the row rounded to float32 */
	float *tree_phi;  /* one tree's contributions */
	float *phi;		  /* totals, bias last */
	path_elem *paths; /* level L's path at L(L+1)/2, L+1 long */
	frame *stack;	  /* one frame per level */
} workspace;

/* What the walk of one tree reads and writes. */
typedef struct tree_walk
{
	const md_node *nodes;
	const float *cover; /* parallel to nodes */
	const uint32_t *cat_words;
	const float *x;
	float *phi;
	path_elem *paths;
	frame *stack;
} tree_walk;

static size_t
path_elems(uint32_t levels)
{
	return (size_t) levels * (levels + 1) / 2;
}

static workspace
carve_workspace(const md_model *m, void *mem)
{
	const md_meta *meta = md_model_meta(m);
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	char *p = mem;
	workspace ws;

	memset(&ws, 0, sizeof(ws));
	ws.x = (float *) p;
	p += md_align(sizeof(float) * meta->n_features);
	if (meta->estimator != MD_EST_FOREST)
		return ws;
	ws.tree_phi = (float *) p;
	p += md_align(sizeof(float) * meta->n_features);
	ws.phi = (float *) p;
	p += md_align(sizeof(float) * ((size_t) meta->n_features + 1));
	ws.paths = (path_elem *) p;
	p += md_align(sizeof(path_elem) * path_elems(fh->max_depth + 1));
	ws.stack = (frame *) p;
	return ws;
}

md_status
md_xgb_explain_workspace_size(const md_model *m, size_t *size,
							  md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	size_t features = md_align(sizeof(float) * meta->n_features);
	uint32_t levels;

	md_clear_error(err);
	*size = 0;
	if (meta->estimator == MD_EST_LINEAR)
	{
		*size = features;
		return MD_OK;
	}
	if (md_section_ptr(m, MD_SEC_FOREST_COVER) == NULL)
	{
		md_fail(err, MD_ERR_UNSUPPORTED,
				"the model's trees carry no node cover (sum_hessian), which "
				"explanations need");
		md_hint(err, "Deploy the model from the JSON that XGBoost's "
					 "Booster.save_model() writes: it keeps sum_hessian.");
		return MD_ERR_UNSUPPORTED;
	}
	if (fh->max_depth > MD_EXPLAIN_MAX_DEPTH)
	{
		md_fail(err, MD_ERR_LIMIT,
				"the model's trees are %u levels deep; explanations support "
				"at most %u",
				fh->max_depth, MD_EXPLAIN_MAX_DEPTH);
		return MD_ERR_LIMIT;
	}
	levels = fh->max_depth + 1;
	*size = 2 * features +
		md_align(sizeof(float) * ((size_t) meta->n_features + 1)) +
		md_align(sizeof(path_elem) * path_elems(levels)) +
		md_align(sizeof(frame) * levels);
	return MD_OK;
}

/*
 * Add a branch to a path of depth + 1 elements (the new one at 'depth'),
 * updating the permutation weights.  The expressions keep XGBoost's float
 * operation order.
 */
static void
extend_path(path_elem *path, uint32_t depth, float zero, float one,
			uint32_t feature)
{
	path[depth].feature = feature;
	path[depth].zero_fraction = zero;
	path[depth].one_fraction = one;
	path[depth].pweight = depth == 0 ? 1.0f : 0.0f;
	for (int i = (int) depth - 1; i >= 0; i--)
	{
		path[i + 1].pweight += one * path[i].pweight * (float) (i + 1) /
			(float) (depth + 1);
		path[i].pweight = zero * path[i].pweight * (float) (depth - i) /
			(float) (depth + 1);
	}
}

/* Remove element 'index' from a path whose last element is at 'depth'. */
static void
unwind_path(path_elem *path, uint32_t depth, uint32_t index)
{
	float one = path[index].one_fraction;
	float zero = path[index].zero_fraction;
	float next_one = path[depth].pweight;

	for (int i = (int) depth - 1; i >= 0; i--)
	{
		if (one != 0.0f)
		{
			float tmp = path[i].pweight;

			path[i].pweight = next_one * (float) (depth + 1) /
				((float) (i + 1) * one);
			next_one = tmp - path[i].pweight * zero * (float) (depth - i) / (float) (depth + 1);
		}
		else
			path[i].pweight = path[i].pweight * (float) (depth + 1) /
				(zero * (float) (depth - i));
	}
	for (uint32_t i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero_fraction = path[i + 1].zero_fraction;
		path[i].one_fraction = path[i + 1].one_fraction;
	}
}

/* Total permutation weight of the path without element 'index'. */
static float
unwound_sum(const path_elem *path, uint32_t depth, uint32_t index)
{
	float one = path[index].one_fraction;
	float zero = path[index].zero_fraction;
	float next_one = path[depth].pweight;
	float total = 0.0f;

	for (int i = (int) depth - 1; i >= 0; i--)
	{
		if (one != 0.0f)
		{
			float tmp = next_one * (float) (depth + 1) /
				((float) (i + 1) * one);

			total += tmp;
			next_one = path[i].pweight -
				tmp * zero * ((float) (depth - i) / (float) (depth + 1));
		}
		else if (zero != 0.0f)
			total += (path[i].pweight / zero) /
				((float) (depth - i) / (float) (depth + 1));
	}
	return total;
}

static path_elem *
level_path(const tree_walk *w, uint32_t level)
{
	return w->paths + path_elems(level);
}

/*
 * Visit 'node' at 'level', reached by a branch on 'feature' with the given
 * fractions from a parent whose path ends at depth - 1.  A leaf shares its
 * value among the path's features and returns true, with the value in
 * *leaf_value.  An internal node gets its frame at stack[level], ready to
 * walk its children, and returns false.
 */
static bool
enter_node(tree_walk *w, uint32_t level, uint32_t node, uint32_t depth,
		   float zero, float one, uint32_t feature, float *leaf_value)
{
	path_elem *path = level_path(w, level);
	const md_node *n = &w->nodes[node];
	frame *f;
	uint32_t right;
	uint32_t k;

	if (depth > 0)
		memcpy(path, level_path(w, level - 1), sizeof(path_elem) * depth);
	extend_path(path, depth, zero, one, feature);

	if (n->left == 0)
	{
		for (uint32_t i = 1; i <= depth; i++)
			w->phi[path[i].feature] += unwound_sum(path, depth, i) *
				(path[i].one_fraction - path[i].zero_fraction) * n->value;
		*leaf_value = n->value;
		return true;
	}

	f = &w->stack[level];
	right = md_goes_right(n, w->cat_words, w->x[n->feature]);
	f->node = node;
	f->hot = n->left + right;
	f->entered = 0;
	f->hot_zero = w->cover[f->hot] / w->cover[node];
	f->cold_zero = w->cover[n->left + !right] / w->cover[node];
	f->incoming_zero = 1.0f;
	f->incoming_one = 1.0f;
	for (k = 0; k <= depth; k++)
		if (path[k].feature == n->feature)
			break;
	if (k <= depth)
	{
		f->incoming_zero = path[k].zero_fraction;
		f->incoming_one = path[k].one_fraction;
		unwind_path(path, depth, k);
		depth--;
	}
	f->depth = depth;
	return false;
}

/*
 * TreeSHAP over one tree: adds its contributions to w->phi and returns its
 * bias, the mean of its leaves weighted by cover, computed bottom-up as
 * XGBoost's FillNodeMeanValues does.
 */
static float
shap_tree(tree_walk *w)
{
	uint32_t level = 0;
	float value;

	if (enter_node(w, 0, 0, 0, 1.0f, 1.0f, NO_FEATURE, &value))
		return value;
	for (;;)
	{
		frame *f = &w->stack[level];
		const md_node *n = &w->nodes[f->node];

		if (f->entered < 2)
		{
			bool hot = f->entered++ == 0;
			uint32_t child = hot ? f->hot : 2 * n->left + 1 - f->hot;
			float zero = hot ? f->hot_zero : f->cold_zero;

			if (enter_node(w, level + 1, child, f->depth + 1,
						   zero * f->incoming_zero,
						   hot ? f->incoming_one : 0.0f, n->feature, &value))
				f->child_mean[child - n->left] = value;
			else
				level++;
			continue;
		}

		value = f->child_mean[0] * w->cover[n->left];
		value += f->child_mean[1] * w->cover[n->left + 1];
		value /= w->cover[f->node];
		if (level == 0)
			return value;
		/* hand the subtree's mean to the parent frame */
		level--;
		n = &w->nodes[w->stack[level].node];
		w->stack[level].child_mean[f->node - n->left] = value;
	}
}

static void
explain_forest(const md_model *m, workspace *ws, uint32_t output,
			   double *contribs)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	const unsigned char *base = (const unsigned char *) fh;
	const md_tree *trees = (const md_tree *) (base + fh->trees_offset);
	const md_node *nodes = (const md_node *) (base + fh->nodes_offset);
	const float *cover = md_section_ptr(m, MD_SEC_FOREST_COVER);
	const float *base_margin = (const float *) (base + fh->base_margin_offset);
	uint32_t n_features = md_model_meta(m)->n_features;
	bool weighted = (fh->flags & MD_FOREST_WEIGHTED) != 0;
	tree_walk w;

	w.cat_words = (const uint32_t *) (base + fh->cat_words_offset);
	w.x = ws->x;
	w.phi = ws->tree_phi;
	w.paths = ws->paths;
	w.stack = ws->stack;
	memset(ws->tree_phi, 0, sizeof(float) * n_features);
	memset(ws->phi, 0, sizeof(float) * ((size_t) n_features + 1));

	for (uint32_t t = 0; t < fh->n_trees; t++)
	{
		const md_tree *tree = &trees[t];
		float weight = weighted ? tree->weight : 1.0f;
		float bias;

		if (tree->output != output)
			continue;
		w.nodes = nodes + tree->first_node;
		w.cover = cover + tree->first_node;
		bias = shap_tree(&w);

		/* only split features got a share: move theirs into the totals */
		for (uint32_t i = 0; i < tree->n_nodes; i++)
		{
			uint32_t f = w.nodes[i].feature;

			if (w.nodes[i].left == 0)
				continue;
			ws->phi[f] += ws->tree_phi[f] * weight;
			ws->tree_phi[f] = 0.0f;
		}
		ws->phi[n_features] += bias * weight;
	}
	ws->phi[n_features] += base_margin[output];
	for (uint32_t f = 0; f <= n_features; f++)
		contribs[f] = ws->phi[f];
}

/* XGBoost's gblinear contributions, in float32. */
static void
explain_linear(const md_model *m, const float *x, uint32_t output,
			   double *contribs)
{
	const md_linear_header *lh = md_section_ptr(m, MD_SEC_LINEAR);
	const unsigned char *base = (const unsigned char *) lh;
	const float *w = (const float *) (base + lh->weights_offset);
	const float *bm = (const float *) (base + lh->base_margin_offset);
	uint32_t k = lh->n_outputs;

	for (uint32_t f = 0; f < lh->n_features; f++)
		contribs[f] = isnan(x[f]) ? 0.0 : x[f] * w[(size_t) f * k + output];
	contribs[lh->n_features] = w[(size_t) lh->n_features * k + output] +
		bm[output];
}

md_status
md_xgb_explain(const md_model *m, const double *x, uint32_t output,
			   double *contribs, void *workspace_mem)
{
	const md_meta *meta = md_model_meta(m);
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	workspace ws;
	bool forest = meta->estimator == MD_EST_FOREST;

	/* callers that skipped md_explain_workspace_size() get its verdict */
	if (forest && md_section_ptr(m, MD_SEC_FOREST_COVER) == NULL)
		return MD_ERR_UNSUPPORTED;
	if (forest && fh->max_depth > MD_EXPLAIN_MAX_DEPTH)
		return MD_ERR_LIMIT;

	ws = carve_workspace(m, workspace_mem);
	for (uint32_t f = 0; f < meta->n_features; f++)
		ws.x[f] = md_round_to_float(x[f]);
	if (forest)
		explain_forest(m, &ws, output, contribs);
	else
		explain_linear(m, ws.x, output, contribs);
	return MD_OK;
}
