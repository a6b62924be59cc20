/*-------------------------------------------------------------------------
 *
 * native_score.c
 *	  Scoring with a native model: preprocessing, the estimator's raw
 *	  outputs, and the link that turns them into predictions.
 *
 * Everything is double precision and follows scikit-learn's arithmetic:
 * trees compare the input rounded to float32 with a double threshold
 * (sklearn's trees convert X to float32) or, for HistGradientBoosting, the
 * input itself, with its missing-value directions and category sets (see
 * native.h); ensembles add leaves in tree order
 * starting from the init values (learning_rate * leaf for boosting) and
 * divide by the tree count for averaging, exactly as sklearn does, so tree
 * models agree to the last bit or so.  Dot products (linear models, MLPs)
 * are summed in index order, where numpy's BLAS may use another order;
 * they agree to about 1e-15 relative.
 *
 * A row the model refuses (see md_fault_kind) gives NaN outputs and
 * MD_ERR_INPUT; fault.c explains it.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "native.h"

/* The workspace: registers, raw outputs, probabilities, estimator scratch */
typedef struct native_ws
{
	double *reg;
	double *raw;
	double *proba;
	double *scratch;
} native_ws;

static uint32_t
scratch_size(const md_model *m)
{
	const md_native_header *h = md_native_head(m);
	const void *body = md_native_at(h, h->body_offset);

	if (h->kind == MD_NATIVE_TREES)
		return h->n_inputs;
	if (h->kind == MD_NATIVE_MLP)
		return 2 * ((const md_native_mlp *) body)->max_width;
	return 0;
}

static native_ws
carve(const md_model *m, void *mem)
{
	const md_native_header *h = md_native_head(m);
	const md_prep_header *ph = md_section_ptr(m, MD_SEC_PREPROCESS);
	native_ws ws;

	ws.reg = mem;
	ws.raw = ws.reg + ph->n_registers;
	ws.proba = ws.raw + h->n_outputs;
	ws.scratch = ws.proba + (h->n_classes > 2 ? h->n_classes : 2);
	return ws;
}

size_t
md_native_workspace_size(const md_model *m)
{
	const md_native_header *h = md_native_head(m);
	const md_prep_header *ph = md_section_ptr(m, MD_SEC_PREPROCESS);

	return sizeof(double) * ((size_t) ph->n_registers + h->n_outputs + (h->n_classes > 2 ? h->n_classes : 2) + scratch_size(m));
}

/* --- estimators: inputs x[n_inputs] -> raw outputs r[n_outputs] -------- */

static void
linear_raw(const md_native_linear *lin, const void *sec, const double *x,
		   double *r)
{
	const double *coef = md_native_at(sec, lin->coef_offset);
	const double *icpt = md_native_at(sec, lin->intercept_offset);

	for (uint32_t k = 0; k < lin->n_outputs; k++)
	{
		const double *w = coef + (size_t) k * lin->n_inputs;
		double s = 0.0;

		for (uint32_t i = 0; i < lin->n_inputs; i++)
			s += x[i] * w[i];
		r[k] = s + icpt[k];
	}
}

/*
 * A categorical split: its left set, then (MD_NODE_KNOWN) its known set;
 * a negative category, or one outside a known set, goes where missing
 * values go, one outside the bitsets without a known set goes right.
 */
static bool
category_goes_left(const md_native_node *n, const uint32_t *bits, double v)
{
	if (v >= 0.0 && v < 32.0 * n->n_words)
	{
		uint32_t c = (uint32_t) v;

		if ((bits[c / 32] >> (c % 32)) & 1)
			return true;
		if (!(n->flags & MD_NODE_KNOWN) ||
			((bits[n->n_words + c / 32] >> (c % 32)) & 1))
			return false;
	}
	else if (v >= 0.0 && !(n->flags & MD_NODE_KNOWN))
		return false;
	return (n->flags & MD_NODE_MISSING_LEFT) != 0;
}

