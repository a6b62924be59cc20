/*-------------------------------------------------------------------------
 *
 * blob.c
 *	  Opening a compiled model: the header, the section table, and the
 *	  validators that make an untrusted blob safe to score with.
 *
 * The scoring loops trust the blob completely (no bounds checks, no loop
 * guards), so a blob read from a file or a table must pass the same checks
 * here that the compiler's output satisfies by construction: every offset
 * and count inside its section, every tree in canonical breadth-first form,
 * every feature index in range, every number finite.  Validation allocates
 * nothing and takes time linear in the blob's size.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "md_internal.h"
#include "strtab.h"

static md_status
check_header(const md_blob_header *h, size_t len, md_error *err)
{
	if (len < sizeof(md_blob_header) ||
		memcmp(h->magic, MD_BLOB_MAGIC, sizeof(h->magic)) != 0)
	{
		md_fail(err, MD_ERR_BLOB,
				"not a compiled model_deploy model (bad magic number)");
		md_hint(err, "Compile JSON models with \"mdscore compile\" or export "
					 "them with model_deploy.export_compiled().");
		return MD_ERR_BLOB;
	}
	if (h->byte_order != MD_BLOB_BYTE_ORDER_MARK)
	{
		md_fail(err, MD_ERR_BLOB,
				"compiled model was written on a machine of another byte "
				"order");
		md_hint(err, "Compile the model again from its JSON source on this "
					 "machine.");
		return MD_ERR_BLOB;
	}
	if (h->layout_version != MD_BLOB_LAYOUT_VERSION)
	{
		md_fail(err, MD_ERR_BLOB,
				"compiled model has layout version %u; this library reads "
				"version %u",
				h->layout_version, MD_BLOB_LAYOUT_VERSION);
		md_hint(err, "Compile the model again from its JSON source.");
		return MD_ERR_BLOB;
	}
	if (h->total_size != len)
	{
		md_fail(err, MD_ERR_BLOB,
				"compiled model is %zu bytes long but its header says %llu "
				"(truncated or padded)",
				len,
				(unsigned long long) h->total_size);
		return MD_ERR_BLOB;
	}
	if (h->reserved != 0)
		return md_corrupt(err, "bad header");
	if (h->n_sections == 0 || h->n_sections > MD_SEC__COUNT ||
		!md_fits(0, h->n_sections, sizeof(md_section),
				 len - sizeof(md_blob_header)))
		return md_corrupt(err, "bad section table");
	return MD_OK;
}

/*
 * The sections tile the blob after the table, in table order, as builder.c
 * lays them out.  The header is outside the checksum, so this is what
 * catches a damaged section count: no byte of a blob goes unaccounted for.
 */
static md_status
map_sections(md_model *m, const md_blob_header *h, md_error *err)
{
	const md_section *table = (const md_section *) (h + 1);
	uint64_t next = md_align(sizeof(md_blob_header) +
							 (uint64_t) h->n_sections * sizeof(md_section));

	for (uint32_t i = 0; i < h->n_sections; i++)
	{
		const md_section *s = &table[i];

		if (s->kind >= MD_SEC__COUNT || m->section[s->kind] != NULL ||
			s->reserved != 0)
			return md_corrupt(err, "unknown or repeated section");
		if (s->offset != next || !md_fits(s->offset, s->size, 1, m->size))
			return md_corrupt(err, "section outside the blob");
		m->section[s->kind] = m->base + s->offset;
		m->section_size[s->kind] = s->size;
		next = s->offset + s->size;
	}
	if (next != m->size)
		return md_corrupt(err, "bytes after the last section");
	return MD_OK;
}

/* The model description, and the kind of model it announces. */
static md_status
check_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	const md_kind_ops *kind;

	if (meta == NULL || m->section_size[MD_SEC_META] < sizeof(md_meta))
		return md_corrupt(err, "no model description");
	kind = md_kind_of(m);
	if (kind == NULL)
		return md_corrupt(err, "unknown estimator");
	return kind->check_meta(m, err);
}

/*
 * Every byte: the checksum, the sections any model may have, then the
 * kind's own validator, which sees only the sections its kind allows.
 */
static md_status
validate_all(const md_model *m, const md_blob_header *h, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	const md_kind_ops *kind = md_kind_of(m);
	md_status st;

	if (md_checksum(m->base + sizeof(md_blob_header),
					m->size - sizeof(md_blob_header)) != h->checksum)
		return md_corrupt(err, "checksum mismatch");
	for (uint32_t s = 0; s < MD_SEC__COUNT; s++)
		if (md_section_ptr(m, s) != NULL && !(kind->sections & (1u << s)))
			return md_corrupt(err, "a section this kind of model does not "
								   "have");
	if (md_section_ptr(m, MD_SEC_FEATURE_NAMES) != NULL)
	{
		st = md_strtab_validate(md_section_ptr(m, MD_SEC_FEATURE_NAMES),
								m->section_size[MD_SEC_FEATURE_NAMES],
								meta->n_features, "feature name", err);
		if (st != MD_OK)
			return st;
	}
	if (md_section_ptr(m, MD_SEC_NATIVE_FEATURES) != NULL)
	{
		st = md_validate_feature_table(m, err);
		if (st != MD_OK)
			return st;
	}
	return kind->validate(m, err);
}

md_status
md_open(md_model *m, const void *blob, size_t len, md_open_flags flags,
		md_error *err)
{
	const md_blob_header *h = blob;
	md_status st;

	memset(m, 0, sizeof(*m));
	md_clear_error(err);
	if (blob == NULL || ((uintptr_t) blob % 8) != 0)
		return md_fail(err, MD_ERR_ARGUMENT,
					   "compiled model must start on an 8-byte boundary");
	m->base = blob;
	m->size = len;

	st = check_header(h, len, err);
	if (st == MD_OK)
		st = map_sections(m, h, err);
	if (st == MD_OK)
		st = check_meta(m, err);
	if (st == MD_OK && flags != MD_OPEN_TRUSTED)
		st = validate_all(m, h, err);
	if (st != MD_OK)
		memset(m, 0, sizeof(*m));
	return st;
}
