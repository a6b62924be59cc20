/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Model quality against ground truth, as scikit-learn 1.2 computes it,
 *	  so that "is the model still good?" has the answer a data scientist's
 *	  notebook gives on the same rows.
 *
 * Classifiers (the predicted class is XGBClassifier.predict()'s: P(1) > 0.5
 * for binary models, the first most probable class otherwise):
 *	auc			roc_auc_score: binary on P(1); multi-class one-vs-rest,
 *				macro average (multi_class='ovr').  Tied scores count half,
 *				as the trapezoids of the ROC curve do.  Undefined (NaN) when
 *				a class has no positive or no negative row.
 *	log_loss	log_loss(labels=all classes): probabilities clipped to
 *				[eps, 1 - eps] (eps = DBL_EPSILON, sklearn's "auto" for
 *				float64) and renormalised per row.
 *	accuracy	accuracy_score.
 *	precision, recall, f1
 *				binary: of class 1 (average='binary'); multi-class: the
 *				macro average over the classes present in the labels or the
 *				predictions (average='macro').  0/0 counts as 0, sklearn's
 *				zero_division default.
 * Regression: rmse (mean_squared_error(squared=False)), mae
 * (mean_absolute_error), r2 (r2_score: 1 if labels and predictions are all
 * equal and constant, 0 if only the labels are constant).
 *
 * Sums use Neumaier's compensated summation, so long inputs lose no
 * accuracy to the order of addition.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "metrics.h"

static void
put(MdMetrics *out, const char *name, double value)
{
	Assert(out->n < MD_MAX_METRICS);
	out->name[out->n] = name;
	out->value[out->n] = value;
	out->n++;
}

/* A score and whether its row is of the positive class. */
typedef struct Scored
{
	double score;
	bool positive;
} Scored;

static int
by_score_descending(const void *a, const void *b)
{
	double sa = ((const Scored *) a)->score;
	double sb = ((const Scored *) b)->score;

	return sa > sb ? -1 : sa < sb ? 1
								  : 0;
}

/*
 * Area under the ROC curve of n scored rows (sorted here), or NaN without
 * both classes.  Walking the scores from the highest, each group of tied
 * scores adds the trapezoid neg * (tp_before + pos / 2), kept doubled to
 * stay in exact integers.
 */
static double
roc_auc(Scored *rows, int64 n)
{
	uint64 positives = 0;
	uint64 area2 = 0;

	qsort(rows, n, sizeof(Scored), by_score_descending);
	for (int64 i = 0; i < n;)
	{
		uint64 pos = 0,
			   neg = 0;
		int64 j = i;

		for (; j < n && rows[j].score == rows[i].score; j++)
		{
			if (rows[j].positive)
				pos++;
			else
				neg++;
		}
		area2 += neg * (2 * positives + pos);
		positives += pos;
		i = j;
	}
	if (positives == 0 || positives == (uint64) n)
		return NAN;
	return (double) area2 / (2.0 * (double) positives * (double) ((uint64) n - positives));
}

/*
 * Binary AUC on P(1); multi-class: the mean of the one-vs-rest AUCs, which
 * is undefined (NaN) as soon as one of them is.
 */
static double
auc(const int32 *labels, const double *proba, int64 n, int k)
{
	Scored *rows = palloc_extended(sizeof(Scored) * n, MCXT_ALLOC_HUGE);
	int first = k == 2 ? 1 : 0;
	double total = 0;

	for (int c = first; c < k && !isnan(total); c++)
	{
		for (int64 i = 0; i < n; i++)
		{
			rows[i].score = proba[i * k + c];
			rows[i].positive = labels[i] == c;
		}
		total += roc_auc(rows, n);
	}
	pfree(rows);
	return total / (k - first);
}

