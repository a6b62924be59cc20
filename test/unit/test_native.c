/*-------------------------------------------------------------------------
 *
 * test_native.c
 *	  The native format in the core, without a database: hand-computed
 *	  predictions of the models in test/fixtures/native, the category
 *	  code API, and corrupted blobs.
 *
 * The text sweep changes every character of each fixture's JSON and
 * compiles the result: an error with a message, or a model that scores.
 * The corruption sweep changes every byte of each compiled fixture in
 * several ways, recomputes the checksum so that the validators (not the
 * checksum) must catch the damage, and scores rows of awkward values with
 * every blob md_open() accepts: a blob either is refused or scores without
 * reading outside itself (run under AddressSanitizer to make the second
 * half of that claim strict).
 *
 * Usage: test_native DIR  (DIR is test/fixtures/xgboost, as test/run passes
 * it; the native fixtures are in DIR/../native)
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"
#include "tap.h"

typedef struct compiled
{
	void *blob;
	size_t len;
	md_model m;
	md_info info;
	void *ws;
} compiled;

static char *
read_text(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/../native/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t) n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static int
load(const char *dir, const char *name, compiled *c)
{
	size_t len;
	char *text = read_text(dir, name, &len);
	md_error err;
	int ok;

	memset(c, 0, sizeof(*c));
	ok = text != NULL &&
		md_compile(text, len, MD_FORMAT_AUTO, NULL, &c->blob, &c->len,
				   &err) == MD_OK;
	free(text);
	if (!tap_ok(ok, "%s compiles", name))
	{
		if (text != NULL)
			tap_diag("%s", err.message);
		return 0;
	}
	md_open(&c->m, c->blob, c->len, MD_OPEN_VALIDATE, &err);
	md_get_info(&c->m, &c->info);
	c->ws = malloc(md_workspace_size(&c->m));
	return 1;
}

static void
unload(compiled *c)
{
	md_blob_free(c->blob);
	free(c->ws);
}

/* One row's output of a kind, or NaN if the call fails. */
static double
score1(compiled *c, md_output kind, const double *x, uint32_t k)
{
	double out[16];

	if (md_score(&c->m, kind, x, 1, out, c->ws) != MD_OK)
		return NAN;
	return out[k];
}

/*
 * mixed.json, worked out by hand: load scaled by 0.01 and clipped to
 * [0, 1]; floors one-hot on 1/2/3/missing with 1 dropped; roof ordinal on
 * flat/gable/missing (hip is a feature category its encoder does not know:
 * -1).  Tree 1 splits load' at 0.5, tree 2 roof code at 0.5 then "floors
 * missing"; probabilities are the mean of the two leaves.
 */
