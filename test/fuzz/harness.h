/*-------------------------------------------------------------------------
 *
 * harness.h
 *	  What the fuzz targets do with one input, shared by the libFuzzer
 *	  targets (test/fuzz/fuzz_*.c) and the unit test that replays the
 *	  regression corpus on every test run (test/unit/test_fuzz_regress.c).
 *
 * Each entry point takes arbitrary bytes and must return normally: a crash,
 * a sanitizer report or a failed invariant (abort) is a bug.  Beyond
 * memory safety the harness checks what the API promises: a compiled blob
 * opens with full validation, feature names round-trip, and scoring a
 * model that opened never fails and never yields NaN margins from finite
 * inputs of a forest.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_FUZZ_HARNESS_H
#define MD_FUZZ_HARNESS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdscore.h"
#include "md_internal.h"

/* Bigger models than this are validated but not scored (memory). */
#define FUZZ_MAX_SCORED_FEATURES (1u << 16)
#define FUZZ_MAX_SCORED_OUTPUTS (1u << 16)
#define FUZZ_ROWS 4

/* An API promise does not hold: stop, so that the fuzzer reports it. */
#define fuzz_require(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, \
					__FILE__, __LINE__); \
			abort(); \
		} \
	} while (0)

/*
 * Rows that reach every kind of branch: missing values, zeros, negative and
 * huge values, and small integers that hit category bitsets.
 */
static inline void
fuzz_fill_rows(double *x, uint32_t n_features)
{
	static const double special[] = {
		0.0, -1.0, 1.0, 0.5, 3.0, 17.0, 40.0, 1e30, -1e30, 16777216.0,
		4294967296.0, -0.0, 1e-40
	};
	size_t		n_special = sizeof(special) / sizeof(special[0]);

	for (uint32_t f = 0; f < n_features; f++)
	{
		x[f] = NAN;
		x[n_features + f] = 0.0;
		x[2 * (size_t) n_features + f] = special[f % n_special];
		x[3 * (size_t) n_features + f] = special[(f * 7 + 3) % n_special];
	}
}

/*
 * Class probabilities lie in [0, 1] (NaN only from overflowing margins).
 * An ONNX classifier's are ONNX Runtime's scores: probabilities only when
 * its post transform or its weights make them so.
 */
static inline void
fuzz_check_outputs(const md_info *info, md_output kind, const double *out,
				   uint32_t width)
{
	if (kind != MD_OUTPUT_PROBA || info->format == MD_FORMAT_ONNX)
		return;
	for (size_t r = 0; r < (size_t) FUZZ_ROWS * width; r++)
		fuzz_require(!(out[r] < 0.0) && !(out[r] > 1.0));
}

/* Score FUZZ_ROWS rows with every output kind the model has. */
static inline void
fuzz_score(const md_model *m)
{
	md_info		info;
	double	   *x;
	float	   *x32;
	double	   *out;
	void	   *ws;
	uint32_t	widest;

	md_get_info(m, &info);
	if (info.n_features > FUZZ_MAX_SCORED_FEATURES ||
		info.n_outputs > FUZZ_MAX_SCORED_OUTPUTS)
		return;
	widest = info.n_outputs > info.n_classes ? info.n_outputs : info.n_classes;
	if (widest < 1)
		widest = 1;
	x = malloc(sizeof(double) * FUZZ_ROWS * info.n_features);
	x32 = malloc(sizeof(float) * FUZZ_ROWS * info.n_features);
	out = malloc(sizeof(double) * FUZZ_ROWS * widest);
	ws = malloc(md_workspace_size(m));
	fuzz_require(x && x32 && out && ws);
	fuzz_fill_rows(x, info.n_features);
	for (size_t i = 0; i < (size_t) FUZZ_ROWS * info.n_features; i++)
		x32[i] = (float) x[i];

	for (int k = MD_OUTPUT_PREDICT; k <= MD_OUTPUT_RAW; k++)
	{
		uint32_t	width = md_output_width(m, (md_output) k);

		fuzz_require(width <= widest);
		if (width == 0)
		{
			fuzz_require(md_score(m, (md_output) k, x, FUZZ_ROWS, out, ws) ==
						 MD_ERR_ARGUMENT);
			continue;
		}
		fuzz_require(md_score(m, (md_output) k, x, FUZZ_ROWS, out, ws) == MD_OK);
		fuzz_check_outputs(&info, (md_output) k, out, width);
		fuzz_require(md_score_f32(m, (md_output) k, x32, FUZZ_ROWS, out, ws) ==
					 MD_OK);
		fuzz_check_outputs(&info, (md_output) k, out, width);
	}
	free(x);
	free(x32);
	free(out);
	free(ws);
}

