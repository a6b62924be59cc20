/*-------------------------------------------------------------------------
 *
 * test_explain.c
 *	  Explanations of the scoring core against XGBoost itself: for every
 *	  fixture with a NAME.contribs.csv (XGBoost's pred_contribs=True output),
 *	  md_explain() must give the same contributions within 1e-5, and for
 *	  every fixture, single- or multi-output, the contributions of each
 *	  output plus its bias must add up to the margin XGBoost computed.
 *
 * Usage: test_explain DIR  (the fixture directory, as for test_fixtures)
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_csv.h"
#include "mdscore.h"
#include "tap.h"

/* An open fixture model with its input rows in model order. */
typedef struct fixture
{
	void *blob;
	md_model model;
	md_info info;
	csv input;
	double *x;		  /* input.n_rows x n_features */
	void *workspace;  /* for md_explain() */
	double *contribs; /* n_features + 1 */
} fixture;

static char *
fixture_text(const char *dir, const char *name, const char *suffix,
			 size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	return read_file(path, len);
}

static int
fixture_csv(const char *dir, const char *name, const char *suffix, csv *out)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	return read_csv(path, out);
}

static int
open_fixture(const char *dir, const char *name, fixture *fx)
{
	size_t len,
		blob_len,
		ws_size;
	char *text = fixture_text(dir, name, ".model.json", &len);
	md_error err;
	md_status st;

	memset(fx, 0, sizeof(*fx));
	st = md_compile(text, len, MD_FORMAT_AUTO, NULL, &fx->blob, &blob_len,
					&err);
	free(text);
	if (st == MD_OK)
		st = md_open(&fx->model, fx->blob, blob_len, MD_OPEN_VALIDATE, &err);
	if (st == MD_OK)
		st = md_explain_workspace_size(&fx->model, &ws_size, &err);
	if (!tap_ok(st == MD_OK, "%s: compiles and can be explained", name))
	{
		tap_diag("%s", err.message);
		return 0;
	}
	md_get_info(&fx->model, &fx->info);
	fx->workspace = malloc(ws_size);
	fx->contribs = malloc(sizeof(double) * (fx->info.n_features + 1));
	fixture_csv(dir, name, ".input.csv", &fx->input);
	fx->x = model_order_rows(&fx->model, &fx->input, fx->info.n_features);
	return fx->x != NULL;
}

static void
close_fixture(fixture *fx)
{
	free(fx->workspace);
	free(fx->contribs);
	free(fx->x);
	free_csv(&fx->input);
	md_blob_free(fx->blob);
}

/*
 * Every row's contributions against XGBoost's, value by value; the header
 * must name the model's features in order, then "bias".
 */
static void
check_contribs(const char *dir, const char *name, fixture *fx)
{
	csv want;
	uint32_t nf = fx->info.n_features;
	double *got = fx->contribs;
	size_t off = 0,
		   identical = 0;
	double worst = 0;
	int header_ok;

	fixture_csv(dir, name, ".contribs.csv", &want);
	header_ok = want.n_cols == nf + 1 && want.n_rows == fx->input.n_rows &&
		strcmp(want.header[nf], "bias") == 0;
	for (uint32_t f = 0; header_ok && f < nf; f++)
		header_ok = !md_has_feature_names(&fx->model) ||
			strcmp(want.header[f], md_feature_name(&fx->model, f)) == 0;
	if (!tap_ok(header_ok, "%s: contribs.csv has a column per feature and "
						   "the bias",
				name))
		return;

	for (size_t r = 0; r < want.n_rows; r++)
	{
		md_explain(&fx->model, fx->x + r * nf, 0, got, fx->workspace);
		for (uint32_t f = 0; f <= nf; f++)
		{
			double w = want.values[r * want.n_cols + f];
			double d = fabs(got[f] - w);

			if (!(d <= 1e-5))
				off++;
			if (got[f] == w)
				identical++;
			worst = d > worst ? d : worst;
		}
	}
	tap_ok(off == 0, "%s: %zu rows x %u contributions within 1e-5 of "
					 "XGBoost's pred_contribs (worst %.3g, %zu outside, %zu of %zu "
					 "bit-identical)",
		   name, want.n_rows, nf + 1, worst, off,
		   identical, want.n_rows * (nf + 1));
	free_csv(&want);
}

