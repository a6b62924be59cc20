/*-------------------------------------------------------------------------
 *
 * test_dfast.c
 *	  The fast layout of double-precision trees (MD_SEC_DTREES_FAST)
 *	  against their node walk, and its validator against corrupt blobs.
 *
 * The node walk is the oracle here (the lightgbm and catboost suites show
 * it reproduces the libraries bit for bit).  Each LightGBM and CatBoost
 * model of test/fuzz/seeds is scored twice, as compiled and from a copy of
 * its blob without the fast section, on rows built to hit every edge of a
 * split: each threshold and the doubles either side of it, NaN, 0, -0,
 * +-1e-36 (LightGBM's zero band), both infinities.  Raw outputs must agree
 * bit for bit.
 *
 * Usage: test_dfast FIXTURE_DIR (test/fixtures/xgboost; the seeds are
 * found from it)
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "tap.h"
#include "testutil.h"

#define ROWS 400

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state % n);
}

/* A copy of an open blob without its fast section: the node walk only. */
static void *
copy_without_fast(const md_model *m, size_t *len)
{
	md_builder b;
	void *blob = NULL;
	md_error err;

	md_builder_init(&b);
	for (uint32_t k = 0; k < MD_SEC__COUNT; k++)
	{
		if (k == MD_SEC_DTREES_FAST || m->section[k] == NULL)
			continue;
		md_builder_begin(&b, (md_section_kind) k);
		md_builder_put(&b, m->section[k], m->section_size[k]);
		md_builder_end(&b);
	}
	md_builder_finish(&b, &blob, len, &err);
	md_builder_free(&b);
	return blob;
}

/* A value at an edge of some split on feature f, or a special value. */
static double
edge_value(const md_dforest *f, uint32_t feature)
{
	static const double special[] = {NAN, 0.0, -0.0, 1e-36, -1e-36,
									 INFINITY, -INFINITY, 1.0, -1.0};
	uint32_t pick = rnd(4);

	if (pick == 0 || f->h->n_nodes == 0)
		return special[rnd(sizeof(special) / sizeof(special[0]))];
	for (uint32_t tries = 0; tries < 64; tries++)
	{
		const md_dnode *n = &f->nodes[rnd((uint32_t) f->h->n_nodes)];

		if (n->feature != feature && tries < 63)
			continue;
		if (n->op == MD_DOP_IN)
			return (double) rnd(40);
		if (pick == 1)
			return n->threshold;
		return nextafter(n->threshold, pick == 2 ? -INFINITY : INFINITY);
	}
	return 0.0;
}

/* Raw outputs of both blobs on edge rows, compared bit for bit. */
static void
compare_with_walk(const char *name, const md_model *fast)
{
	md_dforest f = md_dforest_of(fast);
	uint32_t nf = md_model_meta(fast)->n_features;
	uint32_t no = md_model_meta(fast)->n_outputs;
	size_t len;
	void *walk_blob = copy_without_fast(fast, &len);
	md_model walk;
	md_error err;
	double *x = malloc(sizeof(double) * ROWS * nf);
	double *a = malloc(sizeof(double) * ROWS * no);
	double *b = malloc(sizeof(double) * ROWS * no);
	void *ws_a = malloc(md_workspace_size(fast));
	void *ws_b;
	size_t differ = 0;

	if (!tap_ok(md_open(&walk, walk_blob, len, MD_OPEN_VALIDATE, &err) ==
					MD_OK,
				"%s: the blob without its fast section opens", name))
		return;
	ws_b = malloc(md_workspace_size(&walk));
	for (size_t i = 0; i < (size_t) ROWS * nf; i++)
		x[i] = edge_value(&f, (uint32_t) (i % nf));
	md_score(fast, MD_OUTPUT_RAW, x, ROWS, a, ws_a);
	md_score(&walk, MD_OUTPUT_RAW, x, ROWS, b, ws_b);
	for (size_t i = 0; i < (size_t) ROWS * no; i++)
		differ += memcmp(&a[i], &b[i], sizeof(double)) != 0;
	tap_ok(differ == 0, "%s: fast layout and node walk agree bit for bit "
						"on %d edge rows (%zu outputs differ)",
		   name, ROWS, differ);
	free(x);
	free(a);
	free(b);
	free(ws_a);
	free(ws_b);
	md_blob_free(walk_blob);
}

/* --- the validator ------------------------------------------------------- */

typedef enum damage
{
	DAMAGE_SLOT,		/* a split reads past the slots */
	DAMAGE_RULE,		/* a slot of a rule not computed */
	DAMAGE_THRESHOLD,	/* a NaN threshold */
	DAMAGE_LEAF,		/* an infinite leaf */
	DAMAGE_GROUP_KIND,	/* unknown group kind */
	DAMAGE_NEXT,		/* a complete group with steps */
	DAMAGE_RULES,		/* an unknown rule */
	DAMAGE_NEXT_OFFSET, /* the step array past the section end */
	DAMAGE_NODE_STEP,	/* a node-stepped tree steps out of it */
	DAMAGE_NODE_LEAF	/* a leaf of one that a row can leave */
} damage;

