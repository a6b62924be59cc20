/*-------------------------------------------------------------------------
 *
 * oprep.c
 *	  Running and validating the pre-processing of an ONNX model
 *	  (MD_SEC_OPREP): Scaler, Imputer, Cast, and Mul and Add by constants,
 *	  as ONNX Runtime computes them.
 *
 * scaler.cc computes (x - offset) * scale in the input's type and stores a
 * float; imputer.cc replaces x where it equals the replaced value, or
 * where both are NaN; Mul and Add are float operations on float tensors.
 * Float arithmetic is done in double and rounded after each operation,
 * which for -, * and + of floats is the float result exactly (needs
 * -ffp-contract=off).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "oprep.h"

static const md_oprep_header *
prep_of(const md_model *m, const md_oprep_op **ops, const float **values)
{
	const md_oprep_header *h = md_section_ptr(m, MD_SEC_OPREP);
	const unsigned char *base = (const unsigned char *) h;

	*ops = h ? (const md_oprep_op *) (base + h->ops_offset) : NULL;
	*values = h ? (const float *) (base + h->values_offset) : NULL;
	return h;
}

/* An operation's operand for feature i: one per feature, or one for all */
static inline double
operand(const md_oprep_op *op, const float *values, uint64_t first,
		uint32_t i)
{
	return values[first + (op->n_values == 1 ? 0 : i)];
}

static double
scale(const md_oprep_op *op, const float *values, uint32_t i, double x)
{
	double a = operand(op, values, op->a, i);
	double b = operand(op, values, op->b, i);

	if (op->flags & MD_OPF_DOUBLE)
		return md_round_to_float((x - a) * b);
	return md_round_to_float(md_round_to_float(x - a) * b);
}

static double
run_op(const md_oprep_op *op, const float *values, uint32_t i, double x)
{
	switch ((md_oprep_kind) op->kind)
	{
		case MD_OPREP_TO_FLOAT:
			return md_round_to_float(x);
		case MD_OPREP_SCALE:
			return scale(op, values, i, x);
		case MD_OPREP_IMPUTE:
			if ((isnan(x) && isnan(op->replaced)) || x == op->replaced)
				return operand(op, values, op->a, i);
			return x;
		case MD_OPREP_MUL:
			return md_round_to_float(x * operand(op, values, op->a, i));
		case MD_OPREP_ADD:
			return md_round_to_float(x + operand(op, values, op->a, i));
		case MD_OPREP__END:
			break;
	}
	return x;
}

void
md_oprep_run(const md_model *m, double *row)
{
	const md_oprep_op *ops;
	const float *values;
	const md_oprep_header *h = prep_of(m, &ops, &values);
	uint32_t nf = md_model_meta(m)->n_features;

	if (h == NULL)
		return;
	for (uint32_t i = 0; i < nf; i++)
	{
		double x = (h->flags & MD_OPF_DOUBLE) ? row[i] : md_round_to_float(row[i]);

		for (uint32_t k = 0; k < h->n_ops; k++)
			x = run_op(&ops[k], values, i, x);
		row[i] = x;
	}
}

/* Operands inside values[], as many as the operation reads */
static bool
op_ok(const md_oprep_header *h, const md_oprep_op *op, uint32_t nf)
{
	uint32_t operands = op->kind == MD_OPREP_SCALE ? 2 : op->kind == MD_OPREP_TO_FLOAT ? 0
																					   : 1;

	if (op->kind < MD_OPREP_TO_FLOAT || op->kind >= MD_OPREP__END ||
		(op->flags & ~MD_OPF_DOUBLE))
		return false;
	if (operands == 0)
		return op->n_values == 0;
	if (op->n_values != 1 && op->n_values != nf)
		return false;
	return md_span_in(h->n_values, op->a, op->n_values) &&
		(operands == 1 || md_span_in(h->n_values, op->b, op->n_values));
}

md_status
md_oprep_validate(const md_model *m, md_error *err)
{
	const md_oprep_header *h = md_section_ptr(m, MD_SEC_OPREP);
	uint64_t size = m->section_size[MD_SEC_OPREP];
	const md_oprep_op *ops;
	const float *values;

	if (h == NULL)
		return MD_OK;
	/* the offsets first: a pointer past the section is not even formed */
	if (size < sizeof(*h) || h->n_ops == 0 || (h->flags & ~MD_OPF_DOUBLE) ||
		!md_fits(h->ops_offset, h->n_ops, sizeof(md_oprep_op), size) ||
		!md_fits(h->values_offset, h->n_values, sizeof(float), size))
		return md_corrupt(err, "bad ONNX pre-processing header");
	prep_of(m, &ops, &values);
	for (uint32_t k = 0; k < h->n_ops; k++)
		if (!op_ok(h, &ops[k], md_model_meta(m)->n_features))
			return md_corrupt(err, "bad ONNX pre-processing operation");
	return MD_OK;
}
