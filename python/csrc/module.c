/*-------------------------------------------------------------------------
 *
 * module.c
 *	  The _mdscore extension module: a compiled model as a Python object,
 *	  over libmdscore's public API (mdscore.h).
 *
 * The module knows buffers, not numpy: rows come in as any 2-D buffer of
 * float32 or float64 (numpy arrays of either order, memoryviews) and the
 * results go into a C-ordered float64 buffer the caller allocated.  The
 * Python package (model_deploy/__init__.py) turns frames into such arrays
 * and decides what a refused row means; this file only checks shapes and
 * types, and scores with the GIL released.
 *
 * Copyright (c) 2026, model_deploy developers
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "md_py.h"

/* The first bytes of every compiled blob (mdscore.h: a blob is refused by
 * md_open() unless it carries them) */
static const char blob_magic[8] = "mdscore";

static PyObject *ModelError;

static const char *const status_names[] = {
	[MD_OK] = "ok",
	[MD_ERR_ARGUMENT] = "argument",
	[MD_ERR_SYNTAX] = "syntax",
	[MD_ERR_MODEL] = "model",
	[MD_ERR_UNSUPPORTED] = "unsupported",
	[MD_ERR_LIMIT] = "limit",
	[MD_ERR_BLOB] = "blob",
	[MD_ERR_INPUT] = "input",
	[MD_ERR_NOMEM] = "nomem",
};

static const char *
status_name(md_status status)
{
	if ((unsigned) status >= sizeof(status_names) / sizeof(status_names[0]) ||
		status_names[status] == NULL)
		return "error";
	return status_names[status];
}

/* Set exc.name to a new string, or None for "" */
static int
set_text_attr(PyObject *exc, const char *name, const char *value)
{
	PyObject   *v = *value ? PyUnicode_FromString(value) : Py_NewRef(Py_None);
	int			rc;

	if (v == NULL)
		return -1;
	rc = PyObject_SetAttrString(exc, name, v);
	Py_DECREF(v);
	return rc;
}

/* Raise ModelError(message) with .status and .hint from an md_error. */
static PyObject *
raise_md_error(const md_error *err)
{
	PyObject   *exc;

	if (err->status == MD_ERR_NOMEM)
		return PyErr_NoMemory();
	exc = PyObject_CallFunction(ModelError, "s", err->message);
	if (exc == NULL)
		return NULL;
	if (set_text_attr(exc, "status", status_name(err->status)) == 0 &&
		set_text_attr(exc, "hint", err->hint) == 0)
		PyErr_SetObject(ModelError, exc);
	Py_DECREF(exc);
	return NULL;
}

static void
model_dealloc(MdModelObject *self)
{
	free(self->blob);
	Py_TYPE(self)->tp_free((PyObject *) self);
}

/* Model(data): data is model text (any format the core compiles) or a
 * compiled blob, as bytes or any contiguous buffer. */
static int
model_init(MdModelObject *self, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = {"data", NULL};
	Py_buffer	data;
	md_error	err;
	md_status	st;
	void	   *blob = NULL;
	size_t		blob_size = 0;

	if (self->blob != NULL)
	{
		PyErr_SetString(PyExc_TypeError, "a Model is loaded only once");
		return -1;
	}
	if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*", kwlist, &data))
		return -1;
	Py_BEGIN_ALLOW_THREADS
	if (data.len >= (Py_ssize_t) sizeof(blob_magic) &&
		memcmp(data.buf, blob_magic, sizeof(blob_magic)) == 0)
	{
		/* a blob from outside is untrusted: validate all of it, in a copy
		 * of our own (aligned, and not changed behind our back) */
		blob = malloc((size_t) data.len);
		blob_size = (size_t) data.len;
		if (blob == NULL)
			st = MD_ERR_NOMEM;
		else
		{
			memcpy(blob, data.buf, blob_size);
			st = md_open(&self->model, blob, blob_size, MD_OPEN_VALIDATE,
						 &err);
		}
	}
	else
	{
		st = md_compile(data.buf, (size_t) data.len, MD_FORMAT_AUTO, NULL,
						&blob, &blob_size, &err);
		if (st == MD_OK)
			st = md_open(&self->model, blob, blob_size, MD_OPEN_TRUSTED,
						 &err);
	}
	Py_END_ALLOW_THREADS
	PyBuffer_Release(&data);
	if (st != MD_OK)
	{
		free(blob);
		if (st == MD_ERR_NOMEM)
			PyErr_NoMemory();
		else
			raise_md_error(&err);
		return -1;
	}
	self->blob = blob;
	self->blob_size = blob_size;
	md_get_info(&self->model, &self->info);
	return 0;
}

