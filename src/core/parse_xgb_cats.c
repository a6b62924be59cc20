/*-------------------------------------------------------------------------
 *
 * parse_xgb_cats.c
 *	  The category names an XGBoost 3.1+ model keeps for the pandas
 *	  categorical columns it was trained on ("cats" in its tree model),
 *	  written as the model's feature table: text columns and JSON strings
 *	  then score by name.
 *
 * A categorical split tests a category's code, its position in pandas'
 * category list at training time.  "cats" holds those lists:
 *	enc[f]				feature f: {"offsets": [...], "values": [...]} for
 *						text (the UTF-8 bytes of the names, concatenated,
 *						and where each starts), {"type": t, "values": [...]}
 *						for whole numbers, or empty arrays for a numeric
 *						feature
 *	feature_segments	feature f has categories seg[f] .. seg[f+1]
 *	sorted_idx			each feature's categories in sorted order
 * An unknown name is an error, as in XGBoost 3.3+ ("Found a category not in
 * the training set"; 3.1 and 3.2 took the next name in sorted order instead).
 * A feature with text names also takes numbers, as codes: before names were
 * stored that was its only input.  One with whole-number names takes them as
 * text only ("20"), since a number there could be read either way.
 *
 * Before 3.4, XGBoost's Python package measured the names in characters, not
 * bytes, so a file written by 3.1-3.3 cuts non-ASCII names at the wrong
 * places (and drops bytes at the end).  Such a feature keeps taking codes
 * only: its names cannot be recovered.  So does one with an empty name ("").
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "native.h"
#include "parse.h"
#include "strtab.h"

/* XGBoost's bound on category codes (common::OutOfRangeCat()). */
#define XGB_MAX_CATEGORY 16777216
/* whole-number names beyond this do not survive a double */
#define MAX_EXACT_INT ((int64_t) 1 << 53)

/* One feature's category names, being read. */
typedef struct cat_names
{
	uint32_t count;
	const char **names; /* count pointers into 'chars' */
	char *chars;
	bool text;	   /* names of text categories */
	bool reliable; /* false: cut by a pre-3.4 writer */
} cat_names;

static void
cat_names_free(cat_names *c)
{
	free(c->names);
	free(c->chars);
	memset(c, 0, sizeof(*c));
}

static md_status
nomem(md_error *err)
{
	return md_fail(err, MD_ERR_NOMEM, "out of memory reading the model");
}

/* A JSON array member 'key' of 'obj' as int64_t[n], or an error. */
static md_status
int_member(const cJSON *obj, const char *key, const char *where,
		   int64_t min, int64_t max, int64_t **out, uint64_t *n,
		   md_error *err)
{
	const cJSON *a = md_json_member(obj, key);
	char path[96];

	*out = NULL;
	snprintf(path, sizeof(path), "%s.%s", where, key);
	if (!cJSON_IsArray(a))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s should be an array", path);
	*n = (uint64_t) cJSON_GetArraySize(a);
	*out = malloc(sizeof(int64_t) * (*n + 1));
	if (*out == NULL)
		return nomem(err);
	return md_json_int_array(a, path, min, max, *out, *n, err);
}

