/*-------------------------------------------------------------------------
 *
 * parse_xgboost.c
 *	  Reading XGBoost's JSON model format (Booster.save_model) into a blob.
 *
 * Handles XGBoost 1.0 to 3.4 as documented in doc/model.schema: gbtree,
 * dart (leaf x weight_drop, in the three layouts of 1.x-3.2, 3.3 and 3.4)
 * and gblinear boosters; numeric and categorical splits, and the category
 * names of 3.1+ (parse_xgb_cats.c); default_left as
 * booleans (<= 1.5) or integers; base_score as
 * "5E-1" or "[5E-1]".  Trees are renumbered into breadth-first order while
 * they are read, which is also what proves them to be trees: a child out of
 * range, a node reached twice (a cycle or a shared child) or a path deeper
 * than the limit ends the walk with an error naming the tree and node.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "md_internal.h"
#include "objective.h"
#include "parse.h"
#include "strtab.h"
#include "vec.h"

/* XGBoost's bound on category values (common::OutOfRangeCat()). */
#define XGB_MAX_CATEGORY 16777216

/* Everything read from the JSON before it is written as sections. */
typedef struct xgb_model_head
{
	const md_limits *limits;
	md_objective objective;
	md_booster booster;
	uint32_t n_features;
	uint32_t n_outputs;
	bool names_in_bytes;					  /* category names measured right: 3.4+ */
	float base_margin[FLEXIBLE_ARRAY_MEMBER]; /* n_outputs */
} xgb_model_head;

typedef struct xgb_forest
{
	vec trees;	   /* md_tree */
	vec nodes;	   /* md_node */
	vec cover;	   /* float, parallel to nodes */
	vec cat_words; /* uint32_t */
	bool has_cover;
	bool categorical;
	uint32_t max_depth;
} xgb_forest;

/* The raw arrays of one tree as XGBoost wrote them. */
typedef struct raw_tree
{
	uint64_t n;
	int64_t *left;
	int64_t *right;
	int64_t *split_index;
	uint8_t *default_left;
	uint8_t *categorical;
	float *condition;
	float *hessian; /* NULL without sum_hessian */
	/* categorical nodes: segment into 'categories' per node, or -1 */
	int64_t *cat_segment;
	int64_t *cat_size;
	int64_t *categories;
	uint64_t n_categories;
	/* vector leaves (size_leaf_vector > 1): node i's value for target k */
	uint32_t leaf_size;
	float *leaf_values; /* [i * leaf_size + k], leaves only */
} raw_tree;

static void
raw_tree_free(raw_tree *rt)
{
	free(rt->left);
	free(rt->right);
	free(rt->split_index);
	free(rt->default_left);
	free(rt->categorical);
	free(rt->condition);
	free(rt->hessian);
	free(rt->cat_segment);
	free(rt->cat_size);
	free(rt->categories);
	free(rt->leaf_values);
	memset(rt, 0, sizeof(*rt));
}

static md_status
nomem(md_error *err)
{
	return md_fail(err, MD_ERR_NOMEM, "out of memory reading the model");
}

/* Number of elements of a JSON array. */
static uint64_t
array_length(const cJSON *arr)
{
	uint64_t n = 0;

	for (const cJSON *e = arr->child; e != NULL; e = e->next)
		n++;
	return n;
}

/*
 * Read the categorical split description of a tree: for each listed node,
 * the slice of 'categories' that goes right.
 */
static md_status
read_tree_categories(const cJSON *jt, raw_tree *rt, const char *where,
					 md_error *err)
{
	const cJSON *jnodes = md_json_member(jt, "categories_nodes");
	const cJSON *jsegs = md_json_member(jt, "categories_segments");
	const cJSON *jsizes = md_json_member(jt, "categories_sizes");
	const cJSON *jcats = md_json_member(jt, "categories");
	uint64_t n_cat_nodes;
	int64_t *ids = NULL,
			*segs = NULL,
			*sizes = NULL;
	char path[96];
	md_status st = MD_OK;

	if (!cJSON_IsArray(jnodes) || !cJSON_IsArray(jsegs) ||
		!cJSON_IsArray(jsizes) || !cJSON_IsArray(jcats))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s has categorical splits but no "
					   "categories_nodes/segments/sizes/categories arrays",
					   where);
	n_cat_nodes = array_length(jnodes);
	rt->n_categories = array_length(jcats);
	ids = malloc(sizeof(int64_t) * (n_cat_nodes + 1));
	segs = malloc(sizeof(int64_t) * (n_cat_nodes + 1));
	sizes = malloc(sizeof(int64_t) * (n_cat_nodes + 1));
	rt->categories = malloc(sizeof(int64_t) * (rt->n_categories + 1));
	if (!ids || !segs || !sizes || !rt->categories)
	{
		st = nomem(err);
		goto done;
	}
	snprintf(path, sizeof(path), "%s.categories_nodes", where);
	st = md_json_int_array(jnodes, path, 0, (int64_t) rt->n - 1, ids,
						   n_cat_nodes, err);
	snprintf(path, sizeof(path), "%s.categories_segments", where);
	if (st == MD_OK)
		st = md_json_int_array(jsegs, path, 0, (int64_t) rt->n_categories,
							   segs, n_cat_nodes, err);
	snprintf(path, sizeof(path), "%s.categories_sizes", where);
	if (st == MD_OK)
		st = md_json_int_array(jsizes, path, 0, (int64_t) rt->n_categories,
							   sizes, n_cat_nodes, err);
	snprintf(path, sizeof(path), "%s.categories", where);
	if (st == MD_OK)
		st = md_json_int_array(jcats, path, -((int64_t) 1 << 40),
							   (int64_t) 1 << 40, rt->categories,
							   rt->n_categories, err);
	for (uint64_t i = 0; st == MD_OK && i < n_cat_nodes; i++)
	{
		int64_t node = ids[i];

		if (!rt->categorical[node] || rt->cat_segment[node] >= 0 ||
			segs[i] + sizes[i] > (int64_t) rt->n_categories)
			st = md_fail(err, MD_ERR_MODEL,
						 "model JSON: %s: bad category list for node %lld",
						 where, (long long) node);
		rt->cat_segment[node] = segs[i];
		rt->cat_size[node] = sizes[i];
		for (int64_t c = segs[i]; st == MD_OK && c < segs[i] + sizes[i]; c++)
			if (rt->categories[c] < 0 || rt->categories[c] >= XGB_MAX_CATEGORY)
				st = md_fail(err, MD_ERR_MODEL,
							 "model JSON: %s: category %lld of node %lld is "
							 "outside [0, %d)",
							 where,
							 (long long) rt->categories[c], (long long) node,
							 XGB_MAX_CATEGORY);
	}
