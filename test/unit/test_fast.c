/*-------------------------------------------------------------------------
 *
 * test_fast.c
 *	  The fast layout of tree ensembles (MD_SEC_FOREST_FAST) against the
 *	  node walk, and its validator against corrupt blobs.
 *
 * The node walk is the oracle here: test_fixtures shows it reproduces
 * XGBoost bit for bit.  Every model is scored twice, once as compiled
 * (fast layout) and once from a copy of its blob without the fast section
 * (node walk only), on rows built to hit every edge of a split: values
 * exactly equal to thresholds and one float step either side, NaN and both
 * infinities.  Raw margins must agree bit for bit, whether rows are scored
 * one per call, in blocks, or from doubles.  Models: the fixtures (DART,
 * categorical, multi-class, depth 10...) and synthetic forests mixing
 * shapes the layout handles differently (single leaves, every depth up to
 * 12, chains too sparse to pad, several outputs in random order).
 *
 * Usage: test_fast FIXTURE_DIR
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"
#include "tap.h"
#include "testutil.h"

/* --- small utilities ----------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state % n);
}

typedef struct text
{
	char *s;
	size_t len;
	size_t cap;
} text;

__attribute__((format(printf, 2, 3))) static void
put(text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->s == NULL)
	{
		t->cap = 4096;
		t->s = malloc(t->cap);
	}
	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if ((size_t) n < t->cap - t->len)
			break;
		t->cap = (t->cap + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
	}
	t->len += n;
}

/* --- blobs --------------------------------------------------------------- */

/* A copy of an open blob's sections, leaving out one kind. */
static void *
copy_without(const md_model *m, md_section_kind drop, size_t *len)
{
	md_builder b;
	void *blob = NULL;
	md_error err;

	md_builder_init(&b);
	for (uint32_t k = 0; k < MD_SEC__COUNT; k++)
	{
		if (k == drop || m->section[k] == NULL)
			continue;
		md_builder_begin(&b, (md_section_kind) k);
		md_builder_put(&b, m->section[k], m->section_size[k]);
		md_builder_end(&b);
	}
	md_builder_finish(&b, &blob, len, &err);
	md_builder_free(&b);
	return blob;
}

static md_fast_header *
fast_header(const md_model *m)
{
	return (md_fast_header *) md_section_ptr(m, MD_SEC_FOREST_FAST);
}

static md_fast_group *
fast_groups(const md_model *m)
{
	md_fast_header *h = fast_header(m);

	return (md_fast_group *) ((unsigned char *) h + h->groups_offset);
}

/* --- rows that test every edge of the splits ----------------------------- */

/* Thresholds of numeric splits on each feature, and whether any is categorical. */
typedef struct split_values
{
	float **values;
	size_t *count;
	bool categorical;
} split_values;

static split_values
collect_splits(const md_model *m)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	const md_node *nodes = (const md_node *) ((const unsigned char *) fh +
											  fh->nodes_offset);
	uint32_t nf = md_model_meta(m)->n_features;
	split_values sv;

	sv.values = calloc(nf, sizeof(float *));
	sv.count = calloc(nf, sizeof(size_t));
	sv.categorical = false;
	for (uint64_t i = 0; i < fh->n_nodes; i++)
	{
		const md_node *n = &nodes[i];

		if (n->left == 0)
			continue;
		if (n->flags & MD_NODE_CATEGORICAL)
		{
			sv.categorical = true;
			continue;
		}
		sv.values[n->feature] = realloc(sv.values[n->feature],
										sizeof(float) * (sv.count[n->feature] + 1));
		sv.values[n->feature][sv.count[n->feature]++] = n->value;
	}
	return sv;
}

