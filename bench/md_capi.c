/*-------------------------------------------------------------------------
 *
 * md_capi.c
 *	  libmdscore on its own, no database: the scoring core's speed, as a
 *	  reference for what the SQL functions add on top.
 *
 * Usage: md_capi MODEL DATA.f32 N_FEATURES [MODE [N_ROWS [OUT.f64]]]
 * MODE "row" scores one row per md_score_f32() call (how predict() is
 * called), "batch" all rows in one call, "latency" one row per call with
 * each call timed.  N_ROWS (0: all) scores only the first rows of DATA.
 * Multi-class models give class probabilities, as XGBoost's predict does.
 * Prints "rows/s cpu_rows/s sum p50_ns p99_ns": rows per second of elapsed
 * time and of this process's CPU time (which a busy shared machine
 * disturbs less), the sum of the predictions, to compare with the other
 * scorers, and in "latency" mode the median and 99th percentile of the
 * calls (0 otherwise).  OUT.f64 receives the predictions, for the bench's
 * check against the model's own library.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdscore.h"

static void *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0)
	{
		perror(path);
		exit(1);
	}
	*len = (size_t) ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	if (buf == NULL || fread(buf, 1, *len, f) != *len)
	{
		perror(path);
		exit(1);
	}
	fclose(f);
	return buf;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	size_t		text_len,
				data_len,
				blob_len;
	char	   *text;
	float	   *x;
	void	   *blob;
	md_model	m;
	md_error	err;
	size_t		n_features,
				n_rows;
	md_info		info;
	md_output	kind;
	uint32_t	width;
	double	   *out;
	void	   *ws;
	double		t0,
				c0,
				sum = 0.0;
	const char *mode;
	double	   *lat = NULL;
	double		p50 = 0.0,
				p99 = 0.0;

	if (argc < 4)
	{
		fprintf(stderr, "usage: md_capi MODEL DATA.f32 N_FEATURES "
				"[row|batch|latency [N_ROWS [OUT.f64]]]\n");
		return 2;
	}
	mode = argc > 4 ? argv[4] : "row";
	text = slurp(argv[1], &text_len);
	x = slurp(argv[2], &data_len);
	n_features = strtoul(argv[3], NULL, 10);
	n_rows = data_len / sizeof(float) / n_features;
	if (argc > 5 && strtoul(argv[5], NULL, 10) > 0 &&
		strtoul(argv[5], NULL, 10) < n_rows)
		n_rows = strtoul(argv[5], NULL, 10);
	if (md_compile(text, text_len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
				   &err) != MD_OK ||
		md_open(&m, blob, blob_len, MD_OPEN_TRUSTED, &err) != MD_OK)
	{
		fprintf(stderr, "md_capi: %s\n", err.message);
		return 1;
	}
	md_get_info(&m, &info);
	kind = info.task == MD_TASK_MULTICLASS ? MD_OUTPUT_PROBA : MD_OUTPUT_PREDICT;
	width = md_output_width(&m, kind);
	out = malloc(sizeof(double) * n_rows * width);
	ws = malloc(md_workspace_size(&m));
	if (strcmp(mode, "latency") == 0)
		lat = malloc(sizeof(double) * n_rows);

	t0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	if (strcmp(mode, "batch") == 0)
		md_score_f32(&m, kind, x, n_rows, out, ws);
	else if (lat != NULL)
		for (size_t r = 0; r < n_rows; r++)
		{
			double		t = seconds(CLOCK_MONOTONIC);

			md_score_f32(&m, kind, x + r * n_features, 1, out + r * width,
						 ws);
			lat[r] = seconds(CLOCK_MONOTONIC) - t;
		}
	else
		for (size_t r = 0; r < n_rows; r++)
			md_score_f32(&m, kind, x + r * n_features, 1, out + r * width,
						 ws);
	t0 = seconds(CLOCK_MONOTONIC) - t0;
	c0 = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	for (size_t i = 0; i < n_rows * width; i++)
		sum += out[i];
	if (lat != NULL)
	{
		qsort(lat, n_rows, sizeof(double), cmp_double);
		p50 = lat[n_rows / 2] * 1e9;
		p99 = lat[(size_t) (0.99 * n_rows)] * 1e9;
	}
	if (argc > 6)
	{
		FILE	   *f = fopen(argv[6], "wb");

		if (f == NULL ||
			fwrite(out, sizeof(double) * width, n_rows, f) != n_rows ||
			fclose(f) != 0)
		{
			perror(argv[6]);
			return 1;
		}
	}
	printf("%.0f %.0f %.6f %.0f %.0f\n", n_rows / t0, n_rows / c0, sum, p50,
		   p99);
	return 0;
}
