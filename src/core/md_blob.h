/*-------------------------------------------------------------------------
 *
 * md_blob.h
 *	  Byte layout of a compiled model ("blob").
 *
 * A blob is a header, a table of sections, and the sections themselves, each
 * starting on a 16-byte boundary.  Every reference inside a blob is an index
 * or an offset relative to its section, so the blob can be mapped anywhere.
 * Integers and floats are stored in the producer's byte order; the header's
 * byte-order mark lets a reader on another machine refuse the blob instead
 * of misreading it.
 *
 * Structural invariants that the scoring loops rely on (checked by the
 * validators in blob.c for untrusted blobs, established by builder.c):
 *	- trees are stored in breadth-first order: node 0 is the root, and the
 *	  k-th internal node (counting from 0 in index order) has its children at
 *	  indices 2k+1 (left) and 2k+2 (right).  So a walk only moves to higher
 *	  indices, ends at a leaf in at most max_depth steps, and cannot cycle.
 *	- the sections tile the blob: the first starts at the first aligned
 *	  offset after the section table, each next one where the previous ends
 *	  (sizes are multiples of MD_BLOB_ALIGN), the last ends the blob; the
 *	  header's and the table's reserved fields are zero.
 *	- every feature index is below the model's feature count, every category
 *	  bitset lies inside the forest's pool, every threshold and leaf is finite.
 *
 * Bump MD_BLOB_LAYOUT_VERSION whenever this file changes meaningfully.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_BLOB_H
#define MD_BLOB_H

#include <stdint.h>

#define MD_BLOB_MAGIC "mdscore"	 /* 8 bytes with its NUL */
#define MD_BLOB_LAYOUT_VERSION 9 /* 9: ONNX pre-processing and linear
										 * models (MD_SEC_OPREP,
										 * MD_SEC_OLINEAR); 8: the fast
										 * layout of double-precision trees
										 * (MD_SEC_DTREES_FAST); 7: ONNX
										 * tree ensembles (MD_SEC_OTREES),
										 * CatBoost's scale applied last and
										 * hashed categories; 6: XGBoost
										 * forests with category names */
#define MD_BLOB_BYTE_ORDER_MARK 0x01020304u
#define MD_BLOB_ALIGN 16

/* Section kinds; each appears at most once. */
typedef enum md_section_kind
{
	MD_SEC_META = 0,		  /* md_meta: required */
	MD_SEC_FEATURE_NAMES = 1, /* md_strtab: optional */
	MD_SEC_FOREST = 2,		  /* md_forest_header and its arrays */
	MD_SEC_FOREST_COVER = 3,  /* float per forest node: training cover */
	MD_SEC_LINEAR = 4,		  /* md_linear_header and its weights */
	MD_SEC_FOREST_FAST = 5,	  /* md_fast_header: MD_SEC_FOREST for speed */
	/* native models: layouts in native.h */
	MD_SEC_NATIVE = 6,			/* md_native_header and its estimator */
	MD_SEC_NATIVE_FEATURES = 7, /* feature kinds and categories */
	MD_SEC_PREPROCESS = 8,		/* md_prep_header: preprocessing program */
	MD_SEC_CLASS_LABELS = 9,	/* md_strtab: optional */
	MD_SEC_DTREES = 10,			/* md_dforest_header: double-precision trees */
	MD_SEC_OTREES = 11,			/* md_otrees_header: ONNX tree ensembles */
	MD_SEC_DTREES_FAST = 12,	/* md_dfast_header: MD_SEC_DTREES for speed */
	MD_SEC_OPREP = 13,			/* md_oprep_header: ONNX pre-processing */
	MD_SEC_OLINEAR = 14,		/* md_olinear_header: ONNX linear models */
	MD_SEC__COUNT
} md_section_kind;

typedef struct md_section
{
	uint32_t kind;
	uint32_t reserved;
	uint64_t offset; /* from the start of the blob */
	uint64_t size;
} md_section;

