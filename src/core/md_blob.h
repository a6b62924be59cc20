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

#define MD_BLOB_MAGIC "mdscore"	/* 8 bytes with its NUL */
#define MD_BLOB_LAYOUT_VERSION 4	/* 4: native trees in double, NaN routes, category sets */
#define MD_BLOB_BYTE_ORDER_MARK 0x01020304u
#define MD_BLOB_ALIGN 16

/* Section kinds; each appears at most once. */
typedef enum md_section_kind
{
	MD_SEC_META = 0,			/* md_meta: required */
	MD_SEC_FEATURE_NAMES = 1,	/* md_strtab: optional */
	MD_SEC_FOREST = 2,			/* md_forest_header and its arrays */
	MD_SEC_FOREST_COVER = 3,	/* float per forest node: training cover */
	MD_SEC_LINEAR = 4,			/* md_linear_header and its weights */
	MD_SEC_FOREST_FAST = 5,		/* md_fast_header: MD_SEC_FOREST for speed */
	/* native models: layouts in native.h */
	MD_SEC_NATIVE = 6,			/* md_native_header and its estimator */
	MD_SEC_NATIVE_FEATURES = 7, /* feature kinds and categories */
	MD_SEC_PREPROCESS = 8,		/* md_prep_header: preprocessing program */
	MD_SEC_CLASS_LABELS = 9,	/* md_strtab: optional */
	MD_SEC__COUNT
} md_section_kind;

typedef struct md_section
{
	uint32_t	kind;
	uint32_t	reserved;
	uint64_t	offset;			/* from the start of the blob */
	uint64_t	size;
} md_section;

typedef struct md_blob_header
{
	char		magic[8];
	uint32_t	layout_version;
	uint32_t	byte_order;
	uint64_t	total_size;
	uint64_t	checksum;		/* FNV-1a 64 of every byte after the header */
	uint32_t	n_sections;
	uint32_t	reserved;
	/* md_section table[n_sections] follows */
} md_blob_header;

/* Estimator kinds (what produces the margins). */
typedef enum md_estimator
{
	MD_EST_FOREST = 1,			/* XGBoost gbtree / dart */
	MD_EST_LINEAR = 2,			/* XGBoost gblinear */
	MD_EST_NATIVE = 3			/* native format: see md_native_header */
} md_estimator;

typedef struct md_meta
{
	uint32_t	format;			/* md_format */
	uint32_t	objective;		/* md_objective (objective.h) */
	uint32_t	estimator;		/* md_estimator */
	uint32_t	booster;		/* md_booster (objective.h) */
	uint32_t	n_features;
	uint32_t	n_outputs;		/* margins per row */
	uint32_t	reserved[2];
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
	uint32_t	count;
	uint32_t	chars_size;
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
	uint32_t	n_trees;
	uint32_t	n_outputs;
	uint64_t	n_nodes;
	uint64_t	n_cat_words;
	uint32_t	max_depth;		/* longest root-to-leaf path, in edges */
	uint32_t	flags;			/* MD_FOREST_* */
	uint64_t	base_margin_offset; /* offsets relative to the section */
	uint64_t	trees_offset;
	uint64_t	nodes_offset;
	uint64_t	cat_words_offset;
} md_forest_header;

#define MD_FOREST_WEIGHTED 0x1	/* trees carry DART weights */
#define MD_FOREST_CATEGORICAL 0x2	/* some node splits on categories */

typedef struct md_tree
{
	uint64_t	first_node;		/* index into the forest's node array */
	uint32_t	n_nodes;
	uint32_t	output;			/* margin this tree adds to */
	float		weight;			/* DART weight_drop; 1 otherwise */
	uint32_t	max_depth;
} md_tree;

typedef struct md_node
{
	float		value;			/* split threshold, or the leaf value */
	uint32_t	feature;		/* split feature (internal nodes) */
	uint32_t	left;			/* left child's index in the tree; 0: leaf */
	uint32_t	flags;			/* MD_NODE_* */
	uint32_t	cat_offset;		/* categorical: first word of its bitset */
	uint32_t	cat_words;		/* categorical: bitset length in words */
} md_node;

#define MD_NODE_DEFAULT_LEFT 0x1	/* a missing value goes left */
#define MD_NODE_CATEGORICAL 0x2		/* listed categories go right */

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
	uint32_t	n_groups;
	uint32_t	n_trees;		/* equals the forest's */
	uint64_t	n_nodes;
	uint64_t	n_leaves;
	uint64_t	groups_offset;	/* offsets relative to the section */
	uint64_t	thresholds_offset;
	uint64_t	features_offset;
	uint64_t	leaves_offset;
} md_fast_header;

typedef enum md_fast_kind
{
	MD_FAST_COMPLETE = 1,
	MD_FAST_WALK = 2
} md_fast_kind;

typedef struct md_fast_group
{
	uint32_t	kind;			/* md_fast_kind */
	uint32_t	depth;			/* complete: D, at most MD_FAST_MAX_DEPTH */
	uint32_t	first_tree;
	uint32_t	n_trees;
	uint64_t	first_node;		/* complete: into thresholds[] and features[];
								 * walk: 0 */
	uint64_t	first_leaf;		/* complete: into leaves[]; walk: 0 */
} md_fast_group;

/*
 * Linear model (XGBoost gblinear): margin[g] = base[g] + bias[g] +
 * sum_f x[f] * w[f][g], missing features skipped, in float32.  After the
 * header: float weights[(n_features + 1) * n_outputs], feature-major, bias
 * last; float base_margin[n_outputs].
 */
typedef struct md_linear_header
{
	uint32_t	n_features;
	uint32_t	n_outputs;
	uint64_t	weights_offset;
	uint64_t	base_margin_offset;
} md_linear_header;

#endif							/* MD_BLOB_H */
