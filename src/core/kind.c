/*-------------------------------------------------------------------------
 *
 * kind.c
 *	  The table of operations of each kind of model, and the public calls
 *	  that dispatch through it.
 *
 * A blob's md_meta.estimator names its kind: XGBoost trees, XGBoost
 * gblinear, a native (scikit-learn) model, double-precision trees
 * (LightGBM), ONNX tree ensembles, ONNX linear models.  Each kind validates, describes
 * and scores itself in its own files; this is the only place that chooses
 * between them, so a new format plugs in by adding its entry here.
 *
 *-------------------------------------------------------------------------
 */
#include "dtree.h"
#include "native.h"
#include "olinear.h"
#include "otree.h"

#define SEC(kind) (1u << (kind))

/* Sections any model may have (validated by blob.c). */
#define COMMON_SECTIONS (SEC(MD_SEC_META) | SEC(MD_SEC_FEATURE_NAMES))

static const md_kind_ops xgb_forest = {
	.sections = COMMON_SECTIONS | SEC(MD_SEC_FOREST) |
		SEC(MD_SEC_FOREST_COVER) | SEC(MD_SEC_FOREST_FAST) |
		SEC(MD_SEC_NATIVE_FEATURES),
	.check_meta = md_xgb_check_meta,
	.validate = md_xgb_validate_forest,
	.info = md_xgb_info,
	.output_width = md_xgb_output_width,
	.workspace_size = md_xgb_workspace_size,
	.score = md_xgb_score,
	.explain_workspace_size = md_xgb_explain_workspace_size,
	.explain = md_xgb_explain,
};

static const md_kind_ops xgb_linear = {
	.sections = COMMON_SECTIONS | SEC(MD_SEC_LINEAR),
	.check_meta = md_xgb_check_meta,
	.validate = md_xgb_validate_linear,
	.info = md_xgb_info,
	.output_width = md_xgb_output_width,
	.workspace_size = md_xgb_workspace_size,
	.score = md_xgb_score,
	.explain_workspace_size = md_xgb_explain_workspace_size,
	.explain = md_xgb_explain,
};

static const md_kind_ops native = {
	.sections = COMMON_SECTIONS | SEC(MD_SEC_NATIVE) |
		SEC(MD_SEC_NATIVE_FEATURES) | SEC(MD_SEC_PREPROCESS) |
		SEC(MD_SEC_CLASS_LABELS),
	.check_meta = md_check_native_meta,
	.validate = md_validate_native,
	.info = md_native_info,
	.output_width = md_native_output_width,
	.workspace_size = md_native_workspace_size,
	.score = md_native_score,
	.explain_workspace_size = md_native_explain_workspace_size,
	.explain = md_native_explain,
	.check_row = md_native_check_row,
};

static const md_kind_ops dtrees = {
	.sections =
		COMMON_SECTIONS | SEC(MD_SEC_DTREES) | SEC(MD_SEC_DTREES_FAST) |
		SEC(MD_SEC_NATIVE_FEATURES),
	.check_meta = md_dtree_check_meta,
	.validate = md_dtree_validate,
	.info = md_dtree_info,
	.output_width = md_dtree_output_width,
	.workspace_size = md_dtree_workspace_size,
	.score = md_dtree_score,
	.explain_workspace_size = md_dtree_explain_workspace_size,
	.explain = md_dtree_explain,
};

static const md_kind_ops otrees = {
	.sections =
		COMMON_SECTIONS | SEC(MD_SEC_OTREES) | SEC(MD_SEC_CLASS_LABELS) |
		SEC(MD_SEC_OPREP),
	.check_meta = md_otree_check_meta,
	.validate = md_otree_validate,
	.info = md_otree_info,
	.output_width = md_otree_output_width,
	.workspace_size = md_otree_workspace_size,
	.score = md_otree_score,
	.explain_workspace_size = md_otree_explain_workspace_size,
	.explain = md_otree_explain,
};

static const md_kind_ops olinear = {
	.sections =
		COMMON_SECTIONS | SEC(MD_SEC_OLINEAR) | SEC(MD_SEC_CLASS_LABELS) |
		SEC(MD_SEC_OPREP),
	.check_meta = md_olinear_check_meta,
	.validate = md_olinear_validate,
	.info = md_olinear_info,
	.output_width = md_olinear_output_width,
	.workspace_size = md_olinear_workspace_size,
	.score = md_olinear_score,
	.explain_workspace_size = md_olinear_explain_workspace_size,
	.explain = md_olinear_explain,
};

const md_kind_ops *
md_kind_of(const md_model *m)
{
	switch ((md_estimator) md_model_meta(m)->estimator)
	{
		case MD_EST_FOREST:
			return &xgb_forest;
		case MD_EST_LINEAR:
			return &xgb_linear;
		case MD_EST_NATIVE:
			return &native;
		case MD_EST_DTREES:
			return &dtrees;
		case MD_EST_OTREES:
			return &otrees;
		case MD_EST_OLINEAR:
			return &olinear;
	}
	return NULL;
}

size_t
md_workspace_size(const md_model *m)
{
	return md_kind_of(m)->workspace_size(m);
}

md_status
md_score(const md_model *m, md_output kind, const double *x, size_t n_rows,
		 double *out, void *workspace)
{
	return md_kind_of(m)->score(m, kind, x, NULL, n_rows, out, workspace);
}

md_status
md_score_f32(const md_model *m, md_output kind, const float *x, size_t n_rows,
			 double *out, void *workspace)
{
	return md_kind_of(m)->score(m, kind, NULL, x, n_rows, out, workspace);
}

md_status
md_predict(const md_model *m, const double *x, size_t n_rows, double *out,
		   void *workspace)
{
	return md_score(m, MD_OUTPUT_PREDICT, x, n_rows, out, workspace);
}

md_status
md_predict_proba(const md_model *m, const double *x, size_t n_rows,
				 double *out, void *workspace)
{
	return md_score(m, MD_OUTPUT_PROBA, x, n_rows, out, workspace);
}

md_status
md_predict_raw(const md_model *m, const double *x, size_t n_rows, double *out,
			   void *workspace)
{
	return md_score(m, MD_OUTPUT_RAW, x, n_rows, out, workspace);
}

md_status
md_check_row(const md_model *m, const double *x, void *workspace,
			 md_error *err)
{
	const md_kind_ops *kind = md_kind_of(m);

	md_clear_error(err);
	if (kind->check_row == NULL)
		return MD_OK;
	return kind->check_row(m, x, workspace, err);
}

md_status
md_explain_workspace_size(const md_model *m, size_t *size, md_error *err)
{
	md_clear_error(err);
	*size = 0;
	return md_kind_of(m)->explain_workspace_size(m, size, err);
}

md_status
md_explain(const md_model *m, const double *x, uint32_t output,
		   double *contribs, void *workspace)
{
	if (output >= md_model_meta(m)->n_outputs)
		return MD_ERR_ARGUMENT;
	return md_kind_of(m)->explain(m, x, output, contribs, workspace);
}
