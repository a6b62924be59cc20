/*-------------------------------------------------------------------------
 *
 * vec.h
 *	  A growing array of fixed-size elements, for the model parsers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_VEC_H
#define MD_VEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct vec
{
	void *data;
	uint64_t len;
	uint64_t cap;
	size_t elem;
} vec;

/* Room for 'extra' more elements; false if out of memory. */
static inline bool
vec_reserve(vec *v, uint64_t extra)
{
	uint64_t cap = v->cap ? v->cap : 64;
	void *p;

	if (v->len + extra <= v->cap)
		return true;
	while (cap < v->len + extra)
		cap *= 2;
	if (cap > SIZE_MAX / v->elem)
		return false;
	p = realloc(v->data, cap * v->elem);
	if (p == NULL)
		return false;
	v->data = p;
	v->cap = cap;
	return true;
}

#endif /* MD_VEC_H */