static const char *const damage_names[] = {
	"slot out of range",
	"slot of a rule not computed",
	"NaN threshold",
	"infinite leaf",
	"unknown group kind",
	"step in a complete group",
	"unknown rule",
	"step array past the section",
	"node step out of its tree",
	"node-stepped leaf that can be left",
};

static void
apply_damage(md_model *m, damage d)
{
	md_dfast_header *h = (md_dfast_header *) md_section_ptr(m, MD_SEC_DTREES_FAST);
	unsigned char *base = (unsigned char *) h;
	md_fast_group *g = (md_fast_group *) (base + h->groups_offset);
	double *thresholds = (double *) (base + h->thresholds_offset);
	uint16_t *slots = (uint16_t *) (base + h->slots_offset);
	double *leaves = (double *) (base + h->leaves_offset);
	uint32_t *next = (uint32_t *) (base + h->next_offset);
	uint32_t nf = md_model_meta(m)->n_features;

	switch (d)
	{
		case DAMAGE_SLOT:
			slots[0] = (uint16_t) (MD_DSLOT__COUNT * nf);
			break;
		case DAMAGE_RULE:
			for (uint32_t r = 0; r < MD_DSLOT__COUNT; r++)
				if (!(h->rules & (1u << r)))
					slots[0] = (uint16_t) (r * nf);
			break;
		case DAMAGE_THRESHOLD:
			thresholds[h->n_nodes - 1] = NAN;
			break;
		case DAMAGE_LEAF:
			leaves[0] = INFINITY;
			break;
		case DAMAGE_GROUP_KIND:
			g[0].kind = 9;
			break;
		case DAMAGE_NEXT:
			next[0] = 1;
			break;
		case DAMAGE_RULES:
			h->rules |= 1u << MD_DSLOT__COUNT;
			break;
		case DAMAGE_NEXT_OFFSET:
			h->next_offset = m->section_size[MD_SEC_DTREES_FAST] - 16;
			break;
		case DAMAGE_NODE_STEP:
		case DAMAGE_NODE_LEAF:
			for (uint32_t i = 0; i < h->n_groups; i++)
			{
				uint64_t last = g[i].first_node + g[i].width - 1;

				if (g[i].kind != MD_FAST_NODES)
					continue;
				if (d == DAMAGE_NODE_STEP)
					next[g[i].first_node] = g[i].width - 1;
				else
					thresholds[last] = 1.0; /* next[last] is last */
				break;
			}
			break;
	}
}

static void
check_validator(const char *name, const void *blob, size_t blob_len,
				damage first, damage last)
{
	md_error err;

	for (damage d = first; d <= last; d++)
	{
		unsigned char *copy = malloc(blob_len);
		md_blob_header *hdr = (md_blob_header *) copy;
		md_model view;
		md_status st;

		memcpy(copy, blob, blob_len);
		md_open(&view, copy, blob_len, MD_OPEN_TRUSTED, &err);
		apply_damage(&view, d);
		hdr->checksum = md_checksum(copy + sizeof(md_blob_header),
									blob_len - sizeof(md_blob_header));
		st = md_open(&view, copy, blob_len, MD_OPEN_VALIDATE, &err);
		tap_ok(st == MD_ERR_BLOB && strstr(err.message, "corrupt") != NULL,
			   "%s: a blob with a %s is refused (%s)", name, damage_names[d],
			   err.message);
		free(copy);
	}
}

/* --- deep trees ------------------------------------------------------------ */

static void
put(char **at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*at += vsprintf(*at, fmt, ap);
	va_end(ap);
}

/*
 * A LightGBM text model of 'n_trees' chains of depth 11 + t % 6 on 3
 * features: split i cuts at i / 4 - 1, its leaf on one side (alternating),
 * with decision types cycling through NaN, Zero and None missing values,
 * default left and right.
 */
