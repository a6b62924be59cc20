/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Writing the extension's monitoring tables (evaluations, baselines)
 *	  as their owner.
 *
 * evaluate() and set_baseline() run the caller's query with the caller's
 * privileges, then keep what they computed in a table the caller may not
 * write: each statement is fixed text with parameters, run as the table's
 * owner in a restricted security context, so a caller can put nothing in
 * the table but results the extension computed.  SPI must be connected.
 *
 *-------------------------------------------------------------------------
 */
#include "md_catalog.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

/* The owner of the extension's table 'relname'. */
static Oid
table_owner(const char *relname)
{
	Oid relid = md_catalog_relid(relname, false);
	HeapTuple tuple;
	Oid owner;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/* The role that called, as a name Datum (for the tables' *_by columns). */
Datum
md_caller_name(void)
{
	return DirectFunctionCall1(namein,
							   CStringGetDatum(GetUserNameFromId(GetUserId(),
																 false)));
}

/*
 * Run the fixed statement 'sql' with its arguments as the owner of the
 * table 'relname'; returns the rows it processed.
 */
uint64
md_write_as_owner(const char *relname, const char *sql, int nargs,
				  Oid *types, Datum *args, const char *nulls)
{
	Oid owner = table_owner(relname);
	Oid caller;
	int sec_context;
	int ret;

	GetUserIdAndSecContext(&caller, &sec_context);
	SetUserIdAndSecContext(owner, sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	ret = SPI_execute_with_args(sql, nargs, types, args, nulls, false, 0);
	SetUserIdAndSecContext(caller, sec_context);
	if (ret < 0)
		elog(ERROR, "could not write %s.%s: %s", MD_SCHEMA_NAME, relname,
			 SPI_result_code_string(ret));
	return SPI_processed;
}
