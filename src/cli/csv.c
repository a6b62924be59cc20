/*-------------------------------------------------------------------------
 *
 * csv.c
 *	  Streaming CSV reader and field encoder (RFC 4180) for mdscore.
 *
 * The reader pulls bytes from a fixed read buffer and unescapes one record
 * into a record buffer that only grows up to its bound, so a 10 GB file is
 * read in the same memory as a 10 kB one.  Errors say which line: a record's
 * line is the physical line it starts on, as an editor counts them.
 *
 *-------------------------------------------------------------------------
 */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUFFER_SIZE 65536
#define INITIAL_RECORD 4096
#define INITIAL_FIELDS 64

/* What ended a field. */
#define END_FIELD ','
#define END_RECORD '\n'
#define END_INPUT (-1)
#define END_ERROR (-2)
#define NOT_AN_END 0

bool
csv_open(csv_reader *r, FILE *in, size_t max_record)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->max_record = max_record;
	r->next_line = 1;
	r->buf = malloc(READ_BUFFER_SIZE);
	r->text_cap = INITIAL_RECORD < max_record ? INITIAL_RECORD : max_record;
	r->rec.text = malloc(r->text_cap);
	r->fields_cap = INITIAL_FIELDS;
	r->rec.starts = malloc(sizeof(size_t) * r->fields_cap);
	return r->buf != NULL && r->rec.text != NULL && r->rec.starts != NULL;
}

void
csv_close(csv_reader *r)
{
	free(r->buf);
	csv_record_free(&r->rec);
	memset(r, 0, sizeof(*r));
}

bool
csv_record_copy(csv_record *dst, const csv_record *src)
{
	dst->len = src->len;
	dst->n_fields = src->n_fields;
	dst->text = malloc(src->len ? src->len : 1);
	dst->starts = malloc(sizeof(size_t) * (src->n_fields ? src->n_fields : 1));
	if (dst->text == NULL || dst->starts == NULL)
	{
		csv_record_free(dst);
		return false;
	}
	memcpy(dst->text, src->text, src->len);
	memcpy(dst->starts, src->starts, sizeof(size_t) * src->n_fields);
	return true;
}

void
csv_record_free(csv_record *r)
{
	free(r->text);
	free(r->starts);
	r->text = NULL;
	r->starts = NULL;
}

__attribute__((format(printf, 2, 3))) static int
fail(csv_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return END_ERROR;
}

/* Refill the read buffer; false at the end of the input or on error. */
static bool
refill(csv_reader *r)
{
	if (r->at_eof)
		return false;
	r->pos = 0;
	r->end = fread(r->buf, 1, READ_BUFFER_SIZE, r->in);
	if (r->end == 0)
	{
		r->at_eof = true;
		if (ferror(r->in))
			snprintf(r->error, sizeof(r->error), "read error: %s",
					 strerror(errno));
		return false;
	}
	return true;
}

static inline int
peek_char(csv_reader *r)
{
	if (r->pos == r->end && !refill(r))
		return EOF;
	return r->buf[r->pos];
}

static inline int
next_char(csv_reader *r)
{
	int c = peek_char(r);

	if (c != EOF)
		r->pos++;
	return c;
}

/* After a '\r': swallow the '\n' of a CRLF and count the line. */
static void
end_line(csv_reader *r, int c)
{
	if (c == '\r' && peek_char(r) == '\n')
		r->pos++;
	r->next_line++;
}

static bool
append(csv_reader *r, char c)
{
	csv_record *rec = &r->rec;

	if (rec->len == r->text_cap)
	{
		size_t cap = r->text_cap * 2;
		char *p;

		if (r->text_cap >= r->max_record)
		{
			fail(r, "the record on line %llu is longer than the limit of "
					"%zu bytes",
				 (unsigned long long) r->line, r->max_record);
			return false;
		}
		if (cap > r->max_record)
			cap = r->max_record;
		if ((p = realloc(rec->text, cap)) == NULL)
		{
			fail(r, "out of memory reading line %llu",
				 (unsigned long long) r->line);
			return false;
		}
		rec->text = p;
		r->text_cap = cap;
	}
	rec->text[rec->len++] = c;
	return true;
}

/* Note where a new field starts (fields are bounded by the record size). */
static bool
start_field(csv_reader *r)
{
	csv_record *rec = &r->rec;

	if (rec->n_fields == r->fields_cap)
	{
		size_t *p = realloc(rec->starts,
							sizeof(size_t) * r->fields_cap * 2);

		if (p == NULL)
		{
			fail(r, "out of memory reading line %llu",
				 (unsigned long long) r->line);
			return false;
		}
		rec->starts = p;
		r->fields_cap *= 2;
	}
	rec->starts[rec->n_fields++] = rec->len;
	return true;
}

/*
 * If c ends a field (a comma, a line break, the end of the input), consume
 * the line break and say what ended; otherwise NOT_AN_END.
 */
static int
field_end(csv_reader *r, int c)
{
	if (c == ',')
		return END_FIELD;
	if (c == '\n' || c == '\r')
	{
		end_line(r, c);
		return END_RECORD;
	}
	if (c == EOF)
		return r->error[0] ? END_ERROR : END_INPUT;
	return NOT_AN_END;
}

/* An unquoted field whose first character is c. */
static int
read_plain(csv_reader *r, int c)
{
	for (;; c = next_char(r))
	{
		int end = field_end(r, c);

		if (end != NOT_AN_END)
			return end;
		if (!append(r, (char) c))
			return END_ERROR;
	}
}

/* A quoted field, its opening quote consumed. */
static int
read_quoted(csv_reader *r)
{
	uint64_t opened = r->next_line;

	for (;;)
	{
		int c = next_char(r);
		int end;

		if (c == EOF)
			return r->error[0] ? END_ERROR : fail(r, "a quoted field opened on line %llu is never closed", (unsigned long long) opened);
		if (c == '"')
		{
			c = next_char(r);
			if (c == '"')
			{
				if (!append(r, '"'))
					return END_ERROR;
				continue;
			}
			if ((end = field_end(r, c)) != NOT_AN_END)
				return end;
			return fail(r, "line %llu: a closing quote must be followed by a "
						   "comma or the end of the line",
						(unsigned long long) r->next_line);
		}
		if (c == '\n')
			r->next_line++;
		if (!append(r, (char) c))
			return END_ERROR;
	}
}

/* Skip blank lines and, at the start of the input, a byte order mark. */
static int
first_char(csv_reader *r)
{
	int c;

	if (r->next_line == 1 && r->pos == 0 && peek_char(r) == 0xEF &&
		r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	while ((c = next_char(r)) == '\n' || c == '\r')
		end_line(r, c);
	return c;
}

int
csv_next(csv_reader *r)
{
	int c = first_char(r);

	r->rec.n_fields = 0;
	r->rec.len = 0;
	r->line = r->next_line;
	if (c == EOF)
		return r->error[0] ? -1 : 0;
	for (;;)
	{
		int end;

		if (!start_field(r))
			return -1;
		end = c == '"' ? read_quoted(r) : read_plain(r, c);
		if (end == END_ERROR || !append(r, '\0'))
			return -1;
		if (end != END_FIELD)
			return 1;
		c = next_char(r);
	}
}

static bool
needs_quotes(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return true;
	return false;
}

size_t
csv_encode(char *out, const char *s, size_t len)
{
	size_t n = 0;

	if (!needs_quotes(s, len))
	{
		memcpy(out, s, len);
		return len;
	}
	out[n++] = '"';
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '"')
			out[n++] = '"';
		out[n++] = s[i];
	}
	out[n++] = '"';
	return n;
}