done:
	free(ids);
	free(segs);
	free(sizes);
	return st;
}

/*
 * The vector leaves of a multi_output_tree tree (size_leaf_vector K > 1).
 * XGBoost 3.x writes leaf_weights, K per leaf, and reuses a leaf's right
 * child as the leaf's index into them (multi_target_tree_model.cc); 2.x
 * wrote only base_weights, K per node.
 */
static md_status
read_leaf_vectors(const cJSON *jt, raw_tree *rt, const xgb_model_head *mh,
				  const char *where, md_error *err)
{
	const cJSON *lw = md_json_member(jt, "leaf_weights");
	uint64_t k = rt->leaf_size;
	uint64_t n_leaves = 0;
	float *w;
	char path[96];
	md_status st;

	if (k != mh->n_outputs)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s has leaves of %llu values for %u "
					   "targets",
					   where, (unsigned long long) k,
					   mh->n_outputs);
	for (uint64_t i = 0; i < rt->n; i++)
		n_leaves += rt->left[i] == -1;
	if (lw == NULL)
	{
		lw = md_json_member(jt, "base_weights");
		n_leaves = rt->n;
	}
	snprintf(path, sizeof(path), "%s.%s", where,
			 n_leaves == rt->n ? "base_weights" : "leaf_weights");
	if (!cJSON_IsArray(lw))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s has vector leaves but no %s array",
					   where, path);
	w = malloc(sizeof(float) * (n_leaves * k + 1));
	rt->leaf_values = malloc(sizeof(float) * (rt->n * k + 1));
	if (w == NULL || rt->leaf_values == NULL)
	{
		free(w);
		return nomem(err);
	}
	st = md_json_float_array(lw, path, false, w, n_leaves * k, err);
	for (uint64_t i = 0; st == MD_OK && i < rt->n; i++)
	{
		int64_t leaf = n_leaves == rt->n ? (int64_t) i : rt->right[i];

		if (rt->left[i] != -1)
			continue;
		if (leaf < 0 || (uint64_t) leaf >= n_leaves)
			st = md_fail(err, MD_ERR_MODEL,
						 "model JSON: %s leaf %llu has no leaf vector (%lld)",
						 where, (unsigned long long) i, (long long) leaf);
		else
			memcpy(rt->leaf_values + i * k, w + leaf * k, sizeof(float) * k);
		rt->right[i] = -1;
	}
	free(w);
	return st;
}
/*
 * sum_hessian: each node's cover, which TreeSHAP weighs by, so a finite
 * number, 0 or more (the blob validator refuses any other).
 */
static md_status
read_cover(const cJSON *a, raw_tree *rt, uint64_t n, const char *path,
		   md_error *err)
{
	md_status st;

	rt->hessian = malloc(sizeof(float) * n);
	if (rt->hessian == NULL)
		return nomem(err);
	if ((st = md_json_float_array(a, path, false, rt->hessian, n, err)) != MD_OK)
		return st;
	for (uint64_t i = 0; i < n; i++)
		if (!(rt->hessian[i] >= 0.0f) || !isfinite(rt->hessian[i]))
			return md_fail(err, MD_ERR_MODEL, "%s[%llu] is %g: a node's "
											  "cover (sum of hessians) must be finite and 0 "
											  "or more",
						   path, (unsigned long long) i,
						   (double) rt->hessian[i]);
	return MD_OK;
}

