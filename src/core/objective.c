/*-------------------------------------------------------------------------
 *
 * objective.c
 *	  XGBoost's learning objectives: names, base-score links and the output
 *	  transforms, reproducing XGBoost's single-precision arithmetic.
 *
 * XGBoost computes predictions in float (common::Sigmoid, common::Softmax in
 * src/common/math.h); doing the same here keeps our predictions within one
 * float ulp of XGBoost's and usually identical.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "objective.h"

typedef struct objective_def
{
	const char *name;
	md_task task;
	md_base_link base_link;
} objective_def;

static const objective_def objectives[MD_OBJ__END] = {
	[MD_OBJ_SQUARED_ERROR] = {"reg:squarederror", MD_TASK_REGRESSION, MD_BASE_IDENTITY},
	[MD_OBJ_SQUARED_LOG_ERROR] = {"reg:squaredlogerror", MD_TASK_REGRESSION, MD_BASE_IDENTITY},
	[MD_OBJ_PSEUDO_HUBER_ERROR] = {"reg:pseudohubererror", MD_TASK_REGRESSION, MD_BASE_IDENTITY},
	[MD_OBJ_ABSOLUTE_ERROR] = {"reg:absoluteerror", MD_TASK_REGRESSION, MD_BASE_IDENTITY},
	[MD_OBJ_REG_LOGISTIC] = {"reg:logistic", MD_TASK_REGRESSION, MD_BASE_LOGIT},
	[MD_OBJ_BINARY_LOGISTIC] = {"binary:logistic", MD_TASK_BINARY, MD_BASE_LOGIT},
	[MD_OBJ_BINARY_LOGITRAW] = {"binary:logitraw", MD_TASK_BINARY, MD_BASE_IDENTITY},
	[MD_OBJ_BINARY_HINGE] = {"binary:hinge", MD_TASK_BINARY, MD_BASE_IDENTITY},
	[MD_OBJ_COUNT_POISSON] = {"count:poisson", MD_TASK_REGRESSION, MD_BASE_LOG},
	[MD_OBJ_REG_GAMMA] = {"reg:gamma", MD_TASK_REGRESSION, MD_BASE_LOG},
	[MD_OBJ_REG_TWEEDIE] = {"reg:tweedie", MD_TASK_REGRESSION, MD_BASE_LOG},
	[MD_OBJ_MULTI_SOFTMAX] = {"multi:softmax", MD_TASK_MULTICLASS, MD_BASE_IDENTITY},
	[MD_OBJ_MULTI_SOFTPROB] = {"multi:softprob", MD_TASK_MULTICLASS, MD_BASE_IDENTITY},
	[MD_OBJ_RANK_PAIRWISE] = {"rank:pairwise", MD_TASK_RANKING, MD_BASE_IDENTITY},
	[MD_OBJ_RANK_NDCG] = {"rank:ndcg", MD_TASK_RANKING, MD_BASE_IDENTITY},
	[MD_OBJ_RANK_MAP] = {"rank:map", MD_TASK_RANKING, MD_BASE_IDENTITY},
	[MD_OBJ_SURVIVAL_AFT] = {"survival:aft", MD_TASK_REGRESSION, MD_BASE_LOG},
	[MD_OBJ_SURVIVAL_COX] = {"survival:cox", MD_TASK_REGRESSION, MD_BASE_LOG},
	[MD_OBJ_QUANTILE_ERROR] = {"reg:quantileerror", MD_TASK_REGRESSION, MD_BASE_IDENTITY},
};

static const char *const booster_names[MD_BOOSTER__END] = {
	[MD_BOOSTER_GBTREE] = "gbtree",
	[MD_BOOSTER_DART] = "dart",
	[MD_BOOSTER_GBLINEAR] = "gblinear",
};

md_objective
md_objective_from_name(const char *name)
{
	for (int i = MD_OBJ_SQUARED_ERROR; i < MD_OBJ__END; i++)
		if (strcmp(objectives[i].name, name) == 0)
			return (md_objective) i;
	return 0;
}

const char *
md_objective_name(md_objective objective)
{
	return objectives[objective].name;
}

md_task
md_objective_task(md_objective objective)
{
	return objectives[objective].task;
}

md_base_link
md_objective_base_link(md_objective objective)
{
	return objectives[objective].base_link;
}

const char *
md_booster_name(md_booster booster)
{
	return booster_names[booster];
}

/* common::Sigmoid of XGBoost 1.7: clamped, with a tiny epsilon, in float. */
static float
xgb_sigmoid(float x)
{
	const float eps = 1e-16f;
	float t = fminf(-x, 88.7f);

	return 1.0f / (expf(t) + 1.0f + eps);
}

