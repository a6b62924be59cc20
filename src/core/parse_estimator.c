/*-------------------------------------------------------------------------
 *
 * parse_estimator.c
 *	  Reading the "estimator" of a native model: a linear model, a tree
 *	  ensemble, a multilayer perceptron or k-means, written as the body of
 *	  the MD_SEC_NATIVE section.
 *
 * Trees arrive as scikit-learn writes them (parallel arrays, children -1 at
 * leaves) and are renumbered into breadth-first order, which is also the
 * proof that they are trees: a child out of range, a node reached twice, a
 * node with a single child, an unreachable node or a path deeper than the
 * limit is an error naming the tree and the node.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_native.h"
#include "vec.h"

/* Names in the order of their enums, from 1. */
static const char *const link_names[] = {"identity", "logistic", "softmax",
										 "exp", NULL};
static const char *const activation_names[] = {"identity", "relu", "tanh",
											   "logistic", NULL};

/* What every estimator reader gets. */
typedef struct est_reader
{
	const native_model *nm;
	md_native_header *h;
	md_builder *b;
	md_error *err;
} est_reader;

static md_status
read_link(est_reader *r, const cJSON *est)
{
	uint32_t link;
	md_status st = md_json_enum(est, "link", "estimator", link_names, &link,
								r->err);

	r->h->link = link + 1;
	return st;
}

/* An array of 'rows' arrays of 'cols' finite numbers, row-major. */
static md_status
read_matrix(est_reader *r, const cJSON *arr, const char *where, uint32_t rows,
			uint32_t cols, double **out)
{
	char path[MD_PATH_LEN];
	uint32_t i = 0;
	md_status st = md_json_expect_length(arr, where, rows, r->err);

	*out = malloc(sizeof(double) * ((size_t) rows * cols + 1));
	if (*out == NULL)
		return md_native_nomem(r->err);
	for (const cJSON *row = arr->child; st == MD_OK && row; row = row->next, i++)
	{
		md_path(path, "%s[%u]", where, i);
		if (!cJSON_IsArray(row))
			return md_fail(r->err, MD_ERR_MODEL,
						   "model JSON: %s should be an array", path);
		st = md_json_double_array(row, path, false, *out + (size_t) i * cols,
								  cols, r->err);
	}
	return st;
}

/* A member holding an array of 1 to 'max' elements. */
static md_status
counted_array(est_reader *r, const cJSON *obj, const char *key,
			  const char *where, uint32_t max, const char *setting,
			  const cJSON **out, uint32_t *n)
{
	md_status st = md_json_array(obj, key, where, out, r->err);

	if (st != MD_OK)
		return st;
	*n = (uint32_t) cJSON_GetArraySize(*out);
	if (*n == 0)
		return md_fail(r->err, MD_ERR_MODEL, "model JSON: %s.%s is empty",
					   where, key);
	if (*n > max)
		return md_native_limit(r->err, key, *n, max, setting);
	return MD_OK;
}

/* Append a body struct and patch it after its arrays have been written. */
static void
patch(md_builder *b, uint64_t at, const void *body, size_t size)
{
	if (md_builder_at(b, at) != NULL)
		memcpy(md_builder_at(b, at), body, size);
}

/* {"type": "linear", "coefficients": [[...]], "intercepts": [...], "link"} */
static md_status
parse_linear(est_reader *r, const cJSON *est)
{
	static const char *const keys[] = {"type", "coefficients", "intercepts",
									   "link", NULL};
	md_native_linear lin = {r->h->n_inputs, 0, 0, 0};
	const cJSON *coef,
		*icpt;
	double *w = NULL,
		   *b0 = NULL;
	uint64_t at;
	md_status st;

	if ((st = md_json_check_keys(est, "estimator", keys, r->err)) != MD_OK ||
		(st = read_link(r, est)) != MD_OK ||
		(st = counted_array(r, est, "intercepts", "estimator",
							r->nm->limits->max_classes, "max_classes", &icpt,
							&lin.n_outputs)) != MD_OK ||
		(st = md_json_array(est, "coefficients", "estimator", &coef,
							r->err)) != MD_OK)
		return st;
	b0 = malloc(sizeof(double) * lin.n_outputs);
	st = b0 ? md_json_double_array(icpt, "estimator.intercepts", false, b0,
								   lin.n_outputs, r->err)
			: md_native_nomem(r->err);
	if (st == MD_OK)
		st = read_matrix(r, coef, "estimator.coefficients", lin.n_outputs,
						 lin.n_inputs, &w);
	if (st == MD_OK)
	{
		at = md_builder_put(r->b, &lin, sizeof(lin));
		lin.coef_offset = md_builder_put(r->b, w, sizeof(double) * lin.n_outputs * lin.n_inputs);
		lin.intercept_offset = md_builder_put(r->b, b0, sizeof(double) * lin.n_outputs);
		patch(r->b, at, &lin, sizeof(lin));
		r->h->body_offset = at;
		r->h->n_outputs = lin.n_outputs;
		r->h->decision = MD_DECIDE_RAW;
	}
	free(w);
	free(b0);
	return st;
}

