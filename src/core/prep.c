/*-------------------------------------------------------------------------
 *
 * prep.c
 *	  Running the preprocessing program of a native model on one row.
 *
 * The arithmetic is scikit-learn's, operation for operation, so that values
 * reach the estimator bit-identical to what scikit-learn computes: a
 * standard scaler subtracts the mean and then divides by the scale, a
 * min-max scaler multiplies and then adds (never fused, see
 * -ffp-contract=off), encoders look categories up exactly.  That matters
 * for trees, where one ulp can send a row down another branch.
 *
 * The program was validated when the model was opened: every register and
 * pool index is in range, so nothing here checks bounds.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "native.h"

static void
fail(md_fault *fault, md_fault_kind kind, uint32_t feature, double value,
	 const md_prep_op *op)
{
	fault->kind = kind;
	fault->feature = feature;
	fault->value = value;
	fault->op = op;
}

/* Which of the encoder's categories x is; -1 if it knows none. */
static int64_t
category_of(const md_prep_op *op, const double *dpool, const int32_t *ipool,
			double x)
{
	uint32_t lo = 0,
			 hi = op->n_cats - (op->missing >= 0);

	if (isnan(x))
		return op->missing;
	if (op->flags & MD_OPF_CODES)
	{
		if (!(x >= 0 && x < op->n_codes) || x != (double) (uint32_t) x)
			return -1;
		return ipool[op->p0 + (uint32_t) x];
	}
	while (lo < hi)
	{
		uint32_t mid = lo + (hi - lo) / 2;
		double v = dpool[op->p0 + mid];

		if (x == v)
			return mid;
		if (x < v)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* One-hot or ordinal encoding of one register; false on a refusal. */
static bool
encode(const md_prep_op *op, const double *dpool, const int32_t *ipool,
	   double *reg, md_fault *fault)
{
	double x = reg[op->src];
	int64_t e = category_of(op, dpool, ipool, x);

	if (e < 0 && (op->flags & MD_OPF_UNKNOWN_ERROR))
	{
		fail(fault, MD_FAULT_UNKNOWN, op->feature, x, op);
		return false;
	}
	if (op->kind == MD_OP_ORDINAL)
	{
		reg[op->dst] = e < 0 ? op->v0 : dpool[op->p1 + e];
		return true;
	}
	memset(reg + op->dst, 0, sizeof(double) * op->n_out);
	if (e >= 0 && ipool[op->p1 + e] >= 0)
		reg[op->dst + ipool[op->p1 + e]] = 1.0;
	return true;
}

static void
scale(const md_prep_op *op, const double *dpool, double *reg)
{
	const double *a = dpool + op->p0;
	const double *b = dpool + op->p1;
	double *x = reg + op->dst;

	for (uint32_t i = 0; i < op->n_out; i++)
	{
		double v;

		if (op->kind == MD_OP_STANDARD)
		{
			v = x[i] - a[i];
			v = v / b[i];
		}
		else
		{
			v = x[i] * a[i];
			v = v + b[i];
			/* numpy.clip: NaN stays NaN */
			if ((op->flags & MD_OPF_CLIP) && v < op->v0)
				v = op->v0;
			if ((op->flags & MD_OPF_CLIP) && v > op->v1)
				v = op->v1;
		}
		x[i] = v;
	}
}

bool
md_prep_run(const md_model *m, double *reg, md_fault *fault)
{
	const md_prep_header *h = md_section_ptr(m, MD_SEC_PREPROCESS);
	const md_prep_op *ops = md_native_at(h, h->ops_offset);
	const double *dpool = md_native_at(h, h->dpool_offset);
	const int32_t *ipool = md_native_at(h, h->ipool_offset);
	uint32_t n_features = md_model_meta(m)->n_features;

	for (uint32_t f = 0; f < n_features; f++)
		if (isinf(reg[f]))
		{
			fail(fault, MD_FAULT_INFINITE, f, reg[f], NULL);
			return false;
		}
	for (uint32_t i = 0; i < h->n_ops; i++)
	{
		const md_prep_op *op = &ops[i];
		double *dst = reg + op->dst;

		switch ((md_op_kind) op->kind)
		{
			case MD_OP_GATHER:
				for (uint32_t j = 0; j < op->n_out; j++)
					dst[j] = reg[ipool[op->p0 + j]];
				break;
			case MD_OP_IMPUTE:
				for (uint32_t j = 0; j < op->n_out; j++)
					if (isnan(dst[j]))
						dst[j] = dpool[op->p0 + j];
				break;
			case MD_OP_STANDARD:
			case MD_OP_MINMAX:
				scale(op, dpool, reg);
				break;
			case MD_OP_ONE_HOT:
			case MD_OP_ORDINAL:
				if (!encode(op, dpool, ipool, reg, fault))
					return false;
				break;
			case MD_OP__END:
				break;
		}
	}
	return true;
}