/* Read one tree's parallel arrays, checking their types and lengths. */
static md_status
read_raw_tree(const cJSON *jt, uint32_t tree_no, const xgb_model_head *mh,
			  raw_tree *rt, md_error *err)
{
	const cJSON *tp,
		*a;
	char where[48],
		path[96];
	uint64_t n;
	md_status st;

	snprintf(where, sizeof(where), "tree %u", tree_no);
	if ((st = md_json_object(jt, "tree_param", where, &tp, err)) != MD_OK ||
		(st = md_json_uint(tp, "num_nodes", where, UINT32_MAX, &n, err)) != MD_OK)
		return st;
	if (n == 0)
		return md_fail(err, MD_ERR_MODEL, "model JSON: %s has no nodes",
					   where);
	if (n > mh->limits->max_nodes_per_tree)
	{
		char what[64];

		snprintf(what, sizeof(what), "%s has", where);
		return md_fail_limit(err, what, n, "nodes",
							 mh->limits->max_nodes_per_tree,
							 "max_nodes_per_tree");
	}
	/* the arrays' real lengths bound the allocations below */
	snprintf(path, sizeof(path), "%s.left_children", where);
	if ((st = md_json_array(jt, "left_children", where, &a, err)) != MD_OK ||
		(st = md_json_expect_length(a, path, n, err)) != MD_OK)
		return st;

	rt->n = n;
	rt->left = malloc(sizeof(int64_t) * n);
	rt->right = malloc(sizeof(int64_t) * n);
	rt->split_index = malloc(sizeof(int64_t) * n);
	rt->default_left = malloc(n);
	rt->categorical = calloc(n, 1);
	rt->condition = malloc(sizeof(float) * n);
	rt->cat_segment = malloc(sizeof(int64_t) * n);
	rt->cat_size = calloc(n, sizeof(int64_t));
	if (!rt->left || !rt->right || !rt->split_index || !rt->default_left ||
		!rt->categorical || !rt->condition || !rt->cat_segment ||
		!rt->cat_size)
		return nomem(err);
	for (uint64_t i = 0; i < n; i++)
		rt->cat_segment[i] = -1;

#define READ_ARRAY(key, call) \
	do \
	{ \
		snprintf(path, sizeof(path), "%s.%s", where, key); \
		if ((st = md_json_array(jt, key, where, &a, err)) != MD_OK || \
			(st = (call)) != MD_OK) \
			return st; \
	} while (0)

	READ_ARRAY("left_children",
			   md_json_int_array(a, path, -1, (int64_t) n - 1, rt->left, n, err));
	READ_ARRAY("right_children",
			   md_json_int_array(a, path, -1, (int64_t) n - 1, rt->right, n, err));
	READ_ARRAY("split_indices",
			   md_json_int_array(a, path, 0, INT64_MAX / 2, rt->split_index, n, err));
	READ_ARRAY("split_conditions",
			   md_json_float_array(a, path, true, rt->condition, n, err));
	READ_ARRAY("default_left",
			   md_json_bool_array(a, path, rt->default_left, n, err));
#undef READ_ARRAY

	/* absent in models written before categorical support: all numeric */
	a = md_json_member(jt, "split_type");
	if (a != NULL)
	{
		bool any = false;

		snprintf(path, sizeof(path), "%s.split_type", where);
		if (!cJSON_IsArray(a))
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s should be an array", path);
		if ((st = md_json_bool_array(a, path, rt->categorical, n, err)) != MD_OK)
			return st;
		for (uint64_t i = 0; i < n; i++)
			any |= rt->categorical[i];
		if (any && (st = read_tree_categories(jt, rt, where, err)) != MD_OK)
			return st;
	}

	if (md_json_member(tp, "size_leaf_vector") != NULL)
	{
		uint64_t k;

		if ((st = md_json_uint(tp, "size_leaf_vector", where, UINT32_MAX, &k, err)) != MD_OK)
			return st;
		rt->leaf_size = (uint32_t) k;
		if (k > 1 && (st = read_leaf_vectors(jt, rt, mh, where, err)) != MD_OK)
			return st;
	}

	/* node cover, for explanations; optional */
	a = md_json_member(jt, "sum_hessian");
	if (cJSON_IsArray(a) && array_length(a) == n)
	{
		snprintf(path, sizeof(path), "%s.sum_hessian", where);
		return read_cover(a, rt, n, path, err);
	}
	return MD_OK;
}

/* Append a categorical node's set of right-going categories as a bitset. */
static md_status
add_category_set(xgb_forest *f, const raw_tree *rt, int64_t node,
				 md_node *out, md_error *err)
{
	int64_t max_cat = -1;
	uint64_t words;
	uint32_t *w;

	for (int64_t c = 0; c < rt->cat_size[node]; c++)
		if (rt->categories[rt->cat_segment[node] + c] > max_cat)
			max_cat = rt->categories[rt->cat_segment[node] + c];
	words = (uint64_t) (max_cat + 1 + 31) / 32;
	out->cat_offset = (uint32_t) f->cat_words.len;
	out->cat_words = (uint32_t) words;
	/* an empty set is no bitset: every category goes left */
	if (words == 0)
		return MD_OK;
	if (f->cat_words.len + words > UINT32_MAX ||
		!vec_reserve(&f->cat_words, words))
		return nomem(err);
	w = (uint32_t *) f->cat_words.data + f->cat_words.len;
	memset(w, 0, words * sizeof(uint32_t));
	for (int64_t c = 0; c < rt->cat_size[node]; c++)
	{
		int64_t cat = rt->categories[rt->cat_segment[node] + c];

		w[cat / 32] |= (uint32_t) 1 << (cat % 32);
	}
	f->cat_words.len += words;
	return MD_OK;
}

