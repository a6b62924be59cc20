/*-------------------------------------------------------------------------
 *
 * native_check.c
 *	  Validators of the sections of a native model, for untrusted blobs.
 *
 * The scoring code (prep.c, native_score.c) trusts a native blob as much
 * as score.c trusts an XGBoost one, so these checks establish everything it
 * relies on: every register, pool, node, value and weight index inside its
 * array; counts consistent with the sizes of their sections; trees in
 * canonical breadth-first form (so a walk ends at a leaf); MLP layer shapes
 * that chain; outputs shaped as the link expects; category tables and class
 * labels that are valid string tables; finite parameters.  Validation
 * allocates nothing and takes time linear in the blob's size.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "native.h"
#include "strtab.h"

bool
md_native_shape_ok(const md_native_header *h)
{
	bool classifier = h->task == MD_TASK_BINARY ||
		h->task == MD_TASK_MULTICLASS;

	if (h->link < MD_LINK_IDENTITY || h->link >= MD_LINK__END ||
		h->n_outputs == 0)
		return false;
	if (h->task == MD_TASK_CLUSTER || h->kind == MD_NATIVE_KMEANS)
		return h->task == MD_TASK_CLUSTER && h->kind == MD_NATIVE_KMEANS &&
			h->decision == MD_DECIDE_NEAREST && h->n_classes == 0;
	if (h->task == MD_TASK_REGRESSION)
		return h->n_outputs == 1 && h->n_classes == 0 &&
			(h->link == MD_LINK_IDENTITY || h->link == MD_LINK_EXP);
	if (!classifier || h->link == MD_LINK_EXP ||
		(h->decision != MD_DECIDE_RAW && h->decision != MD_DECIDE_PROBA) ||
		(h->task == MD_TASK_BINARY ? h->n_classes != 2 : h->n_classes < 3))
		return false;
	return h->n_outputs == h->n_classes ||
		(h->n_outputs == 1 && h->task == MD_TASK_BINARY &&
		 h->link != MD_LINK_IDENTITY);
}

md_status
md_check_native_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	const md_native_header *h = md_native_head(m);

	if (meta->format != MD_FORMAT_NATIVE || meta->objective != 0 ||
		meta->booster != 0 || meta->n_features == 0 ||
		meta->n_outputs == 0 || h == NULL ||
		md_section_ptr(m, MD_SEC_NATIVE_FEATURES) == NULL ||
		md_section_ptr(m, MD_SEC_PREPROCESS) == NULL ||
		md_section_ptr(m, MD_SEC_FEATURE_NAMES) == NULL)
		return md_corrupt(err, "bad native model description");
	if (m->section_size[MD_SEC_NATIVE] < sizeof(*h) ||
		h->n_outputs != meta->n_outputs || !md_native_shape_ok(h) ||
		h->kind < MD_NATIVE_LINEAR || h->kind >= MD_NATIVE__END ||
		h->n_inputs == 0)
		return md_corrupt(err, "bad native model header");
	return MD_OK;
}

/* --- classes ----------------------------------------------------------- */

static md_status
check_classes(const md_model *m, const md_native_header *h, md_error *err)
{
	const md_strtab *labels = md_section_ptr(m, MD_SEC_CLASS_LABELS);

	if ((labels != NULL) != (h->n_classes > 0))
		return md_corrupt(err, "class labels do not match the classes");
	if (labels == NULL)
		return MD_OK;
	return md_strtab_validate(labels, m->section_size[MD_SEC_CLASS_LABELS],
							  h->n_classes, "class label", err);
}

/* --- preprocessing ------------------------------------------------------ */

/* The pools and registers an op may refer to. */
typedef struct prep_bounds
{
	const md_prep_header *h;
	const double *dpool;
	const int32_t *ipool;
	const md_native_feature *features;
	uint32_t n_features;
} prep_bounds;

