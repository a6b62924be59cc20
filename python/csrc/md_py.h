/*-------------------------------------------------------------------------
 *
 * md_py.h
 *	  Shared declarations of the model_deploy Python extension (_mdscore):
 *	  the Model object and the row-block scoring it runs without the GIL.
 *
 * Copyright (c) 2026, model_deploy developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_PY_H
#define MD_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "mdscore.h"

/* A compiled model: the blob (malloc'd, 8-byte aligned) and its view. */
typedef struct MdModelObject
{
	PyObject_HEAD
	void	   *blob;
	size_t		blob_size;
	md_model	model;
	md_info		info;
} MdModelObject;

/* What a row-block job computes. */
typedef enum md_job_kind
{
	MD_JOB_SCORE,				/* md_score() of one md_output kind */
	MD_JOB_EXPLAIN				/* md_explain() of one output */
} md_job_kind;

/*
 * Rows to score: a 2-D buffer of float or double of any strides, and the
 * output buffer (n_rows x width doubles, row-major).
 */
typedef struct md_rows_job
{
	const md_model *model;
	md_job_kind job;
	md_output	kind;			/* MD_JOB_SCORE */
	uint32_t	output;			/* MD_JOB_EXPLAIN: which raw margin */
	size_t		workspace_size;
	const char *x;
	int			is_float;		/* elements are float, else double */
	Py_ssize_t	n_rows;
	Py_ssize_t	n_features;
	Py_ssize_t	row_stride;		/* bytes */
	Py_ssize_t	col_stride;		/* bytes */
	double	   *out;
	Py_ssize_t	width;			/* outputs per row */
	int			n_threads;

	/* results: the first row a native model refused, or -1 */
	Py_ssize_t	bad_row;
	md_status	status;
	md_error	error;
} md_rows_job;

/* Runs the job over blocks of rows, on n_threads threads; call without the
 * GIL.  Returns MD_OK, MD_ERR_INPUT (bad_row and error say which row and
 * why) or MD_ERR_NOMEM. */
extern md_status md_rows_run(md_rows_job *job);

#endif							/* MD_PY_H */
