/*-------------------------------------------------------------------------
 *
 * trigger.c
 *	  score_trigger(): streaming scoring of rows as they are inserted or
 *	  updated, COPY included.
 *
 *	CREATE TRIGGER score BEFORE INSERT OR UPDATE ON events FOR EACH ROW
 *		EXECUTE FUNCTION model_deploy.score_trigger('model', 'column'
 *													 [, 'on_error=null']);
 *
 * The features are the row's columns named like the model's features
 * (features.c); the column receives what its type asks for (target.c).
 * The arguments and the target column are resolved once per relation and
 * statement, the row map once per model version; per row, the features are
 * read from the slot the executor holds, deformed only as far as needed.
 *
 * By default a row that cannot be scored fails the statement.  With
 * 'on_error=null' each row is scored in a subtransaction, and a row that
 * fails gets NULL and a WARNING (the first few per statement) instead.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"

PG_FUNCTION_INFO_V1(md_score_trigger);

/* WARNINGs per statement for rows stored with NULL; then silence. */
#define MAX_REPORTED_ERRORS 10

/* What one trigger keeps for the statement (fn_extra). */
typedef struct TriggerInput
{
	Oid relid; /* the relation it was resolved for */
	TupleDesc desc;
	MemoryContext mcxt;
	text *model;
	MdTarget target;
	bool errors_to_null; /* on_error=null */
	int errors_reported;
	MdRowMap *map;
	FmgrInfo site_flinfo; /* holds the model's call site */
} TriggerInput;

static void
check_trigger_event(FunctionCallInfo fcinfo)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("model_deploy.score_trigger() must be called as a "
					   "trigger"));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("model_deploy.score_trigger() must be fired BEFORE "
					   "INSERT OR UPDATE FOR EACH ROW"));
}

/* The third trigger argument: whether errors store NULL. */
static bool
parse_on_error(const char *option)
{
	if (strcmp(option, "on_error=null") == 0)
		return true;
	if (strcmp(option, "on_error=error") == 0)
		return false;
	ereport(ERROR,
			errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("unknown option \"%s\" of model_deploy.score_trigger()",
				   option),
			errhint("The third argument may be 'on_error=null' (store NULL "
					"and warn) or 'on_error=error' (fail, the default)."));
	pg_unreachable();
}

/* The trigger's state for this relation, resolved on its first row. */
static TriggerInput *
trigger_input(FunctionCallInfo fcinfo)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation rel = td->tg_relation;
	Trigger *trigger = td->tg_trigger;
	TriggerInput *in = fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (in != NULL && in->relid == RelationGetRelid(rel) &&
		in->desc == RelationGetDescr(rel))
		return in;

	if (trigger->tgnargs < 2 || trigger->tgnargs > 3)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg_plural("trigger \"%s\" on \"%s\" passes %d argument to "
							  "model_deploy.score_trigger(), which takes 2 or 3",
							  "trigger \"%s\" on \"%s\" passes %d arguments to "
							  "model_deploy.score_trigger(), which takes 2 or 3",
							  trigger->tgnargs, trigger->tgname,
							  RelationGetRelationName(rel), trigger->tgnargs),
				errhint("Use model_deploy.score_trigger('model', 'column') "
						"or model_deploy.score_trigger('model', 'column', "
						"'on_error=null')."));
	if (in == NULL)
	{
		in = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
									sizeof(TriggerInput));
		in->mcxt = fcinfo->flinfo->fn_mcxt;
		in->site_flinfo = *fcinfo->flinfo;
		in->site_flinfo.fn_extra = NULL;
		fcinfo->flinfo->fn_extra = in;
	}
	in->relid = InvalidOid; /* until resolved */
	md_target_column(rel, trigger->tgargs[1], &in->target);
	in->errors_to_null = trigger->tgnargs == 3 &&
		parse_on_error(trigger->tgargs[2]);
	if (in->model == NULL)
	{
		old = MemoryContextSwitchTo(in->mcxt);
		in->model = cstring_to_text(trigger->tgargs[0]);
		MemoryContextSwitchTo(old);
	}
	if (in->map != NULL)
		pfree(in->map);
	in->map = NULL;
	in->desc = RelationGetDescr(rel);
	in->relid = RelationGetRelid(rel);
	return in;
}

