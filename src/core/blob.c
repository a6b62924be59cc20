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
#include "native.h"
#include "objective.h"
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
				"version %u", h->layout_version, MD_BLOB_LAYOUT_VERSION);
		md_hint(err, "Compile the model again from its JSON source.");
		return MD_ERR_BLOB;
	}
	if (h->total_size != len)
	{
		md_fail(err, MD_ERR_BLOB,
				"compiled model is %zu bytes long but its header says %llu "
				"(truncated or padded)", len,
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
	uint64_t	next = md_align(sizeof(md_blob_header) +
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

static md_status
check_meta(const md_model *m, md_error *err)
{
	const md_meta *meta = md_model_meta(m);

	if (meta == NULL || m->section_size[MD_SEC_META] < sizeof(md_meta))
		return md_corrupt(err, "no model description");
	if (meta->format == MD_FORMAT_NATIVE)
		return md_check_native_meta(m, err);
	if (meta->format != MD_FORMAT_XGBOOST ||
		!md_objective_is_valid(meta->objective) ||
		meta->booster < MD_BOOSTER_GBTREE ||
		meta->booster >= MD_BOOSTER__END ||
		meta->n_features == 0 || meta->n_outputs == 0)
		return md_corrupt(err, "bad model description");
	if (meta->estimator == MD_EST_FOREST)
	{
		if (md_section_ptr(m, MD_SEC_FOREST) == NULL)
			return md_corrupt(err, "tree model without trees");
	}
	else if (meta->estimator == MD_EST_LINEAR)
	{
		if (md_section_ptr(m, MD_SEC_LINEAR) == NULL)
			return md_corrupt(err, "linear model without weights");
	}
	else
		return md_corrupt(err, "unknown estimator");
	return MD_OK;
}

/*
 * Check one tree's nodes: canonical breadth-first form (the k-th internal
 * node's children at 2k+1 and 2k+2, so the tree is full, connected and
 * acyclic), features in range, finite values, category bitsets in the pool.
 * Computes the tree's depth level by level without extra memory.
 */
static md_status
validate_tree(const md_tree *tree, const md_node *nodes, uint64_t n_cat_words,
			  uint32_t n_features, uint32_t tree_no, uint32_t *depth_out,
			  md_error *err)
{
	uint64_t	internal = 0;
	uint64_t	level_end = 1;
	uint32_t	depth = 0;

	for (uint64_t i = 0; i < tree->n_nodes; i++)
	{
		const md_node *n = &nodes[i];

		if (i == level_end)
		{
			depth++;
			level_end = 2 * internal + 1;
		}
		if (n->flags & ~(uint32_t) (MD_NODE_DEFAULT_LEFT | MD_NODE_CATEGORICAL))
			return md_corrupt(err, "unknown node flags");
		if (n->left == 0)
		{
			if (!isfinite(n->value))
				return md_fail(err, MD_ERR_BLOB,
							   "compiled model is corrupt: tree %u has a "
							   "non-finite leaf", tree_no);
			continue;
		}
		if (n->left != 2 * internal + 1 || (uint64_t) n->left + 1 >= tree->n_nodes)
			return md_fail(err, MD_ERR_BLOB,
						   "compiled model is corrupt: tree %u is not in "
						   "breadth-first form at node %llu", tree_no,
						   (unsigned long long) i);
		internal++;
		if (n->feature >= n_features)
			return md_corrupt(err, "split on a feature out of range");
		if (n->flags & MD_NODE_CATEGORICAL)
		{
			if ((uint64_t) n->cat_offset + n->cat_words > n_cat_words)
				return md_corrupt(err, "category set outside the pool");
		}
		else if (!isfinite(n->value))
			return md_corrupt(err, "non-finite split threshold");
	}
	if (tree->n_nodes != 2 * internal + 1)
		return md_corrupt(err, "tree with unreachable nodes");
	*depth_out = depth;
	return MD_OK;
}

md_status
md_validate_forest(const md_model *m, md_error *err)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	uint64_t	size = m->section_size[MD_SEC_FOREST];
	const md_meta *meta = md_model_meta(m);
	const unsigned char *base = (const unsigned char *) fh;
	const md_tree *trees;
	const md_node *nodes;
	uint64_t	next_node = 0;
	uint32_t	max_depth = 0;
	md_status	st;

	if (size < sizeof(*fh) || fh->n_outputs != meta->n_outputs ||
		fh->n_trees == 0 ||
		(fh->flags & ~(uint32_t) (MD_FOREST_WEIGHTED | MD_FOREST_CATEGORICAL)) ||
		!md_fits(fh->base_margin_offset, fh->n_outputs, sizeof(float), size) ||
		!md_fits(fh->trees_offset, fh->n_trees, sizeof(md_tree), size) ||
		!md_fits(fh->nodes_offset, fh->n_nodes, sizeof(md_node), size) ||
		!md_fits(fh->cat_words_offset, fh->n_cat_words, sizeof(uint32_t), size))
		return md_corrupt(err, "bad forest header");

	for (uint32_t o = 0; o < fh->n_outputs; o++)
		if (!isfinite(((const float *) (base + fh->base_margin_offset))[o]))
			return md_corrupt(err, "non-finite base margin");

	trees = (const md_tree *) (base + fh->trees_offset);
	nodes = (const md_node *) (base + fh->nodes_offset);
	for (uint32_t t = 0; t < fh->n_trees; t++)
	{
		const md_tree *tree = &trees[t];
		uint32_t	depth = 0;

		/* trees tile the node array in order */
		if (tree->first_node != next_node || tree->n_nodes == 0 ||
			tree->n_nodes > fh->n_nodes - next_node ||
			tree->output >= fh->n_outputs || !isfinite(tree->weight))
			return md_corrupt(err, "bad tree table");
		st = validate_tree(tree, nodes + tree->first_node, fh->n_cat_words,
						   meta->n_features, t, &depth, err);
		if (st != MD_OK)
			return st;
		if (depth != tree->max_depth)
			return md_corrupt(err, "wrong tree depth");
		if (depth > max_depth)
			max_depth = depth;
		next_node += tree->n_nodes;
	}
	if (next_node != fh->n_nodes || max_depth != fh->max_depth)
		return md_corrupt(err, "forest counts disagree");

	if (md_section_ptr(m, MD_SEC_FOREST_COVER) != NULL)
	{
		const float *cover = md_section_ptr(m, MD_SEC_FOREST_COVER);

		if (m->section_size[MD_SEC_FOREST_COVER] / sizeof(float) < fh->n_nodes)
			return md_corrupt(err, "cover table too short");
		for (uint64_t i = 0; i < fh->n_nodes; i++)
			if (!(cover[i] >= 0.0f) || !isfinite(cover[i]))
				return md_corrupt(err, "bad node cover");
	}
	return MD_OK;
}

md_status
md_validate_linear(const md_model *m, md_error *err)
{
	const md_linear_header *lh = md_section_ptr(m, MD_SEC_LINEAR);
	uint64_t	size = m->section_size[MD_SEC_LINEAR];
	const md_meta *meta = md_model_meta(m);
	const unsigned char *base = (const unsigned char *) lh;
	uint64_t	n_weights;

	if (size < sizeof(*lh) || lh->n_features != meta->n_features ||
		lh->n_outputs != meta->n_outputs)
		return md_corrupt(err, "bad linear header");
	n_weights = ((uint64_t) lh->n_features + 1) * lh->n_outputs;
	if (!md_fits(lh->weights_offset, n_weights, sizeof(float), size) ||
		!md_fits(lh->base_margin_offset, lh->n_outputs, sizeof(float), size))
		return md_corrupt(err, "bad linear header");
	for (uint64_t i = 0; i < n_weights; i++)
		if (!isfinite(((const float *) (base + lh->weights_offset))[i]))
			return md_corrupt(err, "non-finite weight");
	for (uint32_t o = 0; o < lh->n_outputs; o++)
		if (!isfinite(((const float *) (base + lh->base_margin_offset))[o]))
			return md_corrupt(err, "non-finite base margin");
	return MD_OK;
}

static md_status
validate_all(const md_model *m, const md_blob_header *h, md_error *err)
{
	const md_meta *meta = md_model_meta(m);
	md_status	st;

	if (md_checksum(m->base + sizeof(md_blob_header),
					m->size - sizeof(md_blob_header)) != h->checksum)
		return md_corrupt(err, "checksum mismatch");
	if (md_section_ptr(m, MD_SEC_FEATURE_NAMES) != NULL)
	{
		st = md_strtab_validate(md_section_ptr(m, MD_SEC_FEATURE_NAMES),
								m->section_size[MD_SEC_FEATURE_NAMES],
								meta->n_features, "feature name", err);
		if (st != MD_OK)
			return st;
	}
	if (meta->format == MD_FORMAT_NATIVE)
		return md_validate_native(m, err);
	if (meta->estimator == MD_EST_FOREST)
	{
		st = md_validate_forest(m, err);
		if (st == MD_OK && md_section_ptr(m, MD_SEC_FOREST_FAST) != NULL)
			st = md_validate_fast(m, err);
		return st;
	}
	if (md_section_ptr(m, MD_SEC_FOREST_COVER) != NULL ||
		md_section_ptr(m, MD_SEC_FOREST_FAST) != NULL)
		return md_corrupt(err, "tree data without trees");
	return md_validate_linear(m, err);
}

md_status
md_open(md_model *m, const void *blob, size_t len, md_open_flags flags,
		md_error *err)
{
	const md_blob_header *h = blob;
	md_status	st;

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
