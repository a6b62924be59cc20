/*-------------------------------------------------------------------------
 *
 * onnx_decode.c
 *	  ONNX model bytes into protobuf-c messages, and a node's attributes.
 *
 * The wire format is decoded by libprotobuf-c (maintained, fuzzed upstream)
 * with code protoc-c generates from onnx_ml.proto.  Untrusted bytes are
 * bounded three ways: the model's size (md_limits.max_source_bytes, checked
 * by md_compile), the memory the decoder may allocate (an allocator that
 * refuses past MD_ONNX_MEMORY_FACTOR times the size: a few bytes on the
 * wire can ask for a large message), and the depth of nesting (the schema
 * has no recursive message).  Both packed and unpacked repeated numbers are
 * accepted, as protobuf requires of a proto2 reader.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "parse.h"

/* Each allocation carries its size in front, for the budget. */
#define HEAD 16

static void *
budget_alloc(void *data, size_t size)
{
	md_onnx *o = data;
	unsigned char *p;

	if (size > o->budget - o->used || size > SIZE_MAX - HEAD)
	{
		o->over_budget = true;
		return NULL;
	}
	if ((p = malloc(size + HEAD)) == NULL)
		return NULL;
	memcpy(p, &size, sizeof(size));
	o->used += size;
	return p + HEAD;
}

static void
budget_free(void *data, void *ptr)
{
	md_onnx *o = data;
	unsigned char *p = ptr;
	size_t size;

	if (p == NULL)
		return;
	p -= HEAD;
	memcpy(&size, p, sizeof(size));
	o->used -= size;
	free(p);
}

bool
md_onnx_detect(const char *bytes, size_t len)
{
	const unsigned char *p = (const unsigned char *) bytes;
	size_t i = 1;

	/* field 1 (ir_version) as a varint, then a field of ModelProto */
	if (len < 3 || p[0] != 0x08)
		return false;
	while (i < len && i <= 10 && (p[i] & 0x80))
		i++;
	if (i + 1 >= len || i > 10)
		return false;
	return (p[i + 1] & 7) == 0 || (p[i + 1] & 7) == 2;
}

md_status
md_onnx_decode(const char *bytes, size_t len, md_onnx *o, md_error *err)
{
	memset(o, 0, sizeof(*o));
	o->budget = (len > (SIZE_MAX - (4u << 20)) / MD_ONNX_MEMORY_FACTOR) ? SIZE_MAX : len * MD_ONNX_MEMORY_FACTOR + (4u << 20);
	o->allocator.alloc = budget_alloc;
	o->allocator.free = budget_free;
	o->allocator.allocator_data = o;
	o->model = onnx__model_proto__unpack(&o->allocator, len,
										 (const uint8_t *) bytes);
	if (o->model != NULL)
		return MD_OK;
	if (o->over_budget)
	{
		md_fail(err, MD_ERR_LIMIT,
				"decoding the ONNX model (%zu bytes) needs more than %zu "
				"bytes of memory, %d times its size",
				len, o->budget,
				MD_ONNX_MEMORY_FACTOR);
		md_hint(err, "A genuine model needs far less: the file is corrupt "
					 "or made to exhaust memory.");
		return MD_ERR_LIMIT;
	}
	md_fail(err, MD_ERR_MODEL,
			"the ONNX model is not a valid protobuf ModelProto (%zu bytes): "
			"truncated, or a length or field is wrong",
			len);
	md_hint(err, "Write the file with onnx.save_model() or the converter's "
				 "SerializeToString(), and deploy its bytes unchanged (bytea).");
	return MD_ERR_MODEL;
}

void
md_onnx_free(md_onnx *o)
{
	if (o->model != NULL)
		onnx__model_proto__free_unpacked(o->model, &o->allocator);
	o->model = NULL;
}

const Onnx__AttributeProto *
md_onnx_attr(const Onnx__NodeProto *node, const char *name)
{
	for (size_t i = 0; i < node->n_attribute; i++)
		if (node->attribute[i]->name != NULL &&
			strcmp(node->attribute[i]->name, name) == 0)
			return node->attribute[i];
	return NULL;
}

bool
md_onnx_is(const ProtobufCBinaryData *b, const char *s)
{
	size_t n = strlen(s);

	return b->len == n && memcmp(b->data, s, n) == 0;
}

static md_status
wrong_type(const Onnx__NodeProto *node, const char *name, const char *want,
		   md_error *err)
{
	return md_fail(err, MD_ERR_MODEL,
				   "attribute \"%s\" of the ONNX %s node is not %s", name,
				   node->op_type ? node->op_type : "?", want);
}

