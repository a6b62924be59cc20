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
	size_t		used;
	size_t		budget;
	bool		over_budget;
} md_onnx;


md_status	md_onnx_decode(const char *bytes, size_t len, md_onnx *onnx,
						   md_error *err);
void		md_onnx_free(md_onnx *onnx);

/* A node's attribute by name, or NULL. */
const Onnx__AttributeProto *md_onnx_attr(const Onnx__NodeProto *node,
										 const char *name);

/*
 * Attribute values.  Each fails with MD_ERR_MODEL naming the node's op and
 * the attribute when the attribute has the wrong type; an absent one gives
 * the default (0 values, 'dflt').  Lists point into the decoded model.
 */
md_status	md_onnx_ints(const Onnx__NodeProto *node, const char *name,
						 const int64_t **v, size_t *n, md_error *err);
md_status	md_onnx_int(const Onnx__NodeProto *node, const char *name,
						int64_t dflt, int64_t *v, md_error *err);
md_status	md_onnx_strings(const Onnx__NodeProto *node, const char *name,
							const ProtobufCBinaryData **v, size_t *n,
							md_error *err);
/* A STRING attribute as a NUL-terminated copy in buf (too long: refused). */
md_status	md_onnx_string(const Onnx__NodeProto *node, const char *name,
						   const char *dflt, char *buf, size_t buf_size,
						   md_error *err);

/*
 * A list of reals given either as FLOATS 'name' or as the TENSOR
 * 'name_as_tensor' (float or double), never both: *v is malloc'd (free()
 * it), *is_double says whether the tensor held doubles.
 */
md_status	md_onnx_reals(const Onnx__NodeProto *node, const char *name,
						  double **v, size_t *n, bool *is_double,
						  md_error *err);

/* Is the string exactly 's'? */
bool		md_onnx_is(const ProtobufCBinaryData *b, const char *s);



/* What feeds a tree ensemble's input X: features and their element type. */
typedef struct md_onnx_input
{
	uint32_t	n_features;
	bool		is_double;		/* X is a double tensor */
} md_onnx_input;

/*
 * onnx_trees.c: the TreeEnsembleRegressor/Classifier 'node' as an
 * MD_SEC_OTREES section; *n_outputs receives its output count.  A
 * classifier's class labels are the caller's.
 */
md_status	md_onnx_build_trees(const Onnx__NodeProto *node, bool classifier,
								uint32_t n_classes, const md_onnx_input *in,
								const md_limits *limits, md_builder *b,
								uint32_t *n_outputs, md_error *err);
#endif							/* MD_ONNX_H */
