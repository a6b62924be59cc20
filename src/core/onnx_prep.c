/*-------------------------------------------------------------------------
 *
 * onnx_prep.c
 *	  The pre-processing nodes of a converter's ONNX graph (between the
 *	  graph's input and its estimator) into MD_SEC_OPREP.
 *
 * skl2onnx writes a StandardScaler as ai.onnx.ml Scaler, a SimpleImputer
 * of numbers as Imputer, a MinMaxScaler as Mul and Add by constant
 * tensors, with Cast and Identity between them.  Each node maps the
 * row's features one to one, so the chain becomes a list of element-wise
 * operations over the row (oprep.c runs them); the type each node
 * computes in (float, or double where a double tensor reaches a Scaler)
 * is followed through the chain, as ONNX Runtime's kernels are chosen by
 * it.  Any attribute or constant that does not fit the row's width, and
 * any type ONNX Runtime has no kernel for, is refused naming the node.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "vec.h"

typedef struct prep_build
{
	const Onnx__GraphProto *g;
	uint32_t n_features;
	bool dbl; /* the tensor's type where the chain is */
	md_oprep_op ops[MD_ONNX_MAX_PREP];
	uint32_t n_ops;
	vec values; /* float */
	md_error *err;
} prep_build;

static bool
is_op(const Onnx__NodeProto *n, const char *op)
{
	return n->op_type != NULL && strcmp(n->op_type, op) == 0;
}

static bool
in_domain(const Onnx__NodeProto *n, const char *domain)
{
	return strcmp(n->domain ? n->domain : "", domain) == 0;
}

/* Mul or Add of the chain's tensor by a constant tensor */
static bool
by_constant(const Onnx__GraphProto *g, const Onnx__NodeProto *n)
{
	return (is_op(n, "Mul") || is_op(n, "Add")) && in_domain(n, "") &&
		n->n_input == 2 && md_onnx_initializer(g, n->input[1]) != NULL;
}

bool
md_onnx_prep_node(const Onnx__GraphProto *g, const Onnx__NodeProto *n)
{
	return ((is_op(n, "Scaler") || is_op(n, "Imputer")) &&
			in_domain(n, "ai.onnx.ml")) ||
		by_constant(g, n) || is_op(n, "Identity") || is_op(n, "Cast");
}

static md_status
bad_node(prep_build *p, const Onnx__NodeProto *n, const char *what)
{
	return md_fail(p->err, MD_ERR_MODEL, "the ONNX %s node \"%s\" %s",
				   n->op_type, n->name ? n->name : "", what);
}

/* Appends one operand: 1 value, or one per feature; *first its index */
static md_status
put_operand(prep_build *p, const Onnx__NodeProto *n, const double *v,
			size_t count, uint32_t *n_values, uint64_t *first)
{
	if (count != 1 && count != p->n_features)
		return bad_node(p, n, "has a constant that is neither one value "
							  "nor one per feature");
	if (*n_values != 0 && *n_values != count)
		return bad_node(p, n, "has operands of different lengths");
	if (!vec_reserve(&p->values, count))
		return md_fail(p->err, MD_ERR_NOMEM, "out of memory reading ONNX");
	*first = p->values.len;
	for (size_t i = 0; i < count; i++)
		((float *) p->values.data)[p->values.len++] = (float) v[i];
	*n_values = (uint32_t) count;
	return MD_OK;
}

static md_status
put_floats(prep_build *p, const Onnx__NodeProto *n, const float *f,
		   size_t count, md_oprep_op *op, uint64_t *first)
{
	double *v = malloc(sizeof(double) * (count ? count : 1));
	md_status st;

	if (v == NULL)
		return md_fail(p->err, MD_ERR_NOMEM, "out of memory reading ONNX");
	for (size_t i = 0; i < count; i++)
		v[i] = f[i];
	st = put_operand(p, n, v, count, &op->n_values, first);
	free(v);
	return st;
}

/* Scaler: scale and offset, as many of each */
static md_status
read_scaler(prep_build *p, const Onnx__NodeProto *n, md_oprep_op *op)
{
	const float *scale;
	const float *offset;
	size_t n_scale;
	size_t n_offset;
	md_status st = md_onnx_floats(n, "scale", &scale, &n_scale, p->err);

	if (st == MD_OK)
		st = md_onnx_floats(n, "offset", &offset, &n_offset, p->err);
	if (st != MD_OK)
		return st;
	if (n_scale == 0 || n_scale != n_offset)
		return bad_node(p, n, "needs as many offsets as scales, at least "
							  "one");
	op->kind = MD_OPREP_SCALE;
	op->flags = p->dbl ? MD_OPF_DOUBLE : 0;
	st = put_floats(p, n, offset, n_offset, op, &op->a);
	if (st == MD_OK)
		st = put_floats(p, n, scale, n_scale, op, &op->b);
	p->dbl = false;
	return st;
}

