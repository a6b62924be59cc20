/*-------------------------------------------------------------------------
 *
 * onnx_trees_v5.c
 *	  TreeEnsemble (ai.onnx.ml opset 5) as the arrays of opset 3.
 *
 * Opset 5 lists nodes by index, with tree_roots, true/false children that
 * are node or leaf indices (nodes_trueleafs, nodes_falseleafs), modes and
 * splits as tensors, and BRANCH_MEMBER sets in membership_values
 * (NaN-separated, in the order of the MEMBER nodes).  ONNX Runtime scores
 * it by converting it to opset 3 (TreeEnsembleAttributesV5::convert_to_v3):
 * each tree from its root in pre-order, true branch first, node ids
 * counted from 0 per tree, a MEMBER node unrolled into a chain of
 * BRANCH_EQ nodes (true: the member's subtree; false: the next member,
 * after the last the false subtree); a single-leaf tree is a root whose
 * two branches lead to the same leaf.  This does the same,
 * iteratively and within the limits (a shared subtree is copied where it
 * is reached, as there), so the trees and their order of summation are
 * ONNX Runtime's.  n_targets outputs (1 up to max_classes), each leaf
 * weighing on the target leaf_targetids names; what ONNX Runtime refuses
 * is refused (n_targets below 1, a target id outside [0, n_targets),
 * MEMBER sets of other than integers).  post_transform is read as ONNX
 * Runtime 1.31 reads it, by its own enum (0 NONE, 1 LOGISTIC, 2 SOFTMAX,
 * 3 SOFTMAX_ZERO, 4 PROBIT), not the operator's text (1 SOFTMAX, 2
 * LOGISTIC): measured with several targets, where a transform shows.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"

/* The opset-5 attributes. */
typedef struct v5_attrs
{
	const int64_t *roots;
	size_t n_roots;
	size_t n; /* nodes */
	const int64_t *feature;
	const int64_t *yes;
	const int64_t *no;
	const int64_t *yes_leaf;
	const int64_t *no_leaf;
	const int64_t *missing;
	size_t n_missing;
	int64_t *modes;
	double *splits;
	size_t n_leaves;
	const int64_t *leaf_target;
	double *leaf_weight;
	double *members;
	size_t n_members;
	size_t *member_start; /* per node: first value, count */
	size_t *member_count;
} v5_attrs;

/* What is left to expand: a node or leaf, reached from a parent's branch */
typedef struct frame
{
	size_t src;
	bool leaf;
	bool is_false;
	uint32_t member; /* MEMBER: which value this EQ tests */
	uint32_t depth;
	int64_t parent; /* output index, or -1 */
} frame;

/* Growing output arrays (the opset-3 form). */
typedef struct v3_out
{
	size_t n;
	size_t cap;
	int64_t *tree;
	int64_t *node;
	int64_t *feature;
	int64_t *yes;
	int64_t *no;
	int64_t *missing;
	uint8_t *mode;
	double *value;
	size_t nw;
	int64_t *w_tree;
	int64_t *w_node;
	int64_t *w_out;
	double *w_value;
} v3_out;

#define V5_MAX_NODES (1u << 24)

static md_status
v5_bad(md_error *err, const char *what)
{
	return md_fail(err, MD_ERR_MODEL, "ONNX TreeEnsemble: %s", what);
}

static bool
grow_out(v3_out *o)
{
	size_t cap = o->cap ? o->cap * 2 : 256;
	void *p[12];

	p[0] = realloc(o->tree, cap * sizeof(int64_t));
	if (p[0])
		o->tree = p[0];
	p[1] = realloc(o->node, cap * sizeof(int64_t));
	if (p[1])
		o->node = p[1];
	p[2] = realloc(o->feature, cap * sizeof(int64_t));
	if (p[2])
		o->feature = p[2];
	p[3] = realloc(o->yes, cap * sizeof(int64_t));
	if (p[3])
		o->yes = p[3];
	p[4] = realloc(o->no, cap * sizeof(int64_t));
	if (p[4])
		o->no = p[4];
	p[5] = realloc(o->missing, cap * sizeof(int64_t));
	if (p[5])
		o->missing = p[5];
	p[6] = realloc(o->mode, cap);
	if (p[6])
		o->mode = p[6];
	p[7] = realloc(o->value, cap * sizeof(double));
	if (p[7])
		o->value = p[7];
	p[8] = realloc(o->w_tree, cap * sizeof(int64_t));
	if (p[8])
		o->w_tree = p[8];
	p[9] = realloc(o->w_node, cap * sizeof(int64_t));
	if (p[9])
		o->w_node = p[9];
	p[10] = realloc(o->w_out, cap * sizeof(int64_t));
	if (p[10])
		o->w_out = p[10];
	p[11] = realloc(o->w_value, cap * sizeof(double));
	if (p[11])
		o->w_value = p[11];
	for (int k = 0; k < 12; k++)
		if (p[k] == NULL)
			return false;
	o->cap = cap;
	return true;
}