/*
 * Convert one node, reached as new node 'idx' of its tree; 'next_child' is
 * where its children go in breadth-first order.
 */
static md_status
convert_node(xgb_forest *f, const raw_tree *rt, const xgb_model_head *mh,
			 int64_t old, uint64_t next_child, md_node *out,
			 const char *where, md_error *err)
{
	memset(out, 0, sizeof(*out));
	out->value = rt->condition[old];
	if (rt->left[old] == -1)
	{
		if (rt->right[old] != -1)
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s node %lld has a right child but "
						   "no left child",
						   where, (long long) old);
		if (!isfinite(out->value))
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s leaf %lld has a non-finite value",
						   where, (long long) old);
		return MD_OK;
	}
	if (rt->split_index[old] >= mh->n_features)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s node %lld splits on feature %lld, but "
					   "the model has %u features",
					   where, (long long) old,
					   (long long) rt->split_index[old], mh->n_features);
	out->feature = (uint32_t) rt->split_index[old];
	out->left = (uint32_t) next_child;
	if (rt->default_left[old])
		out->flags |= MD_NODE_DEFAULT_LEFT;
	if (rt->categorical[old])
	{
		if (rt->cat_segment[old] < 0)
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s node %lld is a categorical split "
						   "without a category list",
						   where, (long long) old);
		out->flags |= MD_NODE_CATEGORICAL;
		f->categorical = true;
		return add_category_set(f, rt, old, out, err);
	}
	if (!isfinite(out->value))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s node %lld has a non-finite split "
					   "threshold (NaN or infinity)",
					   where, (long long) old);
	return MD_OK;
}

/*
 * Walk a tree breadth-first from its root, appending its nodes to the
 * forest in the order visited.  The visit order array doubles as the queue.
 */
static md_status
add_tree(xgb_forest *f, const raw_tree *rt, const xgb_model_head *mh,
		 uint32_t tree_no, uint32_t output, float weight, md_error *err)
{
	int64_t *order = malloc(sizeof(int64_t) * rt->n);
	uint32_t *depth = malloc(sizeof(uint32_t) * rt->n);
	uint8_t *seen = calloc(rt->n, 1);
	uint64_t queued = 1;
	uint64_t first = f->nodes.len;
	md_tree tree = {0};
	char where[32];
	md_status st = MD_OK;

	snprintf(where, sizeof(where), "tree %u", tree_no);
	if (!order || !depth || !seen || !vec_reserve(&f->nodes, rt->n) ||
		(rt->hessian && !vec_reserve(&f->cover, rt->n)))
	{
		st = nomem(err);
		goto done;
	}
	order[0] = 0;
	depth[0] = 0;
	seen[0] = 1;
	for (uint64_t i = 0; i < queued && st == MD_OK; i++)
	{
		int64_t old = order[i];
		md_node *out = (md_node *) f->nodes.data + first + i;

		st = convert_node(f, rt, mh, old, queued, out, where, err);
		if (st != MD_OK || rt->left[old] == -1)
			continue;
		if (depth[i] + 1 > mh->limits->max_depth)
		{
			st = md_fail(err, MD_ERR_LIMIT,
						 "%s is deeper than the limit of %u levels", where,
						 mh->limits->max_depth);
			md_hint(err, "Raise model_deploy.max_depth if the model is "
						 "genuine.");
			break;
		}
		for (int side = 0; side < 2; side++)
		{
			int64_t child = side ? rt->right[old] : rt->left[old];

			if (child < 0 || seen[child])
			{
				st = md_fail(err, MD_ERR_MODEL,
							 "model JSON: %s is not a tree: node %lld is "
							 "reached twice (from node %lld)",
							 where,
							 (long long) child, (long long) old);
				break;
			}
			seen[child] = 1;
			depth[queued] = depth[i] + 1;
			order[queued++] = child;
			if (depth[i] + 1 > tree.max_depth)
				tree.max_depth = depth[i] + 1;
		}
	}
	if (st != MD_OK)
		goto done;

	if (rt->hessian)
		for (uint64_t i = 0; i < queued; i++)
			((float *) f->cover.data)[f->cover.len++] = rt->hessian[order[i]];
	else
		f->has_cover = false;

	tree.first_node = first;
	tree.n_nodes = (uint32_t) queued;
	tree.output = output;
	tree.weight = weight;
	f->nodes.len += queued;
	if (tree.max_depth > f->max_depth)
		f->max_depth = tree.max_depth;
	if (!vec_reserve(&f->trees, 1))
		st = nomem(err);
	else
		((md_tree *) f->trees.data)[f->trees.len++] = tree;
done:
	free(order);
	free(depth);
	free(seen);
	return st;
}

/*
 * A tree of vector leaves as one tree per target, of the same splits:
 * XGBoost adds leaf value k to margin k tree after tree, and so do these
 * trees in order, so every margin is summed exactly as XGBoost sums it.
 */