/* {"type": "kmeans", "centroids": [[...], ...]} */
static md_status
parse_kmeans(est_reader *r, const cJSON *est)
{
	static const char *const keys[] = {"type", "centroids", NULL};
	md_native_kmeans km = {0, r->h->n_inputs, 0};
	const cJSON *jc;
	double *c = NULL;
	uint64_t at;
	md_status st;

	if ((st = md_json_check_keys(est, "estimator", keys, r->err)) != MD_OK ||
		(st = counted_array(r, est, "centroids", "estimator",
							r->nm->limits->max_classes, "max_classes", &jc,
							&km.n_clusters)) != MD_OK)
		return st;
	st = read_matrix(r, jc, "estimator.centroids", km.n_clusters, km.n_inputs,
					 &c);
	if (st == MD_OK)
	{
		at = md_builder_put(r->b, &km, sizeof(km));
		km.centroids_offset = md_builder_put(r->b, c, sizeof(double) * km.n_clusters * km.n_inputs);
		patch(r->b, at, &km, sizeof(km));
		r->h->body_offset = at;
		r->h->n_outputs = km.n_clusters;
		r->h->link = MD_LINK_IDENTITY;
		r->h->decision = MD_DECIDE_NEAREST;
	}
	free(c);
	return st;
}

/* One dense layer read into 'layer' and its arrays. */
static md_status
read_layer(est_reader *r, const cJSON *jl, const char *where, bool last,
		   md_native_layer *layer, double **w, double **bias)
{
	static const char *const keys[] = {"weights", "biases", "activation", NULL};
	const cJSON *jw,
		*jb;
	char path[MD_PATH_LEN];
	uint32_t act = 0;
	md_status st;

	if (!cJSON_IsObject(jl))
		return md_fail(r->err, MD_ERR_MODEL,
					   "model JSON: %s should be an object", where);
	if ((st = md_json_check_keys(jl, where, keys, r->err)) != MD_OK ||
		(st = counted_array(r, jl, "biases", where,
							r->nm->limits->max_features, "max_features", &jb,
							&layer->n_out)) != MD_OK ||
		(st = md_json_array(jl, "weights", where, &jw, r->err)) != MD_OK)
		return st;
	if (last && md_json_member(jl, "activation") != NULL)
		return md_fail(r->err, MD_ERR_MODEL,
					   "model JSON: %s is the output layer: its activation "
					   "is the estimator's link",
					   where);
	if (!last && (st = md_json_enum(jl, "activation", where, activation_names, &act, r->err)) != MD_OK)
		return st;
	layer->activation = act + 1;
	*bias = malloc(sizeof(double) * layer->n_out);
	if (*bias == NULL)
		return md_native_nomem(r->err);
	md_path(path, "%s.biases", where);
	st = md_json_double_array(jb, path, false, *bias, layer->n_out, r->err);
	if (st != MD_OK)
		return st;
	md_path(path, "%s.weights", where);
	return read_matrix(r, jw, path, layer->n_out, layer->n_in, w);
}

