/*-------------------------------------------------------------------------
 *
 * otree_score.c
 *	  Scoring with an ONNX-ML tree ensemble as ONNX Runtime does, and
 *	  describing one.
 *
 * ONNX Runtime's TreeEnsembleCommon (onnxruntime/core/providers/cpu/ml/,
 * tree_ensemble_common.h, tree_ensemble_aggregator.h, ml_common.h) with
 * one thread: a row walks each tree from its root ("true" branch iff
 * value OP threshold, or the value is NaN and the node's missing value
 * tracks true); the leaves' weights are aggregated per output in tree
 * order in the threshold type; base values are added; the post transform
 * runs in float and the outputs are floats.  Its quirks are kept because
 * they are its results: a single-target regressor applies PROBIT and no
 * other transform, a one-output leaf counts its first weight only, a class
 * with no weight reads 0, and the binary classifiers' scores follow its
 * binary-case rules (FinalizeScores of TreeAggregatorClassifier).  A
 * regressor of several targets (TreeEnsemble of opset 5) is finished by
 * the N-output FinalizeScores of the aggregators and write_scores: base
 * values only if there is one per target, a target no leaf weighed on
 * reads 0, the transform over all of them; it predicts one value per
 * target (as XGBoost's multi-target models), its raw values are the
 * scores before the transform.
 *
 * Float arithmetic is done in double and rounded to float after every
 * operation (to_t): for +, -, * and / of floats that gives the float
 * result exactly (double has more than 2 * 24 + 2 bits), so one code path
 * serves both threshold types.  Needs -ffp-contract=off.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "opost.h"
#include "oprep.h"
#include "otree.h"

/* The workspace: the row, and per output a score, a has-score flag, Z */
typedef struct otree_ws
{
	double *row;
	double *score;
	double *has;
	double *z;
} otree_ws;

static otree_ws
carve(const md_model *m, void *mem)
{
	const md_meta *meta = md_model_meta(m);
	otree_ws ws;

	ws.row = mem;
	ws.score = ws.row + meta->n_features;
	ws.has = ws.score + meta->n_outputs;
	ws.z = ws.has + meta->n_outputs;
	return ws;
}

size_t
md_otree_workspace_size(const md_model *m)
{
	const md_meta *meta = md_model_meta(m);

	return sizeof(double) *
		((size_t) meta->n_features + 3 * (size_t) meta->n_outputs);
}

static uint32_t
class_count(const md_otrees_header *h)
{
	return h->task == MD_TASK_REGRESSION ? 0 : h->n_outputs;
}

uint32_t
md_otree_output_width(const md_model *m, md_output kind)
{
	const md_otrees_header *h = md_section_ptr(m, MD_SEC_OTREES);

	/* several targets: a value each */
	if (kind == MD_OUTPUT_PREDICT && h->task == MD_TASK_REGRESSION)
		return h->n_outputs;
	return md_tree_output_width(kind, class_count(h), h->n_outputs);
}

void
md_otree_info(const md_model *m, md_info *info)
{
	const md_otrees_header *h = md_section_ptr(m, MD_SEC_OTREES);

	info->task = (md_task) h->task;
	info->objective = h->task == MD_TASK_REGRESSION ? "onnx:TreeEnsembleRegressor" : "onnx:TreeEnsembleClassifier";
	info->booster = (h->flags & MD_OT_DOUBLE) ? "trees (double)" : "trees";
	info->n_classes = class_count(h);
	info->n_trees = h->n_trees;
	info->n_nodes = h->n_nodes;
	info->max_depth = h->max_depth;
}

md_status
md_otree_explain_workspace_size(const md_model *m md_unused,
								size_t *size md_unused,
								md_error *err)
{
	return md_fail(err, MD_ERR_UNSUPPORTED,
				   "ONNX tree ensembles cannot be explained: the file has "
				   "no training cover (node hit rates are not counts)");
}

md_status
md_otree_explain(const md_model *m md_unused, const double *x md_unused,
				 uint32_t output md_unused,
				 double *contribs md_unused, void *workspace md_unused)
{
	return MD_ERR_UNSUPPORTED;
}

