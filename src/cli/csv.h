/*-------------------------------------------------------------------------
 *
 * csv.h
 *	  Streaming CSV (RFC 4180) reading and writing for the mdscore command.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MDSCORE_CSV_H
#define MDSCORE_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One record: its fields, unescaped, each followed by a NUL. */
typedef struct csv_record
{
	char *text;
	size_t len;		/* bytes of text, NULs included */
	size_t *starts; /* where each field starts in text */
	size_t n_fields;
} csv_record;

/*
 * Reads one record at a time into buffers that grow up to a fixed bound and
 * are then reused, so a file of any length is read in constant memory.
 * Fields may be quoted ("a,b", "say ""hi""", line breaks inside quotes);
 * lines may end in LF or CRLF; blank lines are skipped; a UTF-8 byte order
 * mark at the start is ignored.
 */
typedef struct csv_reader
{
	FILE *in;
	unsigned char *buf; /* read buffer */
	size_t pos;
	size_t end;
	bool at_eof;
	size_t max_record; /* bound on a record's unescaped bytes */
	csv_record rec;	   /* the current record */
	size_t text_cap;
	size_t fields_cap;
	uint64_t line; /* line on which the current record starts */
	uint64_t next_line;
	char error[256]; /* why csv_next() returned -1 */
} csv_reader;

bool csv_open(csv_reader *r, FILE *in, size_t max_record);
void csv_close(csv_reader *r);

/* Next record: 1, or 0 at the end of the input, or -1 with r->error set. */
int csv_next(csv_reader *r);

static inline const char *
csv_field(const csv_record *r, size_t i)
{
	return r->text + r->starts[i];
}

/* Length of field i (it is also NUL-terminated, but may hold NULs). */
static inline size_t
csv_field_len(const csv_record *r, size_t i)
{
	size_t end = i + 1 < r->n_fields ? r->starts[i + 1] : r->len;

	return end - r->starts[i] - 1;
}

/* A copy of a record that outlives the reader's next record. */
bool csv_record_copy(csv_record *dst, const csv_record *src);
void csv_record_free(csv_record *r);

/*
 * Append a field to 'out' as CSV, quoted if it has to be; returns the bytes
 * written, at most csv_encoded_max(len).
 */
size_t csv_encode(char *out, const char *s, size_t len);

static inline size_t
csv_encoded_max(size_t len)
{
	return 2 * len + 2;
}

#endif /* MDSCORE_CSV_H */
