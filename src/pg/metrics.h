/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Model quality metrics against ground truth, defined as scikit-learn
 *	  1.2 defines them (see metrics.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_METRICS_H
#define MD_METRICS_H

#include "c.h"

#include <math.h>

#define MD_MAX_METRICS 8

/* A running sum with Neumaier's compensation: long inputs lose no accuracy
 * to the order of addition. */
typedef struct MdSum
{
	double sum;
	double carry;
} MdSum;

static inline void
md_sum_add(MdSum *s, double v)
{
	double t = s->sum + v;

	if (fabs(s->sum) >= fabs(v))
		s->carry += (s->sum - t) + v;
	else
		s->carry += (v - t) + s->sum;
	s->sum = t;
}

static inline double
md_sum_value(const MdSum *s)
{
	return s->sum + s->carry;
}

/* Named metric values, in reporting order; NaN means undefined. */
typedef struct MdMetrics
{
	int n;
	const char *name[MD_MAX_METRICS];
	double value[MD_MAX_METRICS];
} MdMetrics;

/*
 * Classifiers: labels[i] in [0, n_classes), proba the n x n_classes class
 * probabilities (a binary model's two columns are P(0), P(1)).  Gives
 * rows, auc, log_loss, accuracy, precision, recall, f1.
 */
extern void md_classification_metrics(const int32 *labels,
									  const double *proba, int64 n,
									  int n_classes, MdMetrics *out);

/* Regression: rows, rmse, mae, r2 of predictions against labels. */
extern void md_regression_metrics(const double *labels, const double *pred,
								  int64 n, MdMetrics *out);

#endif /* MD_METRICS_H */