static bool
int_entries_in(const prep_bounds *pb, uint64_t start, uint64_t n, int64_t lo,
			   int64_t hi)
{
	if (!md_span_in(pb->h->n_ipool, start, n))
		return false;
	for (uint64_t i = 0; i < n; i++)
		if (pb->ipool[start + i] < lo || pb->ipool[start + i] >= hi)
			return false;
	return true;
}

static bool
doubles_in(const prep_bounds *pb, uint64_t start, uint64_t n)
{
	return md_span_in(pb->h->n_dpool, start, n);
}

/* Lookup and result tables of a one-hot or ordinal op. */
static bool
encoder_ok(const prep_bounds *pb, const md_prep_op *op)
{
	uint32_t n_search;

	if ((op->flags & ~(uint32_t) (MD_OPF_CODES | MD_OPF_UNKNOWN_ERROR)) ||
		op->src >= pb->h->n_registers || op->n_cats == 0 ||
		(op->missing != -1 && op->missing != (int64_t) op->n_cats - 1))
		return false;
	n_search = op->n_cats - (op->missing >= 0);
	if (op->flags & MD_OPF_CODES)
	{
		const md_native_feature *f = &pb->features[op->feature];

		if (f->kind != MD_FEATURE_CATEGORICAL ||
			f->n_categories != op->n_codes ||
			!int_entries_in(pb, op->p0, op->n_codes, -1, op->n_cats))
			return false;
	}
	else
	{
		if (op->n_codes != 0 || !doubles_in(pb, op->p0, n_search) ||
			!md_all_finite(pb->dpool + op->p0, n_search))
			return false;
		for (uint32_t i = 1; i < n_search; i++)
			if (!(pb->dpool[op->p0 + i - 1] < pb->dpool[op->p0 + i]))
				return false;
	}
	if (op->kind == MD_OP_ONE_HOT)
		return op->n_out <= op->n_cats &&
			int_entries_in(pb, op->p1, op->n_cats, -1, op->n_out);
	if (op->n_out != 1 || !doubles_in(pb, op->p1, op->n_cats) ||
		isinf(op->v0))
		return false;
	for (uint32_t i = 0; i < op->n_cats; i++)
		if (isinf(pb->dpool[op->p1 + i]))
			return false;
	return true;
}

/* Parameters of an in-place op: finite, scales non-zero, clip ordered. */
static bool
in_place_ok(const prep_bounds *pb, const md_prep_op *op)
{
	uint32_t n = op->n_out;

	if (op->src != op->dst || !doubles_in(pb, op->p0, n) ||
		!md_all_finite(pb->dpool + op->p0, n))
		return false;
	if (op->kind == MD_OP_IMPUTE)
		return op->flags == 0;
	if (!doubles_in(pb, op->p1, n) || !md_all_finite(pb->dpool + op->p1, n))
		return false;
	if (op->kind == MD_OP_STANDARD)
	{
		for (uint32_t i = 0; i < n; i++)
			if (pb->dpool[op->p1 + i] == 0)
				return false;
		return op->flags == 0;
	}
	if (op->flags & ~(uint32_t) MD_OPF_CLIP)
		return false;
	return !(op->flags & MD_OPF_CLIP) ||
		(isfinite(op->v0) && isfinite(op->v1) && op->v0 <= op->v1);
}

static bool
op_ok(const prep_bounds *pb, const md_prep_op *op)
{
	uint32_t regs = pb->h->n_registers;

	if (op->feature >= pb->n_features || op->dst > regs ||
		op->n_out > regs - op->dst)
		return false;
	switch ((md_op_kind) op->kind)
	{
		case MD_OP_GATHER:
			return op->flags == 0 &&
				int_entries_in(pb, op->p0, op->n_out, 0, regs);
		case MD_OP_IMPUTE:
		case MD_OP_STANDARD:
		case MD_OP_MINMAX:
			return in_place_ok(pb, op);
		case MD_OP_ONE_HOT:
		case MD_OP_ORDINAL:
			return encoder_ok(pb, op);
		case MD_OP__END:
			break;
	}
	return false;
}

