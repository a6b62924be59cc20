/*-------------------------------------------------------------------------
 *
 * test_blob_validate.c
 *	  The validators of md_open(MD_OPEN_VALIDATE) against one targeted
 *	  corruption of each invariant the scoring loops rely on.
 *
 * Each case compiles a fixture, breaks one field of the blob through the
 * structs of md_blob.h (so the cases follow the layout when it changes),
 * recomputes the checksum so that the field's own validator is what must
 * refuse it, and expects MD_ERR_BLOB.  The untouched blob must open: that
 * is the control that shows the refusal comes from the corruption.
 *
 * Usage: test_blob_validate FIXTURE_DIR
 *
 *-------------------------------------------------------------------------
 */
#include "tap.h"
#include "../fuzz/harness.h"
#include "strtab.h"

/* Writable views of the sections of a blob being corrupted. */
typedef struct blob_parts
{
	md_blob_header *header;
	md_section *table;
	md_meta *meta;
	md_forest_header *forest;
	md_tree *trees;
	md_node *nodes;
	float *cover;
	md_strtab *names;
	md_linear_header *linear;
} blob_parts;

static void *
section_of(unsigned char *blob, md_section_kind kind)
{
	md_blob_header *h = (md_blob_header *) blob;
	md_section *table = (md_section *) (h + 1);

	for (uint32_t i = 0; i < h->n_sections; i++)
		if (table[i].kind == (uint32_t) kind)
			return blob + table[i].offset;
	return NULL;
}

static blob_parts
parts_of(unsigned char *blob)
{
	blob_parts p = {0};

	p.header = (md_blob_header *) blob;
	p.table = (md_section *) (p.header + 1);
	p.meta = section_of(blob, MD_SEC_META);
	p.forest = section_of(blob, MD_SEC_FOREST);
	if (p.forest != NULL)
	{
		p.trees = (md_tree *) ((unsigned char *) p.forest + p.forest->trees_offset);
		p.nodes = (md_node *) ((unsigned char *) p.forest + p.forest->nodes_offset);
	}
	p.cover = section_of(blob, MD_SEC_FOREST_COVER);
	p.names = section_of(blob, MD_SEC_FEATURE_NAMES);
	p.linear = section_of(blob, MD_SEC_LINEAR);
	return p;
}

