/*-------------------------------------------------------------------------
 *
 * cityhash.h
 *	  CityHash64 (Google's CityHash 1.0.2), the hash CatBoost keeps of a
 *	  categorical value.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_CITYHASH_H
#define MD_CITYHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t md_cityhash64(const char *s, size_t len);

/*
 * CatBoost's hash of a categorical value (CalcCatFeatureHash): the low 32
 * bits of CityHash64 of its text, as the signed number its JSON model
 * writes.
 */
static inline double
md_catboost_hash(const char *s, size_t len)
{
	return (double) (int32_t) (uint32_t) md_cityhash64(s, len);
}

#endif /* MD_CITYHASH_H */
