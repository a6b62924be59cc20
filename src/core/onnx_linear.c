/*-------------------------------------------------------------------------
 *
 * onnx_linear.c
 *	  An ai.onnx.ml LinearRegressor or LinearClassifier node, and the
 *	  Normalizer after it, into MD_SEC_OLINEAR.
 *
 * What ONNX Runtime reads (linearregressor.cc, linearclassifier.cc): the
 * coefficients, one row per output; the intercepts (a regressor uses them
 * only if there is one per target; a classifier has one output per
 * intercept); post_transform; a classifier's labels.  A classifier with
 * one output and two labels scores [1 - s, s].  Shapes ONNX Runtime
 * would read out of bounds or answer with labels it invents ("0", "1")
 * are refused, as are a multi-target regressor and PROBIT on one output
 * of two classes (whose scores ONNX Runtime writes packed, not paired).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "onnx.h"

static bool
is_op(const Onnx__NodeProto *n, const char *op)
{
	return n->op_type != NULL && strcmp(n->op_type, op) == 0;
}

static md_status
refuse(const Onnx__NodeProto *n, md_status st, const char *what,
	   md_error *err)
{
	return md_fail(err, st, "the ONNX %s node \"%s\" %s", n->op_type,
				   n->name ? n->name : "", what);
}

/* Outputs: a regressor's targets, a classifier's intercepts */
static md_status
output_count(const Onnx__NodeProto *node, size_t n_intercepts,
			 int64_t *count, md_error *err)
{
	if (is_op(node, "LinearClassifier"))
	{
		*count = (int64_t) n_intercepts;
		return MD_OK;
	}
	return md_onnx_int(node, "targets", 1, count, err);
}

md_status
md_onnx_linear_width(const Onnx__NodeProto *node, int64_t *width,
					 md_error *err)
{
	const float *coef;
	const float *icpt;
	size_t n_coef;
	size_t n_icpt;
	int64_t outputs;
	md_status st = md_onnx_floats(node, "coefficients", &coef, &n_coef, err);

	if (st == MD_OK)
		st = md_onnx_floats(node, "intercepts", &icpt, &n_icpt, err);
	if (st == MD_OK)
		st = output_count(node, n_icpt, &outputs, err);
	if (st != MD_OK)
		return st;
	*width = outputs > 0 ? (int64_t) n_coef / outputs : 0;
	return MD_OK;
}

static md_status
read_norm(const Onnx__NodeProto *norm, uint32_t *choice, md_error *err)
{
	static const char *const norms[] = {
		[MD_ONORM_MAX] = "MAX", [MD_ONORM_L1] = "L1", [MD_ONORM_L2] = "L2"};

	*choice = MD_ONORM_NONE;
	if (norm == NULL)
		return MD_OK;
	return md_onnx_choice(norm, "norm", "MAX", norms, MD_ONORM__END, choice,
						  err);
}

/* The task, outputs and flags of the header, checked against the labels */
static md_status
read_shape(const Onnx__NodeProto *node, uint32_t n_classes, int64_t outputs,
		   const md_limits *limits, md_olinear_header *h, md_error *err)
{
	bool classifier = is_op(node, "LinearClassifier");

	if (outputs < 1)
		return refuse(node, MD_ERR_MODEL, classifier ? "has no intercepts (one per class)" : "has no targets", err);
	if (outputs > limits->max_classes)
		return md_fail_limit(err, "the ONNX linear model has", outputs,
							 "outputs", limits->max_classes, "max_classes");
	h->n_outputs = (uint32_t) outputs;
	h->n_classes = n_classes;
	if (!classifier)
	{
		if (outputs != 1)
			return refuse(node, MD_ERR_UNSUPPORTED, "has several targets; "
													"single-target regressors are supported",
						  err);
		h->task = MD_TASK_REGRESSION;
		return MD_OK;
	}
	h->task = n_classes == 2 ? MD_TASK_BINARY : MD_TASK_MULTICLASS;
	if (outputs == 1 && n_classes == 2)
		h->flags = MD_OL_SECOND_CLASS;
	else if (outputs != n_classes)
		return refuse(node, MD_ERR_MODEL, "does not have one intercept per "
										  "class label",
					  err);
	if ((h->flags & MD_OL_SECOND_CLASS) &&
		h->post_transform == MD_OPOST_PROBIT)
		return refuse(node, MD_ERR_UNSUPPORTED, "has PROBIT on one score "
												"of two classes, which ONNX Runtime does not pair",
					  err);
	return MD_OK;
}

static void
write_section(md_olinear_header *h, const float *coef, size_t n_coef,
			  const float *icpt, md_builder *b)
{
	uint64_t head_at;

	md_builder_begin(b, MD_SEC_OLINEAR);
	head_at = md_builder_reserve(b, sizeof(*h));
	h->coef_offset = md_builder_put(b, coef, sizeof(float) * n_coef);
	h->intercept_offset = md_builder_reserve(b, sizeof(float) * h->n_outputs);
	if (md_builder_at(b, h->intercept_offset) != NULL && icpt != NULL)
		memcpy(md_builder_at(b, h->intercept_offset), icpt,
			   sizeof(float) * h->n_outputs);
	if (md_builder_at(b, head_at) != NULL)
		memcpy(md_builder_at(b, head_at), h, sizeof(*h));
	md_builder_end(b);
}

md_status
md_onnx_build_linear(const Onnx__NodeProto *node, const Onnx__NodeProto *norm,
					 uint32_t n_classes, uint32_t n_features,
					 const md_limits *limits, md_builder *b,
					 uint32_t *n_outputs, md_error *err)
{
	md_olinear_header h;
	const float *coef;
	const float *icpt;
	size_t n_coef;
	size_t n_icpt;
	int64_t outputs;
	md_status st;

	memset(&h, 0, sizeof(h));
	st = md_onnx_floats(node, "coefficients", &coef, &n_coef, err);
	if (st == MD_OK)
		st = md_onnx_floats(node, "intercepts", &icpt, &n_icpt, err);
	if (st == MD_OK)
		st = md_onnx_post_transform(node, &h.post_transform, err);
	if (st == MD_OK)
		st = read_norm(norm, &h.norm, err);
	if (st == MD_OK)
		st = output_count(node, n_icpt, &outputs, err);
	if (st == MD_OK)
		st = read_shape(node, n_classes, outputs, limits, &h, err);
	if (st != MD_OK)
		return st;
	if (n_coef != (uint64_t) h.n_outputs * n_features)
		return md_fail(err, MD_ERR_MODEL,
					   "the ONNX %s node \"%s\" has %zu coefficients for %u "
					   "outputs of %u features",
					   node->op_type,
					   node->name ? node->name : "", n_coef, h.n_outputs,
					   n_features);
	/* a regressor without one intercept per target adds none */
	if (n_icpt != h.n_outputs)
		icpt = NULL;
	write_section(&h, coef, n_coef, icpt, b);
	*n_outputs = h.n_outputs;
	return MD_OK;
}
