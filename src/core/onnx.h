/*-------------------------------------------------------------------------
 *
 * onnx.h
 *	  Reading ONNX model bytes: the protobuf decoded by libprotobuf-c (code
 *	  generated from onnx_ml.proto into build/onnx/), within a memory
 *	  budget, and typed access to a node's attributes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_ONNX_H
#define MD_ONNX_H

#include <protobuf-c/protobuf-c.h>

#include "md_internal.h"
#include "onnx_ml.pb-c.h"

/* Bytes the decoder may allocate: this many times the model's size, + 4 MiB */
#define MD_ONNX_MEMORY_FACTOR 32

/* The decoded model and the allocator that owns its memory. */
typedef struct md_onnx
{
	Onnx__ModelProto *model;
	ProtobufCAllocator allocator;
	size_t used;
	size_t budget;
	bool over_budget;
} md_onnx;

md_status md_onnx_decode(const char *bytes, size_t len, md_onnx *onnx,
						 md_error *err);
void md_onnx_free(md_onnx *onnx);

/* A node's attribute by name, or NULL. */
const Onnx__AttributeProto *md_onnx_attr(const Onnx__NodeProto *node,
										 const char *name);

/*
 * Attribute values.  Each fails with MD_ERR_MODEL naming the node's op and
 * the attribute when the attribute has the wrong type; an absent one gives
 * the default (0 values, 'dflt').  Lists point into the decoded model.
 */
md_status md_onnx_ints(const Onnx__NodeProto *node, const char *name,
					   const int64_t **v, size_t *n, md_error *err);
md_status md_onnx_int(const Onnx__NodeProto *node, const char *name,
					  int64_t dflt, int64_t *v, md_error *err);
md_status md_onnx_floats(const Onnx__NodeProto *node, const char *name,
						 const float **v, size_t *n, md_error *err);
md_status md_onnx_float(const Onnx__NodeProto *node, const char *name,
						float dflt, float *v, md_error *err);
md_status md_onnx_strings(const Onnx__NodeProto *node, const char *name,
						  const ProtobufCBinaryData **v, size_t *n,
						  md_error *err);
/* A STRING attribute as a NUL-terminated copy in buf (too long: refused). */
md_status md_onnx_string(const Onnx__NodeProto *node, const char *name,
						 const char *dflt, char *buf, size_t buf_size,
						 md_error *err);

/*
 * A STRING attribute that must be one of names[0..n_names) (NULL entries
 * skipped): *choice its index; another string is MD_ERR_UNSUPPORTED.
 */
md_status md_onnx_choice(const Onnx__NodeProto *node, const char *name,
						 const char *dflt, const char *const *names,
						 int n_names, uint32_t *choice, md_error *err);
/* post_transform (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT): md_opost */
md_status md_onnx_post_transform(const Onnx__NodeProto *node,
								 uint32_t *post, md_error *err);

/*
 * A list of reals given either as FLOATS 'name' or as the TENSOR
 * 'name_as_tensor' (float or double), never both: *v is malloc'd (free()
 * it), *is_double says whether the tensor held doubles.
 */
md_status md_onnx_reals(const Onnx__NodeProto *node, const char *name,
						double **v, size_t *n, bool *is_double,
						md_error *err);

/*
 * A TENSOR attribute 'name' of reals (float or double; absent: 0 values)
 * into a new array, and one of small integers (uint8, int32 or int64 data)
 * into a new int64 array.  free() them.
 */
md_status md_onnx_tensor_reals(const Onnx__NodeProto *node, const char *name,
							   double **v, size_t *n, bool *is_double,
							   md_error *err);
md_status md_onnx_tensor_ints(const Onnx__NodeProto *node, const char *name,
							  int64_t **v, size_t *n, md_error *err);

/* The graph's initializer (a constant tensor) 'name', or NULL. */
const Onnx__TensorProto *md_onnx_initializer(const Onnx__GraphProto *g,
											 const char *name);

/*
 * The values of the float or double initializer t, an input of 'node',
 * into a new array (free() it); refused naming the node otherwise.
 */
