/*-------------------------------------------------------------------------
 *
 * check.c
 *	  Helpers every validator of an untrusted blob shares, and the checks of
 *	  the sections that any kind of model may carry (the feature table).
 *
 * The validators of each kind (xgb_check.c, native_check.c, dtree_check.c)
 * express their bounds with these, so that "inside the section" and the
 * wording of a corrupt blob's error mean one thing everywhere.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "native.h"
#include "strtab.h"

md_status
md_corrupt(md_error *err, const char *what)
{
	md_fail(err, MD_ERR_BLOB, "compiled model is corrupt: %s", what);
	md_hint(err, "Compile the model again from its JSON source.");
	return MD_ERR_BLOB;
}

/* Does [offset, offset + count * elem) lie inside a region of 'size'? */
bool
md_fits(uint64_t offset, uint64_t count, uint64_t elem, uint64_t size)
{
	if (offset > size || offset % MD_BLOB_ALIGN != 0)
		return false;
	if (elem != 0 && count > (size - offset) / elem)
		return false;
	return true;
}

/* Is [start, start + n) inside a pool of 'len' elements? */
bool
md_span_in(uint64_t len, uint64_t start, uint64_t n)
{
	return start <= len && n <= len - start;
}

bool
md_all_finite(const double *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/*
 * MD_SEC_NATIVE_FEATURES: one entry per model feature, numeric or
 * categorical with a valid string table of its categories.
 */
md_status
md_validate_feature_table(const md_model *m, md_error *err)
{
	const md_native_features *fs = md_section_ptr(m, MD_SEC_NATIVE_FEATURES);
	uint64_t size = m->section_size[MD_SEC_NATIVE_FEATURES];
	const md_native_feature *f;

	if (size < sizeof(*fs) || fs->n_features != md_model_meta(m)->n_features ||
		!md_fits(fs->features_offset, fs->n_features, sizeof(*f), size))
		return md_corrupt(err, "bad feature table");
	f = md_native_at(fs, fs->features_offset);
	for (uint32_t i = 0; i < fs->n_features; i++, f++)
	{
		md_status st;

		if (f->kind == MD_FEATURE_NUMERIC && f->n_categories == 0 &&
			f->flags == 0)
			continue;
		if (f->kind != MD_FEATURE_CATEGORICAL || f->n_categories == 0 ||
			(f->flags & ~MD_FEATURE_TAKES_CODES) != 0 ||
			(f->unknown != MD_UNKNOWN_ERROR &&
			 f->unknown != MD_UNKNOWN_IGNORE) ||
			!md_fits(f->categories_offset, f->categories_size, 1, size) ||
			f->categories_size < sizeof(md_strtab))
			return md_corrupt(err, "bad feature description");
		st = md_strtab_validate(md_native_at(fs, f->categories_offset),
								f->categories_size, f->n_categories,
								"category", err);
		if (st != MD_OK)
			return st;
	}
	return MD_OK;
}
