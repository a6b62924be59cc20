/*-------------------------------------------------------------------------
 *
 * testutil.h
 *	  Small helpers shared by the C unit tests.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_TESTUTIL_H
#define MD_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

/*
 * A whole file in malloc'd memory (aligned for a blob), NUL-terminated;
 * NULL if it cannot be read.
 */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
		fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(n + 1)) != NULL &&
		fread(buf, 1, n, f) == (size_t) n)
	{
		buf[n] = '\0';
		*len = n;
	}
	else
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif /* MD_TESTUTIL_H */
