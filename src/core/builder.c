/*-------------------------------------------------------------------------
 *
 * builder.c
 *	  Writing a blob: sections appended to a growing buffer, then a header
 *	  and a section table in front, and a checksum over everything.
 *
 * The parsers describe a model with md_builder_begin/put/end calls and never
 * see offsets of the final blob; md_builder_finish() lays out the header,
 * moves the sections behind it and returns one malloc'd block.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"

void
md_builder_init(md_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->open_kind = UINT32_MAX;
}

void
md_builder_free(md_builder *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

/* Make room for 'extra' more bytes; on failure mark the builder failed. */
static bool
grow(md_builder *b, size_t extra)
{
	size_t need;
	size_t cap;
	unsigned char *p;

	if (b->failed)
		return false;
	if (extra > SIZE_MAX - b->len - MD_BLOB_ALIGN)
	{
		b->failed = true;
		return false;
	}
	need = b->len + extra + MD_BLOB_ALIGN;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap = (cap > SIZE_MAX / 2) ? need : cap * 2;
	p = realloc(b->buf, cap);
	if (p == NULL)
	{
		b->failed = true;
		return false;
	}
	b->buf = p;
	b->cap = cap;
	return true;
}

/* Zero-pad the buffer to the section alignment. */
static void
pad(md_builder *b)
{
	size_t aligned = md_align(b->len);

	if (!grow(b, aligned - b->len))
		return;
	memset(b->buf + b->len, 0, aligned - b->len);
	b->len = aligned;
}

void
md_builder_begin(md_builder *b, md_section_kind kind)
{
	pad(b);
	b->open_kind = kind;
	b->open_start = b->len;
}

uint64_t
md_builder_reserve(md_builder *b, size_t len)
{
	uint64_t at;

	pad(b);
	at = b->len - b->open_start;
	if (!grow(b, len))
		return 0;
	memset(b->buf + b->len, 0, len);
	b->len += len;
	return at;
}

uint64_t
md_builder_put(md_builder *b, const void *data, size_t len)
{
	uint64_t at = md_builder_reserve(b, len);

	if (!b->failed && len > 0)
		memcpy(b->buf + b->open_start + at, data, len);
	return at;
}

void *
md_builder_at(md_builder *b, uint64_t section_offset)
{
	if (b->failed)
		return NULL;
	return b->buf + b->open_start + section_offset;
}

void
md_builder_end(md_builder *b)
{
	md_section *s = &b->sections[b->n_sections++];

	pad(b);
	s->kind = b->open_kind;
	s->offset = b->open_start; /* relative to the body; fixed in finish */
	s->size = b->len - b->open_start;
	b->open_kind = UINT32_MAX;
}

void
md_builder_copy_sections(md_builder *b, const md_model *m)
{
	for (uint32_t k = 0; k < MD_SEC__COUNT; k++)
	{
		if (m->section[k] == NULL)
			continue;
		md_builder_begin(b, (md_section_kind) k);
		md_builder_put(b, m->section[k], m->section_size[k]);
		md_builder_end(b);
	}
}

uint64_t
md_checksum(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

md_status
md_builder_finish(md_builder *b, void **blob, size_t *blob_len, md_error *err)
{
	size_t head = md_align(sizeof(md_blob_header) +
						   b->n_sections * sizeof(md_section));
	md_blob_header *h;
	md_section *table;
	unsigned char *out;

	*blob = NULL;
	if (b->failed || (out = calloc(1, head + b->len)) == NULL)
		return md_fail(err, MD_ERR_NOMEM,
					   "out of memory compiling the model");

	h = (md_blob_header *) out;
	memcpy(h->magic, MD_BLOB_MAGIC, sizeof(h->magic));
	h->layout_version = MD_BLOB_LAYOUT_VERSION;
	h->byte_order = MD_BLOB_BYTE_ORDER_MARK;
	h->total_size = head + b->len;
	h->n_sections = b->n_sections;
	table = (md_section *) (h + 1);
	for (uint32_t i = 0; i < b->n_sections; i++)
	{
		table[i] = b->sections[i];
		table[i].offset += head;
	}
	if (b->len > 0)
		memcpy(out + head, b->buf, b->len);
	h->checksum = md_checksum(out + sizeof(md_blob_header),
							  h->total_size - sizeof(md_blob_header));

	*blob = out;
	*blob_len = h->total_size;
	return MD_OK;
}