/* {"type": "mlp", "layers": [...], "link": ...} */
static md_status
parse_mlp(est_reader *r, const cJSON *est)
{
	static const char *const keys[] = {"type", "layers", "link", NULL};
	md_native_mlp mlp = {0};
	md_native_layer *layers;
	const cJSON *jls,
		*jl;
	uint64_t at;
	md_status st;

	if ((st = md_json_check_keys(est, "estimator", keys, r->err)) != MD_OK ||
		(st = read_link(r, est)) != MD_OK ||
		(st = counted_array(r, est, "layers", "estimator",
							r->nm->limits->max_depth, "max_depth", &jls,
							&mlp.n_layers)) != MD_OK)
		return st;
	layers = calloc(mlp.n_layers, sizeof(md_native_layer));
	if (layers == NULL)
		return md_native_nomem(r->err);
	at = md_builder_put(r->b, &mlp, sizeof(mlp));
	mlp.layers_offset = md_builder_reserve(r->b, sizeof(md_native_layer) * mlp.n_layers);
	jl = jls->child;
	for (uint32_t i = 0; st == MD_OK && i < mlp.n_layers; i++, jl = jl->next)
	{
		double *w = NULL,
			   *bias = NULL;
		char where[MD_PATH_LEN];

		md_path(where, "estimator.layers[%u]", i);
		layers[i].n_in = i == 0 ? r->h->n_inputs : layers[i - 1].n_out;
		st = read_layer(r, jl, where, i + 1 == mlp.n_layers, &layers[i], &w,
						&bias);
		if (st == MD_OK)
		{
			size_t n = (size_t) layers[i].n_out * layers[i].n_in;

			layers[i].weights_offset = md_builder_put(r->b, w,
													  sizeof(double) * n);
			layers[i].bias_offset = md_builder_put(r->b, bias, sizeof(double) * layers[i].n_out);
			if (layers[i].n_out > mlp.max_width)
				mlp.max_width = layers[i].n_out;
		}
		free(w);
		free(bias);
	}
	if (st == MD_OK)
	{
		patch(r->b, at, &mlp, sizeof(mlp));
		patch(r->b, mlp.layers_offset, layers,
			  sizeof(md_native_layer) * mlp.n_layers);
		r->h->body_offset = at;
		r->h->n_outputs = layers[mlp.n_layers - 1].n_out;
		r->h->decision = MD_DECIDE_PROBA;
	}
	free(layers);
	return st;
}

/* --- tree ensembles ----------------------------------------------------- */

typedef struct forest_builder
{
	md_native_forest f;
	vec trees;			/* md_native_tree */
	vec nodes;			/* md_native_node */
	vec values;			/* double */
	vec words;			/* uint32_t: category bitsets */
	const cJSON *known; /* "known_categories", or NULL */
	int missing;		/* trees with missing_go_to_left: -1 unknown */
} forest_builder;

/* One tree's arrays as the JSON has them. */
typedef struct raw_nodes
{
	uint64_t n;
	int64_t *left;
	int64_t *right;
	int64_t *feature;
	double *threshold;
	double *value;		   /* n * width */
	uint8_t *missing_left; /* NULL without "missing_go_to_left" */
	const cJSON *cats;	   /* "categories_left", or NULL */
	uint64_t *order;	   /* breadth-first position -> node */
	uint64_t *child;	   /* breadth-first position -> left child's */
	uint32_t depth;
} raw_nodes;

static void
raw_nodes_free(raw_nodes *t)
{
	free(t->left);
	free(t->right);
	free(t->feature);
	free(t->threshold);
	free(t->value);
	free(t->missing_left);
	free(t->order);
	free(t->child);
}

/*
 * Breadth-first order of the tree from its root; fails unless every node is
 * reached exactly once, through a parent with two children.
 */