/* Is s[0..len) valid UTF-8 (no overlong forms, surrogates or NULs)? */
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
			: (c & 0xF8) == 0xF0						? 4
														: 0;
		if (n == 0 || i + n > len)
			return false;
		cp = c & (0x7F >> n);
		for (size_t k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
			(n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

/* Point names[0..count) at their NUL-terminated copies in chars. */
static md_status
alloc_names(cat_names *c, uint32_t count, size_t chars, md_error *err)
{
	c->count = count;
	c->names = malloc(sizeof(char *) * ((size_t) count + 1));
	c->chars = malloc(chars + 1);
	if (c->names == NULL || c->chars == NULL)
		return nomem(err);
	return MD_OK;
}

/*
 * Text names, Arrow layout: name i is values[offsets[i] .. offsets[i+1]).
 * XGBoost writes the bytes as int8 (negative above 0x7F).
 */
static md_status
read_text_names(const cJSON *enc, uint32_t count, bool names_in_bytes,
				const char *where, cat_names *c, md_error *err)
{
	int64_t *offsets = NULL,
			*bytes = NULL;
	uint64_t n_offsets,
		n_bytes;
	char *p;
	md_status st;

	st = int_member(enc, "offsets", where, 0, INT32_MAX, &offsets,
					&n_offsets, err);
	if (st == MD_OK)
		st = int_member(enc, "values", where, -128, 255, &bytes, &n_bytes,
						err);
	if (st == MD_OK && (n_offsets != (uint64_t) count + 1 || offsets[0] != 0 || (uint64_t) offsets[count] != n_bytes))
		st = md_fail(err, MD_ERR_MODEL,
					 "model JSON: %s has %llu offsets for %u categories of "
					 "%llu bytes; expected %u offsets from 0 to %llu",
					 where,
					 (unsigned long long) n_offsets, count,
					 (unsigned long long) n_bytes, count + 1,
					 (unsigned long long) n_bytes);
	for (uint32_t i = 0; st == MD_OK && i < count; i++)
		if (offsets[i + 1] < offsets[i])
			st = md_fail(err, MD_ERR_MODEL,
						 "model JSON: %s.offsets decrease at %u", where,
						 i + 1);
	if (st == MD_OK)
		st = alloc_names(c, count, n_bytes + count, err);
	c->text = true;
	c->reliable = true;
	for (uint64_t i = 0; st == MD_OK && i < n_bytes; i++)
		if (bytes[i] < 0 || bytes[i] > 0x7F)
			c->reliable = names_in_bytes;
	p = c->chars;
	for (uint32_t i = 0; st == MD_OK && i < count; i++)
	{
		int64_t len = offsets[i + 1] - offsets[i];

		/* a blob's string tables hold no empty string: codes only */
		if (len == 0)
			c->reliable = false;
		c->names[i] = p;
		for (int64_t k = offsets[i]; k < offsets[i + 1]; k++)
			*p++ = (char) (bytes[k] & 0xFF);
		*p++ = '\0';
		if (c->reliable &&
			!valid_utf8((const unsigned char *) c->names[i], (size_t) len))
			st = md_fail(err, MD_ERR_MODEL,
						 "model JSON: %s: category %u is not valid UTF-8 "
						 "text",
						 where, i);
	}
	free(offsets);
	free(bytes);
	return st;
}

/* Whole-number categories: named by their decimal text, "20". */
static md_status
read_number_names(const cJSON *enc, uint32_t count, const char *where,
				  cat_names *c, md_error *err)
{
	int64_t *values = NULL;
	uint64_t n;
	char *p;
	md_status st;

	st = int_member(enc, "values", where, -MAX_EXACT_INT, MAX_EXACT_INT,
					&values, &n, err);
	if (st == MD_OK && n != count)
		st = md_fail(err, MD_ERR_MODEL,
					 "model JSON: %s has %llu values for %u categories",
					 where, (unsigned long long) n, count);
	if (st == MD_OK)
		st = alloc_names(c, count, (size_t) count * 21, err);
	c->text = false;
	c->reliable = true;
	p = c->chars;
	for (uint32_t i = 0; st == MD_OK && i < count; i++)
	{
		c->names[i] = p;
		p += snprintf(p, 21, "%lld", (long long) values[i]) + 1;
	}
	free(values);
	return st;
}

/* Feature f's entry of enc, holding 'count' categories (0: numeric). */
static md_status
read_names(const cJSON *enc, uint32_t f, uint32_t count, bool names_in_bytes,
		   cat_names *c, md_error *err)
{
	const cJSON *values = md_json_member(enc, "values");
	char where[48];

	snprintf(where, sizeof(where), "cats.enc[%u]", f);
	if (!cJSON_IsObject(enc) || !cJSON_IsArray(values))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s should be an object with a \"values\" "
					   "array",
					   where);
	if (count == 0)
	{
		if (values->child != NULL)
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s has categories, but "
						   "cats.feature_segments gives it none",
						   where);
		return MD_OK;
	}
	if (md_json_member(enc, "offsets") != NULL)
		return read_text_names(enc, count, names_in_bytes, where, c, err);
	if (md_json_member(enc, "type") != NULL)
		return read_number_names(enc, count, where, c, err);
	return md_fail(err, MD_ERR_MODEL,
				   "model JSON: %s has neither \"offsets\" (text categories) "
				   "nor \"type\" (numbers)",
				   where);
}

/*
 * feature_segments: n_features + 1 starts from 0, never decreasing; each
 * feature holds at most XGBoost's bound of categories.
 */
static md_status
read_segments(const cJSON *cats, uint32_t n_features, int64_t **seg,
			  md_error *err)
{
	uint64_t n;
	md_status st = int_member(cats, "feature_segments", "cats", 0,
							  INT32_MAX, seg, &n, err);

	if (st == MD_OK && (n != (uint64_t) n_features + 1 || (*seg)[0] != 0))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: cats.feature_segments has %llu elements; "
					   "expected %u starting from 0 (one per feature, and "
					   "the end)",
					   (unsigned long long) n, n_features + 1);
	for (uint32_t f = 0; st == MD_OK && f < n_features; f++)
	{
		int64_t k = (*seg)[f + 1] - (*seg)[f];

		if (k < 0 || k > XGB_MAX_CATEGORY)
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: cats.feature_segments gives feature "
						   "%u %lld categories; expected 0 to %d",
						   f,
						   (long long) k, XGB_MAX_CATEGORY);
	}
	return st;
}