static md_status
add_vector_tree(xgb_forest *f, raw_tree *rt, const xgb_model_head *mh,
				uint32_t tree_no, float weight, md_error *err)
{
	md_status st = MD_OK;

	if (f->trees.len + rt->leaf_size > mh->limits->max_trees)
		return md_fail_limit(err, "model has, one per target,",
							 f->trees.len + rt->leaf_size, "trees",
							 mh->limits->max_trees, "max_trees");
	for (uint32_t k = 0; k < rt->leaf_size && st == MD_OK; k++)
	{
		for (uint64_t i = 0; i < rt->n; i++)
			if (rt->left[i] == -1)
				rt->condition[i] = rt->leaf_values[i * rt->leaf_size + k];
		st = add_tree(f, rt, mh, tree_no, k, weight, err);
	}
	return st;
}

/*
 * The tree model of a tree booster.  XGBoost 1.x to 3.2 write DART as
 * {"name": "dart", "gbtree": {"model": ...}, "weight_drop": [...]}; 3.3 as
 * {"name": "gbtree", "model": ..., "weight_drop": [...]}; 3.4 as
 * {"name": "gbtree", "model": {..., "weight_drop": [...]}}.
 */
static const cJSON *
tree_model(const cJSON *booster)
{
	const cJSON *inner = md_json_member(booster, "gbtree");

	return md_json_member(inner != NULL ? inner : booster, "model");
}

/*
 * The DART drop weights, wherever the release put them (see tree_model()),
 * or NULL.  Weights in both places would leave which to apply unclear.
 */
static md_status
find_weight_drop(const cJSON *booster, const cJSON **jw, md_error *err)
{
	const cJSON *outer = md_json_member(booster, "weight_drop");
	const cJSON *inner = md_json_member(tree_model(booster), "weight_drop");

	if (outer != NULL && inner != NULL)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: the booster has weight_drop both beside "
					   "and inside its model");
	*jw = outer != NULL ? outer : inner;
	if (*jw != NULL && !cJSON_IsArray(*jw))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: the booster's weight_drop should be an "
					   "array");
	return MD_OK;
}

/* Read the DART weights, one per tree. */
static md_status
read_weights(const cJSON *booster, uint64_t n_trees, float **weights,
			 md_error *err)
{
	const cJSON *jw;
	md_status st;

	*weights = NULL;
	if ((st = find_weight_drop(booster, &jw, err)) != MD_OK)
		return st;
	if (jw == NULL)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: the dart booster has no weight_drop");
	*weights = malloc(sizeof(float) * (n_trees + 1));
	if (*weights == NULL)
		return nomem(err);
	return md_json_float_array(jw, "weight_drop", false, *weights, n_trees,
							   err);
}

static md_status
read_forest(const cJSON *booster, const xgb_model_head *mh, xgb_forest *f,
			md_error *err)
{
	const cJSON *model,
		*jtrees,
		*jinfo;
	int64_t *tree_info = NULL;
	float *weights = NULL;
	uint64_t n_trees;
	uint32_t t = 0;
	md_status st;

	model = tree_model(booster);
	if (!cJSON_IsObject(model))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: the %s booster has no \"model\" object",
					   md_booster_name(mh->booster));
	if ((st = md_json_array(model, "trees", "booster model", &jtrees, err)) != MD_OK ||
		(st = md_json_array(model, "tree_info", "booster model", &jinfo, err)) != MD_OK)
		return st;

	n_trees = array_length(jtrees);
	if (n_trees == 0)
		return md_fail(err, MD_ERR_MODEL, "model JSON has no trees");
	if (n_trees > mh->limits->max_trees)
		return md_fail_limit(err, "model has", n_trees, "trees",
							 mh->limits->max_trees, "max_trees");
	tree_info = malloc(sizeof(int64_t) * n_trees);
	if (tree_info == NULL)
		return nomem(err);
	st = md_json_int_array(jinfo, "tree_info", 0, (int64_t) mh->n_outputs - 1,
						   tree_info, n_trees, err);
	if (st == MD_OK && mh->booster == MD_BOOSTER_DART)
		st = read_weights(booster, n_trees, &weights, err);

	f->has_cover = true;
	for (const cJSON *jt = jtrees->child; jt != NULL && st == MD_OK; jt = jt->next, t++)
	{
		raw_tree rt = {0};
		uint64_t id;
		char where[32];

		snprintf(where, sizeof(where), "tree %u", t);
		st = md_poll_interrupt(mh->limits, err);
		if (st == MD_OK)
			st = md_json_uint(jt, "id", where, UINT32_MAX, &id, err);
		if (st == MD_OK && id != t)
			st = md_fail(err, MD_ERR_MODEL,
						 "model JSON: the tree at position %u has id %llu",
						 t, (unsigned long long) id);
		if (st == MD_OK)
			st = read_raw_tree(jt, t, mh, &rt, err);
		if (st == MD_OK && rt.leaf_values != NULL)
			st = add_vector_tree(f, &rt, mh, t, weights ? weights[t] : 1.0f,
								 err);
		else if (st == MD_OK)
			st = add_tree(f, &rt, mh, t, (uint32_t) tree_info[t],
						  weights ? weights[t] : 1.0f, err);
		raw_tree_free(&rt);
	}
	free(tree_info);
	free(weights);
	return st;
}