static void
check_mixed(const char *dir)
{
	static const struct
	{
		double x[3];
		double p_fails;
		const char *why;
	} rows[] = {
		{{30, 2, 0}, 0.125, "low load, flat roof: (0.25 + 0) / 2"},
		{{80, 1, 1}, 0.875, "high load, gable roof: (0.75 + 1) / 2"},
		{{30, NAN, NAN}, 0.625, "missing roof encodes as 9: (0.25 + 1) / 2"},
		{{500, 3, 2}, 0.375, "load clipped to 1, hip unknown: (0.75 + 0) / 2"},
		{{30, 7, 0}, 0.125, "unknown floors 7 is ignored: as row 1"},
		{{30, NAN, 0}, 0.375, "missing floors is a category: (0.25 + 0.5) / 2"},
	};
	compiled c;
	md_error err;
	double code;

	if (!load(dir, "mixed.json", &c))
		return;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
	{
		double p = score1(&c, MD_OUTPUT_PREDICT, rows[i].x, 0);

		tap_ok(p == rows[i].p_fails && score1(&c, MD_OUTPUT_PROBA, rows[i].x, 0) == 1 - p &&
				   score1(&c, MD_OUTPUT_CLASS, rows[i].x, 0) == (p > 0.5),
			   "mixed: P(fails) = %g, %s (got %g)", rows[i].p_fails,
			   rows[i].why, p);
	}
	tap_ok(c.info.n_classes == 2 && c.info.n_trees == 2 &&
			   strcmp(c.info.objective, "native:averaged_trees") == 0 &&
			   strcmp(md_class_label(&c.m, 1), "fails") == 0 &&
			   md_class_label(&c.m, 2) == NULL,
		   "mixed: info and class labels");
	tap_ok(md_feature_kind_of(&c.m, 2) == MD_FEATURE_CATEGORICAL &&
			   md_feature_kind_of(&c.m, 0) == MD_FEATURE_NUMERIC &&
			   md_category_count(&c.m, 2) == 3 &&
			   strcmp(md_category_name(&c.m, 2, 2), "hip") == 0 &&
			   md_category_name(&c.m, 2, 3) == NULL,
		   "mixed: feature kinds and categories");
	tap_ok(md_category_code(&c.m, 2, "gable", 5, &code, &err) == MD_OK &&
			   code == 1 &&
			   md_category_code(&c.m, 2, "gables", 6, &code, &err) == MD_OK &&
			   code == MD_UNKNOWN_CATEGORY &&
			   md_category_code(&c.m, 0, "1", 1, &code, &err) == MD_ERR_ARGUMENT,
		   "mixed: category codes (an encoder that ignores unknowns: -1)");
	unload(&c);
}

/* price.json: the float32 rule of scikit-learn's trees. */
static void
check_price(const char *dir)
{
	double at[2] = {0.1, 0};
	double below[2] = {0.09999999, 0};
	compiled c;

	if (!load(dir, "price.json", &c))
		return;
	tap_ok(score1(&c, MD_OUTPUT_PREDICT, at, 0) == 12 &&
			   score1(&c, MD_OUTPUT_PREDICT, below, 0) == 11,
		   "price: x = 0.1 goes right of threshold 0.1 (float32(0.1) > 0.1),"
		   " 0.09999999 goes left");
	tap_ok(md_output_width(&c.m, MD_OUTPUT_CLASS) == 0 &&
			   md_output_width(&c.m, MD_OUTPUT_PROBA) == 0 &&
			   md_score(&c.m, MD_OUTPUT_CLASS, at, 1, NULL, c.ws) == MD_ERR_ARGUMENT,
		   "price: a regression has no classes");
	unload(&c);
}

/*
 * hist.json: HistGradientBoosting's rules.  x <= 0.1 in double (NaN goes
 * left); then c in {1, 5} goes left, a known category (0, 1, 2, 5) right,
 * anything else (unknown, negative, NaN) where missing values go: left.
 */
static void
check_hist(const char *dir)
{
	static const struct
	{
		double x[2];
		double y;
		const char *why;
	} rows[] = {
		{{0.1, 0}, 1.5, "x = 0.1 goes left of 0.1 in double"},
		{{0.10000000000000002, 0}, 100.5, "the next double goes right; c 0 is known"},
		{{NAN, 0}, 1.5, "missing x goes left"},
		{{1, 1}, 10.5, "c 1 is in the left set"},
		{{1, 5}, 10.5, "c 5 is in the left set"},
		{{1, 2}, 100.5, "c 2 is known, not left: right"},
		{{1, 2.9}, 100.5, "c 2.9 is category 2"},
		{{1, 1.7}, 10.5, "c 1.7 is category 1"},
		{{1, 3}, 10.5, "c 3 is unknown: where missing values go"},
		{{1, 40}, 10.5, "c 40 is beyond the sets, unknown"},
		{{1, -1}, 10.5, "a negative c is unknown"},
		{{1, NAN}, 10.5, "missing c goes left"},
	};
	double inf[2] = {INFINITY, 0};
	compiled c;

	if (!load(dir, "hist.json", &c))
		return;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
	{
		double y = score1(&c, MD_OUTPUT_PREDICT, rows[i].x, 0);

		tap_ok(y == rows[i].y, "hist: %g, %s (got %g)", rows[i].y,
			   rows[i].why, y);
	}
	tap_ok(isnan(score1(&c, MD_OUTPUT_PREDICT, inf, 0)),
		   "hist: an infinite x is refused");
	unload(&c);
}

