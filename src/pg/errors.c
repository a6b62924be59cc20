/*-------------------------------------------------------------------------
 *
 * errors.c
 *	  Turning the core's md_error into a PostgreSQL ERROR with a SQLSTATE.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"

#include "miscadmin.h"

static int
sqlstate_of(md_status status)
{
	switch (status)
	{
		case MD_ERR_SYNTAX:
			return ERRCODE_INVALID_JSON_TEXT;
		case MD_ERR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case MD_ERR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case MD_ERR_BLOB:
			return ERRCODE_DATA_CORRUPTED;
		case MD_ERR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case MD_ERR_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
		case MD_ERR_MODEL:
		case MD_ERR_INPUT:
		case MD_ERR_ARGUMENT:
		case MD_OK:
			break;
	}
	return ERRCODE_INVALID_PARAMETER_VALUE;
}

/*
 * Report 'err' as an ERROR; 'context', if not NULL, says what we were doing
 * (e.g. which model we were compiling) and goes into the DETAIL.
 */
void
md_report_error(const md_error *err, const char *context)
{
	/* a compile stopped for a pending interrupt: let PostgreSQL serve it */
	if (err->status == MD_ERR_CANCELLED)
		CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			errcode(sqlstate_of(err->status)),
			errmsg("%s", err->message),
			context ? errdetail("%s", context) : 0,
			err->hint[0] ? errhint("%s", err->hint) : 0);
	pg_unreachable();
}