typedef struct md_blob_header
{
	char magic[8];
	uint32_t layout_version;
	uint32_t byte_order;
	uint64_t total_size;
	uint64_t checksum; /* FNV-1a 64 of every byte after the header */
	uint32_t n_sections;
	uint32_t reserved;
	/* md_section table[n_sections] follows */
} md_blob_header;

/* Estimator kinds (what produces the margins). */
typedef enum md_estimator
{
	MD_EST_FOREST = 1, /* XGBoost gbtree / dart */
	MD_EST_LINEAR = 2, /* XGBoost gblinear */
	MD_EST_NATIVE = 3, /* native format: see md_native_header */
	MD_EST_DTREES = 4, /* double-precision trees: MD_SEC_DTREES */
	MD_EST_OTREES = 5, /* ONNX tree ensembles: MD_SEC_OTREES */
	MD_EST_OLINEAR = 6 /* ONNX linear models: MD_SEC_OLINEAR */
} md_estimator;

typedef struct md_meta
{
	uint32_t format;	/* md_format */
	uint32_t objective; /* md_objective (objective.h) */
	uint32_t estimator; /* md_estimator */
	uint32_t booster;	/* md_booster (objective.h) */
	uint32_t n_features;
	uint32_t n_outputs; /* margins per row */
	uint32_t reserved[2];
} md_meta;

/*
 * A string table: 'count' NUL-terminated strings.  After the header:
 *	uint32_t	offsets[count + 1]	string i is chars[offsets[i]..offsets[i+1])
 *								including its NUL
 *	uint32_t	sorted[count]		indices in strictly increasing byte order of
 *								their strings: binary search, and a proof
 *								that the strings are distinct
 *	char		chars[chars_size]
 */
typedef struct md_strtab
{
	uint32_t count;
	uint32_t chars_size;
} md_strtab;

/*
 * Tree ensemble with XGBoost's arithmetic: float32 features, thresholds,
 * leaves and accumulation.  Layout after the header, each array 16-aligned:
 *	float		base_margin[n_outputs]
 *	md_tree		trees[n_trees]
 *	md_node		nodes[n_nodes]
 *	uint32_t	cat_words[n_cat_words]
 */
typedef struct md_forest_header
{
	uint32_t n_trees;
	uint32_t n_outputs;
	uint64_t n_nodes;
	uint64_t n_cat_words;
	uint32_t max_depth;			 /* longest root-to-leaf path, in edges */
	uint32_t flags;				 /* MD_FOREST_* */
	uint64_t base_margin_offset; /* offsets relative to the section */
	uint64_t trees_offset;
	uint64_t nodes_offset;
	uint64_t cat_words_offset;
} md_forest_header;

#define MD_FOREST_WEIGHTED 0x1	  /* trees carry DART weights */
#define MD_FOREST_CATEGORICAL 0x2 /* some node splits on categories */

typedef struct md_tree
{
	uint64_t first_node; /* index into the forest's node array */
	uint32_t n_nodes;
	uint32_t output; /* margin this tree adds to */
	float weight;	 /* DART weight_drop; 1 otherwise */
	uint32_t max_depth;
} md_tree;

typedef struct md_node
{
	float value;		 /* split threshold, or the leaf value */
	uint32_t feature;	 /* split feature (internal nodes) */
	uint32_t left;		 /* left child's index in the tree; 0: leaf */
	uint32_t flags;		 /* MD_NODE_* */
	uint32_t cat_offset; /* categorical: first word of its bitset */
	uint32_t cat_words;	 /* categorical: bitset length in words */
} md_node;

#define MD_NODE_DEFAULT_LEFT 0x1 /* a missing value goes left */
#define MD_NODE_CATEGORICAL 0x2	 /* listed categories go right */