/*
 * For every output of every row: contributions + bias = XGBoost's margin.
 * The contributions are float32 sums in another order than the margin's,
 * so they agree to float32 rounding of the terms' magnitudes.
 */
static void
check_sums(const char *dir, const char *name, fixture *fx)
{
	csv exp;
	uint32_t nf = fx->info.n_features;
	double *got = fx->contribs;
	size_t off = 0;
	double worst = 0;

	fixture_csv(dir, name, ".expected.csv", &exp);
	for (size_t r = 0; r < exp.n_rows; r++)
		for (uint32_t k = 0; k < fx->info.n_outputs; k++)
		{
			long col = column(&exp, 'm', k);
			double margin = exp.values[r * exp.n_cols + col];
			double sum = 0,
				   scale = 1;
			double d;

			md_explain(&fx->model, fx->x + r * nf, k, got, fx->workspace);
			for (uint32_t f = 0; f <= nf; f++)
			{
				sum += got[f];
				scale += fabs(got[f]);
			}
			d = fabs(sum - margin) / scale;
			if (!(d <= 1e-5))
				off++;
			worst = d > worst ? d : worst;
		}
	tap_ok(off == 0, "%s: %zu rows x %u outputs: contributions + bias = "
					 "XGBoost's margin (worst relative gap %.3g, %zu outside 1e-5)",
		   name, exp.n_rows, fx->info.n_outputs, worst, off);
	free_csv(&exp);
}

/* A model without node cover compiles and scores, but cannot explain. */
static void
check_no_cover(const char *dir)
{
	size_t len,
		blob_len,
		ws_size;
	char *text = fixture_text(dir, "diabetes_reg", ".model.json", &len);
	char *p;
	void *blob;
	md_model m;
	md_error err;
	double x[10] = {0},
		   contribs[11];

	/* rename every "sum_hessian" key: a parser must then ignore it */
	while ((p = strstr(text, "\"sum_hessian\"")) != NULL)
		p[11] = 'X';
	md_compile(text, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len, &err);
	free(text);
	md_open(&m, blob, blob_len, MD_OPEN_VALIDATE, &err);
	tap_ok(md_explain_workspace_size(&m, &ws_size, &err) ==
				   MD_ERR_UNSUPPORTED &&
			   strstr(err.message, "sum_hessian") != NULL && err.hint[0] != '\0',
		   "a model without sum_hessian cannot be explained, and says why");
	tap_ok(md_explain(&m, x, 0, contribs, NULL) == MD_ERR_UNSUPPORTED,
		   "md_explain() refuses it too");
	md_blob_free(blob);
}

static void
check_bad_output(const char *dir)
{
	fixture fx;
	double contribs[5];

	if (!open_fixture(dir, "iris_softprob", &fx))
		return;
	tap_ok(md_explain(&fx.model, fx.x, 3, contribs, fx.workspace) ==
			   MD_ERR_ARGUMENT,
		   "explaining output 3 of a 3-class model is refused");
	close_fixture(&fx);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";
	char *names[512];
	long n = fixture_names(dir, ".model.json", names, 512);
	size_t with_contribs = 0;

	if (n < 0)
		return 2;
	for (long i = 0; i < n; i++)
	{
		fixture fx;
		size_t len;
		char *contribs;

		if (open_fixture(dir, names[i], &fx))
		{
			contribs = fixture_text(dir, names[i], ".contribs.csv", &len);
			if (contribs != NULL)
			{
				free(contribs);
				with_contribs++;
				check_contribs(dir, names[i], &fx);
			}
			check_sums(dir, names[i], &fx);
			close_fixture(&fx);
		}
		free(names[i]);
	}
	tap_ok(with_contribs >= 20, "%zu fixtures have XGBoost contributions",
		   with_contribs);
	check_no_cover(dir);
	check_bad_output(dir);
	return tap_done();
}