/* Mean log loss with sklearn's clipping and renormalisation. */
static double
log_loss(const int32 *labels, const double *proba, int64 n, int k)
{
	const double lo = DBL_EPSILON;
	const double hi = 1.0 - DBL_EPSILON;
	MdSum loss = {0, 0};

	for (int64 i = 0; i < n; i++)
	{
		const double *p = proba + i * k;
		double row_sum = 0;

		for (int c = 0; c < k; c++)
			row_sum += Min(Max(p[c], lo), hi);
		md_sum_add(&loss, -log(Min(Max(p[labels[i]], lo), hi) / row_sum));
	}
	return md_sum_value(&loss) / n;
}

/* XGBClassifier.predict(): P(1) > 0.5, or the first most probable class. */
static int32
predicted_class(const double *p, int k)
{
	int32 best = 0;

	if (k == 2)
		return p[1] > 0.5 ? 1 : 0;
	for (int c = 1; c < k; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

/* sklearn's precision/recall/F-score of one class; 0/0 is 0. */
static void
class_scores(int64 tp, int64 predicted, int64 actual, double *precision,
			 double *recall, double *f1)
{
	double denom;

	*precision = predicted > 0 ? (double) tp / predicted : 0.0;
	*recall = actual > 0 ? (double) tp / actual : 0.0;
	denom = *precision + *recall;
	*f1 = 2.0 * *precision * *recall / (denom == 0.0 ? 1.0 : denom);
}

void
md_classification_metrics(const int32 *labels, const double *proba, int64 n,
						  int k, MdMetrics *out)
{
	int64 *tp = palloc0(sizeof(int64) * k);
	int64 *predicted = palloc0(sizeof(int64) * k);
	int64 *actual = palloc0(sizeof(int64) * k);
	int64 correct = 0;
	double precision = 0,
		   recall = 0,
		   f1 = 0;
	int classes = 0;

	for (int64 i = 0; i < n; i++)
	{
		int32 guess = predicted_class(proba + i * k, k);

		predicted[guess]++;
		actual[labels[i]]++;
		if (guess == labels[i])
		{
			tp[guess]++;
			correct++;
		}
	}
	if (k == 2)
		class_scores(tp[1], predicted[1], actual[1], &precision, &recall,
					 &f1);
	else
	{
		/* macro average over the classes that occur at all */
		for (int c = 0; c < k; c++)
		{
			double p,
				r,
				f;

			if (predicted[c] == 0 && actual[c] == 0)
				continue;
			class_scores(tp[c], predicted[c], actual[c], &p, &r, &f);
			precision += p;
			recall += r;
			f1 += f;
			classes++;
		}
		precision /= classes;
		recall /= classes;
		f1 /= classes;
	}

	out->n = 0;
	put(out, "rows", (double) n);
	put(out, "auc", auc(labels, proba, n, k));
	put(out, "log_loss", log_loss(labels, proba, n, k));
	put(out, "accuracy", (double) correct / n);
	put(out, "precision", precision);
	put(out, "recall", recall);
	put(out, "f1", f1);
	pfree(tp);
	pfree(predicted);
	pfree(actual);
}

void
md_regression_metrics(const double *labels, const double *pred, int64 n,
					  MdMetrics *out)
{
	MdSum squared = {0, 0},
		  absolute = {0, 0},
		  label_sum = {0, 0},
		  spread = {0, 0};
	double mean,
		ss_res,
		ss_tot,
		r2;

	for (int64 i = 0; i < n; i++)
	{
		double e = labels[i] - pred[i];

		md_sum_add(&squared, e * e);
		md_sum_add(&absolute, fabs(e));
		md_sum_add(&label_sum, labels[i]);
	}
	mean = md_sum_value(&label_sum) / n;
	for (int64 i = 0; i < n; i++)
		md_sum_add(&spread, (labels[i] - mean) * (labels[i] - mean));
	ss_res = md_sum_value(&squared);
	ss_tot = md_sum_value(&spread);
	if (ss_tot != 0.0)
		r2 = 1.0 - ss_res / ss_tot;
	else
		r2 = ss_res == 0.0 ? 1.0 : 0.0;

	out->n = 0;
	put(out, "rows", (double) n);
	put(out, "rmse", sqrt(ss_res / n));
	put(out, "mae", md_sum_value(&absolute) / n);
	put(out, "r2", r2);
}