static md_status
write_forest(md_builder *b, const xgb_model_head *mh, xgb_forest *f)
{
	md_forest_header fh = {0};
	md_forest_header *hp;
	uint64_t at;

	fh.n_trees = (uint32_t) f->trees.len;
	fh.n_outputs = mh->n_outputs;
	fh.n_nodes = f->nodes.len;
	fh.n_cat_words = f->cat_words.len;
	fh.max_depth = f->max_depth;
	fh.flags = (mh->booster == MD_BOOSTER_DART ? MD_FOREST_WEIGHTED : 0) |
		(f->categorical ? MD_FOREST_CATEGORICAL : 0);

	md_builder_begin(b, MD_SEC_FOREST);
	at = md_builder_put(b, &fh, sizeof(fh));
	fh.base_margin_offset = md_builder_put(b, mh->base_margin,
										   sizeof(float) * mh->n_outputs);
	fh.trees_offset = md_builder_put(b, f->trees.data,
									 sizeof(md_tree) * f->trees.len);
	fh.nodes_offset = md_builder_put(b, f->nodes.data,
									 sizeof(md_node) * f->nodes.len);
	fh.cat_words_offset = md_builder_put(b, f->cat_words.data,
										 sizeof(uint32_t) * f->cat_words.len);
	hp = md_builder_at(b, at);
	if (hp != NULL)
		*hp = fh;
	md_builder_end(b);

	if (f->has_cover)
	{
		md_builder_begin(b, MD_SEC_FOREST_COVER);
		md_builder_put(b, f->cover.data, sizeof(float) * f->cover.len);
		md_builder_end(b);
	}
	return MD_OK;
}

static md_status
parse_forest(const cJSON *booster, const xgb_model_head *mh, md_builder *b,
			 md_error *err)
{
	xgb_forest f = {
		.trees = {.elem = sizeof(md_tree)},
		.nodes = {.elem = sizeof(md_node)},
		.cover = {.elem = sizeof(float)},
		.cat_words = {.elem = sizeof(uint32_t)},
	};
	md_status st = read_forest(booster, mh, &f, err);

	if (st == MD_OK)
		st = write_forest(b, mh, &f);
	if (st == MD_OK)
		st = md_xgb_write_categories(tree_model(booster), mh->n_features,
									 mh->names_in_bytes, b, err);
	free(f.trees.data);
	free(f.nodes.data);
	free(f.cover.data);
	free(f.cat_words.data);
	return st;
}

static md_status
parse_linear(const cJSON *booster, const xgb_model_head *mh, md_builder *b,
			 md_error *err)
{
	const cJSON *model,
		*jw;
	md_linear_header lh = {mh->n_features, mh->n_outputs, 0, 0};
	md_linear_header *hp;
	uint64_t n = ((uint64_t) mh->n_features + 1) * mh->n_outputs;
	uint64_t at;
	float *w;
	md_status st;

	if ((st = md_json_object(booster, "model", "gblinear booster", &model, err)) != MD_OK ||
		(st = md_json_array(model, "weights", "gblinear model", &jw, err)) != MD_OK ||
		(st = md_json_expect_length(jw, "gblinear weights", n, err)) != MD_OK)
		return st;
	w = malloc(sizeof(float) * n);
	if (w == NULL)
		return nomem(err);
	st = md_json_float_array(jw, "gblinear weights", false, w, n, err);
	if (st == MD_OK)
	{
		md_builder_begin(b, MD_SEC_LINEAR);
		at = md_builder_put(b, &lh, sizeof(lh));
		lh.weights_offset = md_builder_put(b, w, sizeof(float) * n);
		lh.base_margin_offset = md_builder_put(b, mh->base_margin,
											   sizeof(float) * mh->n_outputs);
		hp = md_builder_at(b, at);
		if (hp != NULL)
			*hp = lh;
		md_builder_end(b);
	}
	free(w);
	return st;
}

/*
 * base_score is stored untransformed ("5E-1"), or from XGBoost 3.1 on as a
 * JSON array inside the string ("[5E-1]", possibly one value per output).
 * XGBoost's ProbToMargin works in float; so do we.
 */