/* Imputer of floats (ONNX Runtime has no kernel for doubles) */
static md_status
read_imputer(prep_build *p, const Onnx__NodeProto *n, md_oprep_op *op)
{
	const float *imputed;
	const int64_t *ints;
	size_t n_imputed;
	size_t n_ints;
	md_status st = md_onnx_floats(n, "imputed_value_floats", &imputed,
								  &n_imputed, p->err);

	if (st == MD_OK)
		st = md_onnx_ints(n, "imputed_value_int64s", &ints, &n_ints, p->err);
	if (st == MD_OK)
		st = md_onnx_float(n, "replaced_value_float", 0.0f, &op->replaced,
						   p->err);
	if (st != MD_OK)
		return st;
	if (n_ints > 0 || n_imputed == 0)
		return md_fail(p->err, MD_ERR_UNSUPPORTED,
					   "the ONNX Imputer node \"%s\" does not impute floats "
					   "(imputed_value_floats)",
					   n->name ? n->name : "");
	if (p->dbl)
		return bad_node(p, n, "reads a double tensor (ONNX Runtime's "
							  "Imputer takes float)");
	op->kind = MD_OPREP_IMPUTE;
	return put_floats(p, n, imputed, n_imputed, op, &op->a);
}

/* Mul or Add by a float constant, on a float tensor */
static md_status
read_arith(prep_build *p, const Onnx__NodeProto *n, md_oprep_op *op)
{
	const Onnx__TensorProto *t = md_onnx_initializer(p->g, n->input[1]);
	double *v;
	size_t count;
	bool dbl;
	md_status st = md_onnx_initializer_reals(n, t, &v, &count, &dbl,
											 p->err);

	if (st != MD_OK)
		return st;
	if (dbl || p->dbl)
		st = md_fail(p->err, MD_ERR_UNSUPPORTED,
					 "the ONNX %s node \"%s\" computes in double; float is "
					 "supported",
					 n->op_type, n->name ? n->name : "");
	op->kind = is_op(n, "Mul") ? MD_OPREP_MUL : MD_OPREP_ADD;
	if (st == MD_OK)
		st = put_operand(p, n, v, count, &op->n_values, &op->a);
	free(v);
	return st;
}

/* Cast: to float rounds a double tensor; to double changes the type only */
static md_status
read_cast(prep_build *p, const Onnx__NodeProto *n, md_oprep_op *op,
		  bool *emitted)
{
	int64_t to;
	md_status st = md_onnx_int(n, "to", 0, &to, p->err);

	if (st != MD_OK)
		return st;
	if (to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
		to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
		return md_fail(p->err, MD_ERR_UNSUPPORTED,
					   "the ONNX Cast node \"%s\" casts the features to "
					   "element type %lld; float and double are supported",
					   n->name ? n->name : "", (long long) to);
	*emitted = p->dbl && to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	op->kind = MD_OPREP_TO_FLOAT;
	p->dbl = to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	return MD_OK;
}

static md_status
read_node(prep_build *p, const Onnx__NodeProto *n, bool *computes)
{
	md_oprep_op *op = &p->ops[p->n_ops];
	bool emitted = true;
	md_status st = MD_OK;

	memset(op, 0, sizeof(*op));
	if (is_op(n, "Identity"))
		return MD_OK;
	if (is_op(n, "Cast"))
		st = read_cast(p, n, op, &emitted);
	else if (is_op(n, "Scaler"))
		st = read_scaler(p, n, op);
	else if (is_op(n, "Imputer"))
		st = read_imputer(p, n, op);
	else
		st = read_arith(p, n, op);
	if (st == MD_OK && emitted)
		p->n_ops++;
	*computes |= op->kind != MD_OPREP_TO_FLOAT;
	return st;
}

static void
write_section(prep_build *p, bool input_double, md_builder *b)
{
	md_oprep_header h;
	uint64_t head_at;

	memset(&h, 0, sizeof(h));
	h.n_ops = p->n_ops;
	h.flags = input_double ? MD_OPF_DOUBLE : 0;
	h.n_values = p->values.len;
	md_builder_begin(b, MD_SEC_OPREP);
	head_at = md_builder_reserve(b, sizeof(h));
	h.ops_offset = md_builder_put(b, p->ops, sizeof(md_oprep_op) * p->n_ops);
	h.values_offset = md_builder_put(b, p->values.data,
									 sizeof(float) * p->values.len);
	if (md_builder_at(b, head_at) != NULL)
		memcpy(md_builder_at(b, head_at), &h, sizeof(h));
	md_builder_end(b);
}

md_status
md_onnx_build_prep(const Onnx__GraphProto *g,
				   const Onnx__NodeProto *const *chain, size_t n,
				   uint32_t n_features, bool *is_double, md_builder *b,
				   md_error *err)
{
	prep_build p;
	bool computes = false;
	bool input_double = *is_double;
	md_status st = MD_OK;

	memset(&p, 0, sizeof(p));
	p.g = g;
	p.n_features = n_features;
	p.dbl = *is_double;
	p.values.elem = sizeof(float);
	p.err = err;
	if (n > MD_ONNX_MAX_PREP)
		st = md_fail(err, MD_ERR_UNSUPPORTED, "the ONNX graph has more "
											  "than %d nodes before its estimator",
					 MD_ONNX_MAX_PREP);
	for (size_t k = 0; k < n && st == MD_OK; k++)
		st = read_node(&p, chain[k], &computes);
	/* only Identity and Cast: the estimator reads the input as cast */
	if (st == MD_OK && computes)
		write_section(&p, input_double, b);
	*is_double = p.dbl;
	free(p.values.data);
	return st;
}