/* common::Softmax: max-shifted expf, summed in double, divided in float. */
static void
xgb_softmax(const float *margin, uint32_t n, double *out)
{
	float wmax = margin[0];
	double wsum = 0.0;
	float e;

	for (uint32_t i = 1; i < n; i++)
		wmax = fmaxf(margin[i], wmax);
	for (uint32_t i = 0; i < n; i++)
	{
		e = expf(margin[i] - wmax);
		out[i] = e;
		wsum += e;
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = (float) out[i] / (float) wsum;
}

/* Index of the largest margin; the first one wins ties, as in XGBoost. */
static uint32_t
argmax(const float *margin, uint32_t n)
{
	uint32_t best = 0;

	for (uint32_t i = 1; i < n; i++)
		if (margin[i] > margin[best])
			best = i;
	return best;
}

/*
 * The class XGBClassifier.predict() picks: probability above 0.5, a
 * positive margin (logitraw, hinge), or the largest margin.
 */
static double
predict_class(md_objective objective, const float *margin, uint32_t n)
{
	if (md_objective_task(objective) == MD_TASK_MULTICLASS)
		return argmax(margin, n);
	if (objective == MD_OBJ_BINARY_LOGISTIC)
		return xgb_sigmoid(margin[0]) > 0.5f;
	return margin[0] > 0.0f;
}

/* The single prediction XGBoost's Booster.predict() returns. */
static double
predict_value(md_objective objective, const float *margin, uint32_t n)
{
	switch (objective)
	{
		case MD_OBJ_REG_LOGISTIC:
		case MD_OBJ_BINARY_LOGISTIC:
			return xgb_sigmoid(margin[0]);
		case MD_OBJ_BINARY_HINGE:
			return margin[0] > 0.0f ? 1.0 : 0.0;
		case MD_OBJ_COUNT_POISSON:
		case MD_OBJ_REG_GAMMA:
		case MD_OBJ_REG_TWEEDIE:
		case MD_OBJ_SURVIVAL_AFT: /* the predicted survival time */
		case MD_OBJ_SURVIVAL_COX: /* the hazard ratio */
			return expf(margin[0]);
		case MD_OBJ_MULTI_SOFTMAX:
		case MD_OBJ_MULTI_SOFTPROB:
			return argmax(margin, n);
		default:
			return margin[0];
	}
}

/* Class probabilities: [1-p, p] for binary tasks, softmax for multiclass. */
static void
predict_proba(md_objective objective, const float *margin, uint32_t n,
			  double *out)
{
	double p;

	if (md_objective_task(objective) == MD_TASK_MULTICLASS)
	{
		xgb_softmax(margin, n, out);
		return;
	}
	if (objective == MD_OBJ_BINARY_HINGE)
		p = margin[0] > 0.0f ? 1.0 : 0.0;
	else
		p = xgb_sigmoid(margin[0]);
	out[0] = 1.0 - p;
	out[1] = p;
}

void
md_objective_transform(md_objective objective, md_output kind,
					   const float *margin, uint32_t n_outputs, double *out)
{
	switch (kind)
	{
		case MD_OUTPUT_RAW:
			for (uint32_t i = 0; i < n_outputs; i++)
				out[i] = margin[i];
			break;
		case MD_OUTPUT_PREDICT:
			/* several targets: identity objectives only (the parser) */
			if (md_objective_task(objective) != MD_TASK_MULTICLASS &&
				n_outputs > 1)
				md_objective_transform(objective, MD_OUTPUT_RAW, margin,
									   n_outputs, out);
			else
				out[0] = predict_value(objective, margin, n_outputs);
			break;
		case MD_OUTPUT_PROBA:
			predict_proba(objective, margin, n_outputs, out);
			break;
		case MD_OUTPUT_CLASS:
			out[0] = predict_class(objective, margin, n_outputs);
			break;
	}
}