/*
 * churn.json's encoder refuses unknown plans: md_category_code names the
 * feature and the text, quoting at most 100 bytes of it and never half a
 * UTF-8 character.
 */
static void
check_unknown_category(const char *dir)
{
	char value[120];
	char want[160];
	md_error err;
	double code = 7;
	compiled c;

	if (!load(dir, "churn.json", &c))
		return;
	tap_ok(md_category_code(&c.m, 1, "gold", 4, &code, &err) == MD_ERR_INPUT &&
			   code == 7 &&
			   strcmp(err.message, "feature \"plan\": unknown category \"gold\"") == 0 &&
			   strstr(err.hint, "\"basic\", \"premium\", \"pro\"") != NULL,
		   "churn: an unknown plan is refused, naming it: %s", err.message);
	tap_ok(md_category_code(&c.m, 1, "pro", 3, &code, &err) == MD_OK && code == 2 &&
			   md_category_code(&c.m, 1, "pro ", 4, &code, &err) == MD_ERR_INPUT,
		   "churn: names match exactly (\"pro \" is not \"pro\")");
	/* 99 'a', then U+00E9 in bytes 99-100: the quote stops before it */
	memset(value, 'a', 99);
	memcpy(value + 99, "\xc3\xa9zzz", 5);
	snprintf(want, sizeof(want), "feature \"plan\": unknown category \"%.99s...\"",
			 value);
	tap_ok(md_category_code(&c.m, 1, value, 104, &code, &err) == MD_ERR_INPUT &&
			   strcmp(err.message, want) == 0,
		   "churn: a long unknown value is quoted to 99 bytes, not into a "
		   "character");
	memcpy(value + 99, "z\xc3\xa9", 3);
	snprintf(want, sizeof(want), "feature \"plan\": unknown category \"%.100s...\"",
			 value);
	tap_ok(md_category_code(&c.m, 1, value, 102, &code, &err) == MD_ERR_INPUT &&
			   strcmp(err.message, want) == 0,
		   "churn: ... and to 100 bytes when the cut falls between characters");
	unload(&c);
}

/* Awkward rows: NaN, infinities, codes in and out of range, huge values. */
static void
awkward_row(double *x, uint32_t n, unsigned seed)
{
	static const double values[] = {0, 1, 2, -1, 7, 0.5, NAN, INFINITY,
									-INFINITY, 1e300, -1e300, 3.5e38, 1e-310, 42};

	for (uint32_t f = 0; f < n; f++)
		x[f] = values[(seed * 7 + f * 13 + f * seed) % (sizeof(values) / sizeof(values[0]))];
}

/* Score awkward rows of every output kind with an accepted blob. */
static void
score_everything(md_model *m)
{
	md_info info;
	md_error err;
	double *x,
		*out;
	void *ws = malloc(md_workspace_size(m));

	md_get_info(m, &info);
	x = malloc(sizeof(double) * info.n_features);
	out = malloc(sizeof(double) * (info.n_outputs + info.n_classes + 1));
	for (unsigned seed = 0; seed < 12; seed++)
	{
		awkward_row(x, info.n_features, seed);
		for (md_output k = MD_OUTPUT_PREDICT; k <= MD_OUTPUT_CLASS; k++)
			md_score(m, k, x, 1, out, ws);
		md_check_row(m, x, ws, &err);
	}
	free(x);
	free(out);
	free(ws);
}