static int
check_loaded(MdModelObject *self)
{
	if (self->blob != NULL)
		return 0;
	PyErr_SetString(PyExc_ValueError, "the Model is not loaded");
	return -1;
}

static const char *const task_names[] = {
	[MD_TASK_REGRESSION] = "regression",
	[MD_TASK_BINARY] = "binary",
	[MD_TASK_MULTICLASS] = "multiclass",
	[MD_TASK_RANKING] = "ranking",
	[MD_TASK_CLUSTER] = "cluster",
};

static PyObject *
model_info(MdModelObject *self, PyObject *unused)
{
	const md_info *i = &self->info;

	if (check_loaded(self) < 0)
		return NULL;
	return Py_BuildValue(
		"{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:K,s:I,s:n}",
		"format", md_format_name(i->format), "task", task_names[i->task],
		"objective", i->objective, "booster", i->booster, "n_features",
		i->n_features, "n_outputs", i->n_outputs, "n_classes", i->n_classes,
		"n_trees", i->n_trees, "n_nodes", (unsigned long long) i->n_nodes,
		"max_depth", i->max_depth, "compiled_bytes",
		(Py_ssize_t) i->blob_size);
}

/* One feature: (name or None, 'numeric' | 'categorical', categories) */
static PyObject *
feature_tuple(const md_model *m, uint32_t f)
{
	int			named = md_has_feature_names(m);
	uint32_t	n_cat = md_category_count(m, f);
	PyObject   *cats = PyList_New(n_cat);

	if (cats == NULL)
		return NULL;
	for (uint32_t c = 0; c < n_cat; c++)
	{
		PyObject   *s = PyUnicode_FromString(md_category_name(m, f, c));

		if (s == NULL)
		{
			Py_DECREF(cats);
			return NULL;
		}
		PyList_SET_ITEM(cats, c, s);
	}
	return Py_BuildValue(
		"(zsN)", named ? md_feature_name(m, f) : NULL,
		md_feature_kind_of(m, f) == MD_FEATURE_CATEGORICAL ? "categorical" :
		"numeric", cats);
}

static PyObject *
model_features(MdModelObject *self, PyObject *unused)
{
	PyObject   *list;

	if (check_loaded(self) < 0)
		return NULL;
	list = PyList_New(self->info.n_features);
	for (uint32_t f = 0; list != NULL && f < self->info.n_features; f++)
	{
		PyObject   *t = feature_tuple(&self->model, f);

		if (t == NULL)
			Py_CLEAR(list);
		else
			PyList_SET_ITEM(list, f, t);
	}
	return list;
}

/* Class labels, or None if the model has none (XGBoost, k-means) */
static PyObject *
model_class_labels(MdModelObject *self, PyObject *unused)
{
	PyObject   *list;
	uint32_t	n = 0;

	if (check_loaded(self) < 0)
		return NULL;
	while (md_class_label(&self->model, n) != NULL)
		n++;
	if (n == 0)
		Py_RETURN_NONE;
	list = PyList_New(n);
	for (uint32_t k = 0; list != NULL && k < n; k++)
	{
		PyObject   *s = PyUnicode_FromString(md_class_label(&self->model, k));

		if (s == NULL)
			Py_CLEAR(list);
		else
			PyList_SET_ITEM(list, k, s);
	}
	return list;
}

static PyObject *
model_output_width(MdModelObject *self, PyObject *arg)
{
	long		kind = PyLong_AsLong(arg);

	if (kind == -1 && PyErr_Occurred())
		return NULL;
	if (check_loaded(self) < 0)
		return NULL;
	if (kind < MD_OUTPUT_PREDICT || kind > MD_OUTPUT_CLASS)
		return PyErr_Format(PyExc_ValueError, "unknown output kind %ld",
							kind);
	return PyLong_FromUnsignedLong(
		md_output_width(&self->model, (md_output) kind));
}

static PyObject *
model_category_code(MdModelObject *self, PyObject *args)
{
	unsigned int feature;
	const char *text;
	Py_ssize_t	len;
	double		code;
	md_error	err;

	if (!PyArg_ParseTuple(args, "Is#", &feature, &text, &len))
		return NULL;
	if (check_loaded(self) < 0)
		return NULL;
	if (feature >= self->info.n_features)
		return PyErr_Format(PyExc_IndexError, "no feature %u", feature);
	if (md_category_code(&self->model, feature, text, (size_t) len, &code,
						 &err) != MD_OK)
		return raise_md_error(&err);
	return PyFloat_FromDouble(code);
}

