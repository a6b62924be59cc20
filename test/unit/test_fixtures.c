/*-------------------------------------------------------------------------
 *
 * test_fixtures.c
 *	  Accuracy of the scoring core against XGBoost itself, without a
 *	  database: every fixture in a directory is compiled and scored, and
 *	  its raw margins must equal XGBoost's bit for bit and its predictions
 *	  must lie within 1e-6 of XGBoost's.
 *
 * Usage: test_fixtures DIR  (DIR holds NAME.model.json, NAME.input.csv and
 * NAME.expected.csv as written by test/fixtures/make_fixtures.py)
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_csv.h"
#include "mdscore.h"
#include "tap.h"

static void
check_fixture(const char *dir, const char *name)
{
	char path[1024];
	size_t len,
		blob_len;
	char *text;
	void *blob;
	md_error err;
	md_model m;
	md_info info;
	csv in,
		exp;
	double *x,
		*raw,
		*pred;
	void *ws;
	size_t bad_margin = 0,
		   bad_pred = 0;
	double worst = 0;

	snprintf(path, sizeof(path), "%s/%s.model.json", dir, name);
	text = read_file(path, &len);
	if (!tap_ok(md_compile(text, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
						   &err) == MD_OK,
				"%s compiles", name))
	{
		tap_diag("%s", err.message);
		free(text);
		return;
	}
	free(text);
	md_open(&m, blob, blob_len, MD_OPEN_TRUSTED, &err);
	md_get_info(&m, &info);

	snprintf(path, sizeof(path), "%s/%s.input.csv", dir, name);
	read_csv(path, &in);
	snprintf(path, sizeof(path), "%s/%s.expected.csv", dir, name);
	read_csv(path, &exp);
	x = model_order_rows(&m, &in, info.n_features);
	if (!tap_ok(x != NULL && in.n_rows == exp.n_rows,
				"%s: input columns match the model's features", name))
		return;

	ws = malloc(md_workspace_size(&m));
	raw = malloc(sizeof(double) * in.n_rows * info.n_outputs);
	pred = malloc(sizeof(double) * in.n_rows);
	md_predict_raw(&m, x, in.n_rows, raw, ws);
	md_predict(&m, x, in.n_rows, pred, ws);
	for (size_t r = 0; r < in.n_rows; r++)
	{
		for (unsigned k = 0; k < info.n_outputs; k++)
			if (raw[r * info.n_outputs + k] !=
				exp.values[r * exp.n_cols + column(&exp, 'm', k)])
				bad_margin++;
		/* multi:softprob's p columns are probabilities, checked below */
		if (column(&exp, 'p', 1) < 0)
		{
			double d = fabs(pred[r] - exp.values[r * exp.n_cols + column(&exp, 'p', 0)]);

			if (!(d <= 1e-6))
				bad_pred++;
			worst = d > worst ? d : worst;
		}
	}
	tap_ok(bad_margin == 0, "%s: %zu rows x %u margins bit-identical to "
							"XGBoost (%zu differ)",
		   name, in.n_rows, info.n_outputs,
		   bad_margin);
	if (column(&exp, 'p', 1) >= 0)
	{
		double *proba = malloc(sizeof(double) * in.n_rows * info.n_classes);

		md_predict_proba(&m, x, in.n_rows, proba, ws);
		for (size_t r = 0; r < in.n_rows; r++)
			for (unsigned k = 0; k < info.n_classes; k++)
			{
				double d = fabs(proba[r * info.n_classes + k] -
								exp.values[r * exp.n_cols + column(&exp, 'p', k)]);

				if (!(d <= 1e-6))
					bad_pred++;
				worst = d > worst ? d : worst;
			}
		free(proba);
	}
	tap_ok(bad_pred == 0, "%s: predictions within 1e-6 of XGBoost (worst "
						  "%.3g, %zu outside)",
		   name, worst, bad_pred);

	free(ws);
	free(raw);
	free(pred);
	free(x);
	free_csv(&in);
	free_csv(&exp);
	md_blob_free(blob);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";
	char *names[512];
	long n = fixture_names(dir, ".model.json", names, 512);

	if (n < 0)
		return 2;
	for (long i = 0; i < n; i++)
	{
		check_fixture(dir, names[i]);
		free(names[i]);
	}
	return tap_done();
}