/*
 * The trees of MD_SEC_FOREST again, laid out for speed (optional; written
 * by the compiler, see forest_fast.c).  The trees are cut, in tree order,
 * into groups of one of two kinds:
 *	- MD_FAST_COMPLETE: up to MD_FAST_GROUP_MAX trees, each stored as a
 *	  complete binary tree of the group's depth D: 2^D - 1 splits in level
 *	  order (children of split k at 2k+1 and 2k+2), then 2^D leaf values in
 *	  their own array.  Branches shorter than D are padded: the leaf's value
 *	  fills every slot below it.  DART weights are already multiplied into
 *	  the leaf values (float32(leaf * weight), as XGBoost adds them).
 *	- MD_FAST_WALK: trees scored by walking their MD_SEC_FOREST nodes
 *	  (categorical splits, or too deep or too sparse for a complete layout).
 *	- MD_FAST_OBLIVIOUS (MD_SEC_DTREES_FAST only): up to MD_FAST_GROUP_MAX
 *	  trees of depth D whose every level tests one split (CatBoost's
 *	  symmetric trees): D splits per tree, root level first, then 2^D leaves;
 *	  the leaf reached is the number whose bits, most significant first, are
 *	  the levels' decisions, as in a complete tree of depth D.
 *	- MD_FAST_NODES (MD_SEC_DTREES_FAST only): up to MD_FAST_GROUP_MAX trees
 *	  too deep or sparse to be complete, each as 'width' positions
 *	  stepped k = next[k] + (comparison) 'depth' times (its deepest leaf's
 *	  depth) from 0: a split's two children are next[k] and next[k] + 1; a
 *	  leaf's next is itself and its comparison always false (threshold
 *	  +inf), so a row stays on it.  Splits and leaves both take 'width'
 *	  entries per tree, the leaf value at the leaf's position.
 * After the header, each array 16-aligned:
 *	md_fast_group	groups[n_groups]	tiling trees 0..n_trees-1 in order
 *	float			thresholds[n_nodes] complete groups' splits, in group order
 *	uint16_t		features[n_nodes]	the feature each of those splits reads
 *	float			leaves[n_leaves]	complete groups' leaves, in group order
 * Split i sends a row right iff value >= thresholds[i].  A missing value
 * goes the split's default way without a flag to test: the scorer reads
 * features[i] from a row of 2 * n_features values, where f holds the value
 * with NaN replaced by -infinity (goes left: every threshold is finite) and
 * n_features + f holds it with NaN replaced by +infinity (goes right).
 * Thresholds and features are separate arrays, features 16-bit, so that a
 * split takes 6 bytes and more of a model stays in cache between rows;
 * models of more than MD_FAST_MAX_FEATURES features have no fast section.
 */
#define MD_FAST_GROUP_MAX 16
#define MD_FAST_MAX_DEPTH 10
#define MD_FAST_MAX_FEATURES 32768

typedef struct md_fast_header
{
	uint32_t n_groups;
	uint32_t n_trees; /* equals the forest's */
	uint64_t n_nodes;
	uint64_t n_leaves;
	uint64_t groups_offset; /* offsets relative to the section */
	uint64_t thresholds_offset;
	uint64_t features_offset;
	uint64_t leaves_offset;
} md_fast_header;

typedef enum md_fast_kind
{
	MD_FAST_COMPLETE = 1,
	MD_FAST_WALK = 2,
	MD_FAST_OBLIVIOUS = 3,
	MD_FAST_NODES = 4
} md_fast_kind;

/* Steps of an MD_FAST_NODES group: its deepest tree's depth, at most this */
#define MD_FAST_MAX_STEPS 64

typedef struct md_fast_group
{
	uint32_t kind;	/* md_fast_kind */
	uint32_t depth; /* complete: D, at most MD_FAST_MAX_DEPTH */
	uint32_t first_tree;
	uint32_t n_trees;
	uint64_t first_node; /* complete, oblivious: into the split arrays;
								 * walk: 0 */
	uint64_t first_leaf; /* complete, oblivious: into leaves[];
								 * walk: 0 */
	uint32_t width;		 /* nodes: positions per tree; others: 0 */
	uint32_t reserved;
} md_fast_group;