static PyObject *
model_takes_codes(MdModelObject *self, PyObject *args)
{
	unsigned int feature;

	if (!PyArg_ParseTuple(args, "I", &feature))
		return NULL;
	if (check_loaded(self) < 0)
		return NULL;
	if (feature >= self->info.n_features)
		return PyErr_Format(PyExc_IndexError, "no feature %u", feature);
	return PyBool_FromLong(md_category_takes_codes(&self->model, feature));
}

static PyObject *
model_blob(MdModelObject *self, PyObject *unused)
{
	if (check_loaded(self) < 0)
		return NULL;
	return PyBytes_FromStringAndSize(self->blob, (Py_ssize_t) self->blob_size);
}

/* The element type of a buffer's format: 'f', 'd', or 0 if neither. */
static char
element_type(const char *format)
{
	if (format == NULL)
		return 0;
	if (*format == '@' || *format == '=' ||
		(*format == '<' && PY_LITTLE_ENDIAN))
		format++;
	if ((format[0] == 'f' || format[0] == 'd') && format[1] == '\0')
		return format[0];
	return 0;
}

/* Fill job's input fields from a 2-D float/double buffer. */
static int
job_set_rows(md_rows_job *job, const Py_buffer *x, uint32_t n_features)
{
	char		type = element_type(x->format);

	if (x->ndim != 2 || type == 0)
	{
		PyErr_SetString(PyExc_TypeError,
						"rows must be a 2-D array of float32 or float64");
		return -1;
	}
	if (x->shape[1] != (Py_ssize_t) n_features)
	{
		PyErr_Format(PyExc_ValueError,
					 "rows have %zd features, the model takes %u",
					 x->shape[1], n_features);
		return -1;
	}
	job->x = x->buf;
	job->is_float = type == 'f';
	job->n_rows = x->shape[0];
	job->n_features = x->shape[1];
	job->row_stride = x->strides[0];
	job->col_stride = x->strides[1];
	return 0;
}

static int
job_set_out(md_rows_job *job, const Py_buffer *out)
{
	if (element_type(out->format) != 'd' ||
		out->len != job->n_rows * job->width * (Py_ssize_t) sizeof(double))
	{
		PyErr_Format(PyExc_ValueError,
					 "the output must be %zd x %zd float64 values",
					 job->n_rows, job->width);
		return -1;
	}
	job->out = out->buf;
	return 0;
}

/*
 * Run a job over x into out.  Returns None, or (row, message, hint) for the
 * first row the model refused (its outputs are NaN, the others are scored).
 */
