/*-------------------------------------------------------------------------
 *
 * args.c
 *	  Checks of the SQL functions' arguments, worded the same way by every
 *	  function that takes them.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"

#include "utils/builtins.h"

/* A text argument that must not be NULL. */
char *
md_required_text(FunctionCallInfo fcinfo, int arg, const char *what)
{
	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not be NULL", what));
	return text_to_cstring(PG_GETARG_TEXT_PP(arg));
}

/*
 * Refuse a version number below 1.  'null_is_active': the argument may be
 * NULL for the active version, which the hint then suggests.
 */
void
md_check_version(int32 version, bool null_is_active)
{
	if (version >= 1)
		return;
	ereport(ERROR,
			errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("model version must be positive, not %d", version),
			null_is_active ? errhint("Pass NULL for the active version.") : errhint("Versions are numbered from 1; see "
																					"model_deploy.model_version."));
}

/* An optional version argument: positive, or NULL for the active one (0) */
int32
md_optional_version(FunctionCallInfo fcinfo, int arg)
{
	if (PG_ARGISNULL(arg))
		return 0;
	md_check_version(PG_GETARG_INT32(arg), true);
	return PG_GETARG_INT32(arg);
}