static md_status
order_nodes(est_reader *r, raw_nodes *t, const char *where)
{
	uint32_t *depth = malloc(sizeof(uint32_t) * t->n);
	uint8_t *seen = calloc(t->n, 1);
	uint64_t queued = 1;
	md_status st = MD_OK;

	if (depth == NULL || seen == NULL)
		st = md_native_nomem(r->err);
	else
	{
		t->order[0] = 0;
		depth[0] = 0;
		seen[0] = 1;
	}
	for (uint64_t i = 0; st == MD_OK && i < queued; i++)
	{
		int64_t old = (int64_t) t->order[i];
		int64_t kids[2] = {t->left[old], t->right[old]};

		t->child[i] = 0;
		if (kids[0] < 0 && kids[1] < 0)
			continue;
		if (kids[0] < 0 || kids[1] < 0)
			st = md_fail(r->err, MD_ERR_MODEL,
						 "model JSON: %s node %lld has only one child", where,
						 (long long) old);
		else if (depth[i] + 1 > r->nm->limits->max_depth)
		{
			st = md_fail(r->err, MD_ERR_LIMIT,
						 "%s is deeper than the limit of %u levels", where,
						 r->nm->limits->max_depth);
			md_hint(r->err, "Raise model_deploy.max_depth if the model is "
							"genuine.");
		}
		t->child[i] = queued;
		for (int side = 0; st == MD_OK && side < 2; side++)
		{
			if (seen[kids[side]])
				st = md_fail(r->err, MD_ERR_MODEL,
							 "model JSON: %s is not a tree: node %lld is "
							 "reached twice (from node %lld)",
							 where,
							 (long long) kids[side], (long long) old);
			seen[kids[side]] = 1;
			depth[queued] = depth[i] + 1;
			t->order[queued++] = (uint64_t) kids[side];
			if (depth[i] + 1 > t->depth)
				t->depth = depth[i] + 1;
		}
	}
	for (uint64_t i = 0; st == MD_OK && i < t->n; i++)
		if (!seen[i])
			st = md_fail(r->err, MD_ERR_MODEL,
						 "model JSON: %s node %llu cannot be reached from "
						 "the root",
						 where, (unsigned long long) i);
	free(depth);
	free(seen);
	return st;
}

/* "value": a number (or null) per node, or an array of 'width' per node. */
static md_status
read_values(est_reader *r, const cJSON *jv, const char *where, raw_nodes *t,
			uint32_t width)
{
	char path[MD_PATH_LEN];
	uint64_t i = 0;
	md_status st = md_json_expect_length(jv, where, t->n, r->err);

	for (const cJSON *e = jv->child; st == MD_OK && e; e = e->next, i++)
	{
		md_path(path, "%s[%llu]", where, (unsigned long long) i);
		if (cJSON_IsNull(e))
			for (uint32_t k = 0; k < width; k++)
				t->value[i * width + k] = NAN;
		else if (width == 1 && cJSON_IsNumber(e))
			t->value[i] = e->valuedouble;
		else if (width > 1 && cJSON_IsArray(e))
			st = md_json_double_array(e, path, false, t->value + i * width,
									  width, r->err);
		else
			st = md_fail(r->err, MD_ERR_MODEL,
						 "model JSON: %s should be %s", path,
						 width == 1 ? "a number" : "an array of n_outputs numbers");
	}
	return st;
}