/* A value of the threshold type: rounded to float unless MD_OT_DOUBLE. */
static inline double
to_t(const md_otrees_header *h, double v)
{
	return (h->flags & MD_OT_DOUBLE) ? v : (double) (float) v;
}

/* The leaf a row reaches in tree t: true branch iff (v OP t) or tracked NaN */
static const md_onode *
leaf_of(const md_onode *nodes, const double *row)
{
	const md_onode *n = nodes;

	while (n->mode != MD_OMODE_LEAF)
	{
		double v = row[n->feature];
		bool yes;

		switch ((md_dop) n->mode)
		{
			case MD_DOP_LEQ:
				yes = v <= n->value;
				break;
			case MD_DOP_LT:
				yes = v < n->value;
				break;
			case MD_DOP_GTE:
				yes = v >= n->value;
				break;
			case MD_DOP_GT:
				yes = v > n->value;
				break;
			case MD_DOP_EQ:
				yes = v == n->value;
				break;
			default:
				yes = v != n->value;
				break;
		}
		if (isnan(v) && (n->flags & MD_ONODE_MISSING_TRUE))
			yes = true;
		n = nodes + (yes ? n->yes : n->no);
	}
	return n;
}

/* One weight into an output's score, per the aggregate function */
static void
aggregate(const md_otrees_header *h, double w, double *s, double *has)
{
	switch ((md_oagg) h->aggregate)
	{
		case MD_OAGG_MIN:
			*s = (*has == 0.0 || w < *s) ? w : *s;
			break;
		case MD_OAGG_MAX:
			*s = (*has == 0.0 || w > *s) ? w : *s;
			break;
		default:
			*s = to_t(h, *s + w);
			break;
	}
	*has = 1.0;
}

/* Every tree's leaf into the scores: the first weight if one output */
static void
walk_trees(const md_oforest *f, const double *row, otree_ws *ws)
{
	const md_otrees_header *h = f->h;

	for (uint32_t k = 0; k < h->n_outputs; k++)
		ws->score[k] = ws->has[k] = 0.0;
	for (uint32_t t = 0; t < h->n_trees; t++)
	{
		const md_onode *leaf = leaf_of(f->nodes + f->trees[t].first_node, row);
		const md_oweight *w = f->weights + leaf->yes;
		uint32_t count = h->n_outputs == 1 ? 1 : leaf->no;

		for (uint32_t i = 0; i < count; i++)
		{
			uint32_t o = h->n_outputs == 1 ? 0 : w[i].output;

			aggregate(h, w[i].value, &ws->score[o], &ws->has[o]);
		}
	}
}

/* FinalizeScores1 of a single-target regressor: raw in score[0], Z in z[0] */
static void
finish_regression(const md_oforest *f, otree_ws *ws)
{
	const md_otrees_header *h = f->h;
	double origin = h->n_base == 1 ? f->base[0] : 0.0;
	double s = ws->score[0];

	switch ((md_oagg) h->aggregate)
	{
		case MD_OAGG_SUM:
			s = to_t(h, s + origin);
			break;
		case MD_OAGG_AVERAGE:
			s = to_t(h, s / (double) h->n_trees);
			s = to_t(h, s + origin);
			break;
		default:
			s = ws->has[0] != 0.0 ? to_t(h, s + origin) : origin;
			break;
	}
	ws->score[0] = s;
	if (h->post_transform == MD_OPOST_PROBIT)
		ws->z[0] = md_opost_probit((float) s);
	else
		ws->z[0] = (h->flags & MD_OT_DOUBLE_OUT) ? s : (float) s;
}

/*
 * write_scores() for two or more scores: the transform over all of them,
 * in float; without one, the scores as the output type holds them.
 */
