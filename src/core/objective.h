/*-------------------------------------------------------------------------
 *
 * objective.h
 *	  Learning objectives: how a base score becomes a base margin and how
 *	  margins become predictions and class probabilities.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_OBJECTIVE_H
#define MD_OBJECTIVE_H

#include <stdint.h>

#include "mdscore.h"

typedef enum md_objective
{
	MD_OBJ_SQUARED_ERROR = 1,
	MD_OBJ_SQUARED_LOG_ERROR,
	MD_OBJ_PSEUDO_HUBER_ERROR,
	MD_OBJ_ABSOLUTE_ERROR,
	MD_OBJ_REG_LOGISTIC,
	MD_OBJ_BINARY_LOGISTIC,
	MD_OBJ_BINARY_LOGITRAW,
	MD_OBJ_BINARY_HINGE,
	MD_OBJ_COUNT_POISSON,
	MD_OBJ_REG_GAMMA,
	MD_OBJ_REG_TWEEDIE,
	MD_OBJ_MULTI_SOFTMAX,
	MD_OBJ_MULTI_SOFTPROB,
	MD_OBJ_RANK_PAIRWISE,
	MD_OBJ_RANK_NDCG,
	MD_OBJ_RANK_MAP,
	/* since XGBoost 1.0 and 2.0; appended: blobs store the number */
	MD_OBJ_SURVIVAL_AFT,
	MD_OBJ_SURVIVAL_COX,
	MD_OBJ_QUANTILE_ERROR,
	MD_OBJ__END
} md_objective;

typedef enum md_booster
{
	MD_BOOSTER_GBTREE = 1,
	MD_BOOSTER_DART,
	MD_BOOSTER_GBLINEAR,
	MD_BOOSTER__END
} md_booster;

/* How base_score maps to the base margin (XGBoost's ProbToMargin). */
typedef enum md_base_link
{
	MD_BASE_IDENTITY,
	MD_BASE_LOGIT,
	MD_BASE_LOG
} md_base_link;

/* Lookup by XGBoost name; returns 0 if unknown. */
md_objective md_objective_from_name(const char *name);
const char *md_objective_name(md_objective objective);
md_task md_objective_task(md_objective objective);
md_base_link md_objective_base_link(md_objective objective);
const char *md_booster_name(md_booster booster);

/* Whether the objective's value lies in the table (used by validators). */
static inline int
md_objective_is_valid(uint32_t objective)
{
	return objective >= MD_OBJ_SQUARED_ERROR && objective < MD_OBJ__END;
}

/*
 * Turn one row's float32 margins into the requested output, exactly as
 * XGBoost's PredTransform does.  'out' holds md_output_width() values.
 */
void md_objective_transform(md_objective objective, md_output kind,
							const float *margin, uint32_t n_outputs,
							double *out);

#endif /* MD_OBJECTIVE_H */
