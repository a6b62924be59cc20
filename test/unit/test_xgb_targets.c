/*-------------------------------------------------------------------------
 *
 * test_xgb_targets.c
 *	  XGBoost's newer model contents in the core, without a database: the
 *	  category names of 3.1+ (cats) and a model of two targets, from the
 *	  fuzz seeds that test/fuzz/make_seeds.py derives from 1.7 models.
 *
 * The oracle comparisons are in test/suites/xgboost-current; here the
 * core API is checked on its own: which features are categorical, names to
 * codes, the XGBoost hint for an unknown name, codes still taken, the
 * validator refusing a feature table with an unknown flag, and a value per
 * target from MD_OUTPUT_PREDICT.
 *
 * Usage: test_xgb_targets DIR  (DIR is test/fixtures/xgboost, as test/run
 * passes it; the seeds are in DIR/../../fuzz/seeds/xgboost)
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "md_internal.h"
#include "native.h"
#include "tap.h"
#include "testutil.h"

/* Compile seed 'name'; the blob (NULL on failure) is the caller's. */
static void *
compile_seed(const char *dir, const char *name, size_t *blob_len)
{
	char path[1024];
	size_t len;
	char *text;
	void *blob = NULL;
	md_error err;

	snprintf(path, sizeof(path), "%s/../../fuzz/seeds/xgboost/%s", dir, name);
	text = read_file(path, &len);
	if (!tap_ok(text != NULL &&
					md_compile(text, len, MD_FORMAT_AUTO, NULL, &blob, blob_len,
							   &err) == MD_OK,
				"%s compiles", name) &&
		text != NULL)
		tap_diag("%s", err.message);
	free(text);
	return blob;
}

static void
check_names(const md_model *m)
{
	md_error err;
	double code = 0;
	md_status st;

	tap_ok(md_feature_kind_of(m, 0) == MD_FEATURE_NUMERIC &&
			   md_feature_kind_of(m, 1) == MD_FEATURE_CATEGORICAL &&
			   md_feature_kind_of(m, 2) == MD_FEATURE_NUMERIC &&
			   md_category_count(m, 1) == 40 &&
			   strcmp(md_category_name(m, 1, 7), "c07") == 0,
		   "cats: feature 1 is categorical with its 40 names in order");
	tap_ok(md_category_takes_codes(m, 1) && !md_category_takes_codes(m, 0),
		   "cats: the text-category feature takes codes too");
	tap_ok(md_category_code(m, 1, "c07", 3, &code, &err) == MD_OK &&
			   code == 7.0,
		   "cats: \"c07\" is code 7");
	st = md_category_code(m, 1, "c40", 3, &code, &err);
	tap_ok(st == MD_ERR_INPUT &&
			   strstr(err.message, "unknown category \"c40\"") != NULL &&
			   strstr(err.hint, "XGBoost refuses") != NULL,
		   "cats: an unknown name is MD_ERR_INPUT with XGBoost's rule: %s",
		   err.message);
}

/* The feature table's entry of feature 1, flagged 0x2, must be refused. */
static void
check_bad_flag(const void *blob, size_t len)
{
	unsigned char *copy = malloc(len);
	md_model m;
	md_error err;
	const md_native_features *fs;
	md_native_feature *f;
	md_blob_header *h = (md_blob_header *) copy;
	md_status st;

	memcpy(copy, blob, len);
	md_open(&m, copy, len, MD_OPEN_TRUSTED, &err);
	fs = md_section_ptr(&m, MD_SEC_NATIVE_FEATURES);
	f = (md_native_feature *) md_native_at(fs, fs->features_offset) + 1;
	f->flags |= 0x2;
	h->checksum = md_checksum(copy + sizeof(*h), len - sizeof(*h));
	st = md_open(&m, copy, len, MD_OPEN_VALIDATE, &err);
	tap_ok(st == MD_ERR_BLOB,
		   "cats: a feature table with an unknown flag is refused: %s",
		   err.message);
	free(copy);
}

static void
check_targets(const md_model *m)
{
	double x[3] = {0.3, NAN, -1.0};
	double raw[2] = {NAN, NAN},
		   pred[2] = {NAN, NAN};
	void *ws = malloc(md_workspace_size(m));
	bool scored;

	tap_ok(md_output_width(m, MD_OUTPUT_PREDICT) == 2 &&
			   md_output_width(m, MD_OUTPUT_RAW) == 2 &&
			   md_output_width(m, MD_OUTPUT_PROBA) == 0,
		   "two targets: predict and raw give 2 values, no probabilities");
	scored = md_score(m, MD_OUTPUT_RAW, x, 1, raw, ws) == MD_OK &&
		md_score(m, MD_OUTPUT_PREDICT, x, 1, pred, ws) == MD_OK;
	tap_ok(scored && raw[0] == pred[0] && raw[1] == pred[1] &&
			   raw[0] != raw[1],
		   "two targets: predictions are the margins (%g, %g)", raw[0],
		   raw[1]);
	free(ws);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";
	size_t len;
	void *blob;
	md_model m;
	md_error err;

	if ((blob = compile_seed(dir, "cats.json", &len)) != NULL)
	{
		tap_ok(md_open(&m, blob, len, MD_OPEN_VALIDATE, &err) == MD_OK,
			   "cats: the blob passes validation");
		check_names(&m);
		check_bad_flag(blob, len);
		md_blob_free(blob);
	}
	if ((blob = compile_seed(dir, "multi_target.json", &len)) != NULL)
	{
		md_open(&m, blob, len, MD_OPEN_VALIDATE, &err);
		check_targets(&m);
		md_blob_free(blob);
	}
	return tap_done();
}
