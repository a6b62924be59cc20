/*-------------------------------------------------------------------------
 *
 * opost.h
 *	  ONNX Runtime's score transforms (ml_common.h and MLAS), in float,
 *	  shared by the ONNX tree ensembles and linear models.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_OPOST_H
#define MD_OPOST_H

#include <stdbool.h>
#include <stdint.h>

/* ml_common.h's ComputeLogistic */
float md_opost_logistic(float v);

/* MLAS's MlasComputeLogistic (Eigen's rational approximation, FMA3) */
float md_opost_mlas_logistic(float v);

/* ml_common.h's ComputeProbit */
float md_opost_probit(float v);

/*
 * ComputeSoftmax (zero false) and ComputeSoftmaxZero over n floats held in
 * doubles, in place, every step in float.
 */
void md_opost_softmax(double *v, uint32_t n, bool zero, bool dbl);

#endif /* MD_OPOST_H */