/* The first internal node of tree 0 is its root. */
static void
root_made_leaf(blob_parts *p)
{
	p->nodes[0].left = 0;
}
static void
root_left_back(blob_parts *p)
{
	p->nodes[1].left = 1;
}
static void
root_left_huge(blob_parts *p)
{
	p->nodes[0].left = UINT32_MAX;
}
static void
root_left_last(blob_parts *p)
{
	p->nodes[0].left = p->trees[0].n_nodes - 1;
}
static void
feature_out_of_range(blob_parts *p)
{
	p->nodes[0].feature = p->meta->n_features;
}
static void
threshold_nan(blob_parts *p)
{
	p->nodes[0].value = NAN;
}
static void
threshold_inf(blob_parts *p)
{
	p->nodes[0].value = INFINITY;
}
static void
leaf_nan(blob_parts *p)
{
	p->nodes[p->trees[0].n_nodes - 1].value = NAN;
}
static void
node_flag_unknown(blob_parts *p)
{
	p->nodes[0].flags |= 0x80;
}
static void
categories_outside(blob_parts *p)
{
	p->nodes[0].flags |= MD_NODE_CATEGORICAL;
	p->nodes[0].cat_offset = (uint32_t) p->forest->n_cat_words;
	p->nodes[0].cat_words = 1;
}
static void
categories_wrap(blob_parts *p)
{
	p->nodes[0].flags |= MD_NODE_CATEGORICAL;
	p->nodes[0].cat_offset = UINT32_MAX;
	p->nodes[0].cat_words = 2;
}
static void
tree_first_node(blob_parts *p)
{
	p->trees[1].first_node += 1;
}
static void
tree_no_nodes(blob_parts *p)
{
	p->trees[0].n_nodes = 0;
}
static void
tree_too_many_nodes(blob_parts *p)
{
	p->trees[p->forest->n_trees - 1].n_nodes += 2;
}
static void
tree_output(blob_parts *p)
{
	p->trees[0].output = p->forest->n_outputs;
}
static void
tree_weight(blob_parts *p)
{
	p->trees[0].weight = NAN;
}
static void
tree_depth(blob_parts *p)
{
	p->trees[0].max_depth += 1;
}
static void
forest_no_trees(blob_parts *p)
{
	p->forest->n_trees = 0;
}
static void
forest_trees_huge(blob_parts *p)
{
	p->forest->n_trees = UINT32_MAX;
}
static void
forest_nodes_huge(blob_parts *p)
{
	p->forest->n_nodes = UINT64_MAX / 8;
}
static void
forest_outputs(blob_parts *p)
{
	p->forest->n_outputs += 1;
}
static void
forest_flags(blob_parts *p)
{
	p->forest->flags |= 0x100;
}
static void
forest_misaligned(blob_parts *p)
{
	p->forest->nodes_offset += 4;
}
static void
forest_depth(blob_parts *p)
{
	p->forest->max_depth += 1;
}
static void
forest_base_margin(blob_parts *p)
{
	((float *) ((unsigned char *) p->forest + p->forest->base_margin_offset))[0] = INFINITY;
}
static void
cover_negative(blob_parts *p)
{
	p->cover[3] = -1.0f;
}
static void
cover_nan(blob_parts *p)
{
	p->cover[0] = NAN;
}
static void
meta_objective(blob_parts *p)
{
	p->meta->objective = 999;
}
static void
meta_booster(blob_parts *p)
{
	p->meta->booster = 0;
}
static void
meta_estimator(blob_parts *p)
{
	p->meta->estimator = 3;
}
static void
meta_format(blob_parts *p)
{
	p->meta->format = 77;
}
static void
meta_no_features(blob_parts *p)
{
	p->meta->n_features = 0;
}
static void
meta_no_outputs(blob_parts *p)
{
	p->meta->n_outputs = 0;
}
static void
sections_none(blob_parts *p)
{
	p->header->n_sections = 0;
}
static void
sections_many(blob_parts *p)
{
	p->header->n_sections = MD_SEC__COUNT + 1;
}
static void
section_repeated(blob_parts *p)
{
	p->table[1].kind = p->table[0].kind;
}
static void
section_kind(blob_parts *p)
{
	p->table[1].kind = MD_SEC__COUNT;
}
static void
section_past_end(blob_parts *p)
{
	p->table[1].size = p->header->total_size;
}
static void
section_misaligned(blob_parts *p)
{
	p->table[1].offset += 8;
}
static void
section_over_table(blob_parts *p)
{
	p->table[0].offset = 0;
}
static void
names_count(blob_parts *p)
{
	p->names->count -= 1;
}
static void
names_unsorted(blob_parts *p)
{
	uint32_t *sorted = (uint32_t *) ((char *) p->names +
									 md_strtab_chars_offset(p->names->count) -
									 md_align(sizeof(uint32_t) * p->names->count));
	uint32_t t = sorted[0];

	sorted[0] = sorted[1];
	sorted[1] = t;
}
static void
names_no_nul(blob_parts *p)
{
	char *chars = (char *) p->names + md_strtab_chars_offset(p->names->count);

	chars[p->names->chars_size - 1] = 'x';
}
static void
linear_features(blob_parts *p)
{
	p->linear->n_features += 1;
}
static void
linear_weight(blob_parts *p)
{
	((float *) ((unsigned char *) p->linear + p->linear->weights_offset))[0] = NAN;
}
static void
linear_offset(blob_parts *p)
{
	p->linear->weights_offset = UINT64_MAX - 15;
}

typedef struct corruption
{
	const char *name;
	const char *fixture;
	void (*apply)(blob_parts *p);
} corruption;

#define TREES "iris_softprob.model.json"
#define CATEGORIES "bc_categorical.model.json"
#define LINEAR "linear_bin.model.json"