static md_status
check_preprocessing(const md_model *m, md_error *err)
{
	const md_prep_header *h = md_section_ptr(m, MD_SEC_PREPROCESS);
	uint64_t size = m->section_size[MD_SEC_PREPROCESS];
	const md_native_features *fs = md_section_ptr(m, MD_SEC_NATIVE_FEATURES);
	prep_bounds pb = {h, NULL, NULL, md_native_at(fs, fs->features_offset),
					  md_model_meta(m)->n_features};
	const md_prep_op *ops;
	const uint32_t *origin;
	uint64_t written = pb.n_features;

	if (size < sizeof(*h) || h->n_registers < pb.n_features ||
		h->out_start > h->n_registers ||
		h->out_width > h->n_registers - h->out_start ||
		h->out_width != md_native_head(m)->n_inputs ||
		!md_fits(h->ops_offset, h->n_ops, sizeof(md_prep_op), size) ||
		!md_fits(h->origin_offset, h->out_width, sizeof(uint32_t), size) ||
		!md_fits(h->dpool_offset, h->n_dpool, sizeof(double), size) ||
		!md_fits(h->ipool_offset, h->n_ipool, sizeof(int32_t), size))
		return md_corrupt(err, "bad preprocessing header");
	pb.dpool = md_native_at(h, h->dpool_offset);
	pb.ipool = md_native_at(h, h->ipool_offset);
	ops = md_native_at(h, h->ops_offset);
	origin = md_native_at(h, h->origin_offset);
	for (uint32_t i = 0; i < h->n_ops; i++)
	{
		if (!op_ok(&pb, &ops[i]))
			return md_fail(err, MD_ERR_BLOB,
						   "compiled model is corrupt: preprocessing "
						   "operation %u",
						   i);
		written += ops[i].n_out;
	}
	/* every register but the inputs is written by some op: this bounds the
	 * scoring workspace by the size of the blob */
	if (h->n_registers > written)
		return md_corrupt(err, "more registers than the program writes");
	for (uint32_t i = 0; i < h->out_width; i++)
		if (origin[i] >= pb.n_features)
			return md_corrupt(err, "bad estimator input origin");
	return MD_OK;
}

/* --- estimators --------------------------------------------------------- */

static md_status
check_linear(const md_native_header *h, const void *sec, uint64_t size,
			 md_error *err)
{
	const md_native_linear *lin;

	if (!md_fits(h->body_offset, 1, sizeof(*lin), size))
		return md_corrupt(err, "bad linear model header");
	lin = md_native_at(sec, h->body_offset);
	if (lin->n_inputs != h->n_inputs || lin->n_outputs != h->n_outputs ||
		!md_fits(lin->coef_offset, (uint64_t) lin->n_outputs * lin->n_inputs, sizeof(double), size) ||
		!md_fits(lin->intercept_offset, lin->n_outputs, sizeof(double), size))
		return md_corrupt(err, "bad linear model header");
	if (!md_all_finite(md_native_at(sec, lin->coef_offset),
					   (uint64_t) lin->n_outputs * lin->n_inputs) ||
		!md_all_finite(md_native_at(sec, lin->intercept_offset), lin->n_outputs))
		return md_corrupt(err, "non-finite linear coefficient");
	return MD_OK;
}

static md_status
check_kmeans(const md_native_header *h, const void *sec, uint64_t size,
			 md_error *err)
{
	const md_native_kmeans *km;
	uint64_t n;

	if (!md_fits(h->body_offset, 1, sizeof(*km), size))
		return md_corrupt(err, "bad k-means header");
	km = md_native_at(sec, h->body_offset);
	if (km->n_inputs != h->n_inputs || km->n_clusters != h->n_outputs)
		return md_corrupt(err, "bad k-means header");
	n = (uint64_t) km->n_clusters * km->n_inputs;
	if (!md_fits(km->centroids_offset, n, sizeof(double), size) ||
		!md_all_finite(md_native_at(sec, km->centroids_offset), n))
		return md_corrupt(err, "bad k-means centroids");
	return MD_OK;
}

