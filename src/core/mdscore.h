/*-------------------------------------------------------------------------
 *
 * mdscore.h
 *	  Public C API of libmdscore, the scoring core of model_deploy.
 *
 * A model is compiled once from its JSON text (XGBoost's Booster.save_model
 * output, or model_deploy's native format) into ONE contiguous blob that holds
 * offsets, never pointers.  The same bytes can therefore live in a malloc'd
 * buffer, a file an edge device maps, a bytea, or a PostgreSQL shared-memory
 * segment mapped at a different address in every process.
 *
 * md_open() lays a small view (md_model) over a blob without copying it.  The
 * scoring calls read the view and the blob only: they never allocate, never
 * fail on a valid model, and any number of threads may score with one model
 * at once, each with its own workspace.
 *
 * Everything that can be wrong with a model is found by md_compile() or by
 * md_open() with MD_OPEN_VALIDATE; errors come back as an md_status code and
 * a message in an md_error, never as a crash or an abort.
 *
 * The library has no global state and never prints.  Input rows are
 * row-major arrays of n_features values in the model's feature order, NaN
 * for a missing value; features are rounded to float and compared as XGBoost
 * does, so raw margins equal XGBoost's bit for bit.  A typical program:
 *
 *	   md_model m;  md_error err;  md_info info;
 *	   if (md_open(&m, blob, blob_len, MD_OPEN_VALIDATE, &err) != MD_OK)
 *		   fail(err.message);
 *	   md_get_info(&m, &info);
 *	   void *ws = malloc(md_workspace_size(&m));	   (one per thread)
 *	   md_predict(&m, rows, n_rows, out, ws);		   (out: n_rows values)
 *
 * Link with -lmdscore (pkg-config mdscore); a static link also needs -lcjson
 * -lm, and only md_compile() needs cJSON, so a program that only opens
 * compiled blobs links without it.  docs/examples/score.c is a complete
 * program.  The shared library's soname carries MDSCORE_VERSION_MAJOR,
 * which changes whenever this interface changes incompatibly.  A blob of
 * another layout version is refused by md_open(): compile it again.
 *
 * Copyright (c) 2026, model_deploy developers
 *
 *-------------------------------------------------------------------------
 */