/* Read the parallel arrays of one tree. */
static md_status
read_tree_arrays(est_reader *r, const cJSON *jt, const char *where,
				 raw_nodes *t, uint32_t width)
{
	const cJSON *a;
	char path[MD_PATH_LEN];
	md_status st;

	if ((st = md_json_array(jt, "children_left", where, &a, r->err)) != MD_OK)
		return st;
	t->n = (uint64_t) cJSON_GetArraySize(a);
	if (t->n == 0)
		return md_fail(r->err, MD_ERR_MODEL, "model JSON: %s has no nodes",
					   where);
	if (t->n > r->nm->limits->max_nodes_per_tree)
		return md_native_limit(r->err, "nodes in one tree", t->n,
							   r->nm->limits->max_nodes_per_tree,
							   "max_nodes_per_tree");
	t->left = malloc(sizeof(int64_t) * t->n);
	t->right = malloc(sizeof(int64_t) * t->n);
	t->feature = malloc(sizeof(int64_t) * t->n);
	t->threshold = malloc(sizeof(double) * t->n);
	t->value = malloc(sizeof(double) * t->n * width);
	t->order = malloc(sizeof(uint64_t) * t->n);
	t->child = malloc(sizeof(uint64_t) * t->n);
	if (!t->left || !t->right || !t->feature || !t->threshold || !t->value ||
		!t->order || !t->child)
		return md_native_nomem(r->err);

#define READ(key, call) \
	do \
	{ \
		md_path(path, "%s.%s", where, key); \
		if ((st = md_json_array(jt, key, where, &a, r->err)) != MD_OK || \
			(st = (call)) != MD_OK) \
			return st; \
	} while (0)

	READ("children_left", md_json_int_array(a, path, -1, (int64_t) t->n - 1, t->left, t->n, r->err));
	READ("children_right", md_json_int_array(a, path, -1, (int64_t) t->n - 1, t->right, t->n, r->err));
	READ("feature", md_json_int_array(a, path, -2, (int64_t) r->h->n_inputs - 1, t->feature, t->n, r->err));
	READ("threshold", md_json_double_array(a, path, true, t->threshold, t->n, r->err));
	READ("value", read_values(r, a, path, t, width));
#undef READ
	if (md_json_member(jt, "missing_go_to_left") != NULL)
	{
		md_path(path, "%s.missing_go_to_left", where);
		t->missing_left = malloc(t->n);
		if (t->missing_left == NULL)
			return md_native_nomem(r->err);
		if ((st = md_json_array(jt, "missing_go_to_left", where, &a,
								r->err)) != MD_OK ||
			(st = md_json_bool_array(a, path, t->missing_left, t->n,
									 r->err)) != MD_OK)
			return st;
	}
	if (md_json_member(jt, "categories_left") != NULL)
	{
		md_path(path, "%s.categories_left", where);
		if ((st = md_json_array(jt, "categories_left", where, &t->cats,
								r->err)) != MD_OK ||
			(st = md_json_expect_length(t->cats, path, t->n, r->err)) != MD_OK)
			return st;
	}
	return MD_OK;
}

/* A category list: non-negative integers up to the feature limit. */
typedef struct cat_list
{
	int64_t *cats;
	uint64_t n;
	uint32_t n_words; /* bitset words its largest category needs */
} cat_list;

static md_status
read_cat_list(est_reader *r, const cJSON *arr, const char *where,
			  cat_list *out)
{
	md_status st;

	out->n = (uint64_t) cJSON_GetArraySize(arr);
	out->n_words = 1;
	out->cats = malloc(sizeof(int64_t) * (out->n + 1));
	if (out->cats == NULL)
		return md_native_nomem(r->err);
	st = md_json_int_array(arr, where, 0, r->nm->limits->max_features - 1,
						   out->cats, out->n, r->err);
	for (uint64_t i = 0; st == MD_OK && i < out->n; i++)
		if (out->cats[i] / 32 + 1 > out->n_words)
			out->n_words = (uint32_t) (out->cats[i] / 32 + 1);
	return st;
}

/* Append the bitset of 'list', n_words wide, to the forest's words. */
static bool
put_bitset(forest_builder *fb, const cat_list *list, uint32_t n_words)
{
	uint32_t *w;

	if (!vec_reserve(&fb->words, n_words))
		return false;
	w = (uint32_t *) fb->words.data + fb->words.len;
	memset(w, 0, sizeof(uint32_t) * n_words);
	for (uint64_t i = 0; i < list->n; i++)
		w[list->cats[i] / 32] |= UINT32_C(1) << (list->cats[i] % 32);
	fb->words.len += n_words;
	return true;
}

/*
 * A categorical split of node 'old' of the JSON: its left set and, when
 * the estimator lists its input's known categories, the known set, both
 * as wide as the larger needs.
 */
static md_status
add_categorical(est_reader *r, forest_builder *fb, const raw_nodes *t,
				uint64_t old, md_native_node *node, const char *where)
{
	const cJSON *jleft = cJSON_GetArrayItem(t->cats, (int) old);
	const cJSON *jknown = fb->known
		? cJSON_GetArrayItem(fb->known, (int) node->feature)
		: NULL;
	cat_list left = {0},
			 known = {0};
	char path[MD_PATH_LEN];
	md_status st = MD_OK;

	md_path(path, "%s.categories_left[%llu]", where, (unsigned long long) old);
	if (!cJSON_IsArray(jleft))
		return md_fail(r->err, MD_ERR_MODEL,
					   "model JSON: %s should be an array of categories",
					   path);
	st = read_cat_list(r, jleft, path, &left);
	if (st == MD_OK && cJSON_IsArray(jknown))
	{
		md_path(path, "estimator.known_categories[%u]", node->feature);
		st = read_cat_list(r, jknown, path, &known);
		node->flags |= MD_NODE_KNOWN;
	}
	node->flags |= MD_NODE_CATEGORICAL;
	node->n_words = left.n_words > known.n_words ? left.n_words
												 : known.n_words;
	node->value = fb->words.len;
	if (st == MD_OK &&
		(!put_bitset(fb, &left, node->n_words) ||
		 ((node->flags & MD_NODE_KNOWN) &&
		  !put_bitset(fb, &known, node->n_words))))
		st = md_native_nomem(r->err);
	free(left.cats);
	free(known.cats);
	return st;
}

