/*-------------------------------------------------------------------------
 *
 * predict_named.c
 *	  SQL scoring functions that take the features by name: a row
 *	  (predict('m', t)) or a jsonb object (predict('m', '{"a": 1}')), for
 *	  predict(), predict_proba(), predict_raw() and predict_class().
 *
 * A row argument arrives as a composite datum.  Its row type is matched to
 * the model's features once per call site (features.c) and checked per row
 * by three comparisons: type, typmod, and for a table's row type the
 * typcache's identifier of its current descriptor, which changes when the
 * table is altered.  Only the columns up to the last feature column are
 * deformed, by a tuple slot of the call site.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(md_predict_row);
PG_FUNCTION_INFO_V1(md_predict_proba_row);
PG_FUNCTION_INFO_V1(md_predict_raw_row);
PG_FUNCTION_INFO_V1(md_predict_class_row);
PG_FUNCTION_INFO_V1(md_predict_jsonb);
PG_FUNCTION_INFO_V1(md_predict_proba_jsonb);
PG_FUNCTION_INFO_V1(md_predict_raw_jsonb);
PG_FUNCTION_INFO_V1(md_predict_class_jsonb);

/* A call site's row type and how its columns map to the model. */
typedef struct RowInput
{
	Oid typid;
	int32 typmod;
	TypeCacheEntry *typentry; /* a named row type's, else NULL */
	uint64 desc_id;			  /* its tupDesc_identifier when mapped */
	MdRowMap *map;
	TupleTableSlot *slot; /* over a copy of the row type's descriptor */
	HeapTupleData tuple;  /* the row the slot holds */
} RowInput;

static void
free_row_input(RowInput *in)
{
	TupleDesc desc = in->slot->tts_tupleDescriptor;

	ExecDropSingleTupleTableSlot(in->slot);
	FreeTupleDesc(desc);
	pfree(in->map);
	pfree(in);
}

/* Map the row type (typid, typmod) to the site's model. */
static RowInput *
bind_row_type(MdCallSite *site, Oid typid, int32 typmod)
{
	MemoryContext old;
	RowInput *in;
	uint64 desc_id = 0;
	TupleDesc desc;
	MdRowMap *map;

	/* identifier first: if the type changes meanwhile, we map again */
	if (typid != RECORDOID)
		desc_id = assign_record_type_identifier(typid, typmod);
	desc = lookup_rowtype_tupdesc(typid, typmod);
	map = md_row_map(site, desc, site->mcxt);

	old = MemoryContextSwitchTo(site->mcxt);
	in = palloc0(sizeof(RowInput));
	in->typid = typid;
	in->typmod = typmod;
	in->typentry = typid != RECORDOID ? lookup_type_cache(typid, 0) : NULL;
	in->desc_id = desc_id;
	in->map = map;
	in->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(desc),
										&TTSOpsHeapTuple);
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(desc);

	if (site->input != NULL)
		free_row_input(site->input);
	site->input = in;
	return in;
}

/* Read the features of a composite datum into the site's buffer. */
void
md_read_row_arg(MdCallSite *site, HeapTupleHeader row)
{
	RowInput *in = site->input;
	Oid typid = HeapTupleHeaderGetTypeId(row);
	int32 typmod = HeapTupleHeaderGetTypMod(row);

	if (in == NULL || in->typid != typid || in->typmod != typmod ||
		(in->typentry != NULL &&
		 in->typentry->tupDesc_identifier != in->desc_id) ||
		in->map->deploy_id != site->loaded->deploy_id)
		in = bind_row_type(site, typid, typmod);

	in->tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&in->tuple.t_self);
	in->tuple.t_tableOid = InvalidOid;
	in->tuple.t_data = row;
	ExecStoreHeapTuple(&in->tuple, in->slot, false);
	slot_getsomeattrs(in->slot, in->map->natts);
	md_read_row(site, in->map, in->slot->tts_values, in->slot->tts_isnull);
}

/*
 * Score the features read into the site: a float8, a float8[], or the
 * class label as text.
 */
Datum
md_score_features(MdCallSite *site, md_output kind)
{
	uint32 width = md_check_output(site, kind);

	md_score_row(site, kind, site->features, NULL);
	return md_output_datum(site, kind, width);
}

static Datum
score_row(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), 0);

	md_read_row_arg(site, PG_GETARG_HEAPTUPLEHEADER(1));
	return md_score_features(site, kind);
}

static Datum
score_jsonb(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), 0);

	md_read_jsonb(site, PG_GETARG_JSONB_P(1));
	return md_score_features(site, kind);
}

Datum
md_predict_row(PG_FUNCTION_ARGS)
{
	return score_row(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_proba_row(PG_FUNCTION_ARGS)
{
	return score_row(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_raw_row(PG_FUNCTION_ARGS)
{
	return score_row(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_class_row(PG_FUNCTION_ARGS)
{
	return score_row(fcinfo, MD_OUTPUT_CLASS);
}

Datum
md_predict_jsonb(PG_FUNCTION_ARGS)
{
	return score_jsonb(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_proba_jsonb(PG_FUNCTION_ARGS)
{
	return score_jsonb(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_raw_jsonb(PG_FUNCTION_ARGS)
{
	return score_jsonb(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_class_jsonb(PG_FUNCTION_ARGS)
{
	return score_jsonb(fcinfo, MD_OUTPUT_CLASS);
}