/* sorted_idx: each feature's segment a permutation of its categories. */
static md_status
check_sorted_idx(const cJSON *cats, const int64_t *seg, uint32_t n_features,
				 md_error *err)
{
	int64_t *idx;
	uint64_t n;
	uint8_t *seen = NULL;
	md_status st = int_member(cats, "sorted_idx", "cats", 0,
							  XGB_MAX_CATEGORY, &idx, &n, err);

	if (st == MD_OK && n != (uint64_t) seg[n_features])
		st = md_fail(err, MD_ERR_MODEL,
					 "model JSON: cats.sorted_idx has %llu elements for "
					 "%lld categories",
					 (unsigned long long) n,
					 (long long) seg[n_features]);
	if (st == MD_OK && (seen = calloc(n + 1, 1)) == NULL)
		st = nomem(err);
	for (uint32_t f = 0; st == MD_OK && f < n_features; f++)
	{
		int64_t k = seg[f + 1] - seg[f];

		for (int64_t i = seg[f]; st == MD_OK && i < seg[f + 1]; i++)
		{
			if (idx[i] >= k || seen[seg[f] + idx[i]])
				st = md_fail(err, MD_ERR_MODEL,
							 "model JSON: cats.sorted_idx of feature %u is "
							 "not an order of its %lld categories",
							 f,
							 (long long) k);
			else
				seen[seg[f] + idx[i]] = 1;
		}
	}
	free(seen);
	free(idx);
	return st;
}

/* Feature f's table entry and string table, appended to the open section. */
static md_status
put_feature(md_builder *b, const cat_names *c, uint32_t f,
			md_native_feature *out, md_error *err)
{
	char what[64];

	memset(out, 0, sizeof(*out));
	out->kind = MD_FEATURE_NUMERIC;
	if (c->count == 0 || !c->reliable)
		return MD_OK;
	out->kind = MD_FEATURE_CATEGORICAL;
	out->unknown = MD_UNKNOWN_ERROR;
	out->flags = c->text ? MD_FEATURE_TAKES_CODES : 0;
	out->n_categories = c->count;
	snprintf(what, sizeof(what), "model JSON: cats: feature %u's categories",
			 f);
	return md_strtab_put(b, c->names, c->count, what, &out->categories_offset,
						 &out->categories_size, err);
}

/* MD_SEC_NATIVE_FEATURES from enc, once the segments are known good. */
static md_status
write_table(md_builder *b, const cJSON *enc, const int64_t *seg,
			uint32_t n_features, bool names_in_bytes, md_error *err)
{
	md_native_features head = {n_features, 0, 0};
	md_native_feature *feats = calloc(n_features, sizeof(*feats));
	const cJSON *e = enc->child;
	uint64_t head_at;
	md_status st = MD_OK;

	if (feats == NULL)
		return nomem(err);
	md_builder_begin(b, MD_SEC_NATIVE_FEATURES);
	head_at = md_builder_put(b, &head, sizeof(head));
	head.features_offset = md_builder_reserve(b, sizeof(*feats) * n_features);
	for (uint32_t f = 0; f < n_features && st == MD_OK; f++, e = e->next)
	{
		cat_names c = {0};

		st = read_names(e, f, (uint32_t) (seg[f + 1] - seg[f]),
						names_in_bytes, &c, err);
		if (st == MD_OK)
			st = put_feature(b, &c, f, &feats[f], err);
		cat_names_free(&c);
	}
	if (st == MD_OK && md_builder_at(b, head_at) != NULL)
	{
		memcpy(md_builder_at(b, head_at), &head, sizeof(head));
		memcpy(md_builder_at(b, head.features_offset), feats,
			   sizeof(*feats) * n_features);
	}
	md_builder_end(b);
	free(feats);
	return st;
}

md_status
md_xgb_write_categories(const cJSON *model, uint32_t n_features,
						bool names_in_bytes, md_builder *b, md_error *err)
{
	const cJSON *cats = md_json_member(model, "cats");
	const cJSON *enc;
	int64_t *seg = NULL;
	md_status st;

	if (cats == NULL)
		return MD_OK;
	enc = md_json_member(cats, "enc");
	if (!cJSON_IsObject(cats) || !cJSON_IsArray(enc))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: the tree model's cats should be an "
					   "object with an \"enc\" array");
	/* trained without a DataFrame's categories: all three empty */
	if (enc->child == NULL)
		return MD_OK;
	if ((uint64_t) cJSON_GetArraySize(enc) != n_features)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: cats.enc has %llu entries for %u "
					   "features",
					   (unsigned long long) (uint64_t) cJSON_GetArraySize(enc),
					   n_features);
	st = read_segments(cats, n_features, &seg, err);
	if (st == MD_OK)
		st = check_sorted_idx(cats, seg, n_features, err);
	if (st == MD_OK && seg[n_features] > 0)
		st = write_table(b, enc, seg, n_features, names_in_bytes, err);
	free(seg);
	return st;
}
