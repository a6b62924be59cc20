/*-------------------------------------------------------------------------
 *
 * test_onnx.c
 *	  Hostile ONNX bytes through md_compile(): each is refused with the
 *	  right status and a message naming what is wrong, never a crash.
 *
 * The inputs are protobuf written by hand, byte by byte, for what real
 * files never contain: a length beyond the end, a varint that never ends,
 * a list of empty messages that asks the decoder for far more memory than
 * the file's size (the allocator's budget), an operator we do not read, a
 * nested subgraph (not in our schema: skipped, never decoded), an opset we
 * do not know.  test/suites/onnx checks real files against ONNX Runtime;
 * test/suites/sanitizers runs this one under AddressSanitizer.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"
#include "tap.h"

/* A growing byte string. */
typedef struct bytes
{
	unsigned char *p;
	size_t len;
} bytes;

static void
put(bytes *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	b->p = realloc(b->p, b->len + n + 1);
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
put_varint(bytes *b, uint64_t v)
{
	unsigned char c;

	do
	{
		c = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		put(b, &c, 1);
		v >>= 7;
	} while (v);
}

/* Field 'field' (length-delimited) holding 'inner' */
static void
put_len(bytes *b, unsigned field, const bytes *inner)
{
	put_varint(b, (field << 3) | 2);
	put_varint(b, inner->len);
	put(b, inner->p, inner->len);
}

static void
put_str(bytes *b, unsigned field, const char *s)
{
	bytes inner = {(unsigned char *) s, strlen(s)};

	put_len(b, field, &inner);
}

/* ModelProto { ir_version 8, opset_import, graph } */
static bytes
model_of(const bytes *graph, int64_t ml_version)
{
	bytes m = {NULL, 0};
	bytes opset = {NULL, 0};

	put_varint(&m, 0x08);
	put_varint(&m, 8);
	put_str(&opset, 1, "ai.onnx.ml");
	put_varint(&opset, 0x10);
	put_varint(&opset, (uint64_t) ml_version);
	put_len(&m, 8, &opset);
	put_len(&m, 7, graph);
	free(opset.p);
	return m;
}

/* Compile; the status, and whether the message holds 'needle'. */
static void
expect(const bytes *b, md_status want, const char *needle, const char *what)
{
	md_error err;
	void *blob;
	size_t len;
	md_status st = md_compile((const char *) b->p, b->len, MD_FORMAT_AUTO,
							  NULL, &blob, &len, &err);

	if (!tap_ok(st == want && strstr(err.message, needle) != NULL,
				"%s: refused (status %d), naming it", what, (int) want))
		tap_diag("status %d: %s", (int) st, err.message);
	md_blob_free(blob);
}

static void
test_framing(void)
{
	bytes b = {NULL, 0};
	unsigned char huge[] = {0x08, 0x08, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x07};
	unsigned char endless[16] = {0x08, 0x08, 0x28};
	unsigned char cut[] = {0x08, 0x08, 0x3a, 0x10, 0x0a};

	memset(endless + 3, 0xff, sizeof(endless) - 3);
	b.p = huge;
	b.len = sizeof(huge);
	expect(&b, MD_ERR_MODEL, "not a valid protobuf", "a graph 2^31 bytes long");
	b.p = endless;
	b.len = sizeof(endless);
	expect(&b, MD_ERR_MODEL, "not a valid protobuf", "a varint that never ends");
	b.p = cut;
	b.len = sizeof(cut);
	expect(&b, MD_ERR_MODEL, "not a valid protobuf", "a truncated graph");
}

/* 300,000 empty NodeProto: 600 kB asking for tens of MB */
static void
test_budget(void)
{
	bytes graph = {NULL, 0};
	bytes m;
	unsigned char empty_node[] = {0x0a, 0x00};

	for (int i = 0; i < 300000; i++)
		put(&graph, empty_node, sizeof(empty_node));
	m = model_of(&graph, 3);
	expect(&m, MD_ERR_LIMIT, "bytes of memory", "300,000 empty nodes");
	free(graph.p);
	free(m.p);
}

/* A graph of one node of op 'op' with a nested, never-decoded subgraph */
static bytes
one_node(const char *op, const char *domain, int64_t ml_version)
{
	bytes node = {NULL, 0};
	bytes attr = {NULL, 0};
	bytes sub = {NULL, 0};
	bytes graph = {NULL, 0};
	bytes m;

	/* AttributeProto.g (6): 2,000 levels of GraphProto.node.attribute.g */
	for (int i = 0; i < 2000; i++)
	{
		bytes wrap = {NULL, 0};

		put_len(&wrap, 6, &sub);
		free(sub.p);
		sub = wrap;
	}
	put_str(&attr, 1, "body");
	put(&attr, sub.p, sub.len);
	put_str(&node, 4, op);
	if (domain)
		put_str(&node, 7, domain);
	put_len(&node, 5, &attr);
	put_len(&graph, 1, &node);
	m = model_of(&graph, ml_version);
	free(node.p);
	free(attr.p);
	free(sub.p);
	free(graph.p);
	return m;
}

static void
test_graphs(void)
{
	bytes m = one_node("Loop", NULL, 3);

	expect(&m, MD_ERR_UNSUPPORTED, "Loop", "an unknown operator with a "
										   "nested subgraph");
	free(m.p);
	m = one_node("TreeEnsembleRegressor", "ai.onnx.ml", 7);
	expect(&m, MD_ERR_UNSUPPORTED, "ai.onnx.ml version 7",
		   "ai.onnx.ml opset 7");
	free(m.p);
	m = one_node("TreeEnsembleRegressor", "ai.onnx.ml", 3);
	expect(&m, MD_ERR_UNSUPPORTED, "not a graph input",
		   "a tree ensemble without an input");
	free(m.p);
	m = one_node("TreeEnsemble", "ai.onnx.ml", 3);
	expect(&m, MD_ERR_UNSUPPORTED, "does not exist in ai.onnx.ml opset 3",
		   "TreeEnsemble under opset 3");
	free(m.p);
}

int
main(void)
{
	test_framing();
	test_budget();
	test_graphs();
	return tap_done();
}
