/*-------------------------------------------------------------------------
 *
 * export.c
 *	  model_deploy.export_compiled(): the compiled model that this database
 *	  scores with, as a bytea.
 *
 * Written to a file, the blob is what libmdscore and the mdscore command
 * load on a device without a database, so the device runs byte for byte
 * the model the database runs.  The bytes come from the same place the
 * scoring functions get them (store.c), not from a second compilation.
 *
 *-------------------------------------------------------------------------
 */
#include "md_store.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(md_export_compiled);

/*
 * Copy a pinned model's blob into a new bytea; the pin is always released.
 * The size is checked before the copy, so only palloc can fail while the
 * pin is held (PG_CATCH rather than PG_FINALLY: its flag would be clobbered
 * by the longjmp under -Wextra).
 */
static bytea *
copy_blob(MdLoadedModel *loaded)
{
	bytea *result;

	if (loaded->blob_size > MaxAllocSize - VARHDRSZ)
	{
		char name[NAMEDATALEN];
		size_t size = loaded->blob_size;

		/* the entry may be gone once released */
		strlcpy(name, loaded->name, sizeof(name));
		md_store_release(loaded);
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("compiled model \"%s\" is %zu bytes, too large "
					   "for a bytea",
					   name, size));
	}
	PG_TRY();
	{
		result = palloc(VARHDRSZ + loaded->blob_size);
	}
	PG_CATCH();
	{
		md_store_release(loaded);
		PG_RE_THROW();
	}
	PG_END_TRY();
	SET_VARSIZE(result, VARHDRSZ + loaded->blob_size);
	memcpy(VARDATA(result), loaded->blob, loaded->blob_size);
	md_store_release(loaded);
	return result;
}

/* export_compiled(name text, version integer DEFAULT NULL) -> bytea */
Datum
md_export_compiled(PG_FUNCTION_ARGS)
{
	text *name;
	int32 version;
	MdVersionRef ref;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("model name must not be NULL"));
	name = PG_GETARG_TEXT_PP(0);
	version = md_optional_version(fcinfo, 1);
	md_check_model_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	md_resolve(text_to_cstring(name), version, &ref);
	PG_RETURN_BYTEA_P(copy_blob(md_store_acquire(&ref)));
}
