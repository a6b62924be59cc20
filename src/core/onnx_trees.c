/*-------------------------------------------------------------------------
 *
 * onnx_trees.c
 *	  A TreeEnsembleRegressor / TreeEnsembleClassifier node (ai.onnx.ml
 *	  opsets 1 and 3) into an MD_SEC_OTREES section.
 *
 * The node lists its trees as parallel attribute arrays.  They are read as
 * ONNX Runtime reads them (TreeEnsembleCommon::Init), so that the same
 * file scores the same: a tree is a run of consecutive entries with one
 * tree id, its root the run's first node; children are found by (tree id,
 * node id); weights attach to leaves in the order listed, and weights on
 * split nodes are ignored; every leaf needs one.  What ONNX Runtime checks
 * is refused here too (duplicate nodes, missing children, a node its own
 * child, both a list and its _as_tensor twin), and what it does not check
 * but cannot score is refused as well: cycles, a tree id in two runs.
 * Each tree's reachable nodes are stored in topological order (root
 * first, every child after its parent), which is what the blob needs.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"

typedef md_tree_attrs tree_attrs;

typedef struct node_key
{
	int64_t tree;
	int64_t node;
	size_t i; /* index in the attribute arrays */
} node_key;

/* Scratch of the build, freed together. */
typedef struct tree_work
{
	node_key *order; /* the nodes sorted by (tree, node) */
	uint8_t *mode;	 /* md_dop or MD_OMODE_LEAF per node */
	uint32_t *local; /* node's index within its stored tree */
	uint8_t *state;	 /* DFS: 0 new, 1 open, 2 done */
	size_t *stack;
	size_t *topo; /* one tree's nodes, reverse post-order */
	uint32_t *depth;
	size_t *w_first; /* per node: first weight in w_sorted */
	size_t *w_count;
	size_t *w_sorted; /* weight entries grouped by node */
	md_onode *out_nodes;
	md_oweight *out_weights;
	md_otree *out_trees;
} tree_work;

static md_status
bad(const tree_attrs *a, md_error *err, const char *fmt, int64_t x, int64_t y)
{
	md_fail(err, MD_ERR_MODEL, "ONNX %s: ", a->node->op_type);
	snprintf(err->message + strlen(err->message),
			 sizeof(err->message) - strlen(err->message), fmt,
			 (long long) x, (long long) y);
	return MD_ERR_MODEL;
}

static md_status
nomem(md_error *err)
{
	return md_fail(err, MD_ERR_NOMEM, "out of memory reading the ONNX model");
}

static int
cmp_node(const void *pa, const void *pb)
{
	const node_key *a = pa;
	const node_key *b = pb;

	if (a->tree != b->tree)
		return a->tree < b->tree ? -1 : 1;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	return 0;
}

