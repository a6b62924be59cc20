/*-------------------------------------------------------------------------
 *
 * test_api.c
 *	  The contract of libmdscore's public API (mdscore.h), as a program
 *	  linked against the library sees it.
 *
 * Loading from JSON text and from a compiled blob; one row at a time and in
 * batches (identical results); float and double input; output widths;
 * feature names; error statuses and messages; no allocation inside the
 * scoring calls (the Makefile links this test with --wrap for the
 * allocator, so every call the library makes to it is counted); and
 * several threads scoring with one model at once.  Accuracy against
 * XGBoost itself is test_fixtures' job.
 *
 * Usage: test_api FIXTURE_DIR
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mdscore.h"
#include "tap.h"
#include "testutil.h"

#define N_ROWS 300
#define N_THREADS 4
#define THREAD_ROUNDS 200

/* --- allocator calls, counted (see the Makefile's --wrap options) ---- */

static volatile long alloc_calls;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *
__wrap_malloc(size_t n)
{
	__atomic_add_fetch(&alloc_calls, 1, __ATOMIC_RELAXED);
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	__atomic_add_fetch(&alloc_calls, 1, __ATOMIC_RELAXED);
	return __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	__atomic_add_fetch(&alloc_calls, 1, __ATOMIC_RELAXED);
	return __real_realloc(p, n);
}

void
__wrap_free(void *p)
{
	__atomic_add_fetch(&alloc_calls, 1, __ATOMIC_RELAXED);
	__real_free(p);
}

/* --- models and inputs ------------------------------------------------ */

typedef struct loaded
{
	void *blob;
	size_t len;
	md_model m;
	md_info info;
} loaded;

static int
load(const char *dir, const char *name, loaded *l)
{
	char path[1024];
	size_t len = 0;
	char *text;
	md_error err;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.model.json", dir, name);
	text = read_file(path, &len);
	ok = text != NULL &&
		md_compile(text, len, MD_FORMAT_AUTO, NULL, &l->blob, &l->len,
				   &err) == MD_OK &&
		md_open(&l->m, l->blob, l->len, MD_OPEN_VALIDATE, &err) == MD_OK;
	free(text);
	if (ok)
		md_get_info(&l->m, &l->info);
	else
		tap_diag("%s: %s", name, text ? err.message : "cannot read");
	return ok;
}

/* Rows of plausible values (a fixed generator), 10% missing. */
static double *
make_rows(uint32_t n_features, size_t n_rows)
{
	double *x = malloc(sizeof(double) * n_features * n_rows);
	uint64_t state = 42;

	for (size_t i = 0; i < n_features * n_rows; i++)
	{
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		x[i] = (state >> 60) < 2 ? NAN : (double) (state >> 11) / 9007199254740992.0 * 30.0 - 2.0;
	}
	return x;
}

static double *
score_all(const md_model *m, md_output kind, const double *x, size_t n_rows)
{
	double *out = malloc(sizeof(double) * n_rows *
						 (md_output_width(m, kind) + 1));
	void *ws = malloc(md_workspace_size(m));

	md_score(m, kind, x, n_rows, out, ws);
	free(ws);
	return out;
}

/* --- the checks --------------------------------------------------------- */

static void
check_version(void)
{
	char v[32];

	snprintf(v, sizeof(v), "%d.%d.%d", MDSCORE_VERSION_MAJOR,
			 MDSCORE_VERSION_MINOR, MDSCORE_VERSION_PATCH);
	tap_ok(strcmp(v, MDSCORE_VERSION) == 0 &&
			   strcmp(md_version(), MDSCORE_VERSION) == 0,
		   "MDSCORE_VERSION \"%s\" agrees with the version numbers and "
		   "md_version()",
		   MDSCORE_VERSION);
}

static void
check_info(const loaded *bc, const loaded *iris, const loaded *reg)
{
	tap_ok(bc->info.n_features == 30 && bc->info.n_outputs == 1 &&
			   bc->info.n_classes == 2 && bc->info.n_trees == 100 &&
			   bc->info.task == MD_TASK_BINARY &&
			   strcmp(bc->info.objective, "binary:logistic") == 0 &&
			   strcmp(bc->info.booster, "gbtree") == 0 &&
			   bc->info.format == MD_FORMAT_XGBOOST &&
			   bc->info.blob_size == bc->len,
		   "md_get_info describes bc_logistic as its MANIFEST does");
	tap_ok(md_output_width(&bc->m, MD_OUTPUT_PREDICT) == 1 &&
			   md_output_width(&bc->m, MD_OUTPUT_PROBA) == 2 &&
			   md_output_width(&bc->m, MD_OUTPUT_RAW) == 1 &&
			   md_output_width(&iris->m, MD_OUTPUT_PROBA) == 3 &&
			   md_output_width(&iris->m, MD_OUTPUT_RAW) == 3 &&
			   md_output_width(&reg->m, MD_OUTPUT_PROBA) == 0,
		   "output widths: binary 1/2/1, 3 classes -/3/3, regression has no "
		   "probabilities");
}

