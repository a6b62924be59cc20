/*-------------------------------------------------------------------------
 *
 * json.h
 *	  Strict, bounded reading of model JSON with cJSON.
 *
 * Every getter names the JSON path of what it reads ("where") so that an
 * error tells the user exactly which value of which tree is wrong.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_JSON_H
#define MD_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mdscore.h"

/*
 * Parse text into a cJSON tree, free it with cJSON_Delete().  Accepts the
 * bare NaN, Infinity and -Infinity tokens XGBoost writes (NaN becomes JSON
 * null, the infinities +-inf numbers); refuses NUL bytes, nesting deeper
 * than limits->max_json_depth and anything after the top-level value.
 * UBJSON (XGBoost's .ubj, see ubjson.h) is recognised by its content and
 * decoded into the same tree.
 */
md_status md_json_parse(const char *text, size_t len, const md_limits *limits,
						cJSON **root, md_error *err);

/* Case-sensitive member lookup; NULL if absent or 'obj' is not an object. */
const cJSON *md_json_member(const cJSON *obj, const char *key);

/* Required members of a given JSON type. */
md_status md_json_object(const cJSON *obj, const char *key, const char *where,
						 const cJSON **out, md_error *err);
md_status md_json_array(const cJSON *obj, const char *key, const char *where,
						const cJSON **out, md_error *err);
md_status md_json_string(const cJSON *obj, const char *key, const char *where,
						 const char **out, md_error *err);

/*
 * A non-negative integer parameter written either as a JSON number or, as
 * XGBoost writes its *_param members, as a string such as "100".
 */
md_status md_json_uint(const cJSON *obj, const char *key, const char *where,
					   uint64_t max, uint64_t *out, md_error *err);

/* A finite real number written as a JSON number or as a string "5E-1". */
md_status md_json_real(const cJSON *value, const char *where, double *out,
					   md_error *err);

/* Number of elements of an array, verified to equal 'expected'. */
md_status md_json_expect_length(const cJSON *arr, const char *where,
								uint64_t expected, md_error *err);

/*
 * Fill out[0..n) from an array of exactly n elements.  Integers must be
 * integral and within [min, max]; booleans may be true/false or 0/1; floats
 * are rounded to float32 and must be finite unless 'null_is_nan' lets a JSON
 * null (XGBoost's NaN) through as NaN.
 */
md_status md_json_int_array(const cJSON *arr, const char *where, int64_t min,
							int64_t max, int64_t *out, uint64_t n,
							md_error *err);
md_status md_json_bool_array(const cJSON *arr, const char *where,
							 uint8_t *out, uint64_t n, md_error *err);
md_status md_json_float_array(const cJSON *arr, const char *where,
							  bool null_is_nan, float *out, uint64_t n,
							  md_error *err);

/*
 * Doubles, for the native format: finite numbers, and JSON null as NaN
 * where 'null_is_nan' allows it.
 */
md_status md_json_double_array(const cJSON *arr, const char *where,
							   bool null_is_nan, double *out, uint64_t n,
							   md_error *err);

/*
 * Refuse members of 'obj' not named in 'allowed' (NULL-terminated) and
 * members given twice, so that a misspelt key is an error, not a default.
 */
md_status md_json_check_keys(const cJSON *obj, const char *where,
							 const char *const *allowed, md_error *err);

#endif /* MD_JSON_H */