/*
 * The trees of MD_SEC_DTREES again, laid out for speed (optional; written
 * by the compiler, see dtree_fast.c), in the groups of MD_SEC_FOREST_FAST
 * (complete, oblivious, walk: the trees of a walk group are walked in
 * MD_SEC_DTREES).  Every split of a complete or oblivious group is
 * "v > threshold", in double: the comparisons of MD_SEC_DTREES become it
 * (v >= t is v > the double below t), and their missing-value rules are
 * carried by the value the split reads: slot s of the scorer's row is
 * feature s % n_features of the row (as md_dtree_read_row() reads it)
 * after rule s / n_features (md_dslot_rule), so a missing value reads as
 * -inf or +inf and goes the split's default way (the thresholds of complete and
 * oblivious groups are finite),
 * or reads as 0.  Only the rules in the header's 'rules' mask are computed.
 * After the header, each array 16-aligned:
 *	md_fast_group	groups[n_groups]	tiling trees 0..n_trees-1 in order
 *	double			thresholds[n_nodes]	splits, in group order
 *	uint16_t		slots[n_nodes]		the slot each of those splits reads
 *	double			leaves[n_leaves]	leaf values, in group order
 *	uint32_t		next[n_nodes]		MD_FAST_NODES: each position's next
 *										(0 in other groups)
 * Models of more than MD_DFAST_MAX_FEATURES features have no such section.
 */
typedef enum md_dslot_rule
{
	MD_DSLOT_NAN_LOW = 0, /* NaN reads as -inf */
	MD_DSLOT_NAN_HIGH,	  /* NaN reads as +inf */
	MD_DSLOT_NAN_ZERO,	  /* NaN reads as 0 */
	MD_DSLOT_ZERO_LOW,	  /* NaN and |v| <= 1e-35f read as -inf */
	MD_DSLOT_ZERO_HIGH,	  /* NaN and |v| <= 1e-35f read as +inf */
	MD_DSLOT__COUNT
} md_dslot_rule;

#define MD_DFAST_MAX_FEATURES (65536 / MD_DSLOT__COUNT)

typedef struct md_dfast_header
{
	uint32_t n_groups;
	uint32_t n_trees; /* equals the forest's */
	uint64_t n_nodes;
	uint64_t n_leaves;
	uint32_t rules; /* bit r: some split reads rule r's slots */
	uint32_t reserved;
	uint64_t groups_offset; /* offsets relative to the section */
	uint64_t thresholds_offset;
	uint64_t slots_offset;
	uint64_t leaves_offset;
	uint64_t next_offset;
} md_dfast_header;

/*
 * Linear model (XGBoost gblinear): margin[g] = base[g] + bias[g] +
 * sum_f x[f] * w[f][g], missing features skipped, in float32.  After the
 * header: float weights[(n_features + 1) * n_outputs], feature-major, bias
 * last; float base_margin[n_outputs].
 */
typedef struct md_linear_header
{
	uint32_t n_features;
	uint32_t n_outputs;
	uint64_t weights_offset;
	uint64_t base_margin_offset;
} md_linear_header;

/*
 * Tree ensemble compared and summed in double precision (LightGBM; made to
 * carry scikit-learn's HistGradientBoosting and ONNX tree ensembles too):
 *	raw[k] = init[k] + sum of the leaves of the trees of output k, in tree
 *	order (or, with MD_DF_SCALE_LAST, CatBoost's scale and bias after the
 *	sum); predictions are the link of raw[k] / divisor (1, or the
 *	iteration count of an averaging forest).
 * After the header, each array 16-aligned:
 *	double		init[n_outputs]
 *	md_dtree	trees[n_trees]
 *	md_dnode	nodes[n_nodes]		internal nodes, tree after tree
 *	md_dleaf	leaves[n_leaves]	leaves, tree after tree
 *	uint32_t	cat_words[n_cat_words]	category bitsets
 *	md_dterm	terms[n_terms]		linear leaves' terms, leaf after leaf
 *	double		node_cover[n_nodes]	MD_DF_COVER: training counts for
 *	double		leaf_cover[n_leaves]	TreeSHAP; absent (offset 0) otherwise
 * Unlike md_node, a tree is not in breadth-first form (LightGBM's node
 * order is kept, so explanations walk the same tree).  Instead each node
 * and leaf stores its parent and depth, which lets a validator prove
 * without memory that the nodes form one tree: every child of a node is an
 * internal node of higher index or a leaf, whose parent is that node and
 * whose depth is one more; every node and leaf but the root (node 0, or
 * leaf 0 of a single-leaf tree: parent -1, depth 0) has a parent that has
 * it as a child.  So walks end, and max_depth is the deepest leaf's depth.
 */