md_status md_onnx_initializer_reals(const Onnx__NodeProto *node,
									const Onnx__TensorProto *t, double **v,
									size_t *n, bool *is_double,
									md_error *err);

/* Is the string exactly 's'? */
bool md_onnx_is(const ProtobufCBinaryData *b, const char *s);

/* What feeds a tree ensemble's input X: features and their element type. */
typedef struct md_onnx_input
{
	uint32_t n_features;
	bool is_double; /* X is a double tensor */
} md_onnx_input;

/*
 * A tree ensemble as the parallel arrays of TreeEnsembleRegressor and
 * TreeEnsembleClassifier (opsets 1 and 3): nodes by (tree id, node id),
 * leaf weights by the same.  Lists point into the decoded model or into
 * 'owned' (freed by md_onnx_attrs_free, as are modes and the reals).
 */
typedef struct md_tree_attrs
{
	const Onnx__NodeProto *node;
	size_t n; /* nodes */
	const int64_t *tree_id;
	const int64_t *node_id;
	const int64_t *feature;
	const int64_t *yes;
	const int64_t *no;
	const int64_t *missing;
	size_t n_missing;
	uint8_t *modes; /* md_dop, or MD_OMODE_LEAF */
	double *value;
	size_t nw; /* weights */
	const int64_t *w_tree;
	const int64_t *w_node;
	const int64_t *w_out;
	double *w_value;
	double *base;
	size_t n_base;
	bool dbl; /* any of them given as a double tensor */
	void *owned[12];
	int n_owned;
} md_tree_attrs;

void md_onnx_attrs_free(md_tree_attrs *a);

/*
 * onnx_trees_v5.c: TreeEnsemble (ai.onnx.ml opset 5) as the arrays of
 * opset 3, the way ONNX Runtime converts it (convert_to_v3), with its
 * output shape in 'h'.
 */
md_status md_onnx_read_v5(const Onnx__NodeProto *node, bool is_double,
						  const md_limits *limits, md_tree_attrs *a,
						  md_otrees_header *h, md_error *err);

/*
 * onnx_trees.c: the TreeEnsembleRegressor/Classifier 'node' as an
 * MD_SEC_OTREES section; *n_outputs receives its output count.  A
 * classifier's class labels are the caller's.
 */
md_status md_onnx_build_trees(const Onnx__NodeProto *node, bool classifier,
							  uint32_t n_classes, const md_onnx_input *in,
							  const md_limits *limits, md_builder *b,
							  uint32_t *n_outputs, md_error *err);
/* Nodes a graph may have between its input and its estimator */
#define MD_ONNX_MAX_PREP 32

/*
 * onnx_prep.c: is n a node of the pre-processing (Scaler, Imputer, Mul or
 * Add by a constant, Cast, Identity)?
 */
bool md_onnx_prep_node(const Onnx__GraphProto *g,
					   const Onnx__NodeProto *n);

/*
 * The pre-processing nodes chain[0..n), in graph order, on a tensor of
 * n_features values of type *is_double, as MD_SEC_OPREP (nothing written
 * if they only pass the tensor on); *is_double receives the type the
 * estimator reads.
 */
md_status md_onnx_build_prep(const Onnx__GraphProto *g,
							 const Onnx__NodeProto *const *chain, size_t n,
							 uint32_t n_features, bool *is_double,
							 md_builder *b, md_error *err);

/*
 * onnx_linear.c: the LinearRegressor or LinearClassifier 'node' (with
 * n_classes labels, 0 for a regressor), and the Normalizer node 'norm'
 * after it or NULL, as an MD_SEC_OLINEAR section; *n_outputs receives its
 * rows of coefficients.  The features' count when the input does not say
 * it: md_onnx_linear_width.
 */
md_status md_onnx_build_linear(const Onnx__NodeProto *node,
							   const Onnx__NodeProto *norm,
							   uint32_t n_classes, uint32_t n_features,
							   const md_limits *limits, md_builder *b,
							   uint32_t *n_outputs, md_error *err);
md_status md_onnx_linear_width(const Onnx__NodeProto *node, int64_t *width,
							   md_error *err);
#endif /* MD_ONNX_H */
