/*-------------------------------------------------------------------------
 *
 * xgb_capi.c
 *	  XGBoost's own C API at its best, as the reference for bench/run: all
 *	  rows in one XGBoosterPredictFromDense() call, one thread.
 *
 * Usage: xgb_capi MODEL.json DATA.f32 N_FEATURES
 * Prints "rows/s cpu_rows/s sum": rows per second of elapsed time and of
 * the predicting thread's CPU time, and the sum of the predictions (for a
 * multi-class model, of every class probability).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <xgboost/c_api.h>

#define CHECK(call) \
	do { \
		if ((call) != 0) \
		{ \
			fprintf(stderr, "xgb_capi: %s\n", XGBGetLastError()); \
			exit(1); \
		} \
	} while (0)

static double
seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Predictions for n_rows rows; returns their sum, sets the times taken. */
static double
predict(BoosterHandle booster, const float *x, size_t n_rows,
		size_t n_features, double *wall, double *cpu)
{
	char		array[256];
	const char *config = "{\"type\": 0, \"training\": false, "
		"\"iteration_begin\": 0, \"iteration_end\": 0, "
		"\"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}";
	const bst_ulong *shape;
	bst_ulong	dim,
				n_out = 1;
	const float *out;
	double		sum = 0.0;

	snprintf(array, sizeof(array),
			 "{\"data\": [%llu, true], \"shape\": [%zu, %zu], "
			 "\"typestr\": \"<f4\", \"version\": 3}",
			 (unsigned long long) (uintptr_t) x, n_rows, n_features);
	*wall = seconds(CLOCK_MONOTONIC);
	*cpu = seconds(CLOCK_THREAD_CPUTIME_ID);
	CHECK(XGBoosterPredictFromDense(booster, array, config, NULL, &shape,
									&dim, &out));
	*wall = seconds(CLOCK_MONOTONIC) - *wall;
	*cpu = seconds(CLOCK_THREAD_CPUTIME_ID) - *cpu;
	for (bst_ulong d = 0; d < dim; d++)
		n_out *= shape[d];
	for (bst_ulong i = 0; i < n_out; i++)
		sum += out[i];
	return sum;
}

int
main(int argc, char **argv)
{
	BoosterHandle booster;
	FILE	   *f;
	long		len;
	float	   *x;
	size_t		n_features,
				n_rows;
	double		wall,
				cpu,
				sum;

	if (argc != 4)
	{
		fprintf(stderr, "usage: xgb_capi MODEL.json DATA.f32 N_FEATURES\n");
		return 2;
	}
	n_features = strtoul(argv[3], NULL, 10);
	f = fopen(argv[2], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
	{
		perror(argv[2]);
		return 1;
	}
	rewind(f);
	x = malloc(len);
	if (x == NULL || fread(x, 1, len, f) != (size_t) len)
	{
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	n_rows = len / sizeof(float) / n_features;

	CHECK(XGBoosterCreate(NULL, 0, &booster));
	CHECK(XGBoosterLoadModel(booster, argv[1]));
	CHECK(XGBoosterSetParam(booster, "nthread", "1"));
	/* the first call sets up the predictor; keep it out of the timing */
	predict(booster, x, n_rows < 100 ? n_rows : 100, n_features, &wall, &cpu);
	sum = predict(booster, x, n_rows, n_features, &wall, &cpu);
	printf("%.0f %.0f %.6f\n", n_rows / wall, n_rows / cpu, sum);
	CHECK(XGBoosterFree(booster));
	return 0;
}