#define MD_DTREE_OBJECTIVE_LEN 48

typedef enum md_dlink
{
	MD_DLINK_IDENTITY = 1,
	MD_DLINK_SIGMOID,		/* 1 / (1 + exp(-link_param * r)) */
	MD_DLINK_SOFTMAX,		/* max-shifted softmax over the outputs */
	MD_DLINK_OVA_SIGMOID,	/* SIGMOID per output, not normalised */
	MD_DLINK_EXP,			/* exp(r) */
	MD_DLINK_SIGNED_SQUARE, /* sign(r) * r * r */
	MD_DLINK_LOG1P_EXP,		/* log1p(exp(r)) */
	MD_DLINK__END
} md_dlink;

#define MD_DF_COVER 0x1		   /* node and leaf cover arrays present */
#define MD_DF_TINY_IS_ZERO 0x2 /* |x| <= 1e-35f reads as 0 (LightGBM) */
/*
 * CatBoost's order: raw[k] = scale * (sum of the leaves of output k, from
 * 0, in tree order) + init[k], with scale stored as init[n_outputs] (the
 * init array then holds n_outputs + 1 doubles).
 */
#define MD_DF_SCALE_LAST 0x4

typedef struct md_dforest_header
{
	uint32_t n_trees;
	uint32_t n_outputs;
	uint64_t n_nodes;
	uint64_t n_leaves;
	uint64_t n_cat_words;
	uint64_t n_terms;
	uint32_t max_depth; /* longest root-to-leaf path, in edges */
	uint32_t flags;		/* MD_DF_* */
	uint32_t task;		/* md_task */
	uint32_t link;		/* md_dlink */
	double link_param;
	double divisor;
	char objective[MD_DTREE_OBJECTIVE_LEN]; /* NUL-terminated */
	uint64_t init_offset;					/* offsets relative to the section */
	uint64_t trees_offset;
	uint64_t nodes_offset;
	uint64_t leaves_offset;
	uint64_t cat_words_offset;
	uint64_t terms_offset;
	uint64_t node_cover_offset;
	uint64_t leaf_cover_offset;
} md_dforest_header;

#define MD_DTREE_LINEAR 0x1 /* leaves are linear models */

typedef struct md_dtree
{
	uint64_t first_node; /* into nodes[] */
	uint64_t first_leaf; /* into leaves[] */
	uint32_t n_nodes;	 /* internal nodes; 0: a single leaf */
	uint32_t n_leaves;	 /* n_nodes + 1 */
	uint32_t output;
	uint32_t max_depth;
	uint32_t flags; /* MD_DTREE_* */
	uint32_t reserved;
} md_dtree;

/* How a split compares the row's value v with its threshold t. */
typedef enum md_dop
{
	MD_DOP_LEQ = 1, /* v <= t */
	MD_DOP_LT,		/* v < t */
	MD_DOP_GTE,		/* v >= t */
	MD_DOP_GT,		/* v > t */
	MD_DOP_EQ,		/* v == t */
	MD_DOP_NEQ,		/* v != t */
	MD_DOP_IN,		/* category trunc(v) in the node's bitset */
	MD_DOP__END
} md_dop;

/* What a missing value (NaN) does at a split. */
typedef enum md_dmissing
{
	MD_DMISS_NAN = 1, /* NaN takes the default branch */
	MD_DMISS_AS_ZERO, /* NaN is compared as 0 (LightGBM None) */
	MD_DMISS_ZERO,	  /* NaN and |v| <= 1e-35f take the default
								 * branch (LightGBM Zero) */
	MD_DMISS__END
} md_dmissing;

#define MD_DNODE_DEFAULT_YES 0x1 /* the default branch is 'yes' */

