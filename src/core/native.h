/*-------------------------------------------------------------------------
 *
 * native.h
 *	  Byte layout of the sections of a native model (docs/model-format.md),
 *	  and the functions the native files share.
 *
 * A native model is computed in double precision in three phases:
 *
 *	 row --(preprocessing program)--> estimator inputs --(estimator)-->
 *	 raw outputs --(link)--> predictions, probabilities, classes
 *
 * The preprocessing program (MD_SEC_PREPROCESS) is a flat list of
 * operations over one array of doubles, the "register file": the row is
 * copied to its first n_features slots, each operation reads and writes
 * slots, and the estimator reads out_width consecutive slots.  The parser
 * turns the nested steps of the JSON (column transformers, blocks, steps)
 * into this list, so scoring is a loop without recursion or allocation.
 *
 * Every offset below is relative to the start of its section; every array
 * starts on a 16-byte boundary (md_builder_put).  The validators in
 * native_check.c establish, for untrusted blobs, everything the scoring code
 * relies on: indices inside their arrays and the register file, trees in
 * canonical breadth-first form, layer shapes that chain, finite numbers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_NATIVE_H
#define MD_NATIVE_H

#include <cjson/cJSON.h>

#include "md_internal.h"

/* --- MD_SEC_NATIVE: what the model predicts, and its estimator --------- */

typedef enum md_native_kind
{
	MD_NATIVE_LINEAR = 1,
	MD_NATIVE_TREES,
	MD_NATIVE_MLP,
	MD_NATIVE_KMEANS,
	MD_NATIVE__END
} md_native_kind;

/* How raw outputs become probabilities (and regression values). */
typedef enum md_link
{
	MD_LINK_IDENTITY = 1, /* outputs are the values/probabilities */
	MD_LINK_LOGISTIC,	  /* expit; one-vs-rest normalised if K > 1 */
	MD_LINK_SOFTMAX,	  /* softmax; softmax([-r, r]) if 1 output */
	MD_LINK_EXP,		  /* exp (log-link regression) */
	MD_LINK__END
} md_link;

/* How a classifier picks its class. */
typedef enum md_decision
{
	MD_DECIDE_RAW = 1, /* r > 0, or argmax of the raw outputs */
	MD_DECIDE_PROBA,   /* argmax of the probabilities */
	MD_DECIDE_NEAREST, /* k-means: the smallest distance */
	MD_DECIDE__END
} md_decision;

typedef struct md_native_header
{
	uint32_t task;		/* md_task */
	uint32_t kind;		/* md_native_kind */
	uint32_t link;		/* md_link */
	uint32_t decision;	/* md_decision */
	uint32_t n_inputs;	/* estimator inputs (preprocessing output) */
	uint32_t n_outputs; /* raw outputs; equals md_meta.n_outputs */
	uint32_t n_classes; /* 2 or K for classifiers, else 0 */
	uint32_t reserved;
	uint64_t body_offset; /* the estimator's own header */
} md_native_header;

/* r[k] = intercept[k] + sum_i x[i] * coef[k * n_inputs + i] */
typedef struct md_native_linear
{
	uint32_t n_inputs;
	uint32_t n_outputs;
	uint64_t coef_offset;	   /* double[n_outputs * n_inputs] */
	uint64_t intercept_offset; /* double[n_outputs] */
} md_native_linear;

/*
 * Tree ensemble: r = init; for each tree, r[output + j] += learning_rate *
 * leaf[j] for j < width; with MD_AGG_MEAN, finally r /= n_trees.
 *
 * A numeric split goes left when (double)(float)x <= threshold, as
 * scikit-learn's trees do (they convert X to float32), or, with
 * MD_FOREST_DOUBLE, when x <= threshold in double (HistGradientBoosting).
 * With MD_FOREST_MISSING a missing input (NaN) reaches the trees and goes
 * left at nodes with MD_NODE_MISSING_LEFT, right at the others; without it
 * such a row is refused before the trees.
 *
 * A categorical split (MD_NODE_CATEGORICAL) reads the input as a category
 * c = (uint32)x and goes left when bit c of its left set is set.  A
 * category outside its known set (MD_NODE_KNOWN), or a negative one, goes
 * where missing values go; any other goes right.
 */
typedef enum md_aggregation
{
	MD_AGG_SUM = 1,
	MD_AGG_MEAN,
	MD_AGG__END
} md_aggregation;

#define MD_FOREST_DOUBLE 0x1  /* numeric splits compare in double */
#define MD_FOREST_MISSING 0x2 /* NaN inputs follow the nodes' direction */
#define MD_FOREST__FLAGS 0x3