static void
check_feature_names(const loaded *bc, const loaded *unnamed)
{
	tap_ok(md_has_feature_names(&bc->m) &&
			   strcmp(md_feature_name(&bc->m, 0), "mean_radius") == 0 &&
			   strcmp(md_feature_name(&bc->m, 29), "worst_fractal_dimension") == 0 &&
			   md_feature_name(&bc->m, 30) == NULL,
		   "feature names in model order; none past the last");
	tap_ok(md_feature_index(&bc->m, "mean_texture", 12) == 1 &&
			   md_feature_index(&bc->m, "mean_radius_and_more", 11) == 0 &&
			   md_feature_index(&bc->m, "Mean_texture", 12) == -1 &&
			   md_feature_index(&bc->m, "mean_textur", 11) == -1,
		   "md_feature_index: exact, case-sensitive, length-bounded");
	tap_ok(!md_has_feature_names(&unnamed->m) &&
			   md_feature_name(&unnamed->m, 0) == NULL &&
			   md_feature_index(&unnamed->m, "f0", 2) == -1,
		   "a model trained without names has none");
}

/* One md_score() over all rows equals one call per row, bit for bit. */
static void
check_batch(const loaded *l, const char *name)
{
	uint32_t nf = l->info.n_features;
	double *x = make_rows(nf, N_ROWS);
	void *ws = malloc(md_workspace_size(&l->m));

	for (int kind = MD_OUTPUT_PREDICT; kind <= MD_OUTPUT_RAW; kind++)
	{
		uint32_t w = md_output_width(&l->m, kind);
		double *batch,
			*single;
		size_t differ = 0;

		if (w == 0)
			continue;
		batch = score_all(&l->m, kind, x, N_ROWS);
		single = malloc(sizeof(double) * N_ROWS * w);
		for (size_t r = 0; r < N_ROWS; r++)
			md_score(&l->m, kind, x + r * nf, 1, single + r * w, ws);
		for (size_t i = 0; i < N_ROWS * w; i++)
			differ += memcmp(&batch[i], &single[i], sizeof(double)) != 0;
		tap_ok(differ == 0, "%s: output kind %d, %d rows in one call equal "
							"one call per row (%zu differ)",
			   name, kind, N_ROWS, differ);
		free(batch);
		free(single);
	}
	free(x);
	free(ws);
}

/* Float input scores as double input holding the same float values. */
static void
check_float_input(const loaded *l, const char *name)
{
	uint32_t nf = l->info.n_features;
	double *x = make_rows(nf, N_ROWS);
	float *x32 = malloc(sizeof(float) * nf * N_ROWS);
	double *a,
		*b = malloc(sizeof(double) * N_ROWS * l->info.n_outputs);
	void *ws = malloc(md_workspace_size(&l->m));

	for (size_t i = 0; i < (size_t) nf * N_ROWS; i++)
	{
		x32[i] = (float) x[i];
		x[i] = x32[i];
	}
	a = score_all(&l->m, MD_OUTPUT_RAW, x, N_ROWS);
	md_score_f32(&l->m, MD_OUTPUT_RAW, x32, N_ROWS, b, ws);
	tap_ok(memcmp(a, b, sizeof(double) * N_ROWS * l->info.n_outputs) == 0,
		   "%s: md_score_f32 equals md_score on the same float values", name);
	free(x);
	free(x32);
	free(a);
	free(b);
	free(ws);
}

/* The shorthands are md_score() with each output kind. */
static void
check_shorthands(const loaded *l)
{
	double *x = make_rows(l->info.n_features, 10);
	double a[30],
		b[30];
	void *ws = malloc(md_workspace_size(&l->m));
	int same = 1;

	md_predict(&l->m, x, 10, a, ws);
	md_score(&l->m, MD_OUTPUT_PREDICT, x, 10, b, ws);
	same &= memcmp(a, b, sizeof(double) * 10) == 0;
	md_predict_proba(&l->m, x, 10, a, ws);
	md_score(&l->m, MD_OUTPUT_PROBA, x, 10, b, ws);
	same &= memcmp(a, b, sizeof(double) * 20) == 0;
	md_predict_raw(&l->m, x, 10, a, ws);
	md_score(&l->m, MD_OUTPUT_RAW, x, 10, b, ws);
	same &= memcmp(a, b, sizeof(double) * 10) == 0;
	tap_ok(same, "md_predict, md_predict_proba, md_predict_raw are md_score "
				 "with each kind");
	free(x);
	free(ws);
}

