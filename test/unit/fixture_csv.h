/*-------------------------------------------------------------------------
 *
 * fixture_csv.h
 *	  Reading the XGBoost fixtures' CSV files in the C unit tests.
 *
 * The files are small and well-formed (written by make_fixtures.py): a
 * header line of column names, then numbers, an empty field meaning a
 * missing value.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_FIXTURE_CSV_H
#define MD_FIXTURE_CSV_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdscore.h"
#include "testutil.h"

typedef struct csv
{
	size_t n_cols;
	size_t n_rows;
	char **header;
	double *values; /* row-major; empty field = NaN */
} csv;

/* Split one line in place at commas; returns the field count. */
static size_t
split_line(char *line, char **fields, size_t max)
{
	size_t n = 0;

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
	size_t len;
	char *text = read_file(path, &len);
	char *save = NULL;
	char *line;
	char *fields[4096];
	size_t cap = 1024;

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
		size_t n = split_line(line, fields, 4096);

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
	char name[16];

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
	double *x = malloc(sizeof(double) * in->n_rows * n_features);

	for (unsigned f = 0; f < n_features; f++)
	{
		long col = f;

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

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The fixtures in 'dir' that have a file NAME<suffix>: their names, sorted,
 * malloc'd, at most 'max'.  Returns how many, or -1 if dir is unreadable.
 */
static long
fixture_names(const char *dir, const char *suffix, char **names, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	size_t suffix_len = strlen(suffix);

	if (d == NULL)
	{
		fprintf(stderr, "cannot open %s\n", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL && n < max)
	{
		size_t len = strlen(e->d_name);

		if (len > suffix_len &&
			strcmp(e->d_name + len - suffix_len, suffix) == 0)
			names[n++] = strndup(e->d_name, len - suffix_len);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), compare_names);
	return (long) n;
}

#endif /* MD_FIXTURE_CSV_H */