static md_status
check_mlp(const md_native_header *h, const void *sec, uint64_t size,
		  md_error *err)
{
	const md_native_mlp *mlp;
	const md_native_layer *layers;
	uint32_t n_in = h->n_inputs,
			 widest = 0;

	if (!md_fits(h->body_offset, 1, sizeof(*mlp), size))
		return md_corrupt(err, "bad MLP header");
	mlp = md_native_at(sec, h->body_offset);
	if (mlp->n_layers == 0 ||
		!md_fits(mlp->layers_offset, mlp->n_layers, sizeof(*layers), size))
		return md_corrupt(err, "bad MLP header");
	layers = md_native_at(sec, mlp->layers_offset);
	for (uint32_t i = 0; i < mlp->n_layers; i++)
	{
		const md_native_layer *l = &layers[i];
		uint64_t n = (uint64_t) l->n_out * l->n_in;
		bool last = i + 1 == mlp->n_layers;

		if (l->n_in != n_in || l->n_out == 0 ||
			l->activation < MD_ACT_IDENTITY || l->activation >= MD_ACT__END ||
			(last && l->activation != MD_ACT_IDENTITY) ||
			!md_fits(l->weights_offset, n, sizeof(double), size) ||
			!md_fits(l->bias_offset, l->n_out, sizeof(double), size))
			return md_corrupt(err, "MLP layers do not chain");
		if (!md_all_finite(md_native_at(sec, l->weights_offset), n) ||
			!md_all_finite(md_native_at(sec, l->bias_offset), l->n_out))
			return md_corrupt(err, "non-finite MLP weight");
		n_in = l->n_out;
		if (l->n_out > widest)
			widest = l->n_out;
	}
	if (n_in != h->n_outputs || widest != mlp->max_width)
		return md_corrupt(err, "MLP output width");
	return MD_OK;
}

/*
 * A split's flags and sets: known flags only; a categorical split's
 * bitsets (left, and known with MD_NODE_KNOWN) inside the forest's words,
 * a numeric split's threshold finite.
 */
static bool
split_ok(const md_native_node *n, const md_native_forest *f)
{
	if (n->flags & ~(uint32_t) MD_NODE__FLAGS)
		return false;
	if (!(n->flags & MD_NODE_CATEGORICAL))
		return !(n->flags & MD_NODE_KNOWN) && n->n_words == 0 &&
			n->value == 0 && isfinite(n->threshold);
	return n->n_words >= 1 && n->n_words <= f->n_words &&
		md_span_in(f->n_words, n->value,
				   (uint64_t) n->n_words * ((n->flags & MD_NODE_KNOWN) ? 2 : 1));
}

/*
 * One tree: canonical breadth-first form (the k-th internal node's
 * children at 2k+1 and 2k+2), inputs in range, valid splits, leaf values
 * inside the pool; its depth computed level by level.
 */
static bool
tree_ok(const md_native_tree *t, const md_native_node *nodes,
		const md_native_forest *f, uint32_t n_inputs)
{
	uint64_t internal = 0,
			 level_end = 1;
	uint32_t depth = 0;

	for (uint64_t i = 0; i < t->n_nodes; i++)
	{
		const md_native_node *n = &nodes[i];

		if (i == level_end)
		{
			depth++;
			level_end = 2 * internal + 1;
		}
		if (n->left == 0)
		{
			if (!md_span_in(f->n_values, n->value, t->width) ||
				n->flags != 0 || n->n_words != 0)
				return false;
			continue;
		}
		if (n->left != 2 * internal + 1 || (uint64_t) n->left + 1 >= t->n_nodes ||
			n->feature >= n_inputs || !split_ok(n, f))
			return false;
		internal++;
	}
	return t->n_nodes == 2 * internal + 1 && depth == t->max_depth;
}