typedef struct md_native_forest
{
	uint32_t n_trees;
	uint32_t n_outputs;
	uint64_t n_nodes;
	uint64_t n_values;
	uint32_t aggregation; /* md_aggregation */
	uint32_t max_depth;
	double learning_rate;
	uint32_t flags; /* MD_FOREST_* */
	uint32_t reserved;
	uint64_t n_words;
	uint64_t init_offset;	/* double[n_outputs] */
	uint64_t trees_offset;	/* md_native_tree[n_trees] */
	uint64_t nodes_offset;	/* md_native_node[n_nodes] */
	uint64_t values_offset; /* double[n_values]: leaf values */
	uint64_t words_offset;	/* uint32_t[n_words]: category bitsets */
} md_native_forest;

typedef struct md_native_tree
{
	uint64_t first_node;
	uint32_t n_nodes;
	uint32_t output; /* first output its leaves add to */
	uint32_t width;	 /* values per leaf: 1 or n_outputs */
	uint32_t max_depth;
} md_native_tree;

#define MD_NODE_MISSING_LEFT 0x1 /* with MD_FOREST_MISSING */
#define MD_NODE_CATEGORICAL 0x2
#define MD_NODE_KNOWN 0x4 /* categorical: a known set follows */
#define MD_NODE__FLAGS 0x7

/*
 * Breadth-first like md_node: the k-th internal node's children are at
 * 2k+1 and 2k+2 of its tree.  'value' is, for leaves, the first of 'width'
 * leaf values; for categorical splits, the first of the n_words words of
 * the left set, followed by as many of the known set with MD_NODE_KNOWN.
 */
typedef struct md_native_node
{
	double threshold; /* numeric splits */
	uint32_t feature; /* internal nodes: estimator input */
	uint32_t left;	  /* left child, or 0 for a leaf */
	uint64_t value;
	uint32_t flags;	  /* MD_NODE_* */
	uint32_t n_words; /* categorical: bitset words, >= 1 */
} md_native_node;

/* Multilayer perceptron: dense layers, the last one's output is raw. */
typedef enum md_activation
{
	MD_ACT_IDENTITY = 1,
	MD_ACT_RELU,
	MD_ACT_TANH,
	MD_ACT_LOGISTIC,
	MD_ACT__END
} md_activation;

typedef struct md_native_mlp
{
	uint32_t n_layers;
	uint32_t max_width;		/* widest layer output */
	uint64_t layers_offset; /* md_native_layer[n_layers] */
} md_native_mlp;

/* a[j] = act(bias[j] + sum_i in[i] * weights[j * n_in + i]) */
typedef struct md_native_layer
{
	uint32_t n_in;
	uint32_t n_out;
	uint32_t activation; /* md_activation; identity on the last */
	uint32_t reserved;
	uint64_t weights_offset; /* double[n_out * n_in] */
	uint64_t bias_offset;	 /* double[n_out] */
} md_native_layer;

/* k-means: raw output k is the Euclidean distance to centroid k. */
typedef struct md_native_kmeans
{
	uint32_t n_clusters;
	uint32_t n_inputs;
	uint64_t centroids_offset; /* double[n_clusters * n_inputs] */
} md_native_kmeans;

/* --- MD_SEC_NATIVE_FEATURES: input features ----------------------------- */

typedef enum md_unknown
{
	MD_UNKNOWN_ERROR = 1, /* an unknown category is an error */
	MD_UNKNOWN_IGNORE,	  /* ... or encoded as the encoder says */
	MD_UNKNOWN_HASH		  /* no list: a value's code is CatBoost's
								 * hash of its text (cityhash.h) */
} md_unknown;

typedef struct md_native_features
{
	uint32_t n_features;
	uint32_t reserved;
	uint64_t features_offset; /* md_native_feature[n_features] */
} md_native_features;

/*
 * A number given for the feature by name (a numeric column, a JSON number)
 * is taken as a category code.  XGBoost's categorical features took codes
 * only until the names were stored; other models take text there.
 */
#define MD_FEATURE_TAKES_CODES 0x1

typedef struct md_native_feature
{
	uint32_t kind;				/* md_feature_kind */
	uint32_t unknown;			/* md_unknown: categorical features */
	uint32_t n_categories;		/* categorical: > 0 (MD_UNKNOWN_HASH: 0);
								 * numeric: 0 */
	uint32_t flags;				/* MD_FEATURE_*: categorical features */
	uint64_t categories_offset; /* an md_strtab of its categories */
	uint64_t categories_size;
} md_native_feature;

/* --- MD_SEC_PREPROCESS: the preprocessing program ---------------------- */

typedef enum md_op_kind
{
	MD_OP_GATHER = 1, /* dst[i] = reg[ipool[p0 + i]], i < n_out */
	MD_OP_IMPUTE,	  /* missing dst[i] = dpool[p0 + i] */
	MD_OP_STANDARD,	  /* dst[i] = (dst[i] - mean) / scale */
	MD_OP_MINMAX,	  /* dst[i] = dst[i] * scale + min, clipped */
	MD_OP_ONE_HOT,	  /* reg[src] -> n_out indicators at dst */
	MD_OP_ORDINAL,	  /* reg[src] -> one number at dst */
	MD_OP__END
} md_op_kind;