static md_status
read_base_margin(const cJSON *lmp, xgb_model_head *mh, md_error *err)
{
	const cJSON *jbs = md_json_member(lmp, "base_score");
	const char *objname = md_objective_name(mh->objective);
	char text[64];
	char *p;
	uint32_t n = 0;

	if (jbs == NULL)
	{
		for (uint32_t o = 0; o < mh->n_outputs; o++)
			mh->base_margin[o] = 0.5f;
		n = 1;
	}
	else if (!cJSON_IsString(jbs) || strlen(jbs->valuestring) >= sizeof(text))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: learner_model_param.base_score should be "
					   "a string such as \"5E-1\"");
	else
	{
		strcpy(text, jbs->valuestring);
		p = text;
		if (*p == '[')
			p++;
		while (*p != '\0' && *p != ']')
		{
			char *end;
			double v = strtod(p, &end);

			if (end == p || n >= mh->n_outputs || !isfinite(v))
				return md_fail(err, MD_ERR_MODEL,
							   "model JSON: base_score \"%s\" is not a finite "
							   "number or list of %u numbers",
							   jbs->valuestring, mh->n_outputs);
			mh->base_margin[n++] = (float) v;
			p = end;
			while (*p == ',' || *p == ' ')
				p++;
		}
		if (n == 0 || (text[0] == '[' && *p != ']') ||
			(*p == ']' && p[1] != '\0'))
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: base_score \"%s\" is not a number",
						   jbs->valuestring);
	}
	if (n != 1 && n != mh->n_outputs)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: base_score has %u values for %u outputs",
					   n, mh->n_outputs);

	for (uint32_t o = 0; o < mh->n_outputs; o++)
	{
		float bs = mh->base_margin[n == 1 ? 0 : o];
		float margin = bs;

		switch (md_objective_base_link(mh->objective))
		{
			case MD_BASE_LOGIT:
				if (!(bs > 0.0f && bs < 1.0f))
					return md_fail(err, MD_ERR_MODEL,
								   "model JSON: base_score %g must lie "
								   "strictly between 0 and 1 for %s",
								   bs, objname);
				margin = -logf(1.0f / bs - 1.0f);
				break;
			case MD_BASE_LOG:
				if (!(bs > 0.0f))
					return md_fail(err, MD_ERR_MODEL,
								   "model JSON: base_score %g must be "
								   "positive for %s",
								   bs, objname);
				margin = logf(bs);
				break;
			case MD_BASE_IDENTITY:
				break;
		}
		if (!isfinite(margin))
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: base_score %g gives a non-finite base "
						   "margin for %s",
						   bs, objname);
		mh->base_margin[o] = margin;
	}
	return MD_OK;
}

static md_status
read_objective(const cJSON *learner, xgb_model_head *mh, md_error *err)
{
	const cJSON *jobj;
	const char *name;
	md_status st;

	if ((st = md_json_object(learner, "objective", "learner", &jobj, err)) != MD_OK ||
		(st = md_json_string(jobj, "name", "learner.objective", &name, err)) != MD_OK)
		return st;
	mh->objective = md_objective_from_name(name);
	if (mh->objective == 0)
	{
		md_fail(err, MD_ERR_UNSUPPORTED,
				"XGBoost objective \"%s\" is not supported", name);
		md_hint(err, "Supported: reg:squarederror, reg:squaredlogerror, "
					 "reg:pseudohubererror, reg:absoluteerror, reg:logistic, "
					 "binary:logistic, binary:logitraw, binary:hinge, "
					 "count:poisson, reg:gamma, reg:tweedie, multi:softmax, "
					 "multi:softprob, rank:pairwise, rank:ndcg, rank:map, "
					 "survival:aft, survival:cox, reg:quantileerror (one "
					 "quantile).");
		return MD_ERR_UNSUPPORTED;
	}
	return MD_OK;
}

static md_status
read_booster_kind(const cJSON *booster, xgb_model_head *mh, md_error *err)
{
	const cJSON *weights;
	const char *name;
	md_status st;

	if ((st = md_json_string(booster, "name", "learner.gradient_booster", &name, err)) != MD_OK)
		return st;
	/*
	 * A tree booster with drop weights is DART whatever its name: XGBoost
	 * 3.3 and 3.4 name their DART booster "gbtree" and their loaders apply
	 * the weights, so must we.
	 */
	if ((st = find_weight_drop(booster, &weights, err)) != MD_OK)
		return st;
	if (strcmp(name, "gbtree") == 0 && weights != NULL)
		mh->booster = MD_BOOSTER_DART;
	else if (strcmp(name, "gbtree") == 0)
		mh->booster = MD_BOOSTER_GBTREE;
	else if (strcmp(name, "dart") == 0)
		mh->booster = MD_BOOSTER_DART;
	else if (strcmp(name, "gblinear") == 0)
		mh->booster = MD_BOOSTER_GBLINEAR;
	else
	{
		md_fail(err, MD_ERR_UNSUPPORTED,
				"XGBoost booster \"%s\" is not supported", name);
		md_hint(err, "Supported boosters: gbtree, dart, gblinear.");
		return MD_ERR_UNSUPPORTED;
	}
	return MD_OK;
}

/* Output count from num_class, checked against the objective. */
static md_status
read_outputs(const cJSON *lmp, xgb_model_head *mh, md_error *err)
{
	uint64_t num_class,
		num_target = 1;
	bool multi = md_objective_task(mh->objective) == MD_TASK_MULTICLASS;
	md_status st;

	if ((st = md_json_uint(lmp, "num_class", "learner_model_param", UINT32_MAX, &num_class, err)) != MD_OK)
		return st;
	if (md_json_member(lmp, "num_target") != NULL &&
		(st = md_json_uint(lmp, "num_target", "learner_model_param", UINT32_MAX, &num_target, err)) != MD_OK)
		return st;
	/*
	 * Several targets (one tree per target, vector leaves, several
	 * quantiles): predictions are the margins only where the objective's
	 * transform is the identity, which is what predict_raw() gives.
	 */
	if (num_target != 1 &&
		(md_objective_task(mh->objective) != MD_TASK_REGRESSION ||
		 md_objective_base_link(mh->objective) != MD_BASE_IDENTITY))
	{
		md_fail(err, MD_ERR_UNSUPPORTED,
				"multi-target XGBoost models (num_target %llu) with "
				"objective %s are not supported",
				(unsigned long long) num_target,
				md_objective_name(mh->objective));
		md_hint(err, "Multi-target models are read for reg:squarederror, "
					 "reg:squaredlogerror, reg:pseudohubererror, "
					 "reg:absoluteerror and reg:quantileerror.");
		return MD_ERR_UNSUPPORTED;
	}
	if (num_target > mh->limits->max_classes)
		return md_fail_limit(err, "model has", num_target, "targets",
							 mh->limits->max_classes, "max_classes");
	if (num_class > mh->limits->max_classes)
		return md_fail_limit(err, "model has", num_class, "classes",
							 mh->limits->max_classes, "max_classes");
	if (multi && num_class < 2)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s model with num_class %llu",
					   md_objective_name(mh->objective),
					   (unsigned long long) num_class);
	if (!multi && num_class > 1)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s model with num_class %llu",
					   md_objective_name(mh->objective),
					   (unsigned long long) num_class);
	mh->n_outputs = multi ? (uint32_t) num_class : (uint32_t) num_target;
	return MD_OK;
}