md_status
md_onnx_ints(const Onnx__NodeProto *node, const char *name,
			 const int64_t **v, size_t *n, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);

	*v = NULL;
	*n = 0;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return wrong_type(node, name, "a list of integers", err);
	*v = a->ints;
	*n = a->n_ints;
	return MD_OK;
}

md_status
md_onnx_int(const Onnx__NodeProto *node, const char *name, int64_t dflt,
			int64_t *v, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);

	*v = dflt;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
		return wrong_type(node, name, "an integer", err);
	*v = a->i;
	return MD_OK;
}

md_status
md_onnx_floats(const Onnx__NodeProto *node, const char *name,
			   const float **v, size_t *n, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);

	*v = NULL;
	*n = 0;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
		return wrong_type(node, name, "a list of floats", err);
	*v = a->floats;
	*n = a->n_floats;
	return MD_OK;
}

md_status
md_onnx_float(const Onnx__NodeProto *node, const char *name, float dflt,
			  float *v, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);

	*v = dflt;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)
		return wrong_type(node, name, "a float", err);
	*v = a->f;
	return MD_OK;
}

md_status
md_onnx_strings(const Onnx__NodeProto *node, const char *name,
				const ProtobufCBinaryData **v, size_t *n, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);

	*v = NULL;
	*n = 0;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS)
		return wrong_type(node, name, "a list of strings", err);
	*v = a->strings;
	*n = a->n_strings;
	return MD_OK;
}

md_status
md_onnx_string(const Onnx__NodeProto *node, const char *name,
			   const char *dflt, char *buf, size_t buf_size, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);
	size_t len;

	if (a == NULL)
	{
		snprintf(buf, buf_size, "%s", dflt);
		return MD_OK;
	}
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING ||
		!a->has_s || a->s.len >= buf_size ||
		memchr(a->s.data, '\0', a->s.len) != NULL)
		return wrong_type(node, name, "a short string", err);
	len = a->s.len;
	memcpy(buf, a->s.data, len);
	buf[len] = '\0';
	return MD_OK;
}

md_status
md_onnx_choice(const Onnx__NodeProto *node, const char *name,
			   const char *dflt, const char *const *names, int n_names,
			   uint32_t *choice, md_error *err)
{
	char buf[32];
	md_status st = md_onnx_string(node, name, dflt, buf, sizeof(buf), err);

	if (st != MD_OK)
		return st;
	for (int k = 0; k < n_names; k++)
		if (names[k] != NULL && strcmp(buf, names[k]) == 0)
		{
			*choice = (uint32_t) k;
			return MD_OK;
		}
	return md_fail(err, MD_ERR_UNSUPPORTED, "ONNX %s: %s \"%s\" is not "
											"supported",
				   node->op_type, name, buf);
}

md_status
md_onnx_post_transform(const Onnx__NodeProto *node, uint32_t *post,
					   md_error *err)
{
	static const char *const posts[] = {
		[MD_OPOST_NONE] = "NONE", [MD_OPOST_LOGISTIC] = "LOGISTIC", [MD_OPOST_SOFTMAX] = "SOFTMAX", [MD_OPOST_SOFTMAX_ZERO] = "SOFTMAX_ZERO", [MD_OPOST_PROBIT] = "PROBIT"};

	return md_onnx_choice(node, "post_transform", "NONE", posts,
						  MD_OPOST__END, post, err);
}