static void
transform_all(const md_otrees_header *h, const double *v, uint32_t n,
			  double *z)
{
	for (uint32_t k = 0; k < n; k++)
		z[k] = (h->flags & MD_OT_DOUBLE_OUT) ? v[k] : (float) v[k];
	if (h->post_transform == MD_OPOST_SOFTMAX ||
		h->post_transform == MD_OPOST_SOFTMAX_ZERO)
		md_opost_softmax(z, n, h->post_transform == MD_OPOST_SOFTMAX_ZERO,
						 (h->flags & MD_OT_DOUBLE_OUT) != 0);
	for (uint32_t k = 0; k < n; k++)
	{
		if (h->post_transform == MD_OPOST_LOGISTIC)
			z[k] = md_opost_logistic((float) z[k]);
		else if (h->post_transform == MD_OPOST_PROBIT)
			z[k] = md_opost_probit((float) z[k]);
	}
}

/* The scores as write_scores reads them: 0 where no weight was added */
static void
visible_scores(const otree_ws *ws, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		if (ws->has[k] == 0.0)
			ws->score[k] = 0.0;
}

/*
 * FinalizeScores of TreeAggregatorSum, Average, Min and Max with several
 * targets (has[] is left as it is: a target with no weight reads 0 even
 * with a base value)
 */
static void
finish_targets(const md_oforest *f, otree_ws *ws)
{
	const md_otrees_header *h = f->h;
	bool base = h->n_base == h->n_outputs;

	for (uint32_t k = 0; k < h->n_outputs; k++)
	{
		double s = ws->score[k];

		switch ((md_oagg) h->aggregate)
		{
			case MD_OAGG_SUM:
				s = base ? to_t(h, s + f->base[k]) : s;
				break;
			case MD_OAGG_AVERAGE:
				s = to_t(h, s / (double) h->n_trees);
				s = base ? to_t(h, s + f->base[k]) : s;
				break;
			default:
				s = to_t(h, (base ? f->base[k] : 0.0) + (ws->has[k] != 0.0 ? s : 0.0));
				break;
		}
		ws->score[k] = s;
	}
	visible_scores(ws, h->n_outputs);
	transform_all(h, ws->score, h->n_outputs, ws->z);
}

/* Multiclass: base values, the first largest scored class, the transform */
static uint32_t
finish_multiclass(const md_oforest *f, otree_ws *ws)
{
	const md_otrees_header *h = f->h;
	int64_t best = -1;

	for (uint32_t k = 0; k < h->n_base; k++)
	{
		ws->score[k] = ws->has[k] != 0.0 ? to_t(h, ws->score[k] + f->base[k]) : f->base[k];
		ws->has[k] = 1.0;
	}
	for (uint32_t k = 0; k < h->n_outputs; k++)
		if (ws->has[k] != 0.0 &&
			(best < 0 || ws->score[k] > ws->score[best]))
			best = k;
	visible_scores(ws, h->n_outputs);
	transform_all(h, ws->score, h->n_outputs, ws->z);
	return best < 0 ? 0 : (uint32_t) best;
}

/*
 * Binary classifiers: which class wins and how the second score is made
 * (_set_score_binary).  'second' is ORT's add_second_class: 0, 1 (weights
 * all positive: p and 1 - p), 2, 3 (mixed: s and -s), -1 (none).
 */
static uint32_t
binary_label(const md_otrees_header *h, double pos, int *second)
{
	if (!(h->flags & MD_OT_BINARY_CASE))
		return pos > 0.0;
	if (h->flags & MD_OT_WEIGHTS_POSITIVE)
	{
		*second = pos > 0.5 ? 0 : 1;
		return pos > 0.5;
	}
	*second = pos > 0.0 ? 2 : 3;
	return pos > 0.0;
}

/* Z of a binary classifier left with one score (write_scores, size 1) */
static void
second_score(const md_otrees_header *h, int second, otree_ws *ws)
{
	double v = ws->score[0];

	ws->z[1] = NAN; /* ONNX Runtime does not write it */
	if (h->post_transform == MD_OPOST_PROBIT)
		ws->z[0] = md_opost_probit((float) v);
	else if (second == 0 || second == 1)
	{
		ws->z[0] = (float) to_t(h, 1.0 - v);
		ws->z[1] = (float) v;
	}
	else if (second >= 2 && h->post_transform == MD_OPOST_LOGISTIC)
	{
		ws->z[0] = md_opost_logistic((float) -v);
		ws->z[1] = md_opost_logistic((float) v);
	}
	else if (second >= 2)
	{
		ws->z[0] = (float) -v;
		ws->z[1] = (float) v;
	}
	else
		ws->z[0] = (float) v;
}

