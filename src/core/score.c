/*-------------------------------------------------------------------------
 *
 * score.c
 *	  The hot path: rows of features in, predictions out.
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
#include "native.h"
#include "objective.h"

/* Scratch memory of one scoring call, carved out of the caller's workspace */
typedef struct workspace
{
	float	   *x;				/* one row rounded to float32 */
	float	   *margin;			/* n_outputs margins */
} workspace;

static workspace
carve_workspace(const md_model *m, void *mem)
{
	const md_meta *meta = md_model_meta(m);
	workspace	ws;

	ws.x = mem;
	ws.margin = (float *) ((char *) mem +
						   md_align(sizeof(float) * meta->n_features));
	return ws;
}

size_t
md_workspace_size(const md_model *m)
{
	const md_meta *meta = md_model_meta(m);

	if (meta->format == MD_FORMAT_NATIVE)
		return md_native_workspace_size(m);
	return md_align(sizeof(float) * meta->n_features) +
		md_align(sizeof(float) * meta->n_outputs);
}

/* Walk one tree for one row; returns the leaf's node index. */
static inline uint32_t
find_leaf(const md_node *nodes, const uint32_t *cat_words, const float *x)
{
	uint32_t	i = 0;

	while (nodes[i].left != 0)
		i = nodes[i].left + md_goes_right(&nodes[i], cat_words,
										  x[nodes[i].feature]);
	return i;
}

static void
forest_margins(const md_model *m, const float *x, float *margin)
{
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);
	const unsigned char *base = (const unsigned char *) fh;
	const md_tree *trees = (const md_tree *) (base + fh->trees_offset);
	const md_node *nodes = (const md_node *) (base + fh->nodes_offset);
	const uint32_t *cats = (const uint32_t *) (base + fh->cat_words_offset);
	bool		weighted = (fh->flags & MD_FOREST_WEIGHTED) != 0;

	memcpy(margin, base + fh->base_margin_offset,
		   sizeof(float) * fh->n_outputs);
	for (uint32_t t = 0; t < fh->n_trees; t++)
	{
		const md_node *tn = nodes + trees[t].first_node;
		float		leaf = tn[find_leaf(tn, cats, x)].value;

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
	uint32_t	k = lh->n_outputs;

	for (uint32_t g = 0; g < k; g++)
	{
		float		sum = w[(size_t) lh->n_features * k + g] + bm[g];

		for (uint32_t f = 0; f < lh->n_features; f++)
			if (!isnan(x[f]))
				sum += x[f] * w[(size_t) f * k + g];
		margin[g] = sum;
	}
}

static void
score_row(const md_model *m, md_output kind, const float *x, double *out,
		  float *margin)
{
	const md_meta *meta = md_model_meta(m);

	if (meta->estimator == MD_EST_LINEAR)
		linear_margins(m, x, margin);
	else
		forest_margins(m, x, margin);
	md_objective_transform(meta->objective, kind, margin, meta->n_outputs,
						   out);
}

md_status
md_score_f32(const md_model *m, md_output kind, const float *x,
			 size_t n_rows, double *out, void *workspace_mem)
{
	const md_meta *meta = md_model_meta(m);
	uint32_t	width = md_output_width(m, kind);
	workspace	ws = carve_workspace(m, workspace_mem);

	if (meta->format == MD_FORMAT_NATIVE)
		return md_native_score(m, kind, NULL, x, n_rows, out, workspace_mem);
	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r++)
		score_row(m, kind, x + r * meta->n_features, out + r * width,
				  ws.margin);
	return MD_OK;
}

md_status
md_score(const md_model *m, md_output kind, const double *x, size_t n_rows,
		 double *out, void *workspace_mem)
{
	const md_meta *meta = md_model_meta(m);
	uint32_t	width = md_output_width(m, kind);
	workspace	ws = carve_workspace(m, workspace_mem);

	if (meta->format == MD_FORMAT_NATIVE)
		return md_native_score(m, kind, x, NULL, n_rows, out, workspace_mem);
	if (width == 0)
		return MD_ERR_ARGUMENT;
	for (size_t r = 0; r < n_rows; r++)
	{
		const double *row = x + r * meta->n_features;

		for (uint32_t f = 0; f < meta->n_features; f++)
			ws.x[f] = md_round_to_float(row[f]);
		score_row(m, kind, ws.x, out + r * width, ws.margin);
	}
	return MD_OK;
}

md_status
md_predict(const md_model *m, const double *x, size_t n_rows, double *out,
		   void *workspace_mem)
{
	return md_score(m, MD_OUTPUT_PREDICT, x, n_rows, out, workspace_mem);
}

md_status
md_predict_proba(const md_model *m, const double *x, size_t n_rows,
				 double *out, void *workspace_mem)
{
	return md_score(m, MD_OUTPUT_PROBA, x, n_rows, out, workspace_mem);
}

md_status
md_predict_raw(const md_model *m, const double *x, size_t n_rows,
			   double *out, void *workspace_mem)
{
	return md_score(m, MD_OUTPUT_RAW, x, n_rows, out, workspace_mem);
}