static PyObject *
run_job(md_rows_job *job, PyObject *xobj, PyObject *outobj, uint32_t nf)
{
	Py_buffer	x,
				out;
	md_status	st;

	if (PyObject_GetBuffer(xobj, &x, PyBUF_STRIDES | PyBUF_FORMAT) < 0)
		return NULL;
	if (PyObject_GetBuffer(outobj, &out,
						   PyBUF_C_CONTIGUOUS | PyBUF_FORMAT |
						   PyBUF_WRITABLE) < 0)
	{
		PyBuffer_Release(&x);
		return NULL;
	}
	if (job_set_rows(job, &x, nf) < 0 || job_set_out(job, &out) < 0)
	{
		PyBuffer_Release(&x);
		PyBuffer_Release(&out);
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	st = md_rows_run(job);
	Py_END_ALLOW_THREADS
	PyBuffer_Release(&x);
	PyBuffer_Release(&out);
	if (st == MD_ERR_NOMEM)
		return PyErr_NoMemory();
	if (st == MD_ERR_INPUT)
		return Py_BuildValue("(nss)", job->bad_row, job->error.message,
							 job->error.hint);
	Py_RETURN_NONE;
}

/* score(kind, rows, out, threads) */
static PyObject *
model_score(MdModelObject *self, PyObject *args)
{
	md_rows_job job = {0};
	int			kind;
	PyObject   *x,
			   *out;

	if (!PyArg_ParseTuple(args, "iOOi", &kind, &x, &out, &job.n_threads))
		return NULL;
	if (check_loaded(self) < 0)
		return NULL;
	if (kind < MD_OUTPUT_PREDICT || kind > MD_OUTPUT_CLASS ||
		md_output_width(&self->model, (md_output) kind) == 0)
		return PyErr_Format(PyExc_ValueError,
							"this %s model has no output of kind %d",
							self->info.objective, kind);
	job.model = &self->model;
	job.job = MD_JOB_SCORE;
	job.kind = (md_output) kind;
	job.width = md_output_width(&self->model, job.kind);
	job.workspace_size = md_workspace_size(&self->model);
	return run_job(&job, x, out, self->info.n_features);
}

/* explain(output, rows, out, threads): n_features + 1 values per row */
static PyObject *
model_explain(MdModelObject *self, PyObject *args)
{
	md_rows_job job = {0};
	unsigned int output;
	PyObject   *x,
			   *out;
	md_error	err;

	if (!PyArg_ParseTuple(args, "IOOi", &output, &x, &out, &job.n_threads))
		return NULL;
	if (check_loaded(self) < 0)
		return NULL;
	if (md_explain_workspace_size(&self->model, &job.workspace_size, &err) !=
		MD_OK)
		return raise_md_error(&err);
	if (output >= self->info.n_outputs)
		return PyErr_Format(PyExc_ValueError,
							"output %u out of range: the model has %u", output,
							self->info.n_outputs);
	job.model = &self->model;
	job.job = MD_JOB_EXPLAIN;
	job.output = output;
	job.width = (Py_ssize_t) self->info.n_features + 1;
	return run_job(&job, x, out, self->info.n_features);
}

static PyMethodDef model_methods[] = {
	{"info", (PyCFunction) model_info, METH_NOARGS,
	 "What the model is: format, task, objective, sizes."},
	{"features", (PyCFunction) model_features, METH_NOARGS,
	 "[(name, kind, categories)] in the model's feature order."},
	{"class_labels", (PyCFunction) model_class_labels, METH_NOARGS,
	 "Class labels, or None."},
	{"output_width", (PyCFunction) model_output_width, METH_O,
	 "Values per row of an output kind (0: none)."},
	{"category_code", (PyCFunction) model_category_code, METH_VARARGS,
	 "category_code(feature, text): the code the model scores."},
	{"takes_codes", (PyCFunction) model_takes_codes, METH_VARARGS,
	 "takes_codes(feature): whether a categorical feature also takes numbers "
	 "(codes): XGBoost's text categories."},
	{"blob", (PyCFunction) model_blob, METH_NOARGS,
	 "The compiled blob, as bytes."},
	{"score", (PyCFunction) model_score, METH_VARARGS,
	 "score(kind, rows, out, threads): None or (row, message, hint)."},
	{"explain", (PyCFunction) model_explain, METH_VARARGS,
	 "explain(output, rows, out, threads): None or (row, message, hint)."},
	{NULL}
};

static PyTypeObject MdModelType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "model_deploy._mdscore.Model",
	.tp_basicsize = sizeof(MdModelObject),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "A compiled model (libmdscore).",
	.tp_new = PyType_GenericNew,
	.tp_init = (initproc) model_init,
	.tp_dealloc = (destructor) model_dealloc,
	.tp_methods = model_methods,
};

static struct PyModuleDef md_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "model_deploy._mdscore",
	.m_doc = "libmdscore, the scoring core of model_deploy.",
	.m_size = -1,
};

PyMODINIT_FUNC
PyInit__mdscore(void)
{
	PyObject   *m = PyModule_Create(&md_module);
	PyObject   *attrs;

	if (m == NULL || PyType_Ready(&MdModelType) < 0)
		return NULL;
	/* .status and .hint are None unless the core said them */
	attrs = Py_BuildValue("{s:O,s:O}", "status", Py_None, "hint", Py_None);
	if (attrs == NULL)
		return NULL;
	ModelError = PyErr_NewExceptionWithDoc(
		"model_deploy.ModelError",
		"A model that cannot be loaded or scored (status, message, hint).",
		PyExc_ValueError, attrs);
	Py_DECREF(attrs);
	if (ModelError == NULL ||
		PyModule_AddObjectRef(m, "ModelError", ModelError) < 0 ||
		PyModule_AddObjectRef(m, "Model", (PyObject *) &MdModelType) < 0 ||
		PyModule_AddIntConstant(m, "PREDICT", MD_OUTPUT_PREDICT) < 0 ||
		PyModule_AddIntConstant(m, "PROBA", MD_OUTPUT_PROBA) < 0 ||
		PyModule_AddIntConstant(m, "RAW", MD_OUTPUT_RAW) < 0 ||
		PyModule_AddIntConstant(m, "CLASS", MD_OUTPUT_CLASS) < 0 ||
		PyModule_AddStringConstant(m, "core_version", md_version()) < 0)
	{
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
