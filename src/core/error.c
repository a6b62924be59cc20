/*-------------------------------------------------------------------------
 *
 * error.c
 *	  Filling md_error: the core's only way of reporting a problem.
 *
 * The core never prints, exits or jumps: it returns a status and leaves one
 * line of explanation (plus an optional hint) for the caller to show in its
 * own way, as an ereport() in the database or a message on stderr.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>

#include "md_internal.h"

md_status
md_fail(md_error *err, md_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	err->status = status;
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return status;
}

void
md_hint(md_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void
md_clear_error(md_error *err)
{
	if (err == NULL)
		return;
	err->status = MD_OK;
	err->message[0] = '\0';
	err->hint[0] = '\0';
}

/*
 * A model over one of the md_limits: 'what' names the count ("model has",
 * "tree 3 has"), 'unit' what is counted, 'guc' the setting that raises it.
 */
md_status
md_fail_limit(md_error *err, const char *what, uint64_t value,
			  const char *unit, uint64_t limit, const char *guc)
{
	md_fail(err, MD_ERR_LIMIT, "%s %llu %s; the limit is %llu", what,
			(unsigned long long) value, unit, (unsigned long long) limit);
	md_hint(err, "Raise model_deploy.%s if the model is genuine.", guc);
	return MD_ERR_LIMIT;
}

md_status
md_poll_interrupt(const md_limits *limits, md_error *err)
{
	if (limits != NULL && limits->interrupted != NULL && limits->interrupted())
		return md_fail(err, MD_ERR_CANCELLED, MD_CANCELLED_MESSAGE);
	return MD_OK;
}