/* opset 5's mode numbers: 0 LEQ, 1 LT, 2 GTE, 3 GT, 4 EQ, 5 NEQ, 6 MEMBER */
#define V5_MEMBER 6

static uint8_t
v3_mode(int64_t m)
{
	static const uint8_t map[] = {MD_DOP_LEQ, MD_DOP_LT, MD_DOP_GTE,
								  MD_DOP_GT, MD_DOP_EQ, MD_DOP_NEQ, MD_DOP_EQ};

	return map[m];
}

/* Emit one node or leaf; push what it leads to. */
static md_status
expand_one(const v5_attrs *v, v3_out *o, frame f, int64_t tree,
		   int64_t id, frame *stack, size_t *sp, const md_limits *limits,
		   md_error *err)
{
	size_t i = o->n++;

	o->tree[i] = tree;
	o->node[i] = id;
	o->feature[i] = o->yes[i] = o->no[i] = o->missing[i] = 0;
	o->value[i] = 0.0;
	if (f.parent >= 0)
		(f.is_false ? o->no : o->yes)[f.parent] = id;
	if (f.leaf)
	{
		if (f.src >= v->n_leaves)
			return v5_bad(err, "a leaf index is out of range");
		o->mode[i] = MD_OMODE_LEAF;
		o->w_tree[o->nw] = tree;
		o->w_node[o->nw] = id;
		o->w_out[o->nw] = v->leaf_target[f.src];
		o->w_value[o->nw++] = v->leaf_weight[f.src];
		return MD_OK;
	}
	if (f.depth >= limits->max_depth)
		return md_fail_limit(err, "an ONNX tree is more than", f.depth,
							 "levels deep", limits->max_depth, "max_depth");
	o->feature[i] = v->feature[f.src];
	o->missing[i] = f.src < v->n_missing ? v->missing[f.src] : 0;
	o->mode[i] = v3_mode(v->modes[f.src]);
	o->value[i] = v->modes[f.src] == V5_MEMBER ? v->members[v->member_start[f.src] + f.member] : v->splits[f.src];
	/* the false branch waits under the true one: pre-order, true first */
	if (v->modes[f.src] == V5_MEMBER && f.member + 1 < v->member_count[f.src])
		stack[(*sp)++] = (frame){f.src, false, true, f.member + 1,
								 f.depth + 1, (int64_t) i};
	else
		stack[(*sp)++] = (frame){(size_t) v->no[f.src],
								 v->no_leaf[f.src] != 0, true, 0, f.depth + 1, (int64_t) i};
	stack[(*sp)++] = (frame){(size_t) v->yes[f.src], v->yes_leaf[f.src] != 0,
							 false, 0, f.depth + 1, (int64_t) i};
	return MD_OK;
}

