/*-------------------------------------------------------------------------
 *
 * md_internal.h
 *	  Declarations shared by the files of the scoring core; not installed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_INTERNAL_H
#define MD_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdscore.h"
#include "md_blob.h"

#define FLEXIBLE_ARRAY_MEMBER /* empty */

/*
 * md_unused marks a parameter that a table of operations' signature has
 * and one kind has no use for (-Wextra's unused-parameter).
 */
#if defined(__GNUC__)
#define md_printf_like(f, a) __attribute__((format(printf, f, a)))
#define md_unused __attribute__((unused))
#else
#define md_printf_like(f, a)
#define md_unused
#endif

/*
 * The width of each output of a tree model with n_classes classes (0 for a
 * regression) and n_outputs raw values: one prediction, a probability per
 * class, the raw values, a class only where there are classes.
 */
static inline uint32_t
md_tree_output_width(md_output kind, uint32_t n_classes, uint32_t n_outputs)
{
	switch (kind)
	{
		case MD_OUTPUT_PREDICT:
			return 1;
		case MD_OUTPUT_PROBA:
			return n_classes;
		case MD_OUTPUT_RAW:
			return n_outputs;
		case MD_OUTPUT_CLASS:
			return n_classes > 0;
	}
	return 0;
}

/* error.c: set err (which may be NULL) and return its status. */
md_status md_fail(md_error *err, md_status status, const char *fmt, ...)
	md_printf_like(3, 4);
void md_hint(md_error *err, const char *fmt, ...) md_printf_like(2, 3);
void md_clear_error(md_error *err);
/*
 * MD_ERR_CANCELLED if the caller's interrupt poll says stop, else MD_OK;
 * called between compile steps and between trees.
 */
md_status md_poll_interrupt(const md_limits *limits, md_error *err);
#define MD_CANCELLED_MESSAGE "compiling the model was interrupted"
md_status md_fail_limit(md_error *err, const char *what, uint64_t value,
						const char *unit, uint64_t limit, const char *guc);

/* Rounds up to the blob's section alignment. */
static inline uint64_t
md_align(uint64_t n)
{
	return (n + (MD_BLOB_ALIGN - 1)) & ~(uint64_t) (MD_BLOB_ALIGN - 1);
}

/*
 * A double rounded to the nearest float, as numpy's astype(float32) and
 * XGBoost's DMatrix do, with out-of-range values going to infinity (spelled
 * out because C leaves that conversion undefined).
 */
static inline float
md_round_to_float(double v)
{
	if (v >= 0x1.ffffffp127)
		return INFINITY;
	if (v <= -0x1.ffffffp127)
		return -INFINITY;
	return (float) v;
}

/* Categories at or above this are invalid in XGBoost and go left. */
#define XGB_CATEGORY_LIMIT 16777216.0f

/* XGBoost's common::Decision: listed categories go right, others left. */
static inline uint32_t
md_category_goes_right(const md_node *n, const uint32_t *cat_words, float v)
{
	uint32_t c;

	if (v < 0.0f || v >= XGB_CATEGORY_LIMIT)
		return 0;
	c = (uint32_t) (int32_t) v;
	if ((c >> 5) >= n->cat_words)
		return 0;
	return (cat_words[n->cat_offset + (c >> 5)] >> (c & 31)) & 1;
}

/*
 * XGBoost's GetNextNode: 1 if a row whose split feature has the float32
 * value 'v' (NaN: missing) leaves internal node 'n' to the right.  Scoring
 * and explanations must take the same branch, so both use this.
 */
static inline uint32_t
md_goes_right(const md_node *n, const uint32_t *cat_words, float v)
{
	if (isnan(v))
		return !(n->flags & MD_NODE_DEFAULT_LEFT);
	if (n->flags & MD_NODE_CATEGORICAL)
		return md_category_goes_right(n, cat_words, v);
	return !(v < n->value);
}

/* Typed access to a section of an open model; NULL when absent. */
static inline const void *
md_section_ptr(const md_model *m, md_section_kind kind)
{
	return m->section[kind];
}

static inline const md_meta *
md_model_meta(const md_model *m)
{
	return (const md_meta *) m->section[MD_SEC_META];
}

/*
 * builder.c: accumulates sections in a growing buffer and finishes them into
 * a blob.  Every append reports allocation failure through the builder, so
 * callers check md_builder_finish() once instead of every call.
 */
typedef struct md_builder
{
	unsigned char *buf;
	size_t len;
	size_t cap;
	bool failed;
	md_section sections[MD_SEC__COUNT];
	uint32_t n_sections;
	uint32_t open_kind; /* section being written, or UINT32_MAX */
	uint64_t open_start;
} md_builder;

void md_builder_init(md_builder *b);
void md_builder_free(md_builder *b);
void md_builder_begin(md_builder *b, md_section_kind kind);
/* Appends bytes at a 16-aligned offset within the open section; returns it */
uint64_t md_builder_put(md_builder *b, const void *data, size_t len);
/* Reserves zeroed space; returns its offset within the open section. */
uint64_t md_builder_reserve(md_builder *b, size_t len);
/* Bytes of the open section (valid until the next put); NULL if failed */
void *md_builder_at(md_builder *b, uint64_t section_offset);
void md_builder_end(md_builder *b);
md_status md_builder_finish(md_builder *b, void **blob, size_t *len,
							md_error *err);
/* Copies every section of an open model, byte for byte (they are position
 * independent): the start of a copy with a section added. */
