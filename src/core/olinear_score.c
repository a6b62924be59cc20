/*-------------------------------------------------------------------------
 *
 * olinear_score.c
 *	  Scoring with an ONNX-ML linear model as ONNX Runtime does, and
 *	  describing one.
 *
 * ONNX Runtime's LinearRegressor and LinearClassifier (linearregressor.cc,
 * linearclassifier.cc) form X * coefficients^T + intercepts with MLAS's
 * SGEMM: on x86-64 with FMA, each score starts at 0, takes one fused
 * multiply-add per feature in feature order, and is added to the
 * intercept.  The label is chosen on these raw scores (s > 0 for one
 * score; the first largest otherwise), then batched_update_scores_inplace
 * (ml_common.h) transforms them: several scores by MLAS's logistic,
 * ComputeSoftmax(Zero) or ComputeProbit; one score by PROBIT only, or --
 * a binary classifier with one row of coefficients -- into [1 - p, p],
 * p = ComputeLogistic(s) under LOGISTIC and s otherwise (as ONNX Runtime
 * 1.31.1 answers; test/onnx/onnx_linear.py).  A Normalizer node after the
 * model (normalizer.cc) is applied last.
 *
 * Not ONNX Runtime's to the bit: SOFTMAX over 5 or more scores, where it
 * uses MlasComputeSoftmax (its own exp, a vector sum, a multiplication by
 * 1 / sum); ComputeSoftmax's arithmetic here is within 4 ulps of it on
 * the test's rows (5, 7 and 12 classes, test/onnx/onnx_linear.py).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "olinear.h"
#include "opost.h"
#include "oprep.h"

/* Scores per row as ONNX Runtime writes them */
static uint32_t
score_count(const md_olinear_header *h)
{
	return (h->flags & MD_OL_SECOND_CLASS) ? 2 : h->n_outputs;
}

size_t
md_olinear_workspace_size(const md_model *m)
{
	const md_meta *meta = md_model_meta(m);

	/* the row, the raw scores, the transformed scores */
	return sizeof(double) * ((size_t) meta->n_features + 2 + 2 * (size_t) meta->n_outputs);
}

uint32_t
md_olinear_output_width(const md_model *m, md_output kind)
{
	const md_olinear_header *h = md_section_ptr(m, MD_SEC_OLINEAR);

	return md_tree_output_width(kind, h->n_classes, h->n_outputs);
}

void
md_olinear_info(const md_model *m, md_info *info)
{
	const md_olinear_header *h = md_section_ptr(m, MD_SEC_OLINEAR);

	info->task = (md_task) h->task;
	info->objective = h->task == MD_TASK_REGRESSION ? "onnx:LinearRegressor" : "onnx:LinearClassifier";
	info->booster = "linear";
	info->n_classes = h->n_classes;
}

md_status
md_olinear_explain_workspace_size(const md_model *m md_unused,
								  size_t *size md_unused, md_error *err)
{
	return md_fail(err, MD_ERR_UNSUPPORTED,
				   "ONNX linear models cannot be explained yet");
}

md_status
md_olinear_explain(const md_model *m md_unused, const double *x md_unused,
				   uint32_t output md_unused, double *contribs md_unused,
				   void *workspace md_unused)
{
	return MD_ERR_UNSUPPORTED;
}

/* The GEMM's score k: fused multiply-adds in feature order, + intercept */
static float
gemm_score(const md_olinear *l, uint32_t nf, uint32_t k, const double *row)
{
	const float *w = l->coef + (size_t) k * nf;
	float acc = 0.0f;

	for (uint32_t j = 0; j < nf; j++)
		acc = fmaf((float) row[j], w[j], acc);
	return l->intercept[k] + acc;
}

/* The label: s > 0 for one score, else the first largest score */
static uint32_t
label_of(const md_olinear_header *h, const double *raw)
{
	uint32_t best = 0;

	if (h->n_outputs == 1)
		return raw[0] > 0;
	for (uint32_t k = 1; k < h->n_outputs; k++)
		if ((float) raw[k] > (float) raw[best])
			best = k;
	return best;
}

