/*-------------------------------------------------------------------------
 *
 * olinear.h
 *	  ONNX-ML linear models (MD_SEC_OLINEAR, md_blob.h): the section's
 *	  arrays and the kind's operations.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_OLINEAR_H
#define MD_OLINEAR_H

#include "md_internal.h"

/* The arrays of a validated MD_SEC_OLINEAR section. */
typedef struct md_olinear
{
	const md_olinear_header *h;
	const float *coef;
	const float *intercept;
} md_olinear;

static inline md_olinear
md_olinear_of(const md_model *m)
{
	const md_olinear_header *h = md_section_ptr(m, MD_SEC_OLINEAR);
	const unsigned char *base = (const unsigned char *) h;
	md_olinear l;

	l.h = h;
	l.coef = (const float *) (base + h->coef_offset);
	l.intercept = (const float *) (base + h->intercept_offset);
	return l;
}

/* olinear_check.c */
md_status md_olinear_check_meta(const md_model *m, md_error *err);
md_status md_olinear_validate(const md_model *m, md_error *err);

/* olinear_score.c */
void md_olinear_info(const md_model *m, md_info *info);
uint32_t md_olinear_output_width(const md_model *m, md_output kind);
size_t md_olinear_workspace_size(const md_model *m);
md_status md_olinear_score(const md_model *m, md_output kind,
						   const double *x, const float *x32,
						   size_t n_rows, double *out, void *workspace);
md_status md_olinear_explain_workspace_size(const md_model *m, size_t *size,
											md_error *err);
md_status md_olinear_explain(const md_model *m, const double *x,
							 uint32_t output, double *contribs,
							 void *workspace);

#endif /* MD_OLINEAR_H */