/* A blob copied elsewhere (as from a file) opens and scores the same. */
static void
check_blob_copy(const loaded *l)
{
	void *copy = malloc(l->len);
	double *x = make_rows(l->info.n_features, N_ROWS);
	double *a,
		*b;
	md_model m;
	md_error err;

	memcpy(copy, l->blob, l->len);
	if (!tap_ok(md_open(&m, copy, l->len, MD_OPEN_VALIDATE, &err) == MD_OK,
				"a copy of the blob opens with validation"))
		tap_diag("%s", err.message);
	a = score_all(&l->m, MD_OUTPUT_PROBA, x, N_ROWS);
	b = score_all(&m, MD_OUTPUT_PROBA, x, N_ROWS);
	tap_ok(memcmp(a, b, sizeof(double) * N_ROWS * 2) == 0,
		   "the copy scores exactly as the original");
	free(copy);
	free(x);
	free(a);
	free(b);
}

static void
check_no_allocation(const loaded *l)
{
	double *x = make_rows(l->info.n_features, N_ROWS);
	double *out = malloc(sizeof(double) * N_ROWS * 3);
	float *x32 = malloc(sizeof(float) * l->info.n_features);
	void *ws = malloc(md_workspace_size(&l->m));
	long before;

	for (uint32_t f = 0; f < l->info.n_features; f++)
		x32[f] = 1.0f;
	before = alloc_calls;
	for (int kind = MD_OUTPUT_PREDICT; kind <= MD_OUTPUT_RAW; kind++)
	{
		md_score(&l->m, kind, x, N_ROWS, out, ws);
		md_score(&l->m, kind, x, 1, out, ws);
		md_score_f32(&l->m, kind, x32, 1, out, ws);
	}
	md_predict(&l->m, x, 2, out, ws);
	md_predict_proba(&l->m, x, 2, out, ws);
	md_predict_raw(&l->m, x, 2, out, ws);
	tap_ok(alloc_calls == before, "no allocator call while scoring (%ld)",
		   alloc_calls - before);
	before = alloc_calls;
	free(x);
	tap_ok(alloc_calls == before + 1, "...and the counter does count");
	free(out);
	free(x32);
	free(ws);
}

/* --- interrupting a compile -------------------------------------------- */

static int polls;
static int stop_at_poll;

static int
stop_after_some_polls(void)
{
	return ++polls >= stop_at_poll;
}

/*
 * A compile polls its caller between steps and trees: stopped at any poll
 * it fails with MD_ERR_CANCELLED and returns no blob (leaks are the
 * sanitizer run's to find); never stopped, it compiles as before.
 */
static void
check_interrupts(const char *bc_text, size_t bc_len)
{
	md_limits limits;
	md_error err;
	void *blob;
	size_t len;
	int total;
	bool all_cancelled = true;

	md_limits_default(&limits);
	limits.interrupted = stop_after_some_polls;
	polls = 0;
	stop_at_poll = 1 << 30;
	tap_ok(md_compile(bc_text, bc_len, MD_FORMAT_AUTO, &limits, &blob, &len,
					  &err) == MD_OK,
		   "a compile that is never interrupted succeeds");
	md_blob_free(blob);
	total = polls;
	tap_ok(total > 100, "a 100-tree model polls for interrupts once a tree at "
						"least (%d polls)",
		   total);
	for (stop_at_poll = 1; stop_at_poll <= total; stop_at_poll++)
	{
		polls = 0;
		blob = (void *) 1;
		if (md_compile(bc_text, bc_len, MD_FORMAT_AUTO, &limits, &blob, &len,
					   &err) != MD_ERR_CANCELLED ||
			blob != NULL ||
			polls != stop_at_poll)
			all_cancelled = false;
	}
	tap_ok(all_cancelled, "interrupted at each of its %d polls, the compile "
						  "stops there with MD_ERR_CANCELLED and no blob: %s",
		   total,
		   err.message);
}

