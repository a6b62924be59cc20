/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every difference between the PostgreSQL majors model_deploy supports
 *	  (15, 17 and 18), in one place.
 *
 * The rest of src/pg is written against the newest API and includes this
 * file (through md_pg.h) for what an older server lacks, so a PG_VERSION_NUM
 * test appears nowhere else.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_COMPAT_H
#define MD_COMPAT_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/dshash.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif
#include "utils/float.h"
#include "utils/wait_event.h"

#if PG_VERSION_NUM < 150000
#error "model_deploy needs PostgreSQL 15 or later"
#endif

/*
 * PostgreSQL 18 replaced the trailing pg_attribute_noreturn() by a leading
 * pg_noreturn (C11 _Noreturn).  GCC and clang accept the attribute in the
 * leading position too.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * PostgreSQL 18 lets a module tell its name and version, which
 * pg_get_loaded_modules() shows.
 */
#if PG_VERSION_NUM >= 180000
#define MD_MODULE_MAGIC(ver) \
	PG_MODULE_MAGIC_EXT(.name = "model_deploy", .version = (ver))
#else
#define MD_MODULE_MAGIC(ver) PG_MODULE_MAGIC
#endif

/*
 * PostgreSQL 17 added dshash_parameters.copy_function, called to store a
 * key; left unset it is a wild pointer (the first insert crashes).
 */
static inline void
md_dshash_set_copy_memcpy(dshash_parameters *params pg_attribute_unused())
{
#if PG_VERSION_NUM >= 170000
	params->copy_function = dshash_memcpy;
#endif
}

/*
 * Custom wait events: PostgreSQL 17 registers them by name (they show in
 * pg_stat_activity.wait_event); before that, every extension wait is
 * "Extension".  Call from a backend: the name is registered once per
 * cluster, in shared memory.
 */
static inline uint32
md_wait_event(const char *name pg_attribute_unused())
{
#if PG_VERSION_NUM >= 170000
	return WaitEventExtensionNew(name);
#else
	return PG_WAIT_EXTENSION;
#endif
}

/*
 * A float8 read from text that reports a bad number instead of raising it:
 * PostgreSQL 16 replaced float8in_internal_opt_error() by soft errors
 * (an ErrorSaveContext).  *end is where the number stopped.
 */
static inline double
md_float8in_soft(char *num, char **end, const char *orig, bool *bad)
{
#if PG_VERSION_NUM >= 160000
	ErrorSaveContext escontext = {T_ErrorSaveContext};
	double value;

	value = float8in_internal(num, end, "double precision", orig,
							  (Node *) &escontext);
	*bad = escontext.error_occurred;
	return value;
#else
	*bad = false;
	return float8in_internal_opt_error(num, end, "double precision", orig,
									   bad);
#endif
}

#endif /* MD_COMPAT_H */
