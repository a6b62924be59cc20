/*-------------------------------------------------------------------------
 *
 * ubjson.h
 *	  Reading UBJSON (XGBoost's binary model format, .ubj) into a cJSON tree.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_UBJSON_H
#define MD_UBJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mdscore.h"

/*
 * Whether 'data' is UBJSON rather than JSON text: an object or array
 * marker followed by a UBJSON length, type or count marker, which JSON
 * text (whitespace, a quote or a value) never has there.
 */
bool md_ubjson_detect(const char *data, size_t len);

/*
 * Decode UBJSON into the same cJSON tree the JSON text of the model would
 * give: numbers as doubles (float32 values exactly), NaN as null (as
 * md_json_parse() reads XGBoost's NaN token), strings without NUL bytes.
 * Bounded: nesting deeper than limits->max_json_depth, a length or count
 * past the end of the data, or anything after the top-level value is an
 * error, and no more values are made than there are bytes.
 */
md_status md_ubjson_parse(const char *data, size_t len,
						  const md_limits *limits, cJSON **root,
						  md_error *err);

#endif /* MD_UBJSON_H */