static float
edge_value(const split_values *sv, uint32_t f)
{
	uint32_t pick = rnd(100);
	float t;

	if (pick < 8)
		return NAN;
	if (pick < 12)
		return INFINITY;
	if (pick < 16)
		return -INFINITY;
	if (sv->categorical && pick < 40)
		return (float) rnd(40) - 1.0f; /* categories, unseen and negative */
	if (sv->count[f] == 0)
		return (float) rnd(2001) / 100.0f - 10.0f;
	t = sv->values[f][rnd(sv->count[f])];
	if (pick < 60)
		return t;
	return pick < 80 ? nextafterf(t, INFINITY) : nextafterf(t, -INFINITY);
}

static float *
edge_rows(const md_model *m, size_t n_rows)
{
	uint32_t nf = md_model_meta(m)->n_features;
	split_values sv = collect_splits(m);
	float *x = malloc(sizeof(float) * n_rows * nf);

	for (size_t r = 0; r < n_rows; r++)
		for (uint32_t f = 0; f < nf; f++)
			x[r * nf + f] = edge_value(&sv, f);
	for (uint32_t f = 0; f < nf; f++)
		free(sv.values[f]);
	free(sv.values);
	free(sv.count);
	return x;
}

/* --- the comparison ------------------------------------------------------ */

static size_t
count_differences(const double *a, const double *b, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof(double)) != 0)
			bad++;
	return bad;
}

/*
 * Score edge rows with the fast layout (all rows at once, one row per
 * call, and from doubles) and with the node walk; all must agree.
 */
static void
compare_with_walk(const char *name, const md_model *fast, size_t n_rows)
{
	md_model walk;
	md_error err;
	size_t walk_len;
	void *walk_blob = copy_without(fast, MD_SEC_FOREST_FAST, &walk_len);
	uint32_t nf = md_model_meta(fast)->n_features;
	uint32_t no = md_model_meta(fast)->n_outputs;
	float *x = edge_rows(fast, n_rows);
	double *xd = malloc(sizeof(double) * n_rows * nf);
	double *want = malloc(sizeof(double) * n_rows * no);
	double *batch = malloc(sizeof(double) * n_rows * no);
	double *single = malloc(sizeof(double) * n_rows * no);
	double *from_double = malloc(sizeof(double) * n_rows * no);
	void *ws_walk,
		*ws_fast;

	if (!tap_ok(md_open(&walk, walk_blob, walk_len, MD_OPEN_VALIDATE, &err) == MD_OK &&
					md_section_ptr(&walk, MD_SEC_FOREST_FAST) == NULL,
				"%s: opens without its fast layout", name))
		tap_diag("%s", err.message);
	ws_walk = malloc(md_workspace_size(&walk));
	ws_fast = malloc(md_workspace_size(fast));
	for (size_t i = 0; i < n_rows * nf; i++)
		xd[i] = x[i];

	md_score_f32(&walk, MD_OUTPUT_RAW, x, n_rows, want, ws_walk);
	md_score_f32(fast, MD_OUTPUT_RAW, x, n_rows, batch, ws_fast);
	for (size_t r = 0; r < n_rows; r++)
		md_score_f32(fast, MD_OUTPUT_RAW, x + r * nf, 1, single + r * no,
					 ws_fast);
	md_score(fast, MD_OUTPUT_RAW, xd, n_rows, from_double, ws_fast);

	tap_ok(count_differences(want, batch, n_rows * no) == 0,
		   "%s: %zu edge rows in blocks: margins bit-identical to the node "
		   "walk",
		   name, n_rows);
	tap_ok(count_differences(want, single, n_rows * no) == 0,
		   "%s: one row per call: margins bit-identical to the node walk",
		   name);
	tap_ok(count_differences(want, from_double, n_rows * no) == 0,
		   "%s: double input: margins bit-identical to the node walk", name);

	free(ws_walk);
	free(ws_fast);
	free(x);
	free(xd);
	free(want);
	free(batch);
	free(single);
	free(from_double);
	md_blob_free(walk_blob);
}

/*
 * Which trees the layout holds: tree t is in a complete group exactly when
 * it has no categorical split, is at most MD_FAST_MAX_DEPTH deep, and is
 * at most 6 deep or has at least 1/64 of its 2^depth slots as real leaves;
 * complete groups hold at most MD_FAST_GROUP_MAX trees, as deep as the
 * deepest of them.  Returns the number of trees left to the walk.
 */
