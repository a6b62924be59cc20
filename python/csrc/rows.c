/*-------------------------------------------------------------------------
 *
 * rows.c
 *	  Scoring a 2-D array of rows in blocks, optionally on several threads,
 *	  without the GIL.
 *
 * The core takes rows as a row-major array of float or double.  A C-ordered
 * numpy array is passed to it as it is, block by block; any other layout
 * (Fortran order, a column slice of a wider frame) is gathered one block at
 * a time into a small row-major buffer, so no copy of the whole input is
 * ever made.  Each thread scores its own contiguous range of rows with its
 * own workspace; the core's scoring calls only read the model, so the
 * threads share it.  Results do not depend on the number of threads: one
 * row or a batch give the same bits.
 *
 * Copyright (c) 2026, model_deploy developers
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "md_py.h"

/* Rows per block: a block of gathered doubles of a 100-feature model is
 * 800 kB at most, and blocks are large enough to amortise the call. */
#define MD_BLOCK_ROWS 1024

/* One thread's share of a job. */
typedef struct md_rows_part
{
	md_rows_job *job;
	Py_ssize_t	begin;
	Py_ssize_t	end;
	void	   *workspace;
	double	   *gathered;		/* MD_BLOCK_ROWS rows (as double or float) */
	double	   *row;			/* one row widened to double */
	Py_ssize_t	bad_row;
	md_status	status;
	md_error	error;
} md_rows_part;

static inline double
element(const md_rows_job *job, Py_ssize_t r, Py_ssize_t c)
{
	const char *p = job->x + r * job->row_stride + c * job->col_stride;

	return job->is_float ? (double) *(const float *) p : *(const double *) p;
}

static int
is_row_major(const md_rows_job *job)
{
	Py_ssize_t	item = job->is_float ? sizeof(float) : sizeof(double);

	return (job->col_stride == item || job->n_features <= 1) &&
		(job->row_stride == item * job->n_features || job->n_rows <= 1);
}

/* Row r as doubles in part->row: what md_check_row() and md_explain() take */
static const double *
widened_row(md_rows_part *part, Py_ssize_t r)
{
	const md_rows_job *job = part->job;

	for (Py_ssize_t c = 0; c < job->n_features; c++)
		part->row[c] = element(job, r, c);
	return part->row;
}

/* Rows [begin, begin + n) in the element type, row-major: the input itself
 * when it is laid out so, else gathered into part->gathered. */
static const void *
block_rows(md_rows_part *part, Py_ssize_t begin, Py_ssize_t n)
{
	const md_rows_job *job = part->job;
	Py_ssize_t	nf = job->n_features;

	if (is_row_major(job))
		return job->x + begin * job->row_stride;
	if (job->is_float)
	{
		float	   *dst = (float *) part->gathered;

		for (Py_ssize_t r = 0; r < n; r++)
			for (Py_ssize_t c = 0; c < nf; c++)
				dst[r * nf + c] = (float) element(job, begin + r, c);
	}
	else
	{
		for (Py_ssize_t r = 0; r < n; r++)
			for (Py_ssize_t c = 0; c < nf; c++)
				part->gathered[r * nf + c] = element(job, begin + r, c);
	}
	return part->gathered;
}

/* Remember the first row of the block the model refuses, and why. */
static void
note_refused_row(md_rows_part *part, Py_ssize_t begin, Py_ssize_t n)
{
	const md_rows_job *job = part->job;

	for (Py_ssize_t r = begin; r < begin + n; r++)
	{
		md_error	err;

		if (md_check_row(job->model, widened_row(part, r), part->workspace,
						 &err) != MD_OK)
		{
			part->status = MD_ERR_INPUT;
			part->bad_row = r;
			part->error = err;
			return;
		}
	}
}

static void
score_block(md_rows_part *part, Py_ssize_t begin, Py_ssize_t n)
{
	const md_rows_job *job = part->job;
	const void *x = block_rows(part, begin, n);
	double	   *out = job->out + begin * job->width;
	md_status	st;

	if (job->is_float)
		st = md_score_f32(job->model, job->kind, x, (size_t) n, out,
						  part->workspace);
	else
		st = md_score(job->model, job->kind, x, (size_t) n, out,
					  part->workspace);
	if (st == MD_ERR_INPUT && part->bad_row < 0)
		note_refused_row(part, begin, n);
}