/* Append the tree's nodes and leaf values in breadth-first order. */
static md_status
add_nodes(est_reader *r, forest_builder *fb, const raw_nodes *t,
		  uint32_t width, const char *where)
{
	if (!vec_reserve(&fb->nodes, t->n) || !vec_reserve(&fb->values, t->n * width))
		return md_native_nomem(r->err);
	for (uint64_t i = 0; i < t->n; i++)
	{
		uint64_t old = t->order[i];
		md_native_node *node = (md_native_node *) fb->nodes.data + fb->nodes.len + i;

		memset(node, 0, sizeof(*node));
		if (t->child[i] != 0)
		{
			bool categorical = t->cats != NULL &&
				!cJSON_IsNull(cJSON_GetArrayItem(t->cats, (int) old));
			md_status st = MD_OK;

			if (t->feature[old] < 0 ||
				(!categorical && !isfinite(t->threshold[old])))
				return md_fail(r->err, MD_ERR_MODEL,
							   "model JSON: %s node %llu splits without a "
							   "feature and a finite threshold",
							   where,
							   (unsigned long long) old);
			node->feature = (uint32_t) t->feature[old];
			node->threshold = categorical ? 0.0 : t->threshold[old];
			node->left = (uint32_t) t->child[i];
			if (t->missing_left != NULL && t->missing_left[old])
				node->flags |= MD_NODE_MISSING_LEFT;
			if (categorical)
				st = add_categorical(r, fb, t, old, node, where);
			if (st != MD_OK)
				return st;
			continue;
		}
		node->value = fb->values.len;
		for (uint32_t k = 0; k < width; k++)
		{
			double v = t->value[old * width + k];

			if (!isfinite(v))
				return md_fail(r->err, MD_ERR_MODEL,
							   "model JSON: %s leaf %llu has no finite value",
							   where, (unsigned long long) old);
			((double *) fb->values.data)[fb->values.len++] = v;
		}
	}
	fb->nodes.len += t->n;
	return MD_OK;
}

/* One tree: "output" (scalar leaves) or vector leaves of n_outputs. */
static md_status
add_tree(est_reader *r, forest_builder *fb, const cJSON *jt, uint32_t tree_no)
{
	static const char *const keys[] = {"children_left", "children_right",
									   "feature", "threshold", "value", "output", "missing_go_to_left",
									   "categories_left", NULL};
	const cJSON *jout = md_json_member(jt, "output");
	md_native_tree tree = {.first_node = fb->nodes.len};
	raw_nodes t = {0};
	uint64_t output = 0;
	char where[MD_PATH_LEN];
	md_status st;

	md_path(where, "estimator.trees[%u]", tree_no);
	if (!cJSON_IsObject(jt))
		return md_fail(r->err, MD_ERR_MODEL,
					   "model JSON: %s should be an object", where);
	if ((st = md_json_check_keys(jt, where, keys, r->err)) != MD_OK ||
		(jout != NULL && (st = md_json_uint(jt, "output", where, fb->f.n_outputs - 1, &output, r->err)) != MD_OK))
		return st;
	tree.output = (uint32_t) output;
	tree.width = (jout != NULL || fb->f.n_outputs == 1) ? 1 : fb->f.n_outputs;
	st = read_tree_arrays(r, jt, where, &t, tree.width);
	if (st == MD_OK && fb->missing >= 0 &&
		fb->missing != (t.missing_left != NULL))
		st = md_fail(r->err, MD_ERR_MODEL,
					 "model JSON: %s %s missing_go_to_left, tree 0 %s: "
					 "either every tree has it or none",
					 where,
					 t.missing_left ? "has" : "lacks",
					 fb->missing ? "has it" : "does not");
	fb->missing = t.missing_left != NULL;
	if (st == MD_OK)
		st = order_nodes(r, &t, where);
	if (st == MD_OK)
		st = add_nodes(r, fb, &t, tree.width, where);
	tree.n_nodes = (uint32_t) t.n;
	tree.max_depth = t.depth;
	if (t.depth > fb->f.max_depth)
		fb->f.max_depth = t.depth;
	raw_nodes_free(&t);
	if (st == MD_OK && !vec_reserve(&fb->trees, 1))
		st = md_native_nomem(r->err);
	if (st == MD_OK)
		((md_native_tree *) fb->trees.data)[fb->trees.len++] = tree;
	return st;
}