/* FinalizeScores of TreeAggregatorClassifier with two classes */
static uint32_t
finish_binary(const md_oforest *f, otree_ws *ws)
{
	const md_otrees_header *h = f->h;
	double *s = ws->score;
	double *has = ws->has;
	uint32_t size = 2;
	int second = -1;
	double pos;
	uint32_t label;

	if (h->n_base == 2 && has[1] != 0.0)
	{
		s[1] = to_t(h, f->base[1] + s[0]);
		s[0] = -s[1];
	}
	else if (h->n_base == 2)
	{
		s[1] = to_t(h, s[1] + f->base[1]);
		s[0] = to_t(h, s[0] + f->base[0]);
	}
	else if (h->n_base == 1)
		s[0] = to_t(h, s[0] + f->base[0]);
	else
		second = 3;
	if (h->n_base < 2 && has[1] == 0.0)
		size = 1;
	pos = (size == 2 && has[1] != 0.0) ? s[1] : (has[0] != 0.0 ? s[0] : 0.0);
	label = binary_label(h, pos, &second);
	visible_scores(ws, 2);
	if (size == 2)
		transform_all(h, s, 2, ws->z);
	else
		second_score(h, second, ws);
	return label;
}

static void
emit(const md_otrees_header *h, md_output kind, const otree_ws *ws,
	 uint32_t label, double *out)
{
	switch (kind)
	{
		case MD_OUTPUT_RAW:
			memcpy(out, ws->score, sizeof(double) * h->n_outputs);
			break;
		case MD_OUTPUT_PROBA:
			memcpy(out, ws->z, sizeof(double) * h->n_outputs);
			break;
		case MD_OUTPUT_PREDICT:
			if (h->task == MD_TASK_REGRESSION)
				memcpy(out, ws->z, sizeof(double) * h->n_outputs);
			else
				out[0] = h->task == MD_TASK_BINARY ? ws->z[1] : label;
			break;
		case MD_OUTPUT_CLASS:
			out[0] = label;
			break;
	}
}

/*
 * The row as the trees read it: pre-processed if the model says so, then
 * float, or double (MD_OT_DOUBLE)
 */
static void
read_row(const md_model *m, const md_otrees_header *h, uint32_t nf,
		 const double *x, const float *x32, double *row)
{
	for (uint32_t i = 0; i < nf; i++)
		row[i] = x ? x[i] : (double) x32[i];
	md_oprep_run(m, row);
	for (uint32_t i = 0; i < nf; i++)
		if (!(h->flags & MD_OT_DOUBLE))
			row[i] = md_round_to_float(row[i]);
}

md_status
md_otree_score(const md_model *m, md_output kind, const double *x,
			   const float *x32, size_t n_rows, double *out, void *workspace)
{
	uint32_t nf = md_model_meta(m)->n_features;
	uint32_t width = md_otree_output_width(m, kind);
	md_oforest f = md_oforest_of(m);
	otree_ws ws = carve(m, workspace);

	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r++)
	{
		uint32_t label = 0;

		read_row(m, f.h, nf, x ? x + r * nf : NULL, x32 ? x32 + r * nf : NULL,
				 ws.row);
		walk_trees(&f, ws.row, &ws);
		if (f.h->task == MD_TASK_REGRESSION && f.h->n_outputs > 1)
			finish_targets(&f, &ws);
		else if (f.h->task == MD_TASK_REGRESSION)
			finish_regression(&f, &ws);
		else if (f.h->task == MD_TASK_BINARY)
			label = finish_binary(&f, &ws);
		else
			label = finish_multiclass(&f, &ws);
		emit(f.h, kind, &ws, label, out + r * width);
	}
	return MD_OK;
}
