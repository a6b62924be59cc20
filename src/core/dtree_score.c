/*-------------------------------------------------------------------------
 *
 * dtree_score.c
 *	  Scoring with a double-precision tree ensemble, and describing one.
 *
 * LightGBM's arithmetic (GBDT::PredictRaw, Tree::Predict, the objectives'
 * ConvertOutput): features are doubles, compared in double with each
 * split's own rule (dtree.h); the leaves of each output's trees are added
 * in double, in tree order, to the initial score: the raw outputs.  The
 * link makes predictions of them, after an averaging forest (rf) divides
 * them by its iteration count, as LightGBM does.  Raw outputs are
 * therefore LightGBM's bit for bit.  A linear leaf is its constant plus
 * its terms in order, or its plain value when one of their features is
 * missing.  Needs -ffp-contract=off (a fused multiply-add would round
 * differently).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "dtree.h"

/*
 * The workspace: one row as the trees read it, its raw outputs, probas,
 * and the row as the fast layout reads it (md_dfast_row_size()).
 */
typedef struct dtree_ws
{
	double *row;
	double *raw;
	double *proba;
	double *x2;
} dtree_ws;

static dtree_ws
carve(const md_model *m, void *mem)
{
	const md_meta *meta = md_model_meta(m);
	dtree_ws ws;

	ws.row = mem;
	ws.raw = ws.row + meta->n_features;
	ws.proba = ws.raw + meta->n_outputs;
	ws.x2 = ws.proba + meta->n_outputs + 2;
	return ws;
}

size_t
md_dtree_workspace_size(const md_model *m)
{
	const md_meta *meta = md_model_meta(m);

	return sizeof(double) *
		((size_t) meta->n_features + 2 * (size_t) meta->n_outputs + 2) +
		md_dfast_row_size(m);
}

static uint32_t
class_count(const md_dforest_header *h)
{
	if (h->task == MD_TASK_BINARY)
		return 2;
	return h->task == MD_TASK_MULTICLASS ? h->n_outputs : 0;
}

uint32_t
md_dtree_output_width(const md_model *m, md_output kind)
{
	const md_dforest_header *h = md_section_ptr(m, MD_SEC_DTREES);

	return md_tree_output_width(kind, class_count(h), h->n_outputs);
}

void
md_dtree_info(const md_model *m, md_info *info)
{
	const md_dforest_header *h = md_section_ptr(m, MD_SEC_DTREES);

	info->task = (md_task) h->task;
	info->objective = h->objective;
	info->booster = h->divisor != 1.0 ? "rf" : "gbdt";
	info->n_classes = class_count(h);
	info->n_trees = h->n_trees;
	info->n_nodes = h->n_nodes + h->n_leaves;
	info->max_depth = h->max_depth;
}

/*
 * The row as the trees read it, in double; LightGBM's row reader drops
 * values within 1e-35f of zero, so they read as 0.
 */
void
md_dtree_read_row(const md_dforest *f, uint32_t n_features, const double *x,
				  const float *x32, double *row)
{
	bool tiny = (f->h->flags & MD_DF_TINY_IS_ZERO) != 0;

	for (uint32_t i = 0; i < n_features; i++)
	{
		double v = x ? x[i] : (double) x32[i];

		row[i] = (tiny && fabs(v) <= MD_DTREE_ZERO) ? 0.0 : v;
	}
}

static double
leaf_output(const md_dforest *f, const md_dtree *t, uint32_t l,
			const double *row)
{
	const md_dleaf *leaf = f->leaves + t->first_leaf + l;
	double out;

	if (!(t->flags & MD_DTREE_LINEAR))
		return leaf->value;
	out = leaf->constant;
	for (uint32_t k = 0; k < leaf->n_terms; k++)
	{
		const md_dterm *term = f->terms + leaf->first_term + k;

		if (isnan(row[term->feature]))
			return leaf->value;
		out += term->coeff * row[term->feature];
	}
	return out;
}

/* Add the leaves of trees first..first+count-1 to raw, in order. */
void
md_dtree_walk_trees(const md_dforest *f, uint32_t first, uint32_t count,
					const double *row, double *raw)
{
	for (uint32_t i = first; i < first + count; i++)
	{
		const md_dtree *t = &f->trees[i];

		raw[t->output] += leaf_output(f, t, md_dtree_leaf(f, t, row), row);
	}
}

