/*-------------------------------------------------------------------------
 *
 * native_explain.c
 *	  Explanations of native models.
 *
 * Native linear models (scikit-learn's, exported) are explained after their
 * preprocessing: each estimator input contributes its coefficient times its
 * preprocessed value, and the inputs an input feature became (a one-hot
 * encoding's indicators, say) add up to that feature's contribution; the
 * bias is the intercept.  Other native models (trees, MLPs, k-means) carry
 * nothing an exact explanation could be built from.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "native.h"

static bool
is_linear(const md_model *m)
{
	return md_native_head(m)->kind == MD_NATIVE_LINEAR;
}

md_status
md_native_explain_workspace_size(const md_model *m, size_t *size,
								 md_error *err)
{
	md_info info;

	md_clear_error(err);
	*size = 0;
	if (is_linear(m))
	{
		*size = md_native_workspace_size(m);
		return MD_OK;
	}
	md_get_info(m, &info);
	md_fail(err, MD_ERR_UNSUPPORTED,
			"explanations of native-format %s models are not supported",
			info.booster);
	md_hint(err, "XGBoost models (trees and gblinear) and native linear "
				 "models can be explained.");
	return MD_ERR_UNSUPPORTED;
}

/*
 * A native linear model's contributions, in double precision as it scores:
 * coefficient x preprocessed input, each added to the input feature it
 * came from.  MD_ERR_INPUT if the model refuses the row.
 */
static md_status
explain_linear(const md_model *m, const double *x, uint32_t output,
			   double *contribs, void *workspace_mem)
{
	const md_native_header *h = md_native_head(m);
	const md_native_linear *lin = md_native_at(h, h->body_offset);
	const md_prep_header *ph = md_section_ptr(m, MD_SEC_PREPROCESS);
	const uint32_t *origin = md_native_at(ph, ph->origin_offset);
	const double *coef = (const double *) md_native_at(h, lin->coef_offset) +
		(size_t) output * lin->n_inputs;
	const double *intercept = md_native_at(h, lin->intercept_offset);
	uint32_t n_features = md_model_meta(m)->n_features;
	const double *in;
	md_fault fault;

	in = md_native_inputs(m, x, workspace_mem, &fault);
	if (in == NULL)
		return MD_ERR_INPUT;
	memset(contribs, 0, sizeof(double) * ((size_t) n_features + 1));
	for (uint32_t i = 0; i < lin->n_inputs; i++)
		contribs[origin[i]] += coef[i] * in[i];
	contribs[n_features] = intercept[output];
	return MD_OK;
}

md_status
md_native_explain(const md_model *m, const double *x, uint32_t output,
				  double *contribs, void *workspace_mem)
{
	if (!is_linear(m))
		return MD_ERR_UNSUPPORTED;
	return explain_linear(m, x, output, contribs, workspace_mem);
}
