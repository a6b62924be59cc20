/*-------------------------------------------------------------------------
 *
 * test_blob.c
 *	  A compiled model read from a file is untrusted: md_open() with
 *	  MD_OPEN_VALIDATE must refuse every corrupt blob, and every blob it
 *	  accepts must be safe to score with.
 *
 * Real fixture models (a tree ensemble, a categorical multi-class forest and
 * a linear model) are compiled, then damaged in every way a file can be:
 * truncated at every length, padded, bits and bytes flipped, a foreign
 * layout version or byte order.  Then, as a hostile writer would, every
 * byte is changed with the checksum recomputed, so that only the
 * structural validators stand between the blob and the scoring loops: each
 * such blob must be refused or score without fault.  test/suites/sanitizers
 * also runs it built with AddressSanitizer (build/asan/test_blob), which
 * turns any out-of-bounds read of an accepted blob into a failure.
 *
 * Usage: test_blob FIXTURE_DIR
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"
#include "tap.h"
#include "testutil.h"

static const char *const models[] = {"obj_squaredlogerror", "cat_multi",
									 "linear_multi"};

/* md_open() on a private, exactly sized copy (so ASan sees overreads). */
static md_status
open_copy(const unsigned char *bytes, size_t len, md_error *err)
{
	unsigned char *copy = malloc(len ? len : 1);
	md_model m;
	md_status st;

	memcpy(copy, bytes, len);
	st = md_open(&m, copy, len, MD_OPEN_VALIDATE, err);
	free(copy);
	return st;
}

static void
refresh_checksum(unsigned char *blob, size_t len)
{
	md_blob_header *h = (md_blob_header *) blob;

	h->checksum = md_checksum(blob + sizeof(*h), len - sizeof(*h));
}

static void
check_truncated(const char *name, const unsigned char *blob, size_t len)
{
	size_t accepted = 0;
	unsigned char *longer;
	md_error err;

	for (size_t l = 0; l < len; l++)
		if (open_copy(blob, l, &err) == MD_OK)
			accepted++;
	tap_ok(accepted == 0, "%s: refused when truncated at each of %zu lengths "
						  "(%zu accepted)",
		   name, len, accepted);

	longer = calloc(1, len + 16);
	memcpy(longer, blob, len);
	tap_ok(open_copy(longer, len + 16, &err) == MD_ERR_BLOB &&
			   strstr(err.message, "truncated or padded") != NULL,
		   "%s: refused with 16 bytes appended: %s", name, err.message);
	free(longer);
}

/*
 * Every bit of the header flipped, and every byte after it inverted: each
 * must be refused (by the header checks, or by the checksum).
 */
static void
check_flips(const char *name, const unsigned char *blob, size_t len)
{
	unsigned char *copy = malloc(len);
	size_t accepted = 0,
		   tried = 0;
	md_model m;
	md_error err;

	memcpy(copy, blob, len);
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			unsigned char mask = i < sizeof(md_blob_header) ? (unsigned char) (1 << bit) : 0xff;

			if (i >= sizeof(md_blob_header) && bit > 0)
				break;
			copy[i] ^= mask;
			tried++;
			if (md_open(&m, copy, len, MD_OPEN_VALIDATE, &err) == MD_OK &&
				accepted++ == 0)
				tap_diag("%s: flipping byte %zu with mask 0x%02x went "
						 "unnoticed",
						 name, i, mask);
			copy[i] ^= mask;
		}
	tap_ok(accepted == 0, "%s: each of %zu flipped header bits and body "
						  "bytes refused (%zu accepted)",
		   name, tried, accepted);
	free(copy);
}

static void
check_foreign(const char *name, const unsigned char *blob, size_t len)
{
	unsigned char *copy = malloc(len);
	md_blob_header *h = (md_blob_header *) copy;
	md_error err;

	memcpy(copy, blob, len);
	h->layout_version = MD_BLOB_LAYOUT_VERSION + 1;
	tap_ok(open_copy(copy, len, &err) == MD_ERR_BLOB &&
			   strstr(err.message, "layout version") != NULL,
		   "%s: a newer layout version is refused: %s", name, err.message);

	memcpy(copy, blob, len);
	h->byte_order = __builtin_bswap32(h->byte_order);
	tap_ok(open_copy(copy, len, &err) == MD_ERR_BLOB &&
			   strstr(err.message, "byte order") != NULL,
		   "%s: the other byte order is refused: %s", name, err.message);

	memcpy(copy, blob, len);
	memcpy(h->magic, "MDSCORE", 8);
	tap_ok(open_copy(copy, len, &err) == MD_ERR_BLOB &&
			   strstr(err.message, "magic") != NULL,
		   "%s: a bad magic number is refused: %s", name, err.message);
	free(copy);
}