/* learning_rate and init: boosting only (a mean has neither). */
static md_status
read_boosting(est_reader *r, const cJSON *est, forest_builder *fb,
			  double *init)
{
	const cJSON *lr = md_json_member(est, "learning_rate");
	const cJSON *ji = md_json_member(est, "init");
	md_status st = MD_OK;

	fb->f.learning_rate = 1.0;
	for (uint32_t k = 0; k < fb->f.n_outputs; k++)
		init[k] = 0.0;
	if (fb->f.aggregation == MD_AGG_MEAN && (lr != NULL || ji != NULL))
		return md_fail(r->err, MD_ERR_MODEL,
					   "model JSON: estimator: learning_rate and init apply "
					   "to aggregation \"sum\" only");
	if (lr != NULL)
		st = md_json_real(lr, "estimator.learning_rate", &fb->f.learning_rate,
						  r->err);
	if (st == MD_OK && ji != NULL)
		st = cJSON_IsArray(ji)
			? md_json_double_array(ji, "estimator.init", false, init,
								   fb->f.n_outputs, r->err)
			: md_fail(r->err, MD_ERR_MODEL,
					  "model JSON: estimator.init should be an array");
	return st;
}

static void
write_forest(est_reader *r, forest_builder *fb, const double *init)
{
	uint64_t at = md_builder_put(r->b, &fb->f, sizeof(fb->f));

	fb->f.n_trees = (uint32_t) fb->trees.len;
	fb->f.n_nodes = fb->nodes.len;
	fb->f.n_values = fb->values.len;
	fb->f.init_offset = md_builder_put(r->b, init,
									   sizeof(double) * fb->f.n_outputs);
	fb->f.trees_offset = md_builder_put(r->b, fb->trees.data,
										sizeof(md_native_tree) * fb->trees.len);
	fb->f.nodes_offset = md_builder_put(r->b, fb->nodes.data,
										sizeof(md_native_node) * fb->nodes.len);
	fb->f.values_offset = md_builder_put(r->b, fb->values.data,
										 sizeof(double) * fb->values.len);
	fb->f.n_words = fb->words.len;
	fb->f.words_offset = md_builder_put(r->b, fb->words.data,
										sizeof(uint32_t) * fb->words.len);
	if (fb->missing == 1)
		fb->f.flags |= MD_FOREST_MISSING;
	patch(r->b, at, &fb->f, sizeof(fb->f));
	r->h->body_offset = at;
	r->h->n_outputs = fb->f.n_outputs;
	r->h->decision = MD_DECIDE_PROBA;
}

/*
 * "compare": "float32" (the default: scikit-learn's trees) or "float64"
 * (HistGradientBoosting); "known_categories": null or the categories of
 * each estimator input that its categorical splits know.
 */