#ifndef MDSCORE_H
#define MDSCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define MDSCORE_VERSION_MAJOR 0
#define MDSCORE_VERSION_MINOR 1
#define MDSCORE_VERSION_PATCH 0
#define MDSCORE_VERSION "0.1.0"

	/* The version of the library actually linked (MDSCORE_VERSION of its build) */
	const char *md_version(void);

	/* Result of every call that can fail. */
	typedef enum md_status
	{
		MD_OK = 0,
		MD_ERR_ARGUMENT,	/* invalid argument to an API call */
		MD_ERR_SYNTAX,		/* the model text is not JSON */
		MD_ERR_MODEL,		/* JSON, but not a valid model */
		MD_ERR_UNSUPPORTED, /* a valid model using a feature we lack */
		MD_ERR_LIMIT,		/* the model exceeds a configured limit */
		MD_ERR_BLOB,		/* a compiled blob is corrupt or foreign */
		MD_ERR_INPUT,		/* bad scoring input (unknown category...) */
		MD_ERR_NOMEM,		/* out of memory */
		MD_ERR_CANCELLED	/* md_limits.interrupted said stop */
	} md_status;

	/*
 * What went wrong, in words a user can act on.  Every call that fails fills
 * 'message' (naming the offending thing: a tree, a feature, a byte count);
 * 'hint' may stay empty.  Functions take a NULL md_error too.
 */
	typedef struct md_error
	{
		md_status status;
		char message[320]; /* one line: what is wrong, naming it */
		char hint[320];	   /* what to do about it, or "" */
	} md_error;

	/* Model source formats. */
	typedef enum md_format
	{
		MD_FORMAT_AUTO = 0, /* detect from the JSON's shape */
		MD_FORMAT_XGBOOST,	/* XGBoost Booster.save_model JSON */
		MD_FORMAT_NATIVE,	/* model_deploy's documented native JSON */
		MD_FORMAT_LIGHTGBM, /* LightGBM's text model (save_model) */
		MD_FORMAT_CATBOOST, /* CatBoost's JSON model (format="json") */
		MD_FORMAT_ONNX		/* ONNX-ML tree ensembles (protobuf bytes) */
	} md_format;

	/* What a model predicts. */
	typedef enum md_task
	{
		MD_TASK_REGRESSION = 0,
		MD_TASK_BINARY,
		MD_TASK_MULTICLASS,
		MD_TASK_RANKING,
		MD_TASK_CLUSTER
	} md_task;

	/* Which of a model's outputs a scoring call produces. */
	typedef enum md_output
	{
		MD_OUTPUT_PREDICT = 0, /* 1 value: probability, value or class;
								 * XGBoost with several targets: one each */
		MD_OUTPUT_PROBA,	   /* n_classes class probabilities */
		MD_OUTPUT_RAW,		   /* n_outputs raw margins */
		MD_OUTPUT_CLASS		   /* 1 value: class index, or cluster */
	} md_output;

	/*
 * Bounds a compiled model must respect.  md_limits_default() gives values
 * that admit every real model we know of and refuse absurd ones; callers
 * (the extension's GUCs, the CLI's options) may tighten or relax them.
 */
	typedef struct md_limits
	{
		size_t max_source_bytes; /* model text length */
		uint32_t max_trees;
		uint32_t max_nodes_per_tree;
		uint32_t max_depth;
		uint32_t max_features;
		uint32_t max_classes;
		uint32_t max_json_depth; /* nesting of JSON arrays and objects */

		/*
	 * Polled between the steps of a compile and between trees (NULL: never);
	 * nonzero stops it with MD_ERR_CANCELLED, everything freed.  A server
	 * passes its pending-cancel flag, so that compiling a large model can be
	 * cancelled or time out promptly.
	 */
		int (*interrupted)(void);
	} md_limits;

	void md_limits_default(md_limits *limits);

	/*
 * MD_OK if model text of 'len' bytes is within limits->max_source_bytes
 * ('limits' NULL: the defaults), else MD_ERR_LIMIT.  md_compile() checks
 * this first; callers holding the text compressed or in a file check it
 * before reading the text into memory.
 */
	md_status md_check_source_size(size_t len, const md_limits *limits,
								   md_error *err);

	/*
 * Compile model text ('len' bytes, not necessarily NUL-terminated) into a new
 * blob, allocated with malloc() and released with md_blob_free().  'format'
 * is usually MD_FORMAT_AUTO; 'limits' may be NULL for the defaults.  The
 * blob is validated as md_open(MD_OPEN_VALIDATE) would, so it may be opened
 * MD_OPEN_TRUSTED.  On failure *blob is NULL, *blob_len 0 and 'err' says
 * why: MD_ERR_SYNTAX, MD_ERR_MODEL, MD_ERR_UNSUPPORTED, MD_ERR_LIMIT,
 * MD_ERR_NOMEM or MD_ERR_ARGUMENT.  Thread-safe (no shared state).
 */
	md_status md_compile(const char *text, size_t len, md_format format,
						 const md_limits *limits, void **blob, size_t *blob_len,
						 md_error *err);
	void md_blob_free(void *blob);

/*
 * A view over a blob.  Its fields are private; it is public only so that
 * callers can place it where they like (stack, shared or pooled memory).
 * The blob must stay mapped, unmodified, as long as the view is used.
 */