/* Child references: >= 0 an internal node of the tree, < 0 leaf ~ref. */
typedef struct md_dnode
{
	double threshold; /* not NaN; unused by MD_DOP_IN */
	uint32_t feature;
	uint8_t op;		 /* md_dop */
	uint8_t missing; /* md_dmissing */
	uint8_t flags;	 /* MD_DNODE_* */
	uint8_t reserved;
	int32_t yes; /* child when the comparison holds */
	int32_t no;
	uint32_t cat_offset; /* MD_DOP_IN: first word of its bitset */
	uint32_t cat_words;	 /* MD_DOP_IN: bitset length in words */
	uint32_t depth;
	int32_t parent; /* -1 for the root */
} md_dnode;

typedef struct md_dleaf
{
	double value;		 /* the leaf, or a linear leaf's fallback
								 * when one of its features is missing */
	double constant;	 /* linear leaves: constant + sum of terms */
	uint64_t first_term; /* linear leaves: into terms[] */
	uint32_t n_terms;
	uint32_t depth;
	int32_t parent; /* -1 for a single-leaf tree's leaf */
	uint32_t reserved;
} md_dleaf;

typedef struct md_dterm
{
	double coeff;
	uint32_t feature;
	uint32_t reserved;
} md_dterm;

/*
 * An ONNX-ML tree ensemble (TreeEnsembleRegressor / TreeEnsembleClassifier)
 * with ONNX Runtime's arithmetic: thresholds, leaf weights and sums in the
 * "threshold type" -- float, or double when MD_OT_DOUBLE (a double input
 * tensor) -- and outputs rounded to float.  Layout after the header, each
 * array 16-aligned:
 *	double		base[n_base]		base_values (0, 1 or n_outputs of them)
 *	md_otree	trees[n_trees]		in ONNX Runtime's order of trees
 *	md_onode	nodes[n_nodes]		tree after tree
 *	md_oweight	weights[n_weights]	leaf weights, leaf after leaf
 * Every value is stored as a double; without MD_OT_DOUBLE each one is a
 * float exactly (the validator checks), so the scorer rounds nothing.
 * Within a tree, node 0 is the root and every child index is greater than
 * its parent's, so a walk ends after at most n_nodes steps.
 */
typedef enum md_oagg
{
	MD_OAGG_SUM = 1,
	MD_OAGG_AVERAGE,
	MD_OAGG_MIN,
	MD_OAGG_MAX,
	MD_OAGG__END
} md_oagg;

typedef enum md_opost
{
	MD_OPOST_NONE = 1,
	MD_OPOST_LOGISTIC,
	MD_OPOST_SOFTMAX,
	MD_OPOST_SOFTMAX_ZERO,
	MD_OPOST_PROBIT,
	MD_OPOST__END
} md_opost;

#define MD_OT_DOUBLE 0x1		   /* double input: double thresholds and sums */
#define MD_OT_BINARY_CASE 0x2	   /* 2 classes, leaf weights for one of them */
#define MD_OT_WEIGHTS_POSITIVE 0x4 /* no leaf weight is negative */
#define MD_OT_DOUBLE_OUT 0x8	   /* outputs in double, not rounded to float
								 * (TreeEnsemble of opset 5, double input) */

typedef struct md_otrees_header
{
	uint32_t n_trees;
	uint32_t n_outputs; /* targets (1) or classes */
	uint64_t n_nodes;
	uint64_t n_weights;
	uint32_t task;			 /* md_task: regression, binary, multiclass */
	uint32_t flags;			 /* MD_OT_* */
	uint32_t aggregate;		 /* md_oagg */
	uint32_t post_transform; /* md_opost */
	uint32_t n_base;
	uint32_t max_depth;
	uint64_t base_offset; /* offsets relative to the section */
	uint64_t trees_offset;
	uint64_t nodes_offset;
	uint64_t weights_offset;
} md_otrees_header;

typedef struct md_otree
{
	uint64_t first_node; /* into nodes[] */
	uint32_t n_nodes;
	uint32_t reserved;
} md_otree;

/* md_onode.mode: a comparison (md_dop, MD_DOP_LEQ..MD_DOP_NEQ) or a leaf */
#define MD_OMODE_LEAF 0
#define MD_ONODE_MISSING_TRUE 0x1 /* NaN takes the true branch */