static md_status
check_forest_arrays(const md_native_header *h, const md_native_forest *f,
					const void *sec, md_error *err)
{
	const md_native_tree *trees = md_native_at(sec, f->trees_offset);
	const md_native_node *nodes = md_native_at(sec, f->nodes_offset);
	const double *init = md_native_at(sec, f->init_offset);
	uint64_t next = 0;
	uint32_t deepest = 0;

	if (!md_all_finite(init, f->n_outputs) ||
		!md_all_finite(md_native_at(sec, f->values_offset), f->n_values))
		return md_corrupt(err, "non-finite tree value");
	for (uint32_t o = 0; f->aggregation == MD_AGG_MEAN && o < f->n_outputs; o++)
		if (init[o] != 0)
			return md_corrupt(err, "averaged trees with an initial value");
	for (uint32_t i = 0; i < f->n_trees; i++)
	{
		const md_native_tree *t = &trees[i];

		if (t->first_node != next || t->n_nodes == 0 ||
			t->n_nodes > f->n_nodes - next || t->width == 0 ||
			(t->width != 1 && t->width != f->n_outputs) ||
			t->output > f->n_outputs - t->width ||
			!tree_ok(t, nodes + next, f, h->n_inputs))
			return md_fail(err, MD_ERR_BLOB,
						   "compiled model is corrupt: tree %u", i);
		next += t->n_nodes;
		if (t->max_depth > deepest)
			deepest = t->max_depth;
	}
	if (next != f->n_nodes || deepest != f->max_depth)
		return md_corrupt(err, "tree counts disagree");
	return MD_OK;
}

static md_status
check_forest(const md_native_header *h, const void *sec, uint64_t size,
			 md_error *err)
{
	const md_native_forest *f;

	if (!md_fits(h->body_offset, 1, sizeof(*f), size))
		return md_corrupt(err, "bad tree ensemble header");
	f = md_native_at(sec, h->body_offset);
	if (f->n_outputs != h->n_outputs || f->n_trees == 0 ||
		(f->aggregation != MD_AGG_SUM && f->aggregation != MD_AGG_MEAN) ||
		!isfinite(f->learning_rate) ||
		(f->aggregation == MD_AGG_MEAN && f->learning_rate != 1.0) ||
		!md_fits(f->init_offset, f->n_outputs, sizeof(double), size) ||
		!md_fits(f->trees_offset, f->n_trees, sizeof(md_native_tree), size) ||
		!md_fits(f->nodes_offset, f->n_nodes, sizeof(md_native_node), size) ||
		!md_fits(f->values_offset, f->n_values, sizeof(double), size) ||
		(f->flags & ~(uint32_t) MD_FOREST__FLAGS) || f->reserved != 0 ||
		!md_fits(f->words_offset, f->n_words, sizeof(uint32_t), size))
		return md_corrupt(err, "bad tree ensemble header");
	return check_forest_arrays(h, f, sec, err);
}

md_status
md_validate_native(const md_model *m, md_error *err)
{
	const md_native_header *h = md_native_head(m);
	uint64_t size = m->section_size[MD_SEC_NATIVE];
	md_status st;

	if ((st = check_classes(m, h, err)) != MD_OK ||
		(st = check_preprocessing(m, err)) != MD_OK)
		return st;
	switch ((md_native_kind) h->kind)
	{
		case MD_NATIVE_LINEAR:
			return check_linear(h, h, size, err);
		case MD_NATIVE_TREES:
			return check_forest(h, h, size, err);
		case MD_NATIVE_MLP:
			return check_mlp(h, h, size, err);
		case MD_NATIVE_KMEANS:
			return check_kmeans(h, h, size, err);
		case MD_NATIVE__END:
			break;
	}
	return md_corrupt(err, "unknown native estimator");
}