#define MD_OPF_CLIP 0x1			 /* minmax: clip to [v0, v1] */
#define MD_OPF_CODES 0x2		 /* encoders: input is a category code */
#define MD_OPF_UNKNOWN_ERROR 0x4 /* encoders: unknown category fails */

/*
 * Encoders find the input's category e among n_cats: a code c of a
 * categorical feature maps through ipool[p0 + c] (n_codes entries, -1 for
 * a category this encoder does not know); a number is looked up in the
 * sorted dpool[p0 .. p0 + n_cats).  A missing input is category 'missing'
 * (or unknown if -1).  Then one-hot sets output ipool[p1 + e] (none if -1);
 * ordinal writes dpool[p1 + e].  An unknown category fails, or encodes as
 * all zeros (one-hot) or v0 (ordinal).
 */
typedef struct md_prep_op
{
	uint32_t kind;	  /* md_op_kind */
	uint32_t flags;	  /* MD_OPF_* */
	uint32_t n_out;	  /* registers written, from dst */
	uint32_t src;	  /* encoders: register read */
	uint32_t dst;	  /* first register written */
	uint32_t feature; /* the input feature it derives from */
	uint32_t n_cats;  /* encoders */
	uint32_t n_codes; /* encoders with MD_OPF_CODES */
	int32_t missing;  /* encoders */
	uint32_t reserved;
	uint64_t p0; /* pool offsets, in elements */
	uint64_t p1;
	double v0;
	double v1;
} md_prep_op;

typedef struct md_prep_header
{
	uint32_t n_ops;
	uint32_t n_registers;
	uint32_t out_start; /* estimator inputs: registers */
	uint32_t out_width; /* [out_start, out_start + out_width) */
	uint64_t n_dpool;
	uint64_t n_ipool;
	uint64_t ops_offset;	/* md_prep_op[n_ops] */
	uint64_t origin_offset; /* uint32_t[out_width]: feature of input */
	uint64_t dpool_offset;	/* double[n_dpool] */
	uint64_t ipool_offset;	/* int32_t[n_ipool] */
} md_prep_header;

/* --- shared functions --------------------------------------------------- */

/* Section accessors of an open native model. */
static inline const md_native_header *
md_native_head(const md_model *m)
{
	return (const md_native_header *) md_section_ptr(m, MD_SEC_NATIVE);
}

static inline const void *
md_native_at(const void *section, uint64_t offset)
{
	return (const unsigned char *) section + offset;
}

/* Why a row could not be scored (all zero: it could). */
typedef enum md_fault_kind
{
	MD_FAULT_NONE = 0,
	MD_FAULT_INFINITE, /* an input feature is +-infinity */
	MD_FAULT_UNKNOWN,  /* an encoder met an unknown category */
	MD_FAULT_MISSING,  /* NaN reached the estimator */
	MD_FAULT_RANGE	   /* a tree input overflows float32 */
} md_fault_kind;

typedef struct md_fault
{
	md_fault_kind kind;
	uint32_t feature;	  /* input feature concerned */
	double value;		  /* the offending value */
	const md_prep_op *op; /* MD_FAULT_UNKNOWN: the encoder */
} md_fault;

/* prep.c: run the program on registers holding the row */
bool md_prep_run(const md_model *m, double *reg, md_fault *fault);

/* native_score.c */
size_t md_native_workspace_size(const md_model *m);
md_status md_native_score(const md_model *m, md_output kind,
						  const double *x, const float *x32,
						  size_t n_rows, double *out, void *workspace);
const double *md_native_inputs(const md_model *m, const double *x,
							   void *workspace, md_fault *fault);

/* native_check.c: validators of untrusted native sections */
bool md_native_shape_ok(const md_native_header *h);
md_status md_check_native_meta(const md_model *m, md_error *err);
md_status md_validate_native(const md_model *m, md_error *err);

/* names for messages: md_link_name() in parse_estimator.c */
const char *md_link_name(uint32_t link);
const char *md_task_name(md_task task);

/* native_explain.c, fault.c */
md_status md_native_explain_workspace_size(const md_model *m, size_t *size,
										   md_error *err);
md_status md_native_explain(const md_model *m, const double *x,
							uint32_t output, double *contribs,
							void *workspace);
md_status md_native_check_row(const md_model *m, const double *x,
							  void *workspace, md_error *err);

/* native_info.c */
void md_native_info(const md_model *m, md_info *info);
uint32_t md_native_output_width(const md_model *m, md_output kind);

#endif /* MD_NATIVE_H */