/* The node with (tree, id), or SIZE_MAX. */
static size_t
find_node(const tree_attrs *a, const tree_work *w, int64_t tree, int64_t id)
{
	size_t lo = 0;
	size_t hi = a->n;

	while (lo < hi)
	{
		size_t mid = lo + (hi - lo) / 2;
		const node_key *k = &w->order[mid];

		if (k->tree < tree || (k->tree == tree && k->node < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->n && w->order[lo].tree == tree && w->order[lo].node == id)
		return w->order[lo].i;
	return SIZE_MAX;
}

static md_status
read_mode(const tree_attrs *a, const ProtobufCBinaryData *strs, size_t i,
		  uint8_t *mode, md_error *err)
{
	static const char *const names[] = {
		[MD_OMODE_LEAF] = "LEAF", [MD_DOP_LEQ] = "BRANCH_LEQ", [MD_DOP_LT] = "BRANCH_LT", [MD_DOP_GTE] = "BRANCH_GTE", [MD_DOP_GT] = "BRANCH_GT", [MD_DOP_EQ] = "BRANCH_EQ", [MD_DOP_NEQ] = "BRANCH_NEQ"};

	for (uint8_t k = 0; k <= MD_DOP_NEQ; k++)
		if (names[k] != NULL && md_onnx_is(&strs[i], names[k]))
		{
			*mode = k;
			return MD_OK;
		}
	md_fail(err, MD_ERR_UNSUPPORTED,
			"ONNX %s: node %lld of tree %lld has the mode \"%.*s\"; "
			"BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, "
			"BRANCH_NEQ and LEAF are supported",
			a->node->op_type,
			(long long) a->node_id[i], (long long) a->tree_id[i],
			(int) (strs[i].len > 40 ? 40 : strs[i].len),
			(const char *) strs[i].data);
	return MD_ERR_UNSUPPORTED;
}

/* Sorted lookup, modes, and the checks ONNX Runtime makes of each node. */
static md_status
index_nodes(const tree_attrs *a, tree_work *w, md_error *err)
{
	for (size_t i = 0; i < a->n; i++)
	{
		w->order[i].tree = a->tree_id[i];
		w->order[i].node = a->node_id[i];
		w->order[i].i = i;
		if (a->node_id[i] < 0 || a->node_id[i] > INT32_MAX ||
			a->tree_id[i] < 0 || a->tree_id[i] > INT32_MAX)
			return bad(a, err, "node id %lld of tree %lld is out of range",
					   a->node_id[i], a->tree_id[i]);
		w->mode[i] = a->modes[i];
		if (isnan(a->value[i]) && w->mode[i] != MD_OMODE_LEAF)
			return bad(a, err, "node %lld of tree %lld has a NaN threshold",
					   a->node_id[i], a->tree_id[i]);
	}
	qsort(w->order, a->n, sizeof(node_key), cmp_node);
	for (size_t k = 1; k < a->n; k++)
		if (cmp_node(&w->order[k - 1], &w->order[k]) == 0)
			return bad(a, err, "node %lld of tree %lld is listed twice",
					   w->order[k].node, w->order[k].tree);
	return MD_OK;
}

/* A child of split node i: in the same tree, not i itself. */
static md_status
child_of(const tree_attrs *a, const tree_work *w, size_t i, bool yes,
		 size_t *child, md_error *err)
{
	int64_t id = yes ? a->yes[i] : a->no[i];

	/* ONNX Runtime requires child ids below the total node count */
	if (id < 0 || (uint64_t) id >= a->n ||
		(*child = find_node(a, w, a->tree_id[i], id)) == SIZE_MAX)
		return bad(a, err, "a child of node %lld of tree %lld does not exist",
				   a->node_id[i], a->tree_id[i]);
	if (*child == i)
		return bad(a, err, "node %lld of tree %lld is its own child",
				   a->node_id[i], a->tree_id[i]);
	return MD_OK;
}

/*
 * The nodes reachable from 'root' in reverse post-order (a topological
 * order, root first) into w->topo; *count of them.  A node met again while
 * still open closes a cycle.
 */
static md_status
order_tree(const tree_attrs *a, tree_work *w, size_t root, size_t *count,
		   md_error *err)
{
	size_t sp = 0;
	size_t done = 0;

	w->stack[sp++] = root;
	while (sp > 0)
	{
		size_t i = w->stack[sp - 1];
		size_t kids[2];
		bool pushed = false;
		md_status st;

		if (w->state[i] == 0)
			w->state[i] = 1;
		if (w->mode[i] != MD_OMODE_LEAF)
		{
			for (int k = 0; k < 2 && !pushed; k++)
			{
				st = child_of(a, w, i, k == 0, &kids[k], err);
				if (st != MD_OK)
					return st;
				if (w->state[kids[k]] == 1)
					return bad(a, err, "tree %lld has a cycle through node %lld",
							   a->tree_id[i], a->node_id[kids[k]]);
				if (w->state[kids[k]] == 0)
				{
					w->stack[sp++] = kids[k];
					pushed = true;
				}
			}
		}
		if (pushed)
			continue;
		w->state[i] = 2;
		w->topo[done++] = i;
		sp--;
	}
	/* post-order reversed */
	for (size_t k = 0; k < done / 2; k++)
	{
		size_t t = w->topo[k];

		w->topo[k] = w->topo[done - 1 - k];
		w->topo[done - 1 - k] = t;
	}
	*count = done;
	return MD_OK;
}

/* Group the weight entries by node, in the order listed. */
static md_status
index_weights(const tree_attrs *a, tree_work *w, uint32_t n_outputs,
			  md_error *err)
{
	size_t *node_of = malloc(sizeof(size_t) * (a->nw ? a->nw : 1));
	size_t at = 0;

	if (node_of == NULL)
		return nomem(err);
	for (size_t k = 0; k < a->nw; k++)
	{
		node_of[k] = find_node(a, w, a->w_tree[k], a->w_node[k]);
		if (node_of[k] == SIZE_MAX)
		{
			free(node_of);
			return bad(a, err, "a weight is for node %lld of tree %lld, "
							   "which does not exist",
					   a->w_node[k], a->w_tree[k]);
		}
		if ((a->w_out[k] < 0 || a->w_out[k] >= n_outputs) ||
			isnan(a->w_value[k]))
		{
			free(node_of);
			return bad(a, err, "the weight of node %lld of tree %lld has a "
							   "bad target or class id, or is NaN",
					   a->w_node[k],
					   a->w_tree[k]);
		}
		w->w_count[node_of[k]]++;
	}
	for (size_t i = 0; i < a->n; i++)
	{
		w->w_first[i] = at;
		at += w->w_count[i];
		w->w_count[i] = 0;
		if (w->mode[i] == MD_OMODE_LEAF && w->w_first[i] == at)
		{
			free(node_of);
			return bad(a, err, "leaf %lld of tree %lld has no weight",
					   a->node_id[i], a->tree_id[i]);
		}
	}
	for (size_t k = 0; k < a->nw; k++)
	{
		size_t i = node_of[k];

		w->w_sorted[w->w_first[i] + w->w_count[i]++] = k;
	}
	free(node_of);
	return MD_OK;
}

/* Tree ids must not come back after another tree's run. */
static md_status
check_runs(const tree_attrs *a, tree_work *w, size_t *n_trees, md_error *err)
{
	size_t runs = 0;

	for (size_t k = 0; k < a->n; k++)
		if (k == 0 || w->order[k].tree != w->order[k - 1].tree)
			runs++;
	*n_trees = 0;
	for (size_t i = 0; i < a->n; i++)
		if (i == 0 || a->tree_id[i] != a->tree_id[i - 1])
			(*n_trees)++;
	if (*n_trees != runs)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "ONNX %s: the nodes of a tree are not listed together",
					   a->node->op_type);
	return MD_OK;
}

/* One tree's nodes, stored; its depth checked against the limit. */
static md_status
emit_tree(const tree_attrs *a, tree_work *w, size_t root, uint64_t *n_nodes,
		  uint64_t *n_weights, uint32_t *max_depth, const md_limits *limits,
		  uint32_t n_outputs, md_error *err)
{
	size_t count;
	md_status st = order_tree(a, w, root, &count, err);

	if (st != MD_OK)
		return st;
	if (count > limits->max_nodes_per_tree)
		return md_fail_limit(err, "an ONNX tree has", count, "nodes",
							 limits->max_nodes_per_tree, "max_nodes_per_tree");
	for (size_t k = 0; k < count; k++)
	{
		w->local[w->topo[k]] = (uint32_t) k;
		w->depth[w->topo[k]] = 0;
	}
	for (size_t k = 0; k < count; k++)
	{
		size_t i = w->topo[k];
		md_onode *o = &w->out_nodes[*n_nodes + k];

		memset(o, 0, sizeof(*o));
		o->mode = w->mode[i];
		if (w->depth[i] > *max_depth)
			*max_depth = w->depth[i];
		if (w->depth[i] > limits->max_depth)
			return md_fail_limit(err, "an ONNX tree is", w->depth[i],
								 "levels deep", limits->max_depth, "max_depth");
		if (o->mode == MD_OMODE_LEAF)
		{
			o->yes = (uint32_t) *n_weights;
			o->no = (uint32_t) w->w_count[i];
			for (size_t j = 0; j < w->w_count[i]; j++)
			{
				size_t e = w->w_sorted[w->w_first[i] + j];
				md_oweight *ow = &w->out_weights[(*n_weights)++];

				ow->value = a->w_value[e];
				ow->output = n_outputs == 1 ? 0 : (uint32_t) a->w_out[e];
				ow->reserved = 0;
			}
			continue;
		}
		{
			size_t yes;
			size_t no;

			st = child_of(a, w, i, true, &yes, err);
			if (st == MD_OK)
				st = child_of(a, w, i, false, &no, err);
			if (st != MD_OK)
				return st;
			o->value = a->value[i];
			o->feature = (uint32_t) a->feature[i];
			o->flags = (i < a->n_missing && a->missing[i] == 1) ? MD_ONODE_MISSING_TRUE : 0;
			o->yes = w->local[yes];
			o->no = w->local[no];
			if (w->depth[yes] < w->depth[i] + 1)
				w->depth[yes] = w->depth[i] + 1;
			if (w->depth[no] < w->depth[i] + 1)
				w->depth[no] = w->depth[i] + 1;
		}
	}
	*n_nodes += count;
	return MD_OK;
}

static void
work_free(tree_work *w)
{
	free(w->order);
	free(w->mode);
	free(w->local);
	free(w->state);
	free(w->stack);
	free(w->topo);
	free(w->depth);
	free(w->w_first);
	free(w->w_count);
	free(w->w_sorted);
	free(w->out_nodes);
	free(w->out_weights);
	free(w->out_trees);
}

static bool
work_alloc(tree_work *w, size_t n, size_t nw)
{
	memset(w, 0, sizeof(*w));
	n = n ? n : 1;
	nw = nw ? nw : 1;
	w->order = malloc(sizeof(node_key) * n);
	w->mode = malloc(n);
	w->local = malloc(sizeof(uint32_t) * n);
	w->state = calloc(n, 1);
	w->stack = malloc(sizeof(size_t) * (n + 1));
	w->topo = malloc(sizeof(size_t) * n);
	w->depth = malloc(sizeof(uint32_t) * n);
	w->w_first = malloc(sizeof(size_t) * n);
	w->w_count = calloc(n, sizeof(size_t));
	w->w_sorted = malloc(sizeof(size_t) * nw);
	w->out_nodes = malloc(sizeof(md_onode) * n);
	w->out_weights = malloc(sizeof(md_oweight) * nw);
	w->out_trees = malloc(sizeof(md_otree) * n);
	return w->order && w->mode && w->local && w->state && w->stack &&
		w->topo && w->depth && w->w_first && w->w_count && w->w_sorted &&
		w->out_nodes && w->out_weights && w->out_trees;
}

static void
write_section(md_builder *b, md_otrees_header *h, const tree_attrs *a,
			  const tree_work *w)
{
	uint64_t head_at;

	md_builder_begin(b, MD_SEC_OTREES);
	head_at = md_builder_reserve(b, sizeof(*h));
	h->base_offset = md_builder_put(b, a->base, sizeof(double) * h->n_base);
	h->trees_offset = md_builder_put(b, w->out_trees,
									 sizeof(md_otree) * h->n_trees);
	h->nodes_offset = md_builder_put(b, w->out_nodes,
									 sizeof(md_onode) * h->n_nodes);
	h->weights_offset = md_builder_put(b, w->out_weights,
									   sizeof(md_oweight) * h->n_weights);
	if (md_builder_at(b, head_at) != NULL)
		memcpy(md_builder_at(b, head_at), h, sizeof(*h));
	md_builder_end(b);
}

/* Every tree, in the order of their runs. */
static md_status
build(const tree_attrs *a, md_otrees_header *h, const md_limits *limits,
	  md_builder *b, md_error *err)
{
	tree_work w;
	size_t n_trees;
	md_status st;

	if (!work_alloc(&w, a->n, a->nw))
	{
		work_free(&w);
		return nomem(err);
	}
	st = index_nodes(a, &w, err);
	if (st == MD_OK)
		st = check_runs(a, &w, &n_trees, err);
	if (st == MD_OK && n_trees > limits->max_trees)
		st = md_fail_limit(err, "the ONNX model has", n_trees, "trees",
						   limits->max_trees, "max_trees");
	if (st == MD_OK)
		st = index_weights(a, &w, h->n_outputs, err);
	for (size_t i = 0; st == MD_OK && i < a->n; i++)
	{
		md_otree *t;

		if (i > 0 && a->tree_id[i] == a->tree_id[i - 1])
			continue;
		t = &w.out_trees[h->n_trees++];
		t->first_node = h->n_nodes;
		t->reserved = 0;
		st = emit_tree(a, &w, i, &h->n_nodes, &h->n_weights, &h->max_depth,
					   limits, h->n_outputs, err);
		t->n_nodes = (uint32_t) (h->n_nodes - t->first_node);
		if (st == MD_OK)
			st = md_poll_interrupt(limits, err);
	}
	if (st == MD_OK)
		write_section(b, h, a, &w);
	work_free(&w);
	return st;
}

/* Node attributes: every list as long as nodes_treeids. */
static md_status
read_nodes(const Onnx__NodeProto *node, tree_attrs *a, md_error *err)
{
	size_t n[6];
	size_t n_values;
	size_t n_modes;
	const ProtobufCBinaryData *modes;
	bool dbl;
	md_status st;

	st = md_onnx_ints(node, "nodes_treeids", &a->tree_id, &n[0], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_nodeids", &a->node_id, &n[1], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_featureids", &a->feature, &n[2], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_truenodeids", &a->yes, &n[3], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_falsenodeids", &a->no, &n[4], err);
	if (st == MD_OK)
		st = md_onnx_ints(node, "nodes_missing_value_tracks_true",
						  &a->missing, &a->n_missing, err);
	if (st == MD_OK)
		st = md_onnx_strings(node, "nodes_modes", &modes, &n_modes, err);
	if (st == MD_OK)
		st = md_onnx_reals(node, "nodes_values", &a->value, &n_values, &dbl,
						   err);
	if (st != MD_OK)
		return st;
	a->dbl |= dbl;
	a->n = n[0];
	n[5] = n_modes;
	for (int k = 1; k < 6; k++)
		if (n[k] != a->n)
			return md_fail(err, MD_ERR_MODEL,
						   "ONNX %s: the nodes_* attributes are not all of "
						   "the same length (%zu nodes_treeids)",
						   node->op_type, a->n);
	if (n_values != a->n || (a->n_missing != 0 && a->n_missing != a->n))
		return md_fail(err, MD_ERR_MODEL,
					   "ONNX %s: nodes_values or "
					   "nodes_missing_value_tracks_true does not have one "
					   "entry per node (%zu)",
					   node->op_type, a->n);
	if (a->n == 0)
		return md_fail(err, MD_ERR_MODEL, "ONNX %s: the ensemble has no node",
					   node->op_type);
	if ((a->modes = malloc(a->n)) == NULL)
		return nomem(err);
	for (size_t i = 0; i < a->n; i++)
	{
		st = read_mode(a, modes, i, &a->modes[i], err);
		if (st != MD_OK)
			return st;
	}
	return MD_OK;
}

/* Leaf weights: class_* of a classifier, target_* of a regressor. */
static md_status
read_weights(const Onnx__NodeProto *node, bool classifier, tree_attrs *a,
			 md_error *err)
{
	const char *p = classifier ? "class" : "target";
	char name[32];
	size_t n[3];
	bool dbl;
	md_status st;

	snprintf(name, sizeof(name), "%s_treeids", p);
	st = md_onnx_ints(node, name, &a->w_tree, &n[0], err);
	snprintf(name, sizeof(name), "%s_nodeids", p);
	if (st == MD_OK)
		st = md_onnx_ints(node, name, &a->w_node, &n[1], err);
	snprintf(name, sizeof(name), "%s_ids", p);
	if (st == MD_OK)
		st = md_onnx_ints(node, name, &a->w_out, &n[2], err);
	snprintf(name, sizeof(name), "%s_weights", p);
	if (st == MD_OK)
		st = md_onnx_reals(node, name, &a->w_value, &a->nw, &dbl, err);
	if (st == MD_OK)
		st = md_onnx_reals(node, "base_values", &a->base, &a->n_base, &dbl,
						   err);
	if (st != MD_OK)
		return st;
	a->dbl |= dbl;
	if (n[0] != a->nw || n[1] != a->nw || n[2] != a->nw)
		return md_fail(err, MD_ERR_MODEL,
					   "ONNX %s: the %s_* attributes are not all of the "
					   "same length",
					   node->op_type, p);
	for (size_t k = 0; k < a->n_base; k++)
		if (isnan(a->base[k]))
			return md_fail(err, MD_ERR_MODEL, "ONNX %s: a base value is NaN",
						   node->op_type);
	return MD_OK;
}

/* n_targets, aggregate_function, post_transform, classes and base values */
static md_status
read_shape(const Onnx__NodeProto *node, bool classifier, uint32_t n_classes,
		   const tree_attrs *a, md_otrees_header *h, md_error *err)
{
	static const char *const aggs[] = {
		[MD_OAGG_SUM] = "SUM", [MD_OAGG_AVERAGE] = "AVERAGE", [MD_OAGG_MIN] = "MIN", [MD_OAGG_MAX] = "MAX"};
	int64_t n_targets = 1;
	md_status st;

	h->aggregate = MD_OAGG_SUM;
	st = md_onnx_post_transform(node, &h->post_transform, err);
	if (st == MD_OK && !classifier)
		st = md_onnx_choice(node, "aggregate_function", "SUM", aggs,
							MD_OAGG__END, &h->aggregate, err);
	if (st == MD_OK && !classifier)
		st = md_onnx_int(node, "n_targets", 0, &n_targets, err);
	if (st != MD_OK)
		return st;
	if (!classifier && n_targets != 1)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "ONNX TreeEnsembleRegressor with n_targets = %lld: "
					   "only single-target regressors are supported",
					   (long long) n_targets);
	h->n_outputs = classifier ? n_classes : 1;
	h->task = !classifier ? MD_TASK_REGRESSION : n_classes == 2 ? MD_TASK_BINARY
																: MD_TASK_MULTICLASS;
	if (a->n_base != 0 && a->n_base != 1 && a->n_base != h->n_outputs)
		return md_fail(err, MD_ERR_MODEL,
					   "ONNX %s: %zu base values for %u outputs (0, 1 or %u "
					   "expected)",
					   node->op_type, a->n_base, h->n_outputs,
					   h->n_outputs);
	h->n_base = (uint32_t) a->n_base;
	return MD_OK;
}