static void
check_errors(const char *bc_text, size_t bc_len, const loaded *reg)
{
	md_limits limits;
	md_error err;
	void *blob = (void *) 1;
	size_t len = 1;
	double x[10] = {0},
		   out[4];
	void *ws = malloc(md_workspace_size(&reg->m));

	tap_ok(md_compile("{\"learner\": [1,", 15, MD_FORMAT_AUTO, NULL, &blob,
					  &len, &err) == MD_ERR_SYNTAX &&
			   blob == NULL && len == 0 && err.status == MD_ERR_SYNTAX &&
			   err.message[0] != '\0',
		   "truncated JSON: MD_ERR_SYNTAX, no blob: %s", err.message);
	tap_ok(md_compile("{\"model\": 1}", 12, MD_FORMAT_AUTO, NULL, &blob, &len,
					  &err) == MD_ERR_MODEL &&
			   err.hint[0] != '\0',
		   "JSON that is no model: MD_ERR_MODEL with a hint: %s (%s)",
		   err.message, err.hint);
	tap_ok(md_compile(NULL, 0, MD_FORMAT_AUTO, NULL, &blob, &len, &err) ==
			   MD_ERR_ARGUMENT,
		   "no text: MD_ERR_ARGUMENT: %s", err.message);
	md_limits_default(&limits);
	limits.max_trees = 10;
	tap_ok(md_compile(bc_text, bc_len, MD_FORMAT_AUTO, &limits, &blob, &len,
					  &err) == MD_ERR_LIMIT &&
			   strstr(err.message, "100 trees") != NULL,
		   "a 100-tree model over a limit of 10: MD_ERR_LIMIT: %s",
		   err.message);
	tap_ok(md_score(&reg->m, MD_OUTPUT_PROBA, x, 1, out, ws) ==
			   MD_ERR_ARGUMENT,
		   "class probabilities of a regression: MD_ERR_ARGUMENT");
	free(ws);
	check_interrupts(bc_text, bc_len);
}

/* --- threads: several readers of one model ---------------------------- */

typedef struct thread_job
{
	const loaded *l;
	const double *x;
	const double *expected;
	size_t mismatches;
} thread_job;

static void *
score_repeatedly(void *arg)
{
	thread_job *job = arg;
	uint32_t w = job->l->info.n_classes;
	double *out = malloc(sizeof(double) * N_ROWS * w);
	void *ws = malloc(md_workspace_size(&job->l->m));

	for (int round = 0; round < THREAD_ROUNDS; round++)
	{
		/* alternate batch and single rows to interleave differently */
		if (round % 2 == 0)
			md_predict_proba(&job->l->m, job->x, N_ROWS, out, ws);
		else
			for (size_t r = 0; r < N_ROWS; r++)
				md_predict_proba(&job->l->m, job->x + r * job->l->info.n_features,
								 1, out + r * w, ws);
		if (memcmp(out, job->expected, sizeof(double) * N_ROWS * w) != 0)
			job->mismatches++;
	}
	free(out);
	free(ws);
	return NULL;
}

static void
check_threads(const loaded *l, const char *name)
{
	double *x = make_rows(l->info.n_features, N_ROWS);
	double *expected = score_all(&l->m, MD_OUTPUT_PROBA, x, N_ROWS);
	pthread_t threads[N_THREADS];
	thread_job jobs[N_THREADS];
	size_t mismatches = 0;
	int started = 0;

	for (int t = 0; t < N_THREADS; t++)
	{
		jobs[t] = (thread_job){l, x, expected, 0};
		started += pthread_create(&threads[t], NULL, score_repeatedly,
								  &jobs[t]) == 0;
	}
	for (int t = 0; t < started; t++)
	{
		pthread_join(threads[t], NULL);
		mismatches += jobs[t].mismatches;
	}
	tap_ok(started == N_THREADS && mismatches == 0,
		   "%s: %d threads x %d rounds scoring one model concurrently match "
		   "a single thread (%zu rounds differ)",
		   name, N_THREADS,
		   THREAD_ROUNDS, mismatches);
	free(x);
	free(expected);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/fixtures/xgboost";
	loaded bc,
		iris,
		reg,
		unnamed,
		cat;
	char path[1024];
	size_t bc_len = 0;
	char *bc_text;

	check_version();
	if (!tap_ok(load(dir, "bc_logistic", &bc) && load(dir, "iris_softprob", &iris) &&
					load(dir, "diabetes_reg", &reg) &&
					load(dir, "unnamed_reg", &unnamed) &&
					load(dir, "cat_multi", &cat),
				"the fixture models compile from JSON and open"))
		return tap_done();
	check_info(&bc, &iris, &reg);
	check_feature_names(&bc, &unnamed);
	check_batch(&bc, "bc_logistic");
	check_batch(&iris, "iris_softprob");
	check_batch(&cat, "cat_multi");
	check_float_input(&bc, "bc_logistic");
	check_float_input(&cat, "cat_multi");
	check_shorthands(&bc);
	check_blob_copy(&bc);
	check_no_allocation(&bc);
	check_no_allocation(&iris);
	snprintf(path, sizeof(path), "%s/bc_logistic.model.json", dir);
	bc_text = read_file(path, &bc_len);
	check_errors(bc_text, bc_len, &reg);
	free(bc_text);
	check_threads(&bc, "bc_logistic");
	check_threads(&cat, "cat_multi");
	md_blob_free(bc.blob);
	md_blob_free(iris.blob);
	md_blob_free(reg.blob);
	md_blob_free(unnamed.blob);
	md_blob_free(cat.blob);
	return tap_done();
}
