/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  A minimal Test Anything Protocol emitter for the C unit tests.
 *
 * Each check prints "ok N - what" or "not ok N - what"; tap_done() prints the
 * plan and returns the exit status.  test/run counts these lines.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_TAP_H
#define MD_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3))) static int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2))) static inline void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* MD_TAP_H */