static md_status
read_split_rules(est_reader *r, const cJSON *est, forest_builder *fb)
{
	static const char *const compares[] = {"float32", "float64", NULL};
	uint32_t compare = 0;
	md_status st = MD_OK;

	if (md_json_member(est, "compare") != NULL &&
		(st = md_json_enum(est, "compare", "estimator", compares, &compare,
						   r->err)) != MD_OK)
		return st;
	if (compare == 1)
		fb->f.flags |= MD_FOREST_DOUBLE;
	if (md_json_member(est, "known_categories") == NULL)
		return MD_OK;
	if ((st = md_json_array(est, "known_categories", "estimator", &fb->known,
							r->err)) != MD_OK ||
		(st = md_json_expect_length(fb->known, "estimator.known_categories",
									r->h->n_inputs, r->err)) != MD_OK)
		return st;
	for (const cJSON *e = fb->known->child; e; e = e->next)
		if (!cJSON_IsNull(e) && !cJSON_IsArray(e))
			return md_fail(r->err, MD_ERR_MODEL,
						   "model JSON: estimator.known_categories should "
						   "hold null or an array of categories per input");
	return MD_OK;
}

/* {"type": "trees", "aggregation", "n_outputs", "trees": [...], ...} */
static md_status
parse_trees(est_reader *r, const cJSON *est)
{
	static const char *const keys[] = {"type", "aggregation", "n_outputs",
									   "learning_rate", "init", "link", "trees", "compare", "known_categories",
									   NULL};
	static const char *const aggregations[] = {"sum", "mean", NULL};
	forest_builder fb = {
		.trees = {.elem = sizeof(md_native_tree)},
		.nodes = {.elem = sizeof(md_native_node)},
		.values = {.elem = sizeof(double)},
		.words = {.elem = sizeof(uint32_t)},
		.missing = -1,
	};
	const cJSON *jtrees;
	double *init = NULL;
	uint64_t n_outputs;
	uint32_t n_trees,
		agg,
		t = 0;
	md_status st;

	if ((st = md_json_check_keys(est, "estimator", keys, r->err)) != MD_OK ||
		(st = read_link(r, est)) != MD_OK ||
		(st = md_json_enum(est, "aggregation", "estimator", aggregations, &agg,
						   r->err)) != MD_OK ||
		(st = md_json_uint(est, "n_outputs", "estimator",
						   r->nm->limits->max_classes, &n_outputs,
						   r->err)) != MD_OK ||
		(st = counted_array(r, est, "trees", "estimator",
							r->nm->limits->max_trees, "max_trees", &jtrees,
							&n_trees)) != MD_OK)
		return st;
	if (n_outputs == 0)
		return md_fail(r->err, MD_ERR_MODEL,
					   "model JSON: estimator.n_outputs is 0");
	fb.f.aggregation = agg + 1;
	fb.f.n_outputs = (uint32_t) n_outputs;
	st = read_split_rules(r, est, &fb);
	if (st != MD_OK)
		return st;
	init = malloc(sizeof(double) * n_outputs);
	st = init ? read_boosting(r, est, &fb, init) : md_native_nomem(r->err);
	for (const cJSON *jt = jtrees->child; st == MD_OK && jt; jt = jt->next, t++)
		st = add_tree(r, &fb, jt, t);
	if (st == MD_OK)
		write_forest(r, &fb, init);
	free(init);
	free(fb.trees.data);
	free(fb.nodes.data);
	free(fb.values.data);
	free(fb.words.data);
	return st;
}

md_status
md_parse_estimator(const cJSON *est, const native_model *nm,
				   md_native_header *h, md_builder *b, md_error *err)
{
	static const char *const types[] = {"linear", "trees", "mlp", "kmeans",
										NULL};
	est_reader r = {nm, h, b, err};
	uint32_t type;
	uint64_t at;
	md_status st;

	if ((st = md_json_enum(est, "type", "estimator", types, &type, err)) != MD_OK)
		return st;
	h->kind = type + 1;
	md_builder_begin(b, MD_SEC_NATIVE);
	at = md_builder_put(b, h, sizeof(*h));
	switch (h->kind)
	{
		case MD_NATIVE_LINEAR:
			st = parse_linear(&r, est);
			break;
		case MD_NATIVE_TREES:
			st = parse_trees(&r, est);
			break;
		case MD_NATIVE_MLP:
			st = parse_mlp(&r, est);
			break;
		default:
			st = parse_kmeans(&r, est);
			break;
	}
	patch(b, at, h, sizeof(*h));
	md_builder_end(b);
	return st;
}

const char *
md_link_name(uint32_t link)
{
	return link >= 1 && link < MD_LINK__END ? link_names[link - 1] : "?";
}
