/*-------------------------------------------------------------------------
 *
 * md_capi.c
 *	  libmdscore on its own, no database: the scoring core's speed, as a
 *	  reference for what the SQL functions add on top.
 *
 * Usage: md_capi MODEL.json DATA.f32 N_FEATURES [MODE]
 * MODE "row" scores one row per md_score_f32() call (how predict() is
 * called), "batch" all rows in one call.  Multi-class models give class
 * probabilities, as XGBoost's predict does.  Prints "rows/s cpu_rows/s sum":
 * rows per second of elapsed time and of this process's CPU time (which a
 * busy shared machine disturbs less), and the sum of the predictions, to
 * compare with the other scorers.
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
	int			batch;

	if (argc < 4)
	{
		fprintf(stderr, "usage: md_capi MODEL.json DATA.f32 N_FEATURES [row|batch]\n");
		return 2;
	}
	batch = argc > 4 && strcmp(argv[4], "batch") == 0;
	text = slurp(argv[1], &text_len);
	x = slurp(argv[2], &data_len);
	n_features = strtoul(argv[3], NULL, 10);
	n_rows = data_len / sizeof(float) / n_features;
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

	t0 = seconds(CLOCK_MONOTONIC);
	c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	if (batch)
		md_score_f32(&m, kind, x, n_rows, out, ws);
	else
		for (size_t r = 0; r < n_rows; r++)
			md_score_f32(&m, kind, x + r * n_features, 1, out + r * width,
						 ws);
	t0 = seconds(CLOCK_MONOTONIC) - t0;
	c0 = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
	for (size_t i = 0; i < n_rows * width; i++)
		sum += out[i];
	printf("%.0f %.0f %.6f\n", n_rows / t0, n_rows / c0, sum);
	return 0;
}