void md_builder_copy_sections(md_builder *b, const md_model *m);

/* blob.c / builder.c: the checksum over a blob's body */
uint64_t md_checksum(const unsigned char *p, size_t len);

/* check.c: helpers of every validator of untrusted sections */
md_status md_corrupt(md_error *err, const char *what);
bool md_fits(uint64_t offset, uint64_t count, uint64_t elem,
			 uint64_t size);
bool md_span_in(uint64_t len, uint64_t start, uint64_t n);
bool md_all_finite(const double *v, uint64_t n);
md_status md_validate_feature_table(const md_model *m, md_error *err);

/*
 * kind.c: what each kind of model (md_meta.estimator) does.  The public
 * calls dispatch through this table and nowhere else branch on the kind; a
 * new kind of model is one more entry.  'score' gets the rows as doubles
 * (x) or floats (x32), the other pointer NULL.  'explain_workspace_size'
 * says why a model cannot be explained; 'check_row' is NULL for kinds that
 * accept every row.  'sections' is the set (1 << md_section_kind) a blob of
 * the kind may have; md_open() refuses any other.
 */
typedef struct md_kind_ops
{
	uint32_t sections;
	md_status (*check_meta)(const md_model *m, md_error *err);
	md_status (*validate)(const md_model *m, md_error *err);
	void (*info)(const md_model *m, md_info *info);
	uint32_t (*output_width)(const md_model *m, md_output kind);
	size_t (*workspace_size)(const md_model *m);
	md_status (*score)(const md_model *m, md_output kind, const double *x,
					   const float *x32, size_t n_rows, double *out,
					   void *workspace);
	md_status (*explain_workspace_size)(const md_model *m, size_t *size,
										md_error *err);
	md_status (*explain)(const md_model *m, const double *x,
						 uint32_t output, double *contribs,
						 void *workspace);
	md_status (*check_row)(const md_model *m, const double *x,
						   void *workspace, md_error *err);
} md_kind_ops;

/* The operations of an opened model's kind; NULL for an unknown kind. */
const md_kind_ops *md_kind_of(const md_model *m);

/* xgb_check.c, score.c, xgb_info.c, explain.c: XGBoost trees and gblinear */
md_status md_xgb_check_meta(const md_model *m, md_error *err);
md_status md_xgb_validate_forest(const md_model *m, md_error *err);
md_status md_xgb_validate_linear(const md_model *m, md_error *err);
void md_xgb_info(const md_model *m, md_info *info);
uint32_t md_xgb_output_width(const md_model *m, md_output kind);
size_t md_xgb_workspace_size(const md_model *m);
md_status md_xgb_score(const md_model *m, md_output kind, const double *x,
					   const float *x32, size_t n_rows, double *out,
					   void *workspace);
md_status md_xgb_explain_workspace_size(const md_model *m, size_t *size,
										md_error *err);
md_status md_xgb_explain(const md_model *m, const double *x,
						 uint32_t output, double *contribs,
						 void *workspace);

/* score.c: the node walk, for trees the fast layout leaves to it. */
void md_walk_trees(const md_model *m, uint32_t first, uint32_t count,
				   const float *x, float *margin);

/*
 * fast_plan.c: the groups of the fast layouts (md_fast_group).  A tree's
 * shape is the kind of group it may join, its depth and its leaves.
 */
typedef struct md_fast_shape
{
	uint32_t kind; /* md_fast_kind */
	uint32_t depth;
	uint32_t leaves;
} md_fast_shape;

/* The leaves of a complete tree of 'depth' levels. */
static inline uint64_t
md_fast_slots(uint32_t depth)
{
	return (uint64_t) 1 << depth;
}

/* May trees of at least 'min_leaves' leaves be padded to 'depth'? */
bool md_fast_padding_ok(uint32_t depth, uint32_t min_leaves);
uint32_t md_fast_plan(const md_fast_shape *shapes, uint32_t n_trees,
					  md_fast_group *groups);
uint64_t md_fast_tree_nodes(const md_fast_group *g);
uint64_t md_fast_tree_leaves(const md_fast_group *g);
void md_fast_place(md_fast_group *groups, uint32_t n_groups,
				   uint64_t *n_nodes, uint64_t *n_leaves);
md_status md_fast_validate_groups(const md_fast_group *groups,
								  uint32_t n_groups, uint32_t n_trees,
								  uint64_t n_nodes, uint64_t n_leaves,
								  bool dtree_kinds, md_error *err);

/*
 * forest_fast.c: the fast layout of a forest (MD_SEC_FOREST_FAST).
 * md_fast_applies() says whether a validated blob gets one;
 * md_fast_compile() makes a copy of such a blob with the fast section added.
 * md_fast_block_rows() is how many rows to score at once
 * (1 without the section), md_fast_row_size() the scratch bytes each needs.
 * md_fast_add_leaves() adds every tree's leaf to the margins of n_rows rows
 * in tree order.
 */
bool md_fast_applies(const md_model *m);
md_status md_fast_compile(const md_model *m, void **blob, size_t *len,
						  md_error *err);
md_status md_validate_fast(const md_model *m, md_error *err);
size_t md_fast_block_rows(const md_model *m);
size_t md_fast_row_size(const md_model *m);
void md_fast_add_leaves(const md_model *m, const float *x,
						size_t n_rows, float *x2, float *margin);

#endif /* MD_INTERNAL_H */