/* The values of a float or double tensor, *n of them, into a new array. */
static md_status
tensor_reals(const Onnx__NodeProto *node, const char *name,
			 const Onnx__TensorProto *t, double **v, size_t *n,
			 bool *is_double, md_error *err)
{
	bool dbl = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	size_t width = dbl ? sizeof(double) : sizeof(float);
	size_t count;
	uint64_t dims = 1;

	if (!dbl && t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
		return wrong_type(node, name, "a float or double tensor", err);
	if (t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "attribute \"%s\" of the ONNX %s node is stored in an "
					   "external file",
					   name, node->op_type);
	if (t->has_raw_data)
	{
		if (t->raw_data.len % width != 0)
			return wrong_type(node, name, "a tensor of whole values", err);
		count = t->raw_data.len / width;
	}
	else
		count = dbl ? t->n_double_data : t->n_float_data;
	for (size_t i = 0; i < t->n_dims; i++)
		dims = (t->dims[i] < 0 || (uint64_t) t->dims[i] > count) ? UINT64_MAX : dims * (uint64_t) t->dims[i];
	if (t->n_dims > 0 && dims != count)
		return wrong_type(node, name, "a tensor whose shape fits its data",
						  err);
	if ((*v = malloc(sizeof(double) * (count ? count : 1))) == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading the ONNX model");
	for (size_t i = 0; i < count; i++)
	{
		float f;

		if (t->has_raw_data && dbl)
			memcpy(&(*v)[i], t->raw_data.data + i * width, width);
		else if (t->has_raw_data)
		{
			memcpy(&f, t->raw_data.data + i * width, width);
			(*v)[i] = f;
		}
		else
			(*v)[i] = dbl ? t->double_data[i] : t->float_data[i];
	}
	*n = count;
	*is_double = dbl;
	return MD_OK;
}

md_status
md_onnx_reals(const Onnx__NodeProto *node, const char *name, double **v,
			  size_t *n, bool *is_double, md_error *err)
{
	char tname[64];
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);
	const Onnx__AttributeProto *t;

	snprintf(tname, sizeof(tname), "%s_as_tensor", name);
	t = md_onnx_attr(node, tname);
	*v = NULL;
	*n = 0;
	*is_double = false;
	if (a != NULL && t != NULL)
		return md_fail(err, MD_ERR_MODEL,
					   "the ONNX %s node has both \"%s\" and \"%s\"",
					   node->op_type, name, tname);
	if (t != NULL)
	{
		if (t->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR ||
			t->t == NULL)
			return wrong_type(node, tname, "a tensor", err);
		return tensor_reals(node, tname, t->t, v, n, is_double, err);
	}
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
		return wrong_type(node, name, "a list of floats", err);
	if ((*v = malloc(sizeof(double) * (a->n_floats ? a->n_floats : 1))) == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading the ONNX model");
	for (size_t i = 0; i < a->n_floats; i++)
		(*v)[i] = a->floats[i];
	*n = a->n_floats;
	return MD_OK;
}

md_status
md_onnx_tensor_reals(const Onnx__NodeProto *node, const char *name,
					 double **v, size_t *n, bool *is_double, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);

	*v = NULL;
	*n = 0;
	*is_double = false;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR || a->t == NULL)
		return wrong_type(node, name, "a tensor", err);
	return tensor_reals(node, name, a->t, v, n, is_double, err);
}

const Onnx__TensorProto *
md_onnx_initializer(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name &&
			strcmp(g->initializer[i]->name, name) == 0)
			return g->initializer[i];
	return NULL;
}

md_status
md_onnx_initializer_reals(const Onnx__NodeProto *node,
						  const Onnx__TensorProto *t, double **v, size_t *n,
						  bool *is_double, md_error *err)
{
	return tensor_reals(node, t->name ? t->name : "?", t, v, n, is_double,
						err);
}

/* Bytes per value in raw_data of an integer tensor type, or 0. */
static size_t
int_width(int32_t type)
{
	switch (type)
	{
		case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
			return 1;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
			return 4;
		case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
			return 8;
	}
	return 0;
}

md_status
md_onnx_tensor_ints(const Onnx__NodeProto *node, const char *name,
					int64_t **v, size_t *n, md_error *err)
{
	const Onnx__AttributeProto *a = md_onnx_attr(node, name);
	const Onnx__TensorProto *t;
	size_t width;
	size_t count;

	*v = NULL;
	*n = 0;
	if (a == NULL)
		return MD_OK;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR ||
		(t = a->t) == NULL || (width = int_width(t->data_type)) == 0 ||
		t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return wrong_type(node, name, "a uint8, int32 or int64 tensor", err);
	if (t->has_raw_data)
	{
		if (t->raw_data.len % width != 0)
			return wrong_type(node, name, "a tensor of whole values", err);
		count = t->raw_data.len / width;
	}
	else
		count = width == 8 ? t->n_int64_data : t->n_int32_data;
	if ((*v = malloc(sizeof(int64_t) * (count ? count : 1))) == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading the ONNX model");
	for (size_t i = 0; i < count; i++)
	{
		const uint8_t *p = t->has_raw_data ? t->raw_data.data + i * width : NULL;
		int32_t i32;

		if (p && width == 1)
			(*v)[i] = p[0];
		else if (p && width == 4)
		{
			memcpy(&i32, p, 4);
			(*v)[i] = i32;
		}
		else if (p)
			memcpy(&(*v)[i], p, 8);
		else
			(*v)[i] = width == 8 ? t->int64_data[i] : t->int32_data[i];
	}
	*n = count;
	return MD_OK;
}