/* Everything a caller may ask of an open model. */
static inline void
fuzz_use_model(const md_model *m)
{
	md_info		info;

	md_get_info(m, &info);
	fuzz_require(info.n_features > 0 && info.n_outputs > 0);
	fuzz_require(info.objective != NULL && info.booster != NULL);
	if (md_has_feature_names(m))
	{
		for (uint32_t f = 0; f < info.n_features && f < 4096; f++)
		{
			const char *name = md_feature_name(m, f);

			fuzz_require(name != NULL && name[0] != '\0');
			fuzz_require(md_feature_index(m, name, strlen(name)) == f);
		}
		fuzz_require(md_feature_name(m, info.n_features) == NULL);
	}
	fuzz_require(md_feature_index(m, "", 0) < 0);
	fuzz_score(m);
}

/* A failure must explain itself. */
static inline void
fuzz_check_error(md_status st, const md_error *err)
{
	if (st == MD_OK)
		return;
	fuzz_require(err->status == st);
	fuzz_require(err->message[0] != '\0');
	fuzz_require(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	fuzz_require(memchr(err->hint, '\0', sizeof(err->hint)) != NULL);
}

/*
 * Model text of any format, detected: compile, then everything the blob
 * must satisfy.
 */
static inline md_status
fuzz_compile_one(const uint8_t *data, size_t size, md_error *err)
{
	void	   *blob = NULL;
	size_t		blob_len = 0;
	md_model	m;
	md_status	st;

	st = md_compile((const char *) data, size, MD_FORMAT_AUTO, NULL, &blob,
					&blob_len, err);
	fuzz_check_error(st, err);
	if (st != MD_OK)
	{
		fuzz_require(blob == NULL && blob_len == 0);
		return st;
	}
	fuzz_require(blob != NULL && blob_len > 0);
	/* what md_compile returns passes the checks of an untrusted blob */
	fuzz_require(md_open(&m, blob, blob_len, MD_OPEN_VALIDATE, err) == MD_OK);
	fuzz_use_model(&m);
	md_blob_free(blob);
	return st;
}

/*
 * Arbitrary bytes as a compiled blob.  With 'fix_header' the header's
 * length and checksum are made to match the bytes first, so that mutations
 * reach the section validators instead of stopping at the checksum.
 */
static inline md_status
fuzz_blob_one(const uint8_t *data, size_t size, bool fix_header,
			  md_error *err)
{
	/* a copy of exactly 'size' bytes, so reads past the end are caught */
	unsigned char *copy = malloc(size ? size : 1);
	md_model	m;
	md_status	st;

	fuzz_require(copy != NULL);
	memcpy(copy, data, size);
	if (fix_header && size >= sizeof(md_blob_header))
	{
		md_blob_header *h = (md_blob_header *) copy;

		h->total_size = size;
		h->checksum = md_checksum(copy + sizeof(md_blob_header),
								  size - sizeof(md_blob_header));
	}
	st = md_open(&m, copy, size, MD_OPEN_VALIDATE, err);
	fuzz_check_error(st, err);
	if (st == MD_OK)
	{
		md_model	trusted;

		fuzz_require(md_open(&trusted, copy, size, MD_OPEN_TRUSTED, err) == MD_OK);
		fuzz_use_model(&m);
	}
	free(copy);
	return st;
}

/* A whole file in malloc'd memory (NULL on error), for the tools. */
static inline unsigned char *
fuzz_read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long		n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
		fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n ? n : 1)) != NULL &&
		fread(buf, 1, n, f) == (size_t) n)
		*len = n;
	else
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif							/* MD_FUZZ_HARNESS_H */