/* batched_update_scores_inplace on one row: raw into z */
static void
transform(const md_olinear_header *h, const double *raw, double *z)
{
	uint32_t n = h->n_outputs;

	memcpy(z, raw, sizeof(double) * n);
	if (h->flags & MD_OL_SECOND_CLASS)
	{
		float p = (float) raw[0];

		if (h->post_transform == MD_OPOST_LOGISTIC)
			p = md_opost_logistic(p);
		z[0] = 1.0f - p;
		z[1] = p;
		return;
	}
	if (n == 1)
	{
		if (h->post_transform == MD_OPOST_PROBIT)
			z[0] = md_opost_probit((float) raw[0]);
		return;
	}
	for (uint32_t k = 0; k < n; k++)
		if (h->post_transform == MD_OPOST_LOGISTIC)
			z[k] = md_opost_mlas_logistic((float) raw[k]);
		else if (h->post_transform == MD_OPOST_PROBIT)
			z[k] = md_opost_probit((float) raw[k]);
	if (h->post_transform == MD_OPOST_SOFTMAX ||
		h->post_transform == MD_OPOST_SOFTMAX_ZERO)
		md_opost_softmax(z, n, h->post_transform == MD_OPOST_SOFTMAX_ZERO,
						 false);
}

/* normalizer.cc's NormalizeMax, NormalizeL1, NormalizeL2 on n floats */
static void
normalize(uint32_t norm, double *z, uint32_t n)
{
	float s = norm == MD_ONORM_MAX ? -FLT_MAX : 0.0f;

	if (norm == MD_ONORM_NONE)
		return;
	for (uint32_t k = 0; k < n; k++)
	{
		float v = (float) z[k];

		if (norm == MD_ONORM_MAX)
			s = v > s ? v : s;
		else
			s += norm == MD_ONORM_L1 ? fabsf(v) : v * v;
	}
	if (s == 0.0f)
		return;
	for (uint32_t k = 0; k < n; k++)
	{
		float v = (float) z[k];

		if (norm != MD_ONORM_L2)
			z[k] = v / s;
		else
			z[k] = v < 0 ? -sqrtf(v * v / s) : sqrtf(v * v / s);
	}
}

static void
emit(const md_olinear_header *h, md_output kind, const double *raw,
	 const double *z, uint32_t label, double *out)
{
	switch (kind)
	{
		case MD_OUTPUT_RAW:
			memcpy(out, raw, sizeof(double) * h->n_outputs);
			break;
		case MD_OUTPUT_PROBA:
			memcpy(out, z, sizeof(double) * h->n_classes);
			break;
		case MD_OUTPUT_PREDICT:
			if (h->task == MD_TASK_REGRESSION)
				out[0] = z[0];
			else
				out[0] = h->task == MD_TASK_BINARY ? z[1] : label;
			break;
		case MD_OUTPUT_CLASS:
			out[0] = label;
			break;
	}
}

md_status
md_olinear_score(const md_model *m, md_output kind, const double *x,
				 const float *x32, size_t n_rows, double *out,
				 void *workspace)
{
	uint32_t nf = md_model_meta(m)->n_features;
	uint32_t width = md_olinear_output_width(m, kind);
	md_olinear l = md_olinear_of(m);
	double *row = workspace;
	double *raw = row + nf;
	double *z = raw + l.h->n_outputs;

	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r++)
	{
		uint32_t label;

		for (uint32_t j = 0; j < nf; j++)
			row[j] = x ? x[r * nf + j] : (double) x32[r * nf + j];
		md_oprep_run(m, row);
		for (uint32_t k = 0; k < l.h->n_outputs; k++)
			raw[k] = gemm_score(&l, nf, k, row);
		label = label_of(l.h, raw);
		transform(l.h, raw, z);
		normalize(l.h->norm, z, score_count(l.h));
		emit(l.h, kind, raw, z, label, out + r * width);
	}
	return MD_OK;
}
