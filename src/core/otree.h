/*-------------------------------------------------------------------------
 *
 * otree.h
 *	  ONNX-ML tree ensembles (MD_SEC_OTREES, md_blob.h): the section's
 *	  arrays and the kind's operations.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_OTREE_H
#define MD_OTREE_H

#include "md_internal.h"

/* The arrays of a validated MD_SEC_OTREES section. */
typedef struct md_oforest
{
	const md_otrees_header *h;
	const double *base;
	const md_otree *trees;
	const md_onode *nodes;
	const md_oweight *weights;
} md_oforest;

static inline md_oforest
md_oforest_of(const md_model *m)
{
	const md_otrees_header *h = md_section_ptr(m, MD_SEC_OTREES);
	const unsigned char *base = (const unsigned char *) h;
	md_oforest f;

	f.h = h;
	f.base = (const double *) (base + h->base_offset);
	f.trees = (const md_otree *) (base + h->trees_offset);
	f.nodes = (const md_onode *) (base + h->nodes_offset);
	f.weights = (const md_oweight *) (base + h->weights_offset);
	return f;
}

/* otree_check.c */
md_status md_otree_check_meta(const md_model *m, md_error *err);
md_status md_otree_validate(const md_model *m, md_error *err);

/* otree_score.c */
void md_otree_info(const md_model *m, md_info *info);
uint32_t md_otree_output_width(const md_model *m, md_output kind);
size_t md_otree_workspace_size(const md_model *m);
md_status md_otree_score(const md_model *m, md_output kind, const double *x,
						 const float *x32, size_t n_rows, double *out,
						 void *workspace);
md_status md_otree_explain_workspace_size(const md_model *m, size_t *size,
										  md_error *err);
md_status md_otree_explain(const md_model *m, const double *x,
						   uint32_t output, double *contribs,
						   void *workspace);

#endif /* MD_OTREE_H */
