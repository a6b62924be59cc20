/*-------------------------------------------------------------------------
 *
 * store_sql.c
 *	  What the model stores hold, for SQL: the shared_models view,
 *	  store_stats() and the in_shared_memory column of the models view.
 *
 *-------------------------------------------------------------------------
 */
#include "md_shmem.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(md_in_shared_memory);
PG_FUNCTION_INFO_V1(md_shared_models);
PG_FUNCTION_INFO_V1(md_store_stats);

/* _in_shared_memory(deploy_id bigint) -> boolean */
Datum
md_in_shared_memory(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(md_shared_contains(PG_GETARG_INT64(0)));
}

/*
 * _shared_models() -> (name, version, deploy_id, bytes, pins, uses,
 * loaded_at, last_used): this database's versions in shared memory.
 */
Datum
md_shared_models(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MdSharedEntry *entries;
	int n;

	InitMaterializedSRF(fcinfo, 0);
	n = md_shared_list(&entries);
	for (int i = 0; i < n; i++)
	{
		MdSharedEntry *e = &entries[i];
		Datum values[8];
		bool nulls[8] = {false};

		values[0] = CStringGetTextDatum(e->name);
		values[1] = Int32GetDatum(e->version);
		values[2] = Int64GetDatum(e->key.deploy_id);
		values[3] = Int64GetDatum((int64) e->blob_size);
		values[4] = Int32GetDatum((int32) pg_atomic_read_u32(&e->pins));
		values[5] = Int64GetDatum((int64) pg_atomic_read_u64(&e->uses));
		values[6] = TimestampTzGetDatum(e->loaded_at);
		values[7] = TimestampTzGetDatum((TimestampTz)
											pg_atomic_read_u64(&e->last_used));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values,
							 nulls);
	}
	return (Datum) 0;
}

static void
put_counters(ReturnSetInfo *rsinfo, const char *scope,
			 const MdStoreCounters *c)
{
	Datum values[5];
	bool nulls[5] = {false};

	values[0] = CStringGetTextDatum(scope);
	values[1] = Int64GetDatum((int64) c->compiles);
	values[2] = Int64GetDatum((int64) c->shared_hits);
	values[3] = Int64GetDatum((int64) c->local_copies);
	values[4] = Int64GetDatum((int64) c->evictions);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * store_stats() -> (scope, compiles, shared_hits, local_copies, evictions):
 * one row for this backend and, with a shared store, one for the server.
 */
Datum
md_store_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MdStoreCounters c;

	InitMaterializedSRF(fcinfo, 0);
	md_store_backend_counters(&c);
	put_counters(rsinfo, "backend", &c);
	if (md_shared_counters(&c))
		put_counters(rsinfo, "server", &c);
	return (Datum) 0;
}