/* Score the row in 'slot' into a value of the target column. */
static Datum
score_row(TriggerInput *in, TupleTableSlot *slot)
{
	LOCAL_FCINFO(site_fcinfo, 0);
	MdCallSite *site;

	InitFunctionCallInfoData(*site_fcinfo, &in->site_flinfo, 0, InvalidOid,
							 NULL, NULL);
	site = md_callsite(site_fcinfo, in->model, 0);
	if (in->map == NULL || in->map->deploy_id != site->loaded->deploy_id)
	{
		MdRowMap *map = md_row_map(site, in->desc, in->mcxt);

		if (in->map != NULL)
			pfree(in->map);
		in->map = map;
	}
	slot_getsomeattrs(slot, in->map->natts);
	md_read_row(site, in->map, slot->tts_values, slot->tts_isnull);
	return md_score_into_column(site, &in->target, in->mcxt);
}

/*
 * Errors that on_error=null must not swallow: cancellation, shutdown,
 * resource exhaustion, serialization failures and internal errors.
 */
static bool
must_propagate(int sqlerrcode)
{
	int category = ERRCODE_TO_CATEGORY(sqlerrcode);

	return category == ERRCODE_TRANSACTION_ROLLBACK ||
		category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_SYSTEM_ERROR ||
		category == ERRCODE_INTERNAL_ERROR;
}

static void
warn_stored_null(TriggerInput *in, Relation rel, ErrorData *edata)
{
	if (in->errors_reported >= MAX_REPORTED_ERRORS)
		return;
	in->errors_reported++;
	ereport(WARNING,
			errcode(edata->sqlerrcode),
			errmsg("could not score a row of \"%s\": %s",
				   RelationGetRelationName(rel), edata->message),
			errdetail("Stored NULL in column \"%s\" (on_error=null).%s",
					  NameStr(TupleDescAttr(in->desc,
											in->target.attnum - 1)
								  ->attname),
					  in->errors_reported == MAX_REPORTED_ERRORS ? "  Further rows that fail in this statement are not "
																   "reported."
																 : ""),
			edata->hint ? errhint("%s", edata->hint) : 0);
}

/*
 * score_row() in a subtransaction: on an error, roll it back and return
 * NULL (*isnull) instead, as a PL/pgSQL exception block would.
 */
static Datum
score_or_null(TriggerInput *in, Relation rel, TupleTableSlot *slot,
			  bool *isnull)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile Datum value = (Datum) 0;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		value = score_row(in, slot);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (must_propagate(edata->sqlerrcode))
			ReThrowError(edata);
		warn_stored_null(in, rel, edata);
		FreeErrorData(edata);
		*isnull = true;
		/* a domain may refuse NULL: that fails the statement */
		if (in->target.type != in->target.base_type)
			domain_check((Datum) 0, true, in->target.type,
						 &in->target.domain_cache, in->mcxt);
	}
	PG_END_TRY();
	return value;
}

Datum
md_score_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TriggerInput *in;
	bool update;
	HeapTuple tuple;
	TupleTableSlot *slot;
	int attnum;
	Datum value;
	bool isnull = false;

	check_trigger_event(fcinfo);
	in = trigger_input(fcinfo);
	update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	tuple = update ? td->tg_newtuple : td->tg_trigtuple;
	slot = update ? td->tg_newslot : td->tg_trigslot;

	if (in->errors_to_null)
		value = score_or_null(in, td->tg_relation, slot, &isnull);
	else
		value = score_row(in, slot);

	attnum = in->target.attnum;
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, in->desc, 1,
													 &attnum, &value,
													 &isnull));
}
