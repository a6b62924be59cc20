/*-------------------------------------------------------------------------
 *
 * oprep.h
 *	  The pre-processing of an ONNX model (MD_SEC_OPREP, md_blob.h): its
 *	  validator and the function that runs it on a row.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_OPREP_H
#define MD_OPREP_H

#include "md_internal.h"

/* Checks an MD_SEC_OPREP section, if the model has one. */
md_status md_oprep_validate(const md_model *m, md_error *err);

/*
 * The row (n_features doubles, in place) as the model's estimator reads
 * it: unchanged if the model has no pre-processing.
 */
void md_oprep_run(const md_model *m, double *row);

#endif /* MD_OPREP_H */