static uint32_t
check_groups(const char *name, const md_model *m)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	const unsigned char *base = (const unsigned char *) fh;
	const md_tree *trees = (const md_tree *) (base + fh->trees_offset);
	const md_node *nodes = (const md_node *) (base + fh->nodes_offset);
	const md_fast_header *h = fast_header(m);
	const md_fast_group *groups = fast_groups(m);
	uint32_t walked = 0,
			 wrong = 0;

	for (uint32_t i = 0; i < h->n_groups; i++)
	{
		const md_fast_group *g = &groups[i];
		uint32_t deepest = 0;

		for (uint32_t t = g->first_tree; t < g->first_tree + g->n_trees; t++)
		{
			const md_tree *tree = &trees[t];
			bool categorical = false;
			bool fits;

			for (uint32_t k = 0; k < tree->n_nodes; k++)
				categorical |= (nodes[tree->first_node + k].flags &
								MD_NODE_CATEGORICAL) != 0;
			fits = !categorical && tree->max_depth <= 10 &&
				(tree->max_depth <= 6 ||
				 (1u << tree->max_depth) <= 64 * ((tree->n_nodes + 1) / 2));
			if (fits != (g->kind == MD_FAST_COMPLETE))
				wrong++;
			if (tree->max_depth > deepest)
				deepest = tree->max_depth;
		}
		if (g->kind == MD_FAST_WALK)
			walked += g->n_trees;
		else if (g->depth != deepest || g->n_trees > 16)
			wrong++;
	}
	tap_ok(wrong == 0, "%s: %u trees in %u groups, %u left to the walk, "
					   "each where it belongs",
		   name, fh->n_trees, h->n_groups, walked);
	return walked;
}

/* --- fixtures ------------------------------------------------------------ */

static bool
compile(const char *text, size_t len, void **blob, size_t *blob_len,
		md_model *m)
{
	md_error err;

	if (md_compile(text, len, MD_FORMAT_AUTO, NULL, blob, blob_len, &err) != MD_OK)
	{
		tap_diag("%s", err.message);
		return false;
	}
	return md_open(m, *blob, *blob_len, MD_OPEN_VALIDATE, &err) == MD_OK;
}

/* Compile the fixture NAME in DIR. */
static bool
compile_fixture(const char *dir, const char *name, void **blob,
				size_t *blob_len, md_model *m)
{
	char path[1024];
	size_t len;
	char *src;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s.model.json", dir, name);
	src = read_file(path, &len);
	ok = src != NULL && compile(src, len, blob, blob_len, m);
	free(src);
	return ok;
}

