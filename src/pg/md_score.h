/*-------------------------------------------------------------------------
 *
 * md_score.h
 *	  Scoring: a call site bound to its model, and one row scored.
 *
 * How a call to predict() finds its model:
 *
 *	 call site (fn_extra)  --name-->  registry.c  --deploy_id-->  store.c
 *	 MdCallSite                       MdVersionRef                MdLoadedModel
 *
 * registry.c resolves a model name (and optional pinned version) to the
 * immutable version that should score, caching the answer per backend until
 * the registry's invalidation epoch moves.  store.c turns a version into a
 * compiled model, compiling its source on first use, and keeps it pinned
 * while any call site uses it.  callsite.c ties the two to one call site of
 * one query, so that the per-row path is a name comparison and an epoch
 * comparison; score_row.c scores a row with the site's model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_SCORE_H
#define MD_SCORE_H

#include "md_store.h"

#include "utils/array.h"

/* callsite.c */

/* What one call site of one query keeps between rows. */
typedef struct MdCallSite
{
	char name[NAMEDATALEN];
	int name_len;
	int32 version;				  /* pinned version, or 0 for the active one */
	uint64 epoch;				  /* md_registry_epoch when resolved */
	MdLoadedModel *loaded;		  /* pinned until the query's memory goes */
	void *workspace;			  /* md_workspace_size() bytes */
	double *features;			  /* n_features, for converted input */
	double *out;				  /* widest output of the model */
	void *input;				  /* a row argument's mapping (predict_named.c) */
	struct MdStatsPending *stats; /* serving statistics (md_stats.h) */
	uint64 stats_generation;	  /* md_stats_generation when 'stats' was set */
	MemoryContext mcxt;
	MemoryContextCallback release;
} MdCallSite;

extern MdCallSite *md_callsite(FunctionCallInfo fcinfo, text *name,
							   int32 version);
extern MdCallSite *md_callsite_in(void **slot, MemoryContext mcxt,
								  text *name, int32 version);

/* score_row.c */
extern void md_check_feature_count(const MdCallSite *site, int n);
extern ArrayType *md_feature_array_arg(const MdCallSite *site,
									   FunctionCallInfo fcinfo, int argno);
extern void md_read_feature_array(MdCallSite *site, ArrayType *arr,
								  const double **x, const float **x32);
extern const double *md_row_as_doubles(MdCallSite *site, const double *x,
									   const float *x32);
extern Datum md_float8_array(const double *values, int n);
extern uint32 md_check_output(MdCallSite *site, md_output kind);
extern int md_score_array(MdCallSite *site, ArrayType *features,
						  md_output kind);
extern void md_score_row(MdCallSite *site, md_output kind, const double *x,
						 const float *x32);
extern Datum md_class_label_text(MdCallSite *site);
extern Datum md_output_datum(MdCallSite *site, md_output kind, uint32 width);

#endif /* MD_SCORE_H */