/* One row's raw outputs: the fast layout when the compiler wrote one. */
static void
raw_outputs(const md_model *m, const md_dforest *f, const double *row,
			double *x2, double *raw)
{
	const md_dforest_header *h = f->h;
	bool last = (h->flags & MD_DF_SCALE_LAST) != 0;

	if (last)
		memset(raw, 0, sizeof(double) * h->n_outputs);
	else
		memcpy(raw, f->init, sizeof(double) * h->n_outputs);
	if (md_section_ptr(m, MD_SEC_DTREES_FAST) != NULL)
		md_dfast_add_leaves(m, f, row, x2, raw);
	else
		md_dtree_walk_trees(f, 0, h->n_trees, row, raw);
	/* CatBoost sums the trees from 0 and applies scale and bias after */
	if (last)
		for (uint32_t k = 0; k < h->n_outputs; k++)
			raw[k] = f->init[h->n_outputs] * raw[k] + f->init[k];
}

static double
sigmoid(double scale, double r)
{
	return 1.0 / (1.0 + exp(-scale * r));
}

/* The one prediction of a regression or ranking output. */
static double
link_value(const md_dforest_header *h, double r)
{
	switch ((md_dlink) h->link)
	{
		case MD_DLINK_SIGMOID:
			return sigmoid(h->link_param, r);
		case MD_DLINK_EXP:
			return exp(r);
		case MD_DLINK_SIGNED_SQUARE:
			return (double) ((r > 0.0) - (r < 0.0)) * r * r;
		case MD_DLINK_LOG1P_EXP:
			return log1p(exp(r));
		default:
			return r;
	}
}

/* Class probabilities: [1 - p, p], softmax, or one sigmoid per class. */
static void
probabilities(const md_dforest_header *h, const double *raw, double *p)
{
	uint32_t n = h->n_outputs;
	double wmax = raw[0];
	double wsum = 0.0;

	if (h->task == MD_TASK_BINARY)
	{
		p[1] = sigmoid(h->link_param, raw[0]);
		p[0] = 1.0 - p[1];
		return;
	}
	if (h->link == MD_DLINK_OVA_SIGMOID)
	{
		for (uint32_t k = 0; k < n; k++)
			p[k] = sigmoid(h->link_param, raw[k]);
		return;
	}
	for (uint32_t k = 1; k < n; k++)
		wmax = raw[k] > wmax ? raw[k] : wmax;
	for (uint32_t k = 0; k < n; k++)
	{
		p[k] = exp(raw[k] - wmax);
		wsum += p[k];
	}
	for (uint32_t k = 0; k < n; k++)
		p[k] /= wsum;
}

/* The first of the largest raw outputs (every link is increasing). */
static double
argmax(const double *raw, uint32_t n)
{
	uint32_t best = 0;

	for (uint32_t k = 1; k < n; k++)
		if (raw[k] > raw[best])
			best = k;
	return best;
}

/*
 * Predictions of raw outputs; an averaging forest's are the raw sums
 * divided by its iteration count first (LightGBM's raw_score of an rf
 * model is the sum, its predictions average).
 */
static void
transform(const md_dforest_header *h, md_output kind, dtree_ws *ws,
		  double *out)
{
	bool classifier = class_count(h) > 0;

	if (kind == MD_OUTPUT_RAW)
	{
		memcpy(out, ws->raw, sizeof(double) * h->n_outputs);
		return;
	}
	if (h->divisor != 1.0)
		for (uint32_t k = 0; k < h->n_outputs; k++)
			ws->raw[k] /= h->divisor;

	switch (kind)
	{
		case MD_OUTPUT_RAW:
			break;
		case MD_OUTPUT_PROBA:
			probabilities(h, ws->raw, out);
			break;
		case MD_OUTPUT_PREDICT:
			if (h->task == MD_TASK_MULTICLASS)
				out[0] = argmax(ws->raw, h->n_outputs);
			else
				out[0] = link_value(h, ws->raw[0]);
			break;
		case MD_OUTPUT_CLASS:
			if (!classifier)
				break;
			if (h->task == MD_TASK_BINARY)
				out[0] = sigmoid(h->link_param, ws->raw[0]) > 0.5;
			else
				out[0] = argmax(ws->raw, h->n_outputs);
			break;
	}
}

md_status
md_dtree_score(const md_model *m, md_output kind, const double *x,
			   const float *x32, size_t n_rows, double *out, void *workspace)
{
	uint32_t nf = md_model_meta(m)->n_features;
	uint32_t width = md_dtree_output_width(m, kind);
	md_dforest f = md_dforest_of(m);
	dtree_ws ws = carve(m, workspace);

	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r++)
	{
		md_dtree_read_row(&f, nf, x ? x + r * nf : NULL,
						  x32 ? x32 + r * nf : NULL, ws.row);
		raw_outputs(m, &f, ws.row, ws.x2, ws.raw);
		transform(f.h, kind, &ws, out + r * width);
	}
	return MD_OK;
}