/* Every tree, from its root, into the opset-3 arrays. */
static md_status
expand(const v5_attrs *v, v3_out *o, const md_limits *limits, md_error *err)
{
	frame *stack = malloc(sizeof(frame) * (2 * (size_t) limits->max_depth + 4));
	md_status st = MD_OK;

	if (stack == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading ONNX");
	for (size_t t = 0; st == MD_OK && t < v->n_roots; t++)
	{
		size_t root = (size_t) v->roots[t];
		size_t sp = 0;
		int64_t id = 0;

		stack[sp++] = (frame){root, false, false, 0, 0, -1};
		while (st == MD_OK && sp > 0)
		{
			if (o->n == o->cap && (o->n >= V5_MAX_NODES || !grow_out(o)))
				st = md_fail(err, MD_ERR_LIMIT, "ONNX TreeEnsemble: the "
												"trees unrolled as ONNX Runtime reads them have "
												"more than %u nodes",
							 V5_MAX_NODES);
			else if (id >= (int64_t) limits->max_nodes_per_tree)
				st = md_fail_limit(err, "an ONNX tree has more than", id,
								   "nodes", limits->max_nodes_per_tree,
								   "max_nodes_per_tree");
			else
			{
				frame f = stack[--sp];

				st = expand_one(v, o, f, (int64_t) t, id++, stack, &sp,
								limits, err);
			}
		}
	}
	free(stack);
	return st;
}

/* MEMBER nodes' sets: NaN-separated runs, in node order. */
static md_status
split_members(v5_attrs *v, md_error *err)
{
	size_t at = 0;

	v->member_start = calloc(v->n ? v->n : 1, sizeof(size_t));
	v->member_count = calloc(v->n ? v->n : 1, sizeof(size_t));
	if (v->member_start == NULL || v->member_count == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading ONNX");
	for (size_t i = 0; i < v->n; i++)
	{
		if (v->modes[i] != V5_MEMBER)
			continue;
		v->member_start[i] = at;
		while (at < v->n_members && !isnan(v->members[at]))
			at++;
		v->member_count[i] = at - v->member_start[i];
		at++;
		if (v->member_count[i] == 0)
			return v5_bad(err, "a BRANCH_MEMBER node has an empty set");
		for (size_t k = v->member_start[i]; k < at - 1; k++)
			if (!(v->members[k] >= INT32_MIN && v->members[k] <= INT32_MAX) ||
				v->members[k] != (double) (int32_t) v->members[k])
				return md_fail(err, MD_ERR_UNSUPPORTED,
							   "ONNX TreeEnsemble: BRANCH_MEMBER value %g is "
							   "not an integer (ONNX Runtime refuses it too)",
							   v->members[k]);
	}
	return MD_OK;
}

/* Lengths, indices, modes and target ids of the opset-5 arrays. */
static md_status
check_v5(const v5_attrs *v, uint32_t n_targets, md_error *err)
{
	for (size_t t = 0; t < v->n_roots; t++)
		if (v->roots[t] < 0 || (uint64_t) v->roots[t] >= v->n)
			return v5_bad(err, "a tree root is out of range");
	for (size_t i = 0; i < v->n; i++)
	{
		uint64_t yes_max = v->yes_leaf[i] ? v->n_leaves : v->n;
		uint64_t no_max = v->no_leaf[i] ? v->n_leaves : v->n;

		if (v->modes[i] < 0 || v->modes[i] > V5_MEMBER)
			return md_fail(err, MD_ERR_UNSUPPORTED, "ONNX TreeEnsemble: node "
													"mode %lld is not supported",
						   (long long) v->modes[i]);
		if (v->yes[i] < 0 || (uint64_t) v->yes[i] >= yes_max ||
			v->no[i] < 0 || (uint64_t) v->no[i] >= no_max)
			return v5_bad(err, "a child index is out of range");
		if (v->modes[i] != V5_MEMBER && isnan(v->splits[i]))
			return v5_bad(err, "a split value is NaN");
	}
	for (size_t l = 0; l < v->n_leaves; l++)
	{
		if (isnan(v->leaf_weight[l]))
			return v5_bad(err, "a leaf weight is NaN");
		if (v->leaf_target[l] < 0 || v->leaf_target[l] >= n_targets)
			return md_fail(err, MD_ERR_MODEL, "ONNX TreeEnsemble: leaf %zu "
											  "is for target %lld, and n_targets is %u",
						   l,
						   (long long) v->leaf_target[l], n_targets);
	}
	return MD_OK;
}

/* The int attributes naming the aggregate, the transform and the targets */
static md_status
read_shape_v5(const Onnx__NodeProto *node, const md_limits *limits,
			  md_otrees_header *h, md_error *err)
{
	static const uint32_t aggs[] = {MD_OAGG_AVERAGE, MD_OAGG_SUM, MD_OAGG_MIN,
									MD_OAGG_MAX};
	/* ONNX Runtime's POST_EVAL_TRANSFORM numbers (see the file's header) */
	static const uint32_t posts[] = {MD_OPOST_NONE, MD_OPOST_LOGISTIC,
									 MD_OPOST_SOFTMAX, MD_OPOST_SOFTMAX_ZERO,
									 MD_OPOST_PROBIT};
	int64_t agg;
	int64_t post;
	int64_t n_targets;
	md_status st = md_onnx_int(node, "aggregate_function", 1, &agg, err);

	if (st == MD_OK)
		st = md_onnx_int(node, "post_transform", 0, &post, err);
	if (st == MD_OK)
		st = md_onnx_int(node, "n_targets", 0, &n_targets, err);
	if (st != MD_OK)
		return st;
	if (agg < 0 || agg > 3 || post < 0 || post > 4)
		return v5_bad(err, "aggregate_function or post_transform is out of "
						   "range");
	if (n_targets < 1)
		return md_fail(err, MD_ERR_MODEL, "ONNX TreeEnsemble with n_targets "
										  "= %lld: one target or more is needed",
					   (long long) n_targets);
	if (n_targets > limits->max_classes)
		return md_fail_limit(err, "the ONNX TreeEnsemble has", n_targets,
							 "targets", limits->max_classes, "max_classes");
	h->aggregate = aggs[agg];
	h->post_transform = posts[post];
	h->n_outputs = (uint32_t) n_targets;
	h->task = MD_TASK_REGRESSION;
	return MD_OK;
}

static md_status
read_v5(const Onnx__NodeProto *node, bool is_double, v5_attrs *v,
		md_error *err)
{
	size_t n[6];
	size_t n_modes;
	size_t n_splits;
	size_t n_weights;
	bool dbl[3] = {is_double, is_double, is_double};
	md_status st;

	st = md_onnx_ints(node, "tree_roots", &v->roots, &v->n_roots, err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_featureids", &v->feature, &v->n, err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_truenodeids", &v->yes, &n[0], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_falsenodeids", &v->no, &n[1], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_trueleafs", &v->yes_leaf, &n[2], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_falseleafs", &v->no_leaf, &n[3], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_missing_value_tracks_true",
						  &v->missing, &v->n_missing, err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "leaf_targetids", &v->leaf_target,
						  &v->n_leaves, err);
	if (st == MD_OK)
		st = md_onnx_tensor_ints(node, "nodes_modes", &v->modes, &n_modes,
								 err);
	if (st == MD_OK)
		st = md_onnx_tensor_reals(node, "nodes_splits", &v->splits,
								  &n_splits, &dbl[0], err);
	if (st == MD_OK)
		st = md_onnx_tensor_reals(node, "leaf_weights", &v->leaf_weight,
								  &n_weights, &dbl[1], err);
	if (st == MD_OK)
		st = md_onnx_tensor_reals(node, "membership_values", &v->members,
								  &v->n_members, &dbl[2], err);
	if (st != MD_OK)
		return st;
	n[4] = n_modes;
	n[5] = n_splits;
	for (int k = 0; k < 6; k++)
		if (n[k] != v->n)
			return v5_bad(err, "the nodes_* attributes are not all of the "
							   "same length");
	if (v->n == 0 || v->n_roots == 0 || n_weights != v->n_leaves ||
		(v->n_missing != 0 && v->n_missing != v->n))
		return v5_bad(err, "no tree, or leaf_weights, leaf_targetids or "
						   "nodes_missing_value_tracks_true of the wrong length");
	for (int k = 0; k < 3; k++)
		if (dbl[k] != is_double)
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "ONNX TreeEnsemble: its tensors are not of the "
						   "input's type (float or double)");
	return MD_OK;
}

static void
free_v5(v5_attrs *v)
{
	free(v->modes);
	free(v->splits);
	free(v->leaf_weight);
	free(v->members);
	free(v->member_start);
	free(v->member_count);
}

/* Hand the output arrays to the attribute set, which frees them. */
static void
adopt(md_tree_attrs *a, v3_out *o)
{
	void *own[] = {o->tree, o->node, o->feature, o->yes, o->no,
				   o->missing, o->w_tree, o->w_node, o->w_out};

	a->n = o->n;
	a->tree_id = o->tree;
	a->node_id = o->node;
	a->feature = o->feature;
	a->yes = o->yes;
	a->no = o->no;
	a->missing = o->missing;
	a->n_missing = o->n;
	a->modes = o->mode;
	a->value = o->value;
	a->nw = o->nw;
	a->w_tree = o->w_tree;
	a->w_node = o->w_node;
	a->w_out = o->w_out;
	a->w_value = o->w_value;
	for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
		a->owned[a->n_owned++] = own[k];
	memset(o, 0, sizeof(*o));
}

md_status
md_onnx_read_v5(const Onnx__NodeProto *node, bool is_double,
				const md_limits *limits, md_tree_attrs *a,
				md_otrees_header *h, md_error *err)
{
	v5_attrs v;
	v3_out o;
	md_status st;

	memset(&v, 0, sizeof(v));
	memset(&o, 0, sizeof(o));
	st = read_shape_v5(node, limits, h, err);
	if (st == MD_OK)
		st = read_v5(node, is_double, &v, err);
	if (st == MD_OK)
		st = check_v5(&v, h->n_outputs, err);
	if (st == MD_OK)
		st = split_members(&v, err);
	if (st == MD_OK)
		st = expand(&v, &o, limits, err);
	/* a failed expansion's arrays are freed with the attribute set too */
	adopt(a, &o);
	a->dbl = is_double;
	if (is_double)
		h->flags |= MD_OT_DOUBLE_OUT;
	free_v5(&v);
	return st;
}