/* A split with flags: a missing value's direction, or a category set. */
static bool
goes_left(const md_native_node *n, const uint32_t *words, double v)
{
	if (isnan(v))
		return (n->flags & MD_NODE_MISSING_LEFT) != 0;
	if (n->flags & MD_NODE_CATEGORICAL)
		return category_goes_left(n, words + n->value, v);
	return v <= n->threshold;
}

static void
forest_raw(const md_native_forest *f, const void *sec, const double *x,
		   uint32_t n_inputs, double *r, double *xf)
{
	const md_native_tree *trees = md_native_at(sec, f->trees_offset);
	const md_native_node *nodes = md_native_at(sec, f->nodes_offset);
	const double *values = md_native_at(sec, f->values_offset);
	const uint32_t *words = md_native_at(sec, f->words_offset);
	const double *in = x;

	if (!(f->flags & MD_FOREST_DOUBLE))
	{
		for (uint32_t i = 0; i < n_inputs; i++)
			xf[i] = (double) md_round_to_float(x[i]);
		in = xf;
	}
	memcpy(r, md_native_at(sec, f->init_offset), sizeof(double) * f->n_outputs);
	for (uint32_t t = 0; t < f->n_trees; t++)
	{
		const md_native_node *tn = nodes + trees[t].first_node;
		const double *leaf;
		uint32_t i = 0;

		/* a plain numeric split sends NaN right, as !(NaN <= t) */
		while (tn[i].left != 0)
			i = tn[i].left + !(tn[i].flags == 0 ? in[tn[i].feature] <= tn[i].threshold : goes_left(&tn[i], words, in[tn[i].feature]));
		leaf = values + tn[i].value;
		for (uint32_t j = 0; j < trees[t].width; j++)
		{
			double step = f->learning_rate * leaf[j];

			r[trees[t].output + j] += step;
		}
	}
	if (f->aggregation == MD_AGG_MEAN)
		for (uint32_t k = 0; k < f->n_outputs; k++)
			r[k] /= f->n_trees;
}

