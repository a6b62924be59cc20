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
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mdscore.h"
#include "tap.h"
#include "testutil.h"

typedef struct csv
{
	size_t		n_cols;
	size_t		n_rows;
	char	  **header;
	double	   *values;			/* row-major; empty field = NaN */
} csv;

/* Split one line in place at commas; returns the field count. */
static size_t
split_line(char *line, char **fields, size_t max)
{
	size_t		n = 0;

	fields[n++] = line;
	for (char *p = line; *p; p++)
		if (*p == ',' && n < max)
		{
			*p = '\0';
			fields[n++] = p + 1;
		}
	return n;
}

static int
read_csv(const char *path, csv *out)
{
	size_t		len;
	char	   *text = read_file(path, &len);
	char	   *save = NULL;
	char	   *line;
	char	   *fields[4096];
	size_t		cap = 1024;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return 0;
	line = strtok_r(text, "\r\n", &save);
	out->n_cols = split_line(line, fields, 4096);
	out->header = malloc(sizeof(char *) * out->n_cols);
	for (size_t i = 0; i < out->n_cols; i++)
		out->header[i] = strdup(fields[i]);
	out->values = malloc(sizeof(double) * cap * out->n_cols);
	while ((line = strtok_r(NULL, "\r\n", &save)) != NULL)
	{
		size_t		n = split_line(line, fields, 4096);

		if (n != out->n_cols)
			return 0;
		if (out->n_rows == cap)
		{
			cap *= 2;
			out->values = realloc(out->values,
								  sizeof(double) * cap * out->n_cols);
		}
		for (size_t i = 0; i < n; i++)
			out->values[out->n_rows * out->n_cols + i] =
				fields[i][0] ? strtod(fields[i], NULL) : NAN;
		out->n_rows++;
	}
	free(text);
	return 1;
}

static void
free_csv(csv *c)
{
	for (size_t i = 0; i < c->n_cols; i++)
		free(c->header[i]);
	free(c->header);
	free(c->values);
}

/* Column index of the expected file holding "<prefix><k>", or -1. */
static long
column(const csv *c, char prefix, unsigned k)
{
	char		name[16];

	snprintf(name, sizeof(name), "%c%u", prefix, k);
	for (size_t i = 0; i < c->n_cols; i++)
		if (strcmp(c->header[i], name) == 0)
			return (long) i;
	return -1;
}

/* Rows of the input reordered into the model's feature order, by name. */
static double *
model_order_rows(const md_model *m, const csv *in, unsigned n_features)
{
	double	   *x = malloc(sizeof(double) * in->n_rows * n_features);

	for (unsigned f = 0; f < n_features; f++)
	{
		long		col = f;

		if (md_has_feature_names(m))
		{
			const char *name = md_feature_name(m, f);

			col = -1;
			for (size_t i = 0; i < in->n_cols; i++)
				if (strcmp(in->header[i], name) == 0)
					col = (long) i;
		}
		if (col < 0)
		{
			free(x);
			return NULL;
		}
		for (size_t r = 0; r < in->n_rows; r++)
			x[r * n_features + f] = in->values[r * in->n_cols + col];
	}
	return x;
}

static void
check_fixture(const char *dir, const char *name)
{
	char		path[1024];
	size_t		len,
				blob_len;
	char	   *text;
	void	   *blob;
	md_error	err;
	md_model	m;
	md_info		info;
	csv			in,
				exp;
	double	   *x,
			   *raw,
			   *pred;
	void	   *ws;
	size_t		bad_margin = 0,
				bad_pred = 0;
	double		worst = 0;

	snprintf(path, sizeof(path), "%s/%s.model.json", dir, name);
	text = read_file(path, &len);
	if (!tap_ok(md_compile(text, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
						   &err) == MD_OK, "%s compiles", name))
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
			double		d = fabs(pred[r] - exp.values[r * exp.n_cols + column(&exp, 'p', 0)]);

			if (!(d <= 1e-6))
				bad_pred++;
			worst = d > worst ? d : worst;
		}
	}
	tap_ok(bad_margin == 0, "%s: %zu rows x %u margins bit-identical to "
		   "XGBoost (%zu differ)", name, in.n_rows, info.n_outputs,
		   bad_margin);
	if (column(&exp, 'p', 1) >= 0)
	{
		double	   *proba = malloc(sizeof(double) * in.n_rows * info.n_classes);

		md_predict_proba(&m, x, in.n_rows, proba, ws);
		for (size_t r = 0; r < in.n_rows; r++)
			for (unsigned k = 0; k < info.n_classes; k++)
			{
				double		d = fabs(proba[r * info.n_classes + k] -
									 exp.values[r * exp.n_cols + column(&exp, 'p', k)]);

				if (!(d <= 1e-6))
					bad_pred++;
				worst = d > worst ? d : worst;
			}
		free(proba);
	}
	tap_ok(bad_pred == 0, "%s: predictions within 1e-6 of XGBoost (worst "
		   "%.3g, %zu outside)", name, worst, bad_pred);

	free(ws);
	free(raw);
	free(pred);
	free(x);
	free_csv(&in);
	free_csv(&exp);
	md_blob_free(blob);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";
	DIR		   *d = opendir(dir);
	struct dirent *e;
	char	   *names[512];
	size_t		n = 0;

	if (d == NULL)
	{
		fprintf(stderr, "cannot open %s\n", dir);
		return 2;
	}
	while ((e = readdir(d)) != NULL && n < 512)
	{
		char	   *suffix = strstr(e->d_name, ".model.json");

		if (suffix != NULL && suffix[11] == '\0')
			names[n++] = strndup(e->d_name, suffix - e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), compare_names);
	for (size_t i = 0; i < n; i++)
	{
		check_fixture(dir, names[i]);
		free(names[i]);
	}
	return tap_done();
}