/* Change every byte several ways; count what md_open() accepts. */
static void
corrupt_sweep(const char *dir, const char *name)
{
	static const int changes[] = {0x01, 0x80, -1, -2};
	compiled c;
	unsigned char *copy;
	size_t accepted = 0,
		   tried = 0,
		   oversized = 0;

	if (!load(dir, name, &c))
		return;
	copy = aligned_alloc(16, md_align(c.len));
	for (size_t i = 0; i < c.len; i++)
	{
		if (i >= offsetof(md_blob_header, checksum) &&
			i < offsetof(md_blob_header, checksum) + 8)
			continue;
		for (size_t k = 0; k < sizeof(changes) / sizeof(changes[0]); k++)
		{
			md_blob_header *h = (md_blob_header *) copy;
			md_model m;
			md_error err;

			memcpy(copy, c.blob, c.len);
			copy[i] = changes[k] > 0 ? copy[i] ^ changes[k]
									 : (unsigned char) (changes[k] == -1 ? 0x00 : 0xff);
			if (copy[i] == ((unsigned char *) c.blob)[i])
				continue;
			h->checksum = md_checksum(copy + sizeof(md_blob_header),
									  c.len - sizeof(md_blob_header));
			tried++;
			if (md_open(&m, copy, c.len, MD_OPEN_VALIDATE, &err) != MD_OK)
				continue;
			accepted++;
			/* validation bounds what scoring needs by the blob's size */
			if (md_workspace_size(&m) > 64 * c.len)
			{
				oversized++;
				continue;
			}
			score_everything(&m);
		}
	}
	tap_ok(tried > 0 && oversized == 0,
		   "%s: %zu corrupted blobs (checksum fixed up) refused or scored "
		   "safely; %zu accepted (changes to values), %zu wanting a "
		   "workspace out of proportion",
		   name, tried, accepted, oversized);
	for (size_t cut = 0; cut < c.len; cut += 1 + c.len / 50)
	{
		md_model m;
		md_error err;

		if (md_open(&m, c.blob, cut, MD_OPEN_VALIDATE, &err) == MD_OK)
		{
			tap_ok(0, "%s: a blob cut to %zu bytes is refused", name, cut);
			break;
		}
	}
	free(copy);
	unload(&c);
}

/*
 * Change every character of a fixture's JSON to characters that break its
 * structure or its values; md_compile() must refuse or compile, and what it
 * compiles must score.
 */
static void
text_sweep(const char *dir, const char *name)
{
	static const char changes[] = "\"[]{},:-019eE.n ";
	size_t len,
		tried = 0,
		compiled_ok = 0,
		unexplained = 0;
	char *text = read_text(dir, name, &len);
	char *copy;

	if (!tap_ok(text != NULL, "%s can be read", name))
		return;
	copy = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
	{
		for (const char *ch = changes; *ch; ch++)
		{
			void *blob;
			size_t blob_len;
			md_error err;
			md_model m;

			if (text[i] == *ch)
				continue;
			memcpy(copy, text, len + 1);
			copy[i] = *ch;
			tried++;
			if (md_compile(copy, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
						   &err) != MD_OK)
			{
				unexplained += err.message[0] == '\0';
				continue;
			}
			compiled_ok++;
			md_open(&m, blob, blob_len, MD_OPEN_TRUSTED, &err);
			score_everything(&m);
			md_blob_free(blob);
		}
	}
	tap_ok(unexplained == 0, "%s: %zu changed texts refused with a message "
							 "or compiled and scored (%zu compiled)",
		   name, tried, compiled_ok);
	free(copy);
	free(text);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";
	static const char *const fixtures[] = {"churn.json", "price.json",
										   "species.json", "segments.json", "mixed.json", "hist.json"};

	check_mixed(dir);
	check_price(dir);
	check_hist(dir);
	check_unknown_category(dir);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
	{
		corrupt_sweep(dir, fixtures[i]);
		text_sweep(dir, fixtures[i]);
	}
	return tap_done();
}
