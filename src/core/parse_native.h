/*-------------------------------------------------------------------------
 *
 * parse_native.h
 *	  What the three parts of the native format's parser share: the model
 *	  read so far (parse_native.c), the preprocessing compiler
 *	  (parse_prep.c) and the estimator reader (parse_estimator.c).
 *
 * Errors name the JSON path of the offending value, such as
 * "preprocessing[0].blocks[1].steps[0].categories[0][3]", so that a
 * hand-written model is easy to fix.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_PARSE_NATIVE_H
#define MD_PARSE_NATIVE_H

#include "json.h"
#include "native.h"

/* Longest JSON path an error message names. */
#define MD_PATH_LEN 160

/*
 * Write a JSON path for messages into a char array 'buf'; a path too long
 * for it is cut short, which only shortens a message.
 */
#define md_path(buf, ...) md_path_write((buf), sizeof(buf), __VA_ARGS__)
void md_path_write(char *buf, size_t len, const char *fmt, ...)
	md_printf_like(3, 4);

/* The model's input features and output, as read from the JSON. */
typedef struct native_model
{
	const md_limits *limits;
	uint32_t n_features;
	const char **names;		  /* [n_features] */
	const cJSON **categories; /* [n_features]: array, or NULL if numeric */
	uint32_t *n_categories;	  /* [n_features] */
	uint8_t *unknown_error;	  /* [n_features]: set by the preprocessing */
	md_task task;
	uint32_t n_classes;
	const cJSON *classes; /* array of labels, or NULL */
} native_model;

/* Code of category 'value' of a categorical feature, or -1. */
int64_t md_native_category_index(const native_model *nm, uint32_t feature,
								 const char *value);

/*
 * parse_prep.c: compile "preprocessing" (NULL if absent) into the
 * MD_SEC_PREPROCESS section; *n_inputs is the width of the estimator's
 * input.  Marks nm->unknown_error for features whose encoders refuse
 * unknown categories.
 */
md_status md_compile_preprocessing(const cJSON *steps, native_model *nm,
								   md_builder *b, uint32_t *n_inputs,
								   md_error *err);

/*
 * parse_estimator.c: read "estimator" and write the MD_SEC_NATIVE section,
 * filling h->kind, link, decision, n_outputs and body_offset (the caller's
 * fields: task, n_inputs, n_classes).
 */
md_status md_parse_estimator(const cJSON *est, const native_model *nm,
							 md_native_header *h, md_builder *b,
							 md_error *err);

/* A required member that must be one of 'names' (NULL-terminated); its
 * index in 'names' goes to *out. */
md_status md_json_enum(const cJSON *obj, const char *key, const char *where,
					   const char *const *names, uint32_t *out,
					   md_error *err);

/* A limit exceeded: the message, and a hint naming the setting. */
md_status md_native_limit(md_error *err, const char *what, uint64_t value,
						  uint64_t limit, const char *setting);

md_status md_native_nomem(md_error *err);

#endif /* MD_PARSE_NATIVE_H */