/* Score a few rows (all missing, all zero, mixed) with an accepted blob. */
static int
scores_safely(const unsigned char *blob, size_t len)
{
	md_model m;
	md_info info;
	md_error err;
	double *x,
		*out;
	void *ws;
	int ok = 1;

	if (md_open(&m, blob, len, MD_OPEN_VALIDATE, &err) != MD_OK)
		return 1;
	md_get_info(&m, &info);
	x = malloc(sizeof(double) * 3 * info.n_features);
	out = malloc(sizeof(double) * 3 * (info.n_outputs + info.n_classes + 1));
	ws = malloc(md_workspace_size(&m));
	for (uint32_t f = 0; f < info.n_features; f++)
	{
		x[f] = NAN;
		x[info.n_features + f] = 0.0;
		x[2 * info.n_features + f] = (f % 3 == 0) ? NAN : (double) f - 2.5;
	}
	for (int kind = MD_OUTPUT_PREDICT; kind <= MD_OUTPUT_RAW; kind++)
		if (md_output_width(&m, kind) > 0 &&
			md_score(&m, kind, x, 3, out, ws) != MD_OK)
			ok = 0;
	free(x);
	free(out);
	free(ws);
	return ok;
}

static void
check_hostile(const char *name, const unsigned char *blob, size_t len)
{
	static const unsigned char masks[] = {0x01, 0x80, 0xff};
	unsigned char *copy = malloc(len);
	size_t refused = 0,
		   accepted = 0,
		   unsafe = 0;
	md_model m;
	md_error err;

	memcpy(copy, blob, len);
	/* the mask cycles, so each field of repeated records sees all three */
	for (size_t i = sizeof(md_blob_header); i < len; i++)
	{
		unsigned char mask = masks[i % sizeof(masks)];

		copy[i] ^= mask;
		refresh_checksum(copy, len);
		if (md_open(&m, copy, len, MD_OPEN_VALIDATE, &err) != MD_OK)
			refused++;
		else
		{
			accepted++;
			if (!scores_safely(copy, len))
				unsafe++;
		}
		copy[i] ^= mask;
	}
	refresh_checksum(copy, len);
	tap_ok(memcmp(copy, blob, len) == 0 && unsafe == 0,
		   "%s: %zu hostile edits with a valid checksum: %zu refused, %zu "
		   "accepted and scored safely",
		   name, refused + accepted, refused,
		   accepted);
	free(copy);
}

static void
check_model(const char *dir, const char *name)
{
	char path[1024];
	size_t len = 0,
		   blob_len;
	char *text;
	void *blob;
	md_error err;

	snprintf(path, sizeof(path), "%s/%s.model.json", dir, name);
	text = read_file(path, &len);
	if (!tap_ok(text != NULL &&
					md_compile(text, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
							   &err) == MD_OK,
				"%s compiles", name))
	{
		free(text);
		return;
	}
	free(text);
	tap_ok(open_copy(blob, blob_len, &err) == MD_OK,
		   "%s: the intact blob (%zu bytes) opens with validation", name,
		   blob_len);
	check_truncated(name, blob, blob_len);
	check_flips(name, blob, blob_len);
	check_foreign(name, blob, blob_len);
	check_hostile(name, blob, blob_len);
	md_blob_free(blob);
}

static void
check_arguments(void)
{
	uint64_t words[8] = {0};
	md_model m;
	md_error err;

	tap_ok(md_open(&m, NULL, 64, MD_OPEN_VALIDATE, &err) == MD_ERR_ARGUMENT,
		   "a NULL blob is refused: %s", err.message);
	tap_ok(md_open(&m, (char *) words + 4, 32, MD_OPEN_VALIDATE, &err) ==
				   MD_ERR_ARGUMENT &&
			   strstr(err.message, "8-byte") != NULL,
		   "a misaligned blob is refused: %s", err.message);
	tap_ok(md_open(&m, words, sizeof(words), MD_OPEN_TRUSTED, &err) ==
			   MD_ERR_BLOB,
		   "even a trusted open checks the header: %s", err.message);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";

	check_arguments();
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		check_model(dir, models[i]);
	return tap_done();
}