static md_status
read_feature_count(const cJSON *lmp, xgb_model_head *mh, md_error *err)
{
	uint64_t n;
	md_status st;

	if ((st = md_json_uint(lmp, "num_feature", "learner_model_param", UINT32_MAX, &n, err)) != MD_OK)
		return st;
	if (n == 0)
		return md_fail(err, MD_ERR_MODEL, "model JSON: num_feature is 0");
	if (n > mh->limits->max_features)
		return md_fail_limit(err, "model has", n, "features",
							 mh->limits->max_features, "max_features");
	mh->n_features = (uint32_t) n;
	return MD_OK;
}

/* feature_names: [] or one non-empty string per feature. */
static md_status
write_feature_names(const cJSON *learner, const xgb_model_head *mh,
					md_builder *b, md_error *err)
{
	const cJSON *jn = md_json_member(learner, "feature_names");
	const char **names;
	uint32_t i = 0;
	md_status st;

	if (jn == NULL || (cJSON_IsArray(jn) && jn->child == NULL))
		return MD_OK;
	if (!cJSON_IsArray(jn))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: learner.feature_names should be an array");
	if ((st = md_json_expect_length(jn, "learner.feature_names", mh->n_features, err)) != MD_OK)
		return st;
	names = malloc(sizeof(char *) * mh->n_features);
	if (names == NULL)
		return nomem(err);
	for (const cJSON *e = jn->child; e != NULL; e = e->next, i++)
	{
		if (!cJSON_IsString(e) || e->valuestring[0] == '\0')
		{
			free(names);
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: feature name %u is not a non-empty "
						   "string",
						   i);
		}
		names[i] = e->valuestring;
	}
	st = md_strtab_write(b, MD_SEC_FEATURE_NAMES, names, mh->n_features,
						 "feature names", err);
	free(names);
	return st;
}

/* Was the file written by XGBoost major.minor or later ("version": [3, 4, 1])? */
static bool
written_since(const cJSON *root, int major, int minor)
{
	const cJSON *v = md_json_member(root, "version");
	const cJSON *m = cJSON_IsArray(v) ? v->child : NULL;

	if (m == NULL || m->next == NULL || !cJSON_IsNumber(m) ||
		!cJSON_IsNumber(m->next))
		return false;
	return m->valuedouble > major ||
		(m->valuedouble == major && m->next->valuedouble >= minor);
}

md_status
md_parse_xgboost(const cJSON *root, const md_limits *limits, md_builder *b,
				 md_error *err)
{
	const cJSON *learner,
		*lmp,
		*booster;
	xgb_model_head head = {.limits = limits},
				   *mh;
	md_meta meta = {0};
	md_status st;

	if ((st = md_json_object(root, "learner", "the model", &learner, err)) != MD_OK ||
		(st = md_json_object(learner, "learner_model_param", "learner", &lmp, err)) != MD_OK ||
		(st = md_json_object(learner, "gradient_booster", "learner", &booster, err)) != MD_OK ||
		(st = read_objective(learner, &head, err)) != MD_OK ||
		(st = read_booster_kind(booster, &head, err)) != MD_OK ||
		(st = read_feature_count(lmp, &head, err)) != MD_OK ||
		(st = read_outputs(lmp, &head, err)) != MD_OK)
		return st;

	mh = malloc(sizeof(xgb_model_head) + sizeof(float) * head.n_outputs);
	if (mh == NULL)
		return nomem(err);
	*mh = head;
	mh->names_in_bytes = written_since(root, 3, 4);
	st = read_base_margin(lmp, mh, err);

	meta.format = MD_FORMAT_XGBOOST;
	meta.objective = mh->objective;
	meta.booster = mh->booster;
	meta.estimator = mh->booster == MD_BOOSTER_GBLINEAR ? MD_EST_LINEAR : MD_EST_FOREST;
	meta.n_features = mh->n_features;
	meta.n_outputs = mh->n_outputs;
	if (st == MD_OK)
	{
		md_builder_begin(b, MD_SEC_META);
		md_builder_put(b, &meta, sizeof(meta));
		md_builder_end(b);
		st = write_feature_names(learner, mh, b, err);
	}
	if (st == MD_OK)
		st = (meta.estimator == MD_EST_LINEAR)
			? parse_linear(booster, mh, b, err)
			: parse_forest(booster, mh, b, err);
	free(mh);
	return st;
}
