/*-------------------------------------------------------------------------
 *
 * strtab.c
 *	  String tables in a blob: writing, validating and searching them.
 *
 * A table keeps its strings in their given order (feature i is string i) and
 * also a permutation sorted by bytes, so that a name is found by binary
 * search.  That the sorted order is strictly increasing is what proves the
 * strings distinct, without any allocation at validation time.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"
#include "strtab.h"

typedef struct named_index
{
	const char *name;
	uint32_t index;
} named_index;

static int
compare_names(const void *a, const void *b)
{
	return strcmp(((const named_index *) a)->name,
				  ((const named_index *) b)->name);
}

md_status
md_strtab_write(md_builder *b, md_section_kind kind, const char *const *strs,
				uint32_t count, const char *what, md_error *err)
{
	uint64_t at,
		size;
	md_status st;

	md_builder_begin(b, kind);
	st = md_strtab_put(b, strs, count, what, &at, &size, err);
	md_builder_end(b);
	return st;
}

md_status
md_strtab_put(md_builder *b, const char *const *strs, uint32_t count,
			  const char *what, uint64_t *offset, uint64_t *size,
			  md_error *err)
{
	md_strtab head = {count, 0};
	uint32_t *offsets;
	uint32_t *sorted;
	named_index *order;
	uint64_t chars = 0;
	md_status st = MD_OK;

	for (uint32_t i = 0; i < count; i++)
		chars += strlen(strs[i]) + 1;
	if (chars > UINT32_MAX)
		return md_fail(err, MD_ERR_LIMIT, "%s take more than 4 GB", what);
	head.chars_size = (uint32_t) chars;

	offsets = malloc(sizeof(uint32_t) * ((size_t) count + 1));
	sorted = malloc(sizeof(uint32_t) * ((size_t) count + 1));
	order = malloc(sizeof(named_index) * ((size_t) count + 1));
	if (offsets == NULL || sorted == NULL || order == NULL)
	{
		st = md_fail(err, MD_ERR_NOMEM, "out of memory compiling the model");
		goto done;
	}

	offsets[0] = 0;
	for (uint32_t i = 0; i < count; i++)
	{
		offsets[i + 1] = offsets[i] + (uint32_t) strlen(strs[i]) + 1;
		order[i].name = strs[i];
		order[i].index = i;
	}
	qsort(order, count, sizeof(named_index), compare_names);
	for (uint32_t i = 0; i < count; i++)
	{
		if (i > 0 && strcmp(order[i - 1].name, order[i].name) == 0)
		{
			st = md_fail(err, MD_ERR_MODEL, "%s: \"%s\" appears twice", what,
						 order[i].name);
			goto done;
		}
		sorted[i] = order[i].index;
	}

	*offset = md_builder_put(b, &head, sizeof(head));
	md_builder_put(b, offsets, sizeof(uint32_t) * ((size_t) count + 1));
	md_builder_put(b, sorted, sizeof(uint32_t) * (size_t) count);
	md_builder_reserve(b, head.chars_size);
	*size = md_strtab_chars_offset(count) + head.chars_size;
	for (uint32_t i = 0; i < count; i++)
	{
		char *dst;

		dst = md_builder_at(b, *offset + md_strtab_chars_offset(count) + offsets[i]);
		if (dst != NULL)
			memcpy(dst, strs[i], offsets[i + 1] - offsets[i]);
	}

done:
	free(offsets);
	free(sorted);
	free(order);
	return st;
}

/* Offsets of the arrays after the header, as md_builder_put placed them. */
static uint64_t
offsets_at(void)
{
	return md_align(sizeof(md_strtab));
}

static uint64_t
sorted_at(uint32_t count)
{
	return offsets_at() + md_align(sizeof(uint32_t) * ((uint64_t) count + 1));
}

uint64_t
md_strtab_chars_offset(uint32_t count)
{
	return sorted_at(count) + md_align(sizeof(uint32_t) * (uint64_t) count);
}

static const uint32_t *
strtab_offsets(const md_strtab *t)
{
	return (const uint32_t *) ((const char *) t + offsets_at());
}

static const uint32_t *
strtab_sorted(const md_strtab *t)
{
	return (const uint32_t *) ((const char *) t + sorted_at(t->count));
}

static const char *
strtab_chars(const md_strtab *t)
{
	return (const char *) t + md_strtab_chars_offset(t->count);
}

const char *
md_strtab_get(const md_strtab *t, uint32_t i)
{
	return strtab_chars(t) + strtab_offsets(t)[i];
}

/* Compare 'len' bytes of a key with a NUL-terminated string, like strcmp. */
static int
compare_key(const char *key, size_t len, const char *s)
{
	size_t slen = strlen(s);
	int c = memcmp(key, s, len < slen ? len : slen);

	if (c != 0)
		return c;
	return (len > slen) - (len < slen);
}

int64_t
md_strtab_find(const md_strtab *t, const char *key, size_t len)
{
	const uint32_t *sorted = strtab_sorted(t);
	uint32_t lo = 0,
			 hi = t->count;

	while (lo < hi)
	{
		uint32_t mid = lo + (hi - lo) / 2;
		int c = compare_key(key, len, md_strtab_get(t, sorted[mid]));

		if (c == 0)
			return sorted[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

md_status
md_strtab_validate(const md_strtab *t, uint64_t size, uint32_t expected,
				   const char *what, md_error *err)
{
	const uint32_t *offsets;
	const uint32_t *sorted;
	const char *chars;

	if (size < sizeof(md_strtab) || t->count != expected ||
		md_strtab_chars_offset(t->count) + t->chars_size > size)
		return md_fail(err, MD_ERR_BLOB,
					   "compiled model is corrupt: bad %s table", what);
	offsets = strtab_offsets(t);
	sorted = strtab_sorted(t);
	chars = strtab_chars(t);
	if (offsets[0] != 0 || offsets[t->count] != t->chars_size)
		return md_fail(err, MD_ERR_BLOB,
					   "compiled model is corrupt: bad %s table", what);
	for (uint32_t i = 0; i < t->count; i++)
	{
		uint32_t start = offsets[i],
				 end = offsets[i + 1];

		/* each string is non-empty, in bounds, with exactly one NUL */
		if (end <= start + 1 || end > t->chars_size ||
			memchr(chars + start, '\0', end - start) != chars + end - 1)
			return md_fail(err, MD_ERR_BLOB,
						   "compiled model is corrupt: bad %s entry %u",
						   what, i);
	}
	for (uint32_t i = 0; i < t->count; i++)
	{
		if (sorted[i] >= t->count ||
			(i > 0 && strcmp(md_strtab_get(t, sorted[i - 1]), md_strtab_get(t, sorted[i])) >= 0))
			return md_fail(err, MD_ERR_BLOB,
						   "compiled model is corrupt: %s index out of order",
						   what);
	}
	return MD_OK;
}
