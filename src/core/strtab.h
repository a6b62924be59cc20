/*-------------------------------------------------------------------------
 *
 * strtab.h
 *	  String tables in a blob (feature names and the like).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_STRTAB_H
#define MD_STRTAB_H

#include "md_internal.h"

/*
 * Write 'count' strings as section 'kind'.  Empty strings are the caller's
 * to refuse; duplicates are refused here ('what' names them in the error).
 */
md_status md_strtab_write(md_builder *b, md_section_kind kind,
						  const char *const *strs, uint32_t count,
						  const char *what, md_error *err);

/*
 * The same, appended to the open section as one of its arrays: *offset is
 * where the table starts in the section, *size its length in bytes.
 */
md_status md_strtab_put(md_builder *b, const char *const *strs,
						uint32_t count, const char *what, uint64_t *offset,
						uint64_t *size, md_error *err);

/* Check an untrusted table of 'size' bytes that should hold 'expected'. */
md_status md_strtab_validate(const md_strtab *t, uint64_t size,
							 uint32_t expected, const char *what,
							 md_error *err);

const char *md_strtab_get(const md_strtab *t, uint32_t i);

/* Index of the string equal to key[0..len), or -1. */
int64_t md_strtab_find(const md_strtab *t, const char *key, size_t len);

uint64_t md_strtab_chars_offset(uint32_t count);

#endif /* MD_STRTAB_H */
