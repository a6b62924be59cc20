/*-------------------------------------------------------------------------
 *
 * olinear_check.c
 *	  Validators of an ONNX linear model (MD_SEC_OLINEAR), for untrusted
 *	  blobs.
 *
 * olinear_score.c trusts the section completely; this establishes what it
 * relies on (md_blob.h): both arrays inside the section, a shape that fits
 * the task (one output row for a regressor; for a classifier one row per
 * class, or one row and two classes), known transforms and norms, class
 * labels for exactly the classes, and a valid pre-processing program.
 *
 *-------------------------------------------------------------------------
 */
#include "olinear.h"
#include "oprep.h"
#include "strtab.h"

md_status
md_olinear_check_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);

	if (meta->format != MD_FORMAT_ONNX || meta->objective != 0 ||
		meta->booster != 0 || meta->n_features == 0 || meta->n_outputs == 0 ||
		md_section_ptr(m, MD_SEC_OLINEAR) == NULL ||
		m->section_size[MD_SEC_OLINEAR] < sizeof(md_olinear_header))
		return md_corrupt(err, "bad ONNX linear model description");
	return MD_OK;
}

static bool
shape_ok(const md_olinear_header *h)
{
	bool second = (h->flags & MD_OL_SECOND_CLASS) != 0;

	if (h->post_transform < MD_OPOST_NONE ||
		h->post_transform >= MD_OPOST__END || h->norm < MD_ONORM_NONE ||
		h->norm >= MD_ONORM__END || (h->flags & ~MD_OL_SECOND_CLASS))
		return false;
	switch ((md_task) h->task)
	{
		case MD_TASK_REGRESSION:
			return h->n_outputs == 1 && h->n_classes == 0 && !second;
		case MD_TASK_BINARY:
			return h->n_classes == 2 &&
				(second ? h->n_outputs == 1 &&
						 h->post_transform != MD_OPOST_PROBIT
						: h->n_outputs == 2);
		case MD_TASK_MULTICLASS:
			return h->n_classes > 2 && h->n_outputs == h->n_classes &&
				!second;
		default:
			return false;
	}
}

md_status
md_olinear_validate(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	const md_olinear_header *h = md_section_ptr(m, MD_SEC_OLINEAR);
	uint64_t size = m->section_size[MD_SEC_OLINEAR];
	const md_strtab *labels = md_section_ptr(m, MD_SEC_CLASS_LABELS);

	if (h->n_outputs != meta->n_outputs || !shape_ok(h) ||
		!md_fits(h->coef_offset, (uint64_t) h->n_outputs * meta->n_features,
				 sizeof(float), size) ||
		!md_fits(h->intercept_offset, h->n_outputs, sizeof(float), size))
		return md_corrupt(err, "bad ONNX linear model header");
	if ((labels != NULL) != (h->n_classes > 0))
		return md_corrupt(err, "class labels do not match the classes");
	if (labels != NULL &&
		md_strtab_validate(labels, m->section_size[MD_SEC_CLASS_LABELS],
						   h->n_classes, "class label", err) != MD_OK)
		return MD_ERR_BLOB;
	return md_oprep_validate(m, err);
}
