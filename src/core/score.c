/*-------------------------------------------------------------------------
 *
 * score.c
 *	  The hot path of XGBoost models: rows of features in, predictions out.
 *
 * Reproduces XGBoost's arithmetic exactly: each feature is rounded to
 * float32 once, compared in float32 with a strict '<', and the leaves are
 * added in float32 in tree order starting from the base margin, so raw
 * margins are bit-identical to Booster.predict(output_margin=True).  That
 * requires the compiler not to contract a*b+c into a fused multiply-add (see
 * -ffp-contract=off in the Makefile).
 *
 * Nothing here checks the model: md_open() did, and the breadth-first node
 * order means every walk moves to higher node indices and ends at a leaf.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "md_internal.h"
#include "objective.h"

/*
 * Scratch memory of one scoring call, carved out of the caller's workspace.
 * Rows are scored in blocks of 'rows' (see md_fast_block_rows()).
 */
typedef struct workspace
{
	size_t rows;
	float *x;	   /* a block of rows rounded to float32 */
	float *margin; /* n_outputs margins per row of a block */
	float *x2;	   /* the block as the fast layout reads it */
} workspace;

static workspace
carve_workspace(const md_model *m, void *mem)
{
	const md_meta *meta = md_model_meta(m);
	workspace ws;

	ws.rows = md_fast_block_rows(m);
	ws.x = mem;
	ws.margin = (float *) ((char *) ws.x +
						   md_align(sizeof(float) * meta->n_features * ws.rows));
	ws.x2 = (float *) ((char *) ws.margin +
					   md_align(sizeof(float) * meta->n_outputs * ws.rows));
	return ws;
}

size_t
md_xgb_workspace_size(const md_model *m)
{
	const md_meta *meta = md_model_meta(m);
	size_t rows = md_fast_block_rows(m);

	return md_align(sizeof(float) * meta->n_features * rows) +
		md_align(sizeof(float) * meta->n_outputs * rows) +
		md_align(md_fast_row_size(m) * rows);
}

/* Walk one tree for one row; returns the leaf's node index. */
static inline uint32_t
find_leaf(const md_node *nodes, const uint32_t *cat_words, const float *x)
{
	uint32_t i = 0;

	while (nodes[i].left != 0)
		i = nodes[i].left + md_goes_right(&nodes[i], cat_words, x[nodes[i].feature]);
	return i;
}

/* Add the leaves of trees first..first+count-1 to the margins, in order. */
void
md_walk_trees(const md_model *m, uint32_t first, uint32_t count,
			  const float *x, float *margin)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	const unsigned char *base = (const unsigned char *) fh;
	const md_tree *trees = (const md_tree *) (base + fh->trees_offset);
	const md_node *nodes = (const md_node *) (base + fh->nodes_offset);
	const uint32_t *cats = (const uint32_t *) (base + fh->cat_words_offset);
	bool weighted = (fh->flags & MD_FOREST_WEIGHTED) != 0;

	for (uint32_t t = first; t < first + count; t++)
	{
		const md_node *tn = nodes + trees[t].first_node;
		float leaf = tn[find_leaf(tn, cats, x)].value;

		if (weighted)
			leaf = leaf * trees[t].weight;
		margin[trees[t].output] += leaf;
	}
}

/* gblinear: bias + base first, then present features in index order. */
static void
linear_margins(const md_model *m, const float *x, float *margin)
{
	const md_linear_header *lh = md_section_ptr(m, MD_SEC_LINEAR);
	const unsigned char *base = (const unsigned char *) lh;
	const float *w = (const float *) (base + lh->weights_offset);
	const float *bm = (const float *) (base + lh->base_margin_offset);
	uint32_t k = lh->n_outputs;

	for (uint32_t g = 0; g < k; g++)
	{
		float sum = w[(size_t) lh->n_features * k + g] + bm[g];

		for (uint32_t f = 0; f < lh->n_features; f++)
			if (!isnan(x[f]))
				sum += x[f] * w[(size_t) f * k + g];
		margin[g] = sum;
	}
}

/* The margins of a block of n rows, n_outputs per row, into ws->margin. */
static void
block_margins(const md_model *m, const float *x, size_t n,
			  const workspace *ws)
{
	const md_meta *meta = md_model_meta(m);
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	uint32_t nf = meta->n_features;
	uint32_t no = meta->n_outputs;

	if (meta->estimator == MD_EST_LINEAR)
	{
		for (size_t r = 0; r < n; r++)
			linear_margins(m, x + r * nf, ws->margin + r * no);
		return;
	}
	for (size_t r = 0; r < n; r++)
		memcpy(ws->margin + r * no,
			   (const unsigned char *) fh + fh->base_margin_offset,
			   sizeof(float) * no);
	/* the fast layout when the compiler wrote one, else the node walk */
	if (md_section_ptr(m, MD_SEC_FOREST_FAST) != NULL)
		md_fast_add_leaves(m, x, n, ws->x2, ws->margin);
	else
		for (size_t r = 0; r < n; r++)
			md_walk_trees(m, 0, fh->n_trees, x + r * nf, ws->margin + r * no);
}

static void
score_block(const md_model *m, md_output kind, const float *x, size_t n,
			double *out, const workspace *ws)
{
	const md_meta *meta = md_model_meta(m);
	uint32_t width = md_output_width(m, kind);

	block_margins(m, x, n, ws);
	for (size_t r = 0; r < n; r++)
		md_objective_transform(meta->objective, kind,
							   ws->margin + r * meta->n_outputs,
							   meta->n_outputs, out + r * width);
}

/* Rows of float32 features (x32), or of doubles rounded to float32 (x). */
md_status
md_xgb_score(const md_model *m, md_output kind, const double *x,
			 const float *x32, size_t n_rows, double *out, void *workspace_mem)
{
	const md_meta *meta = md_model_meta(m);
	uint32_t width = md_output_width(m, kind);
	workspace ws = carve_workspace(m, workspace_mem);

	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r += ws.rows)
	{
		size_t n = n_rows - r < ws.rows ? n_rows - r : ws.rows;
		const float *block = ws.x;

		if (x32 != NULL)
			block = x32 + r * meta->n_features;
		else
			for (size_t i = 0; i < n * meta->n_features; i++)
				ws.x[i] = md_round_to_float(x[r * meta->n_features + i]);
		score_block(m, kind, block, n, out + r * width, &ws);
	}
	return MD_OK;
}