static const corruption cases[] = {
	{"root made a leaf, its subtree unreachable", TREES, root_made_leaf},
	{"child points backwards", TREES, root_left_back},
	{"child index huge", TREES, root_left_huge},
	{"right child past the tree", TREES, root_left_last},
	{"split feature out of range", TREES, feature_out_of_range},
	{"split threshold NaN", TREES, threshold_nan},
	{"split threshold infinite", TREES, threshold_inf},
	{"leaf NaN", TREES, leaf_nan},
	{"unknown node flag", TREES, node_flag_unknown},
	{"category set outside the pool", TREES, categories_outside},
	{"category set offset wraps around", CATEGORIES, categories_wrap},
	{"tree does not start where the last ended", TREES, tree_first_node},
	{"tree without nodes", TREES, tree_no_nodes},
	{"tree runs past the node array", TREES, tree_too_many_nodes},
	{"tree adds to a missing output", TREES, tree_output},
	{"tree weight NaN", TREES, tree_weight},
	{"tree depth wrong", TREES, tree_depth},
	{"forest without trees", TREES, forest_no_trees},
	{"forest tree count huge", TREES, forest_trees_huge},
	{"forest node count huge", TREES, forest_nodes_huge},
	{"forest output count disagrees", TREES, forest_outputs},
	{"forest flags unknown", TREES, forest_flags},
	{"forest nodes misaligned", TREES, forest_misaligned},
	{"forest depth wrong", TREES, forest_depth},
	{"base margin infinite", TREES, forest_base_margin},
	{"negative cover", TREES, cover_negative},
	{"cover NaN", TREES, cover_nan},
	{"objective unknown", TREES, meta_objective},
	{"booster unknown", TREES, meta_booster},
	{"estimator unknown", TREES, meta_estimator},
	{"format unknown", TREES, meta_format},
	{"no features", TREES, meta_no_features},
	{"no outputs", TREES, meta_no_outputs},
	{"no sections", TREES, sections_none},
	{"too many sections", TREES, sections_many},
	{"section repeated", TREES, section_repeated},
	{"section kind unknown", TREES, section_kind},
	{"section past the end", TREES, section_past_end},
	{"section misaligned", TREES, section_misaligned},
	{"section over the header", TREES, section_over_table},
	{"feature name count wrong", TREES, names_count},
	{"feature names out of order", TREES, names_unsorted},
	{"feature name without NUL", TREES, names_no_nul},
	{"linear feature count disagrees", LINEAR, linear_features},
	{"linear weight NaN", LINEAR, linear_weight},
	{"linear weights offset huge", LINEAR, linear_offset},
};

/* Compile a fixture into a malloc'd blob, or NULL. */
static unsigned char *
compile_fixture(const char *dir, const char *file, size_t *len)
{
	char path[4096];
	size_t text_len = 0;
	unsigned char *text;
	void *blob = NULL;
	md_error err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = fuzz_read_file(path, &text_len);
	if (text == NULL ||
		md_compile((const char *) text, text_len, MD_FORMAT_AUTO, NULL, &blob,
				   len, &err) != MD_OK)
		blob = NULL;
	free(text);
	return blob;
}

static md_status
open_with_checksum(unsigned char *blob, size_t len, md_error *err)
{
	md_blob_header *h = (md_blob_header *) blob;
	md_model m;

	h->checksum = md_checksum(blob + sizeof(md_blob_header),
							  len - sizeof(md_blob_header));
	return md_open(&m, blob, len, MD_OPEN_VALIDATE, err);
}

int
main(int argc, char **argv)
{
	static const char *const fixtures[] = {TREES, CATEGORIES, LINEAR};

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++)
	{
		size_t len = 0;
		unsigned char *blob = compile_fixture(argv[1], fixtures[f], &len);
		md_error err;

		tap_ok(blob != NULL && open_with_checksum(blob, len, &err) == MD_OK,
			   "control: %s compiles and opens", fixtures[f]);
		md_blob_free(blob);
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		size_t len = 0;
		unsigned char *blob = compile_fixture(argv[1], cases[c].fixture, &len);
		blob_parts parts;
		md_error err;
		md_status st;

		if (blob == NULL)
		{
			tap_ok(0, "%s: fixture %s does not compile", cases[c].name,
				   cases[c].fixture);
			continue;
		}
		parts = parts_of(blob);
		cases[c].apply(&parts);
		st = open_with_checksum(blob, len, &err);
		tap_ok(st == MD_ERR_BLOB, "%s: refused (%s)", cases[c].name,
			   st == MD_OK ? "accepted!" : err.message);
		md_blob_free(blob);
	}
	return tap_done();
}