typedef struct md_onode
{
	double value; /* threshold; unused by a leaf */
	uint32_t feature;
	uint8_t mode;
	uint8_t flags; /* MD_ONODE_* */
	uint16_t reserved;
	uint32_t yes; /* split: true child's index in the tree;
								 * leaf: first weight, into weights[] */
	uint32_t no;  /* split: false child; leaf: weight count */
} md_onode;

typedef struct md_oweight
{
	double value;
	uint32_t output;
	uint32_t reserved;
} md_oweight;

/*
 * ONNX pre-processing (optional, before MD_SEC_OTREES or MD_SEC_OLINEAR):
 * the ai.onnx.ml Scaler and Imputer nodes and the Mul and Add by constants
 * of a converter's graph, in graph order, as ONNX Runtime computes them.
 * Every operation maps the row's n_features values to as many; each reads
 * its operands from values[] (floats), one per feature or one for all
 * (n_values 1).  Layout after the header, each array 16-aligned:
 *	md_oprep_op	ops[n_ops]
 *	float		values[n_values]
 * An operation with MD_OPF_DOUBLE computes in double (a double tensor
 * reaches it); without, in float.  Every operation's result is a float.
 */
typedef enum md_oprep_kind
{
	MD_OPREP_TO_FLOAT = 1, /* Cast to float: round */
	MD_OPREP_SCALE,		   /* Scaler: (x - a) * b */
	MD_OPREP_IMPUTE,	   /* Imputer: x == r (or both NaN) ? a : x */
	MD_OPREP_MUL,		   /* Mul: x * a */
	MD_OPREP_ADD,		   /* Add: x + a */
	MD_OPREP__END
} md_oprep_kind;

#define MD_OPF_DOUBLE 0x1 /* the operation's input is a double tensor */

typedef struct md_oprep_op
{
	uint32_t kind;	   /* md_oprep_kind */
	uint32_t flags;	   /* MD_OPF_* */
	uint32_t n_values; /* per operand: 1 or n_features (0: none) */
	float replaced;	   /* MD_OPREP_IMPUTE: the value replaced */
	uint64_t a;		   /* first operand, into values[] */
	uint64_t b;		   /* second operand (MD_OPREP_SCALE) */
} md_oprep_op;

typedef struct md_oprep_header
{
	uint32_t n_ops;
	uint32_t flags; /* MD_OPF_DOUBLE: the row is read as double */
	uint64_t n_values;
	uint64_t ops_offset; /* offsets relative to the section */
	uint64_t values_offset;
} md_oprep_header;

/*
 * An ai.onnx.ml LinearRegressor or LinearClassifier, with ONNX Runtime's
 * arithmetic (linearregressor.cc, linearclassifier.cc, ml_common.h): per
 * output k, the float sum intercept[k] + sum_j x[j] * coef[k][j] as its
 * MLAS GEMM forms it (fused multiply-adds in feature order), the post
 * transform in float, then an optional Normalizer node's norm.  Layout
 * after the header, each array 16-aligned:
 *	float		coef[n_outputs * n_features]	row per output
 *	float		intercept[n_outputs]
 * A classifier with one output row and two classes (MD_OL_SECOND_CLASS)
 * writes its scores as ONNX Runtime does: [1 - s, s].
 */
typedef enum md_onorm
{
	MD_ONORM_NONE = 1,
	MD_ONORM_MAX,
	MD_ONORM_L1,
	MD_ONORM_L2,
	MD_ONORM__END
} md_onorm;

#define MD_OL_SECOND_CLASS 0x1 /* binary classifier with one score */

typedef struct md_olinear_header
{
	uint32_t n_outputs;		 /* rows of coefficients */
	uint32_t n_classes;		 /* 0 for a regressor */
	uint32_t task;			 /* md_task */
	uint32_t flags;			 /* MD_OL_* */
	uint32_t post_transform; /* md_opost */
	uint32_t norm;			 /* md_onorm */
	uint64_t coef_offset;	 /* offsets relative to the section */
	uint64_t intercept_offset;
} md_olinear_header;

#endif /* MD_BLOB_H */
