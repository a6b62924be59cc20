/*-------------------------------------------------------------------------
 *
 * model_file.c
 *	  Reading model text from a file on the database server, for
 *	  model_deploy.deploy_file().
 *
 * Reading a server file is what pg_read_server_files exists for, so only
 * superusers and roles with its privileges may do it, whatever EXECUTE
 * grants say; and the file's size is checked against
 * model_deploy.max_model_size before anything is read.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"
#include "md_limits.h"

#include <sys/stat.h>

#include "catalog/pg_authid.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(md_read_model_file);

/* Fill 'buf' with exactly 'len' bytes of 'file', which must then end. */
static void
read_exactly(FILE *file, const char *path, char *buf, Size len)
{
	if (fread(buf, 1, len, file) != len || fgetc(file) != EOF)
	{
		if (ferror(file))
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not read model file \"%s\": %m", path));
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("model file \"%s\" changed size while being read",
					   path));
	}
}

/* _read_model_file(path text) -> text */
Datum
md_read_model_file(PG_FUNCTION_ARGS)
{
	char *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	md_limits limits = md_current_limits();
	md_error err;
	struct stat st;
	FILE *file;
	text *result;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to read model file \"%s\"", path),
				errhint("Only superusers and roles with the privileges of "
						"pg_read_server_files may deploy models from server "
						"files; others can pass the text to "
						"model_deploy.deploy()."));

	file = AllocateFile(path, PG_BINARY_R);
	if (file == NULL)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not open model file \"%s\": %m", path));
	if (fstat(fileno(file), &st) != 0)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not stat model file \"%s\": %m", path));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a regular file", path));
	if (md_check_source_size((size_t) st.st_size, &limits, &err) != MD_OK)
		md_report_error(&err, psprintf("reading model file \"%s\"", path));
	if ((Size) st.st_size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("model file \"%s\" is too large for a text value",
					   path));

	result = (text *) palloc((Size) st.st_size + VARHDRSZ);
	read_exactly(file, path, VARDATA(result), (Size) st.st_size);
	FreeFile(file);
	SET_VARSIZE(result, st.st_size + VARHDRSZ);
	/* the text must be valid in the database encoding, as any text value */
	pg_verifymbstr(VARDATA(result), (int) st.st_size, false);
	PG_RETURN_TEXT_P(result);
}