/* ONNX Runtime's binary_case_ and weights_are_all_positive_ */
static void
binary_flags(const tree_attrs *a, md_otrees_header *h)
{
	bool positive = true;
	bool one_class = true;

	for (size_t k = 0; k < a->nw; k++)
	{
		positive &= !(a->w_value[k] < 0.0);
		one_class &= a->w_out[k] == a->w_out[0];
	}
	if (h->task == MD_TASK_BINARY && one_class)
		h->flags |= MD_OT_BINARY_CASE;
	if (positive)
		h->flags |= MD_OT_WEIGHTS_POSITIVE;
}

md_status
md_onnx_build_trees(const Onnx__NodeProto *node, bool classifier,
					uint32_t n_classes, const md_onnx_input *in,
					const md_limits *limits, md_builder *b,
					uint32_t *n_outputs, md_error *err)
{
	tree_attrs a;
	md_otrees_header h;
	md_status st;

	memset(&a, 0, sizeof(a));
	memset(&h, 0, sizeof(h));
	a.node = node;
	if (strcmp(node->op_type, "TreeEnsemble") == 0)
		st = md_onnx_read_v5(node, in->is_double, limits, &a, &h, err);
	else
	{
		st = read_nodes(node, &a, err);
		if (st == MD_OK)
			st = read_weights(node, classifier, &a, err);
		if (st == MD_OK)
			st = read_shape(node, classifier, n_classes, &a, &h, err);
		if (st == MD_OK && a.dbl && !in->is_double)
			st = md_fail(err, MD_ERR_UNSUPPORTED,
						 "ONNX %s: double-precision attributes (*_as_tensor) "
						 "with a float input",
						 node->op_type);
	}
	for (size_t i = 0; st == MD_OK && i < a.n; i++)
		if (a.feature[i] < 0 || a.feature[i] >= in->n_features)
			st = bad(&a, err, "node %lld of tree %lld reads a feature beyond "
							  "the input's",
					 a.node_id[i], a.tree_id[i]);
	if (st == MD_OK)
	{
		h.flags |= in->is_double ? MD_OT_DOUBLE : 0;
		binary_flags(&a, &h);
		st = build(&a, &h, limits, b, err);
	}
	*n_outputs = h.n_outputs;
	md_onnx_attrs_free(&a);
	return st;
}

void
md_onnx_attrs_free(md_tree_attrs *a)
{
	free(a->modes);
	free(a->value);
	free(a->w_value);
	free(a->base);
	for (int k = 0; k < a->n_owned; k++)
		free(a->owned[k]);
}