#define MD_MAX_SECTION_KINDS 16
	typedef struct md_model
	{
		const unsigned char *base;
		size_t size;
		const void *section[MD_MAX_SECTION_KINDS];
		uint64_t section_size[MD_MAX_SECTION_KINDS];
	} md_model;

	typedef enum md_open_flags
	{
		/* check every byte as thoroughly as md_compile(): untrusted blobs */
		MD_OPEN_VALIDATE = 0,
		/* only check the header: for blobs this program compiled itself */
		MD_OPEN_TRUSTED = 1
	} md_open_flags;

	/*
 * Open a blob of 'len' bytes: fill 'model', copying nothing.  The blob must
 * be 8-byte aligned (malloc'd memory, a mapped file) and stay unmodified
 * while the model is used.  MD_OPEN_VALIDATE checks the header (magic
 * number, layout version, byte order, size), the checksum and every
 * structure, in time linear in the blob's size and without allocating, so a
 * corrupt or hostile file is refused (MD_ERR_BLOB) and never trusted.
 */
	md_status md_open(md_model *model, const void *blob, size_t len,
					  md_open_flags flags, md_error *err);

	/* What a model is. */
	typedef struct md_info
	{
		md_format format;
		md_task task;
		const char *objective; /* e.g. "binary:logistic";
								 * "native:logistic_regression" ... */
		const char *booster;   /* "gbtree", "dart", "gblinear"; native:
								 * "linear", "trees", "mlp", "kmeans" */
		uint32_t n_features;   /* input features */
		uint32_t n_outputs;	   /* raw margins per row */
		uint32_t n_classes;	   /* class probabilities per row; 0 if none
								 * (regression, ranking, clusters) */
		uint32_t n_trees;
		uint64_t n_nodes;
		uint32_t max_depth;
		size_t blob_size;
	} md_info;

	void md_get_info(const md_model *model, md_info *info);
	const char *md_format_name(md_format format);
	md_status md_format_from_name(const char *name, md_format *format);

	/*
 * Feature names, in model order; NULL if the model was trained without
 * names.  md_feature_index() finds a name (exact, case-sensitive match of
 * 'len' bytes) and returns its index, or -1.
 */
	int md_has_feature_names(const md_model *model);
	const char *md_feature_name(const md_model *model, uint32_t i);
	int64_t md_feature_index(const md_model *model, const char *name,
							 size_t len);

	/*
 * Values per row of an output kind: 1, n_classes or n_outputs.  Zero means
 * the model has no such output (class probabilities or classes of a
 * regression).
 */
	uint32_t md_output_width(const md_model *model, md_output kind);

	/*
 * Class labels of a classifier, indexed like its probabilities and by the
 * MD_OUTPUT_CLASS output; NULL if the model has none (XGBoost models, whose
 * classes are just their indices 0, 1, ...; k-means clusters).
 */
	const char *md_class_label(const md_model *model, uint32_t k);

	/*
 * Input features of native models are numeric or categorical (text with a
 * fixed list of categories).  A categorical feature is passed to the scoring
 * calls as its category code: the category's index in that list, -1
 * (MD_UNKNOWN_CATEGORY) for a category the model does not know, NaN for a
 * missing value.  An XGBoost feature is categorical when the model keeps
 * its category names (XGBoost 3.1+, trained on a pandas DataFrame); its
 * categorical splits test the codes, pandas' positions in that list.
 */
	typedef enum md_feature_kind
	{
		MD_FEATURE_NUMERIC = 0,
		MD_FEATURE_CATEGORICAL = 1
	} md_feature_kind;