static void
explain_block(md_rows_part *part, Py_ssize_t begin, Py_ssize_t n)
{
	const md_rows_job *job = part->job;

	for (Py_ssize_t r = begin; r < begin + n; r++)
	{
		double	   *out = job->out + r * job->width;

		if (md_explain(job->model, widened_row(part, r), job->output, out,
					   part->workspace) == MD_OK)
			continue;
		for (Py_ssize_t k = 0; k < job->width; k++)
			out[k] = NAN;
		if (part->bad_row < 0)
		{
			md_check_row(job->model, part->row, part->workspace,
						 &part->error);
			part->status = MD_ERR_INPUT;
			part->bad_row = r;
		}
	}
}

static void *
run_part(void *arg)
{
	md_rows_part *part = arg;

	for (Py_ssize_t b = part->begin; b < part->end; b += MD_BLOCK_ROWS)
	{
		Py_ssize_t	n = part->end - b < MD_BLOCK_ROWS ? part->end - b :
			MD_BLOCK_ROWS;

		if (part->job->job == MD_JOB_SCORE)
			score_block(part, b, n);
		else
			explain_block(part, b, n);
	}
	return NULL;
}

static md_status
part_init(md_rows_part *part, md_rows_job *job, Py_ssize_t begin,
		  Py_ssize_t end)
{
	size_t		nf = (size_t) (job->n_features > 0 ? job->n_features : 1);

	memset(part, 0, sizeof(*part));
	part->job = job;
	part->begin = begin;
	part->end = end;
	part->bad_row = -1;
	part->status = MD_OK;
	part->workspace = malloc(job->workspace_size ? job->workspace_size : 1);
	part->row = malloc(nf * sizeof(double));
	part->gathered = is_row_major(job) ? NULL :
		malloc(MD_BLOCK_ROWS * nf * sizeof(double));
	if (part->workspace == NULL || part->row == NULL ||
		(part->gathered == NULL && !is_row_major(job)))
		return MD_ERR_NOMEM;
	return MD_OK;
}

static void
part_free(md_rows_part *part)
{
	free(part->workspace);
	free(part->row);
	free(part->gathered);
}

/* The first refused row over all parts (they cover rows in order). */
static void
collect_results(md_rows_job *job, md_rows_part *parts, int n_parts)
{
	job->status = MD_OK;
	job->bad_row = -1;
	for (int i = 0; i < n_parts; i++)
		if (parts[i].status != MD_OK)
		{
			job->status = parts[i].status;
			job->bad_row = parts[i].bad_row;
			job->error = parts[i].error;
			return;
		}
}

md_status
md_rows_run(md_rows_job *job)
{
	Py_ssize_t	blocks = (job->n_rows + MD_BLOCK_ROWS - 1) / MD_BLOCK_ROWS;
	int			n_parts = job->n_threads < 1 ? 1 : job->n_threads;
	md_rows_part *parts;
	pthread_t  *threads;
	int			started = 1;
	md_status	st = MD_OK;

	if (n_parts > blocks)
		n_parts = blocks > 0 ? (int) blocks : 1;
	parts = calloc((size_t) n_parts, sizeof(*parts));
	threads = calloc((size_t) n_parts, sizeof(*threads));
	if (parts == NULL || threads == NULL)
		st = MD_ERR_NOMEM;

	/* whole blocks per part, so every part but the last is block-aligned */
	for (int i = 0; st == MD_OK && i < n_parts; i++)
	{
		Py_ssize_t	begin = blocks * i / n_parts * MD_BLOCK_ROWS;
		Py_ssize_t	end = blocks * (i + 1) / n_parts * MD_BLOCK_ROWS;

		if (end > job->n_rows)
			end = job->n_rows;
		st = part_init(&parts[i], job, begin, end);
	}
	if (st == MD_OK)
	{
		for (; started < n_parts; started++)
			if (pthread_create(&threads[started], NULL, run_part,
							   &parts[started]) != 0)
				break;
		/* this thread takes the first part, and any not started */
		run_part(&parts[0]);
		for (int i = started; i < n_parts; i++)
			run_part(&parts[i]);
		for (int i = 1; i < started; i++)
			pthread_join(threads[i], NULL);
		collect_results(job, parts, n_parts);
		st = job->status;
	}
	for (int i = 0; parts != NULL && i < n_parts; i++)
		part_free(&parts[i]);
	free(parts);
	free(threads);
	return st;
}