static double
expit(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

static double
activate(md_activation act, double v)
{
	switch (act)
	{
		case MD_ACT_RELU:
			return v > 0.0 ? v : 0.0;
		case MD_ACT_TANH:
			return tanh(v);
		case MD_ACT_LOGISTIC:
			return expit(v);
		default:
			return v;
	}
}

static void
mlp_raw(const md_native_mlp *mlp, const void *sec, const double *x,
		double *r, double *buf)
{
	const md_native_layer *layers = md_native_at(sec, mlp->layers_offset);
	const double *in = x;

	for (uint32_t l = 0; l < mlp->n_layers; l++)
	{
		const md_native_layer *layer = &layers[l];
		const double *w = md_native_at(sec, layer->weights_offset);
		const double *bias = md_native_at(sec, layer->bias_offset);
		double *out = l + 1 == mlp->n_layers ? r
											 : buf + (l % 2) * mlp->max_width;

		for (uint32_t j = 0; j < layer->n_out; j++)
		{
			const double *wj = w + (size_t) j * layer->n_in;
			double s = 0.0;

			for (uint32_t i = 0; i < layer->n_in; i++)
				s += in[i] * wj[i];
			out[j] = activate(layer->activation, s + bias[j]);
		}
		in = out;
	}
}

/* Squared distances; RAW output takes their square roots. */
static void
kmeans_raw(const md_native_kmeans *km, const void *sec, const double *x,
		   double *r)
{
	const double *c = md_native_at(sec, km->centroids_offset);

	for (uint32_t k = 0; k < km->n_clusters; k++)
	{
		const double *ck = c + (size_t) k * km->n_inputs;
		double s = 0.0;

		for (uint32_t i = 0; i < km->n_inputs; i++)
		{
			double d = x[i] - ck[i];

			s += d * d;
		}
		r[k] = s;
	}
}

static void
estimator_raw(const md_native_header *h, const double *x, native_ws *ws)
{
	const void *body = md_native_at(h, h->body_offset);

	switch ((md_native_kind) h->kind)
	{
		case MD_NATIVE_LINEAR:
			linear_raw(body, h, x, ws->raw);
			break;
		case MD_NATIVE_TREES:
			forest_raw(body, h, x, h->n_inputs, ws->raw, ws->scratch);
			break;
		case MD_NATIVE_MLP:
			mlp_raw(body, h, x, ws->raw, ws->scratch);
			break;
		case MD_NATIVE_KMEANS:
		case MD_NATIVE__END:
			kmeans_raw(body, h, x, ws->raw);
			break;
	}
}

/* --- links ------------------------------------------------------------- */

/* scikit-learn's softmax: shift by the maximum, exponentiate, normalise. */
static void
softmax(const double *r, uint32_t n, double *p)
{
	double max = r[0],
		   sum = 0.0;

	for (uint32_t k = 1; k < n; k++)
		if (r[k] > max)
			max = r[k];
	for (uint32_t k = 0; k < n; k++)
	{
		p[k] = exp(r[k] - max);
		sum += p[k];
	}
	for (uint32_t k = 0; k < n; k++)
		p[k] /= sum;
}

static void
probabilities(const md_native_header *h, const double *r, double *p)
{
	double sum = 0.0;

	if (h->link == MD_LINK_SOFTMAX && h->n_outputs == 1)
	{
		double pair[2] = {-r[0], r[0]};

		softmax(pair, 2, p);
	}
	else if (h->link == MD_LINK_SOFTMAX)
		softmax(r, h->n_outputs, p);
	else if (h->link == MD_LINK_LOGISTIC && h->n_outputs == 1)
	{
		p[1] = expit(r[0]);
		p[0] = 1.0 - p[1];
	}
	else if (h->link == MD_LINK_LOGISTIC)
	{
		/* one-vs-rest, normalised as LogisticRegression does */
		for (uint32_t k = 0; k < h->n_outputs; k++)
		{
			p[k] = expit(r[k]);
			sum += p[k];
		}
		for (uint32_t k = 0; k < h->n_outputs; k++)
			p[k] /= sum;
	}
	else
		memcpy(p, r, sizeof(double) * h->n_classes);
}

/* Index of the largest (or smallest) value; the first wins ties. */
static uint32_t
extreme(const double *v, uint32_t n, bool smallest)
{
	uint32_t best = 0;

	for (uint32_t k = 1; k < n; k++)
		if (smallest ? v[k] < v[best] : v[k] > v[best])
			best = k;
	return best;
}

static uint32_t
decide(const md_native_header *h, const double *r, double *p)
{
	switch ((md_decision) h->decision)
	{
		case MD_DECIDE_RAW:
			if (h->n_outputs == 1)
				return r[0] > 0.0;
			return extreme(r, h->n_outputs, false);
		case MD_DECIDE_PROBA:
			probabilities(h, r, p);
			return extreme(p, h->n_classes, false);
		case MD_DECIDE_NEAREST:
		case MD_DECIDE__END:
			break;
	}
	return extreme(r, h->n_outputs, true);
}

static void
transform(const md_native_header *h, md_output kind, native_ws *ws,
		  double *out)
{
	const double *r = ws->raw;

	switch (kind)
	{
		case MD_OUTPUT_RAW:
			for (uint32_t k = 0; k < h->n_outputs; k++)
				out[k] = h->kind == MD_NATIVE_KMEANS ? sqrt(r[k]) : r[k];
			break;
		case MD_OUTPUT_PROBA:
			probabilities(h, r, out);
			break;
		case MD_OUTPUT_CLASS:
			out[0] = decide(h, r, ws->proba);
			break;
		case MD_OUTPUT_PREDICT:
			if (h->task == MD_TASK_REGRESSION)
				out[0] = h->link == MD_LINK_EXP ? exp(r[0]) : r[0];
			else if (h->task == MD_TASK_BINARY)
			{
				probabilities(h, r, ws->proba);
				out[0] = ws->proba[1];
			}
			else
				out[0] = decide(h, r, ws->proba);
			break;
	}
}

/* --- rows ---------------------------------------------------------------- */

/* The MD_FOREST_* flags of a tree ensemble, 0 for other estimators. */
static uint32_t
forest_flags(const md_native_header *h)
{
	if (h->kind != MD_NATIVE_TREES)
		return 0;
	return ((const md_native_forest *) md_native_at(h, h->body_offset))->flags;
}

/*
 * What the estimator refuses: NaN (sklearn's estimators reject missing
 * values; trees with missing-value directions take them), infinities, and
 * for trees comparing in float32 values that overflow it.
 */
static bool
check_inputs(const md_model *m, const double *x, md_fault *fault)
{
	const md_prep_header *ph = md_section_ptr(m, MD_SEC_PREPROCESS);
	const uint32_t *origin = md_native_at(ph, ph->origin_offset);
	const md_native_header *h = md_native_head(m);
	uint32_t flags = forest_flags(h);
	bool single = h->kind == MD_NATIVE_TREES &&
		!(flags & MD_FOREST_DOUBLE);
	bool missing_ok = (flags & MD_FOREST_MISSING) != 0;

	for (uint32_t i = 0; i < ph->out_width; i++)
	{
		md_fault_kind kind = MD_FAULT_NONE;

		if (isnan(x[i]))
			kind = missing_ok ? MD_FAULT_NONE : MD_FAULT_MISSING;
		else if (isinf(x[i]) || (single && isinf(md_round_to_float(x[i]))))
			kind = MD_FAULT_RANGE;
		if (kind != MD_FAULT_NONE)
		{
			fault->kind = kind;
			fault->feature = origin[i];
			fault->value = x[i];
			fault->op = NULL;
			return false;
		}
	}
	return true;
}

/* Preprocess the row in ws->reg; the estimator's inputs, or NULL. */
static const double *
estimator_inputs(const md_model *m, native_ws *ws, md_fault *fault)
{
	const md_prep_header *ph = md_section_ptr(m, MD_SEC_PREPROCESS);
	const double *x = ws->reg + ph->out_start;

	if (!md_prep_run(m, ws->reg, fault) || !check_inputs(m, x, fault))
		return NULL;
	return x;
}

md_status
md_native_score(const md_model *m, md_output kind, const double *x,
				const float *x32, size_t n_rows, double *out,
				void *workspace)
{
	const md_native_header *h = md_native_head(m);
	uint32_t nf = md_model_meta(m)->n_features;
	uint32_t width = md_native_output_width(m, kind);
	native_ws ws = carve(m, workspace);
	md_status st = MD_OK;

	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r++)
	{
		const double *in;
		md_fault fault;

		for (uint32_t f = 0; f < nf; f++)
			ws.reg[f] = x ? x[r * nf + f] : (double) x32[r * nf + f];
		in = estimator_inputs(m, &ws, &fault);
		if (in == NULL)
		{
			for (uint32_t k = 0; k < width; k++)
				out[r * width + k] = NAN;
			st = MD_ERR_INPUT;
			continue;
		}
		estimator_raw(h, in, &ws);
		transform(h, kind, &ws, out + r * width);
	}
	return st;
}

/*
 * Preprocess one row: the estimator's inputs (in the workspace), or NULL
 * with the reason the row is refused.
 */
const double *
md_native_inputs(const md_model *m, const double *x, void *workspace,
				 md_fault *fault)
{
	native_ws ws = carve(m, workspace);

	memcpy(ws.reg, x, sizeof(double) * md_model_meta(m)->n_features);
	return estimator_inputs(m, &ws, fault);
}
