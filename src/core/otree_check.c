/*-------------------------------------------------------------------------
 *
 * otree_check.c
 *	  Validators of an ONNX tree ensemble (MD_SEC_OTREES), for untrusted
 *	  blobs.
 *
 * otree_score.c trusts the section completely; this establishes what it
 * relies on (md_blob.h): every array inside the section, the trees tiling
 * the node array in order, each child after its parent within its tree
 * (so walks end), features and outputs in range, leaf weights inside the
 * weight array, every value a float exactly unless the model computes in
 * double, an output shape that fits the task.  No allocation; time linear
 * in the section's size.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "oprep.h"
#include "otree.h"
#include "strtab.h"

md_status
md_otree_check_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);

	if (meta->format != MD_FORMAT_ONNX || meta->objective != 0 ||
		meta->booster != 0 || meta->n_features == 0 || meta->n_outputs == 0 ||
		md_section_ptr(m, MD_SEC_OTREES) == NULL ||
		m->section_size[MD_SEC_OTREES] < sizeof(md_otrees_header))
		return md_corrupt(err, "bad ONNX tree ensemble description");
	return MD_OK;
}

/* Does the output shape fit the task? */
static bool
shape_ok(const md_otrees_header *h)
{
	if (h->aggregate < MD_OAGG_SUM || h->aggregate >= MD_OAGG__END ||
		h->post_transform < MD_OPOST_NONE ||
		h->post_transform >= MD_OPOST__END ||
		(h->n_base != 0 && h->n_base != 1 && h->n_base != h->n_outputs))
		return false;
	switch ((md_task) h->task)
	{
		case MD_TASK_REGRESSION:
			return h->n_outputs >= 1; /* targets */
		case MD_TASK_BINARY:
			return h->n_outputs == 2 && h->aggregate == MD_OAGG_SUM;
		case MD_TASK_MULTICLASS:
			return h->n_outputs > 2 && h->aggregate == MD_OAGG_SUM;
		default:
			return false;
	}
}

static md_status
check_header(const md_otrees_header *h, uint64_t size, uint32_t n_outputs,
			 md_error *err)
{
	uint32_t known = MD_OT_DOUBLE | MD_OT_BINARY_CASE | MD_OT_WEIGHTS_POSITIVE |
		MD_OT_DOUBLE_OUT;

	if (h->n_outputs != n_outputs || h->n_trees == 0 || h->n_nodes == 0 ||
		h->n_weights == 0 || (h->flags & ~known) || !shape_ok(h) ||
		!md_fits(h->base_offset, h->n_base, sizeof(double), size) ||
		!md_fits(h->trees_offset, h->n_trees, sizeof(md_otree), size) ||
		!md_fits(h->nodes_offset, h->n_nodes, sizeof(md_onode), size) ||
		!md_fits(h->weights_offset, h->n_weights, sizeof(md_oweight), size))
		return md_corrupt(err, "bad ONNX tree ensemble header");
	return MD_OK;
}

/* Not NaN, and a float exactly unless the model computes in double. */
static bool
value_ok(const md_otrees_header *h, double v)
{
	if (isnan(v))
		return false;
	return (h->flags & MD_OT_DOUBLE) || (double) (float) v == v;
}

static bool
node_ok(const md_otrees_header *h, const md_onode *n, uint32_t i,
		uint32_t tree_nodes, uint32_t n_features)
{
	if (n->reserved != 0 || (n->flags & ~MD_ONODE_MISSING_TRUE))
		return false;
	if (n->mode == MD_OMODE_LEAF)
		return n->no >= 1 && md_span_in(h->n_weights, n->yes, n->no);
	return n->mode >= MD_DOP_LEQ && n->mode <= MD_DOP_NEQ &&
		n->feature < n_features && value_ok(h, n->value) &&
		n->yes > i && n->yes < tree_nodes && n->no > i && n->no < tree_nodes;
}

static md_status
check_trees(const md_oforest *f, uint32_t n_features, md_error *err)
{
	const md_otrees_header *h = f->h;
	uint64_t next = 0;

	for (uint32_t t = 0; t < h->n_trees; t++)
	{
		const md_otree *tree = &f->trees[t];

		if (tree->first_node != next || tree->n_nodes == 0 ||
			tree->reserved != 0 ||
			!md_span_in(h->n_nodes, tree->first_node, tree->n_nodes))
			return md_corrupt(err, "ONNX trees do not tile their nodes");
		for (uint32_t i = 0; i < tree->n_nodes; i++)
			if (!node_ok(h, &f->nodes[tree->first_node + i], i,
						 tree->n_nodes, n_features))
				return md_corrupt(err, "bad ONNX tree node");
		next += tree->n_nodes;
	}
	if (next != h->n_nodes)
		return md_corrupt(err, "ONNX trees do not tile their nodes");
	return MD_OK;
}

static md_status
check_values(const md_oforest *f, md_error *err)
{
	const md_otrees_header *h = f->h;

	for (uint64_t i = 0; i < h->n_weights; i++)
		if (f->weights[i].output >= h->n_outputs ||
			f->weights[i].reserved != 0 || !value_ok(h, f->weights[i].value))
			return md_corrupt(err, "bad ONNX leaf weight");
	for (uint32_t k = 0; k < h->n_base; k++)
		if (!value_ok(h, f->base[k]))
			return md_corrupt(err, "bad ONNX base value");
	return MD_OK;
}

static md_status
check_classes(const md_model *m, const md_otrees_header *h, md_error *err)
{
	const md_strtab *labels = md_section_ptr(m, MD_SEC_CLASS_LABELS);
	bool classifier = h->task != MD_TASK_REGRESSION;

	if ((labels != NULL) != classifier)
		return md_corrupt(err, "class labels do not match the classes");
	if (labels == NULL)
		return MD_OK;
	return md_strtab_validate(labels, m->section_size[MD_SEC_CLASS_LABELS],
							  h->n_outputs, "class label", err);
}

md_status
md_otree_validate(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	md_oforest f;
	md_status st;

	/* the offsets first: a pointer past the section is not even formed */
	st = check_header(md_section_ptr(m, MD_SEC_OTREES),
					  m->section_size[MD_SEC_OTREES], meta->n_outputs, err);
	if (st != MD_OK)
		return st;
	f = md_oforest_of(m);
	st = check_trees(&f, meta->n_features, err);
	if (st == MD_OK)
		st = check_values(&f, err);
	if (st == MD_OK)
		st = check_classes(m, f.h, err);
	if (st == MD_OK)
		st = md_oprep_validate(m, err);
	return st;
}