static char *
chain_model(uint32_t n_trees)
{
	static const int decision[] = {8, 10, 4, 6, 0, 2};
	char *text = malloc(64 * 1024 * (size_t) n_trees);
	char *at = text;

	put(&at, "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\n"
			 "label_index=0\nmax_feature_idx=2\nobjective=regression\n"
			 "feature_names=a b c\nfeature_infos=[-5:5] [-5:5] [-5:5]\n\n");
	for (uint32_t t = 0; t < n_trees; t++)
	{
		uint32_t depth = 11 + t % 6;

		put(&at, "Tree=%u\nnum_leaves=%u\nnum_cat=0\nsplit_feature=", t,
			depth + 1);
		for (uint32_t i = 0; i < depth; i++)
			put(&at, "%s%u", i ? " " : "", (i + t) % 3);
		put(&at, "\nthreshold=");
		for (uint32_t i = 0; i < depth; i++)
			put(&at, "%s%.17g", i ? " " : "", i / 4.0 - 1.0 + t * 1e-3);
		put(&at, "\ndecision_type=");
		for (uint32_t i = 0; i < depth; i++)
			put(&at, "%s%d", i ? " " : "", decision[(i + t) % 6]);
		/* node i: leaf i on the left when i is even, else on the right */
		put(&at, "\nleft_child=");
		for (uint32_t i = 0; i < depth; i++)
			put(&at, "%s%d", i ? " " : "",
				(i % 2 == 0 || i + 1 == depth) ? -(int) i - 1 : (int) i + 1);
		put(&at, "\nright_child=");
		for (uint32_t i = 0; i < depth; i++)
			put(&at, "%s%d", i ? " " : "",
				i + 1 == depth ? -(int) depth - 1 : i % 2 == 0 ? (int) i + 1
															   : -(int) i - 1);
		put(&at, "\nleaf_value=");
		for (uint32_t i = 0; i <= depth; i++)
			put(&at, "%s%.17g", i ? " " : "", (i + 1) * 0.1 + t * 1e-4);
		put(&at, "\nis_linear=0\nshrinkage=1\n\n\n");
	}
	put(&at, "end of trees\n");
	return text;
}

/* Some chains (node-stepped groups), scored as the node walk scores them. */
static void
check_deep_trees(void)
{
	char *text = chain_model(40);
	void *blob;
	size_t blob_len;
	md_model m;
	md_error err;
	const md_dfast_header *h;
	const md_fast_group *g;
	uint32_t nodes = 0;

	if (!tap_ok(md_compile(text, strlen(text), MD_FORMAT_AUTO, NULL, &blob,
						   &blob_len, &err) == MD_OK &&
					md_open(&m, blob, blob_len, MD_OPEN_VALIDATE, &err) == MD_OK,
				"a model of chains 11 to 16 deep compiles (%s)",
				err.message))
	{
		free(text);
		return;
	}
	h = md_section_ptr(&m, MD_SEC_DTREES_FAST);
	g = (const md_fast_group *) ((const unsigned char *) h + h->groups_offset);
	for (uint32_t i = 0; i < h->n_groups; i++)
		nodes += g[i].kind == MD_FAST_NODES ? g[i].n_trees : 0;
	tap_ok(nodes == 40, "its 40 chains are stepped by nodes (%u are)", nodes);
	compare_with_walk("chains", &m);
	check_validator("chains", blob, blob_len, DAMAGE_NODE_STEP,
					DAMAGE_NODE_LEAF);
	md_blob_free(blob);
	free(text);
}

static void
check_model(const char *dir, const char *file, bool damage)
{
	char path[4096];
	size_t len;
	char *text;
	void *blob;
	size_t blob_len;
	md_model m;
	md_error err;

	snprintf(path, sizeof(path), "%s/../../fuzz/seeds/%s", dir, file);
	text = read_file(path, &len);
	if (!tap_ok(text != NULL &&
					md_compile(text, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
							   &err) == MD_OK &&
					md_open(&m, blob, blob_len, MD_OPEN_VALIDATE, &err) == MD_OK,
				"%s compiles", file))
		return;
	tap_ok(md_section_ptr(&m, MD_SEC_DTREES_FAST) != NULL,
		   "%s has the fast layout", file);
	compare_with_walk(file, &m);
	if (damage)
		check_validator(file, blob, blob_len, DAMAGE_SLOT, DAMAGE_NEXT_OFFSET);
	md_blob_free(blob);
	free(text);
}

int
main(int argc, char **argv)
{
	static const char *const models[] = {
		"lightgbm/binary_nan.txt",
		"lightgbm/binary_zero.txt",
		"lightgbm/categorical.txt",
		"lightgbm/linear.txt",
		"lightgbm/multiclass.txt",
		"lightgbm/regression_none.txt",
		"lightgbm/rf.txt",
		"lightgbm/single_leaf.txt",
		"catboost/depthwise.json",
		"catboost/lossguide.json",
		"catboost/logloss_max.json",
		"catboost/logloss_min.json",
		"catboost/multiclass.json",
		"catboost/onehot.json",
		"catboost/scaled.json",
	};

	if (argc < 2)
	{
		fprintf(stderr, "usage: test_dfast FIXTURE_DIR\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		check_model(argv[1], models[i], i == 0);
	check_deep_trees();
	return tap_done();
}