#define MD_UNKNOWN_CATEGORY (-1.0)

	md_feature_kind md_feature_kind_of(const md_model *model, uint32_t feature);

	/* Number of categories of a feature (0 for a numeric one), and the name of
 * category 'code' (NULL if out of range). */
	uint32_t md_category_count(const md_model *model, uint32_t feature);
	const char *md_category_name(const md_model *model, uint32_t feature,
								 uint32_t code);

	/*
 * The code to score for the text value[0..len) of a categorical feature:
 * its category index, exact and case-sensitive match.  A value the model
 * does not know gives MD_UNKNOWN_CATEGORY if every encoder of the feature
 * was fitted with handle_unknown='ignore' (or 'use_encoded_value'), and
 * MD_ERR_INPUT naming the feature and the value otherwise (so does XGBoost
 * 3.3+ for a category it was not trained with).  MD_ERR_ARGUMENT if the
 * feature is not categorical.
 */
	md_status md_category_code(const md_model *model, uint32_t feature,
							   const char *value, size_t len, double *code,
							   md_error *err);

	/*
 * Nonzero if a categorical feature also takes a number, as its category code,
 * where features are named (a numeric column, a JSON number, a CSV field
 * that is no category name): XGBoost features with text categories, which
 * took codes only before their names were stored.  Other categorical
 * features take names only: their codes depend on the list's order.
 */
	int md_category_takes_codes(const md_model *model, uint32_t feature);

	/*
 * Bytes of scratch memory a scoring call needs.  Allocate it once (any
 * memory aligned for a float; malloc's is) and reuse it for every call;
 * threads that score at the same time need one workspace each.
 */
	size_t md_workspace_size(const md_model *model);

	/*
 * Score 'n_rows' rows of md_info.n_features values each, row-major, NaN for
 * a missing value, into 'out' (n_rows * md_output_width() values, row after
 * row).  The float variant takes single-precision input directly.  One row
 * or a batch give the same results bit for bit.  These calls never
 * allocate and only read the model: any number of threads may score with
 * one md_model at once, each with its own workspace.  Returns
 * MD_ERR_ARGUMENT if the model has no output of that kind (class
 * probabilities of a regression), and MD_ERR_INPUT if a native model
 * refuses some row (an unknown category where its encoder was fitted with
 * handle_unknown='error', a missing value it does not impute, an infinite
 * value): that row's outputs are NaN, the other rows are scored, and
 * md_check_row() says what is wrong with it.  XGBoost models accept every
 * row.
 */
	md_status md_score(const md_model *model, md_output kind, const double *x,
					   size_t n_rows, double *out, void *workspace);
	md_status md_score_f32(const md_model *model, md_output kind,
						   const float *x, size_t n_rows, double *out,
						   void *workspace);

	/*
 * Why md_score() refuses a row: MD_OK, or MD_ERR_INPUT with a message that
 * names the feature and its value.  'workspace' as for md_score().
 */
	md_status md_check_row(const md_model *model, const double *x,
						   void *workspace, md_error *err);

	/* Shorthands for md_score() with each output kind. */
	md_status md_predict(const md_model *model, const double *x, size_t n_rows,
						 double *out, void *workspace);
	md_status md_predict_proba(const md_model *model, const double *x,
							   size_t n_rows, double *out, void *workspace);
	md_status md_predict_raw(const md_model *model, const double *x,
							 size_t n_rows, double *out, void *workspace);

/*
 * Explanations: each feature's contribution to one raw margin of one row,
 * as XGBoost's predict(pred_contribs=True) computes them -- exact
 * path-dependent TreeSHAP for tree models (needs the training cover of
 * every node, XGBoost's sum_hessian), coefficient x value for linear ones
 * (native linear models: coefficient x preprocessed value, summed over the
 * inputs each feature became).  'contribs' receives n_features + 1 values,
 * the last being the bias (the expected margin, or the intercept); together
 * they sum to the margin up to rounding.
 *
 * md_explain_workspace_size() says how much scratch memory md_explain()
 * needs, or why the model cannot be explained (no cover, a native model
 * that is not linear: MD_ERR_UNSUPPORTED; trees deeper than
 * MD_EXPLAIN_MAX_DEPTH: MD_ERR_LIMIT).  md_explain() allocates nothing; it
 * returns MD_ERR_ARGUMENT if 'output' is not below md_info.n_outputs, and
 * MD_ERR_INPUT for a row a native model refuses (md_check_row says why).
 */
#define MD_EXPLAIN_MAX_DEPTH 1024
	md_status md_explain_workspace_size(const md_model *model, size_t *size,
										md_error *err);
	md_status md_explain(const md_model *model, const double *x,
						 uint32_t output, double *contribs, void *workspace);

#ifdef __cplusplus
}
#endif

#endif /* MDSCORE_H */