static void
check_fixture(const char *dir, const char *name)
{
	size_t blob_len;
	void *blob;
	md_model m;

	if (!tap_ok(compile_fixture(dir, name, &blob, &blob_len, &m),
				"%s compiles", name))
		return;
	if (md_model_meta(&m)->estimator == MD_EST_LINEAR)
		tap_ok(fast_header(&m) == NULL, "%s: linear, no fast layout", name);
	else
	{
		const md_forest_header *fh = md_section_ptr(&m, MD_SEC_FOREST);
		uint32_t walked = check_groups(name, &m);

		/* XGBoost's usual trees (numeric, depth <= 6) are all laid out */
		tap_ok(walked == 0 || (fh->flags & MD_FOREST_CATEGORICAL) ||
				   fh->max_depth > 6,
			   "%s: %s", name,
			   walked ? "categorical or sparse deep trees walk" : "every tree in the fast layout");
		compare_with_walk(name, &m, 3000);
	}
	md_blob_free(blob);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
check_fixtures(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[256];
	size_t n = 0;
	const char *suffix = ".model.json";

	if (!tap_ok(d != NULL, "fixture directory %s opens", dir))
		return;
	while ((e = readdir(d)) != NULL && n < 256)
	{
		size_t l = strlen(e->d_name);

		if (l > strlen(suffix) &&
			strcmp(e->d_name + l - strlen(suffix), suffix) == 0)
			names[n++] = strndup(e->d_name, l - strlen(suffix));
	}
	closedir(d);
	qsort(names, n, sizeof(char *), compare_names);
	for (size_t i = 0; i < n; i++)
	{
		check_fixture(dir, names[i]);
		free(names[i]);
	}
}

/* --- synthetic forests --------------------------------------------------- */

#define SYN_FEATURES 5
#define SYN_MAX_NODES 8192

/* Tree shapes the layout treats differently. */
typedef enum shape
{
	SHAPE_LEAF,	  /* a single leaf: depth 0 */
	SHAPE_FULL,	  /* complete to its depth */
	SHAPE_RANDOM, /* branches end at random */
	SHAPE_CHAIN	  /* one long branch: too sparse to pad */
} shape;

static const float syn_thresholds[] = {-1.0f, -0.5f, 0.0f, 0.25f, 0.5f,
									   1.0f, 2.5f, 1e-30f};

/*
 * Append one tree in XGBoost's JSON form, nodes numbered as created, its
 * splits on the last SYN_FEATURES of n_features features.
 */
static void
put_tree(text *t, uint32_t id, shape sh, uint32_t depth, uint32_t n_features)
{
	static int left[SYN_MAX_NODES],
		right[SYN_MAX_NODES],
		level[SYN_MAX_NODES];
	int n = 1;
	const char *keys[] = {"left_children", "right_children", "split_indices",
						  "split_conditions", "default_left"};

	level[0] = 0;
	for (int i = 0; i < n; i++)
	{
		bool split = level[i] < (int) depth &&
			(sh == SHAPE_FULL ||
			 (sh == SHAPE_RANDOM && (level[i] < 2 || rnd(10) < 7)) ||
			 (sh == SHAPE_CHAIN && (i == 0 || left[i - 1] != i)));

		left[i] = right[i] = -1;
		if (!split || n + 2 > SYN_MAX_NODES)
			continue;
		left[i] = n;
		right[i] = n + 1;
		level[n] = level[n + 1] = level[i] + 1;
		n += 2;
	}
	put(t, "%s{\"id\":%u,\"tree_param\":{\"num_nodes\":\"%d\"}", id ? "," : "",
		id, n);
	for (int k = 0; k < 5; k++)
	{
		put(t, ",\"%s\":[", keys[k]);
		for (int i = 0; i < n; i++)
		{
			const char *sep = i ? "," : "";

			if (k == 0)
				put(t, "%s%d", sep, left[i]);
			else if (k == 1)
				put(t, "%s%d", sep, right[i]);
			else if (k == 2)
				put(t, "%s%u", sep, left[i] < 0 ? 0 : n_features - SYN_FEATURES + rnd(SYN_FEATURES));
			else if (k == 3)
				put(t, "%s%.9g", sep, left[i] < 0 ? (double) ((float) rnd(2001) / 1000.0f - 1.0f) : (double) syn_thresholds[rnd(8)]);
			else
				put(t, "%s%u", sep, rnd(2));
		}
		put(t, "]");
	}
	put(t, "}");
}

/*
 * A forest of the given shapes and depths (cycled over n_trees trees),
 * with n_classes outputs (0: regression) and trees assigned to outputs at
 * random, over n_features features.
 */
static char *
synthetic_model(uint32_t n_trees, const shape *shapes, const uint32_t *depths,
				uint32_t n_shapes, uint32_t n_classes, uint32_t n_features)
{
	text t = {0};
	uint32_t *outputs = malloc(sizeof(uint32_t) * n_trees);

	put(&t, "{\"version\":[1,7,4],\"learner\":{\"feature_names\":[],"
			"\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":"
			"\"%u\",\"num_feature\":\"%d\",\"num_target\":\"1\"},"
			"\"objective\":{\"name\":\"%s\"},\"gradient_booster\":{\"name\":"
			"\"gbtree\",\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":"
			"\"1\",\"num_trees\":\"%u\"},\"trees\":[",
		n_classes, n_features,
		n_classes ? "multi:softprob" : "reg:squarederror", n_trees);
	for (uint32_t i = 0; i < n_trees; i++)
	{
		put_tree(&t, i, shapes[i % n_shapes], depths[i % n_shapes],
				 n_features);
		outputs[i] = n_classes ? rnd(n_classes) : 0;
	}
	put(&t, "],\"tree_info\":[");
	for (uint32_t i = 0; i < n_trees; i++)
		put(&t, "%s%u", i ? "," : "", outputs[i]);
	put(&t, "]}}}}");
	free(outputs);
	return t.s;
}

static void
check_synthetic(const char *name, uint32_t n_trees, const shape *shapes,
				const uint32_t *depths, uint32_t n_shapes, uint32_t n_classes,
				bool expect_walk)
{
	char *src = synthetic_model(n_trees, shapes, depths, n_shapes,
								n_classes, SYN_FEATURES);
	void *blob;
	size_t blob_len;
	md_model m;

	if (tap_ok(compile(src, strlen(src), &blob, &blob_len, &m),
			   "%s compiles", name))
	{
		tap_ok((check_groups(name, &m) > 0) == expect_walk, "%s: %s", name,
			   expect_walk ? "some trees walk" : "no tree walks");
		compare_with_walk(name, &m, 2000);
		md_blob_free(blob);
	}
	free(src);
}

static void
check_synthetic_forests(void)
{
	/* every depth the layout holds, and the two ways out of it */
	const shape mixed[] = {SHAPE_FULL, SHAPE_RANDOM, SHAPE_LEAF, SHAPE_CHAIN,
						   SHAPE_FULL, SHAPE_RANDOM, SHAPE_FULL, SHAPE_RANDOM, SHAPE_CHAIN,
						   SHAPE_FULL, SHAPE_RANDOM};
	const uint32_t mixed_depth[] = {6, 8, 0, 12, 1, 3, 10, 10, 10, 11, 5};
	/* only layout trees (depth <= 6), with depths varying inside groups */
	const shape padded[] = {SHAPE_RANDOM, SHAPE_FULL, SHAPE_RANDOM,
							SHAPE_LEAF, SHAPE_CHAIN};
	const uint32_t padded_depth[] = {6, 2, 4, 0, 5};

	check_synthetic("mixed shapes", 150, mixed, mixed_depth, 11, 0, true);
	check_synthetic("mixed shapes, 3 classes", 150, mixed, mixed_depth, 11, 3,
					true);
	check_synthetic("padded depths, 4 classes", 120, padded, padded_depth, 5,
					4, false);
	/* a partial last group: 16k + 1 trees */
	check_synthetic("17 trees", 17, padded, padded_depth, 5, 0, false);
}

/*
 * Feature indices of the layout are 16-bit: a forest of 32768 features,
 * whose splits read indices up to 65535 (a missing value going right on
 * the last feature), has the fast section; one of 32769 has none and
 * scores with the node walk alone.
 */
static void
check_wide_forests(void)
{
	const shape full[] = {SHAPE_FULL, SHAPE_RANDOM};
	const uint32_t depths[] = {6, 5};

	for (uint32_t n = MD_FAST_MAX_FEATURES; n <= MD_FAST_MAX_FEATURES + 1; n++)
	{
		char *src = synthetic_model(20, full, depths, 2, 0, n);
		void *blob;
		size_t blob_len;
		md_model m;
		char name[64];

		snprintf(name, sizeof(name), "%u features", n);
		if (tap_ok(compile(src, strlen(src), &blob, &blob_len, &m),
				   "%s compiles", name))
		{
			bool fast = md_section_ptr(&m, MD_SEC_FOREST_FAST) != NULL;

			tap_ok(fast == (n <= MD_FAST_MAX_FEATURES), "%s: %s", name,
				   fast ? "fast layout" : "no fast layout");
			compare_with_walk(name, &m, 40);
			md_blob_free(blob);
		}
		free(src);
	}
}

/* --- the validator ------------------------------------------------------- */

typedef enum damage
{
	DAMAGE_FEATURE,			  /* a split reads outside the row */
	DAMAGE_THRESHOLD,		  /* an infinite threshold */
	DAMAGE_GROUP_SIZE,		  /* more trees than the scorer's block */
	DAMAGE_GROUP_DEPTH,		  /* deeper than the layout allows */
	DAMAGE_GROUP_TILING,	  /* a group's nodes overlap its neighbour's */
	DAMAGE_NODE_COUNT,		  /* counts disagree with the arrays */
	DAMAGE_TREE_COUNT,		  /* the groups do not cover the forest */
	DAMAGE_LEAF,			  /* a NaN leaf */
	DAMAGE_GROUP_KIND,		  /* unknown group kind */
	DAMAGE_THRESHOLDS_OFFSET, /* the threshold array past the section end */
	DAMAGE_FEATURES_OFFSET	  /* the feature array past the section end */
} damage;

static const char *const damage_names[] = {
	"split feature out of range",
	"infinite threshold",
	"group of 17 trees",
	"group depth 11",
	"overlapping groups",
	"node count off by one",
	"trees not covered",
	"NaN leaf",
	"unknown group kind",
	"threshold array past the section",
	"feature array past the section",
};

static void
apply_damage(md_model *m, damage d)
{
	md_fast_header *h = fast_header(m);
	md_fast_group *g = fast_groups(m);
	unsigned char *base = (unsigned char *) h;
	float *thresholds = (float *) (base + h->thresholds_offset);
	uint16_t *features = (uint16_t *) (base + h->features_offset);
	float *leaves = (float *) (base + h->leaves_offset);

	switch (d)
	{
		case DAMAGE_FEATURE:
			features[h->n_nodes - 1] = 2 * md_model_meta(m)->n_features;
			break;
		case DAMAGE_THRESHOLD:
			thresholds[h->n_nodes / 2] = INFINITY;
			break;
		case DAMAGE_GROUP_SIZE:
			g[0].n_trees = 17;
			g[1].first_tree = 17;
			break;
		case DAMAGE_GROUP_DEPTH:
			g[0].depth = 11;
			break;
		case DAMAGE_GROUP_TILING:
			g[1].first_node -= 1;
			break;
		case DAMAGE_NODE_COUNT:
			h->n_nodes += 1;
			break;
		case DAMAGE_TREE_COUNT:
			h->n_groups -= 1;
			break;
		case DAMAGE_LEAF:
			leaves[0] = NAN;
			break;
		case DAMAGE_GROUP_KIND:
			g[0].kind = 3;
			break;
		case DAMAGE_THRESHOLDS_OFFSET:
			h->thresholds_offset = m->section_size[MD_SEC_FOREST_FAST] - 16;
			break;
		case DAMAGE_FEATURES_OFFSET:
			h->features_offset = m->section_size[MD_SEC_FOREST_FAST] - 16;
			break;
	}
}

static void
check_validator(const char *dir)
{
	size_t blob_len;
	void *blob;
	md_model m;
	md_error err;

	if (!tap_ok(compile_fixture(dir, "bc_logistic", &blob, &blob_len, &m) &&
					fast_header(&m)->n_groups > 2,
				"bc_logistic compiles with several groups"))
		return;
	for (damage d = DAMAGE_FEATURE; d <= DAMAGE_FEATURES_OFFSET; d++)
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
			   "a blob with a %s is refused (%s)", damage_names[d],
			   err.message);
		free(copy);
	}
	md_blob_free(blob);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
	{
		fprintf(stderr, "usage: test_fast FIXTURE_DIR\n");
		return 2;
	}
	check_fixtures(argv[1]);
	check_synthetic_forests();
	check_wide_forests();
	check_validator(argv[1]);
	return tap_done();
}
