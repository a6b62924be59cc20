/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  mdscore predict: CSV rows in, one line of predictions per row out.
 *
 * The header line is matched to the model's feature names once; then rows
 * are parsed into a batch of feature vectors (row-major, NaN = missing),
 * scored with one md_score() call per batch and written out.  The batch,
 * the record buffer and the buffer of passed-through text all have fixed
 * bounds, so memory does not grow with the input.
 *
 * A column of a categorical feature (native models, LightGBM and XGBoost
 * 3.1+ models trained on pandas categories) holds category names, which the
 * model turns into codes by its own rule for unknown names
 * (md_category_code), as the database does with a text column; an XGBoost
 * feature's column may hold codes too (md_category_takes_codes).  A row the
 * model refuses (an unknown name where its encoder said error, a missing
 * value it does not impute) stops the run with the line and the reason.
 *
 * Numbers are written as the shortest decimal that reads back as the same
 * double (as PostgreSQL's float8 output does), so results from here and
 * from SQL can be compared for identity.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"

#define MAX_RECORD_BYTES ((size_t) 64 * 1024 * 1024)
#define BATCH_BYTES ((size_t) 1024 * 1024) /* of feature values */
#define MAX_BATCH_ROWS 1024
#define MAX_SHOWN_VALUE 40 /* bytes of a bad value quoted in a message */

/* column_feature[] of an input column that is not a feature */
#define COLUMN_KEPT (-1)

typedef struct scorer
{
	const char *input_name; /* for messages: a file name or "stdin" */
	const md_model *model;
	md_output kind;
	uint32_t n_features;
	uint32_t width; /* output values per row */
	bool keep;
	size_t n_columns;
	int64_t *column_feature; /* per input column */
	bool *categorical;		 /* per feature */
	size_t batch_rows;		 /* capacity of the batch */
	size_t n_rows;			 /* rows in the batch */
	double *x;				 /* batch_rows * n_features */
	double *out;			 /* batch_rows * width */
	uint64_t *row_line;		 /* per row of the batch: its input line */
	void *workspace;
	char *label; /* a class label, encoded for CSV */
	char *kept;	 /* encoded kept fields of the batch's rows */
	size_t kept_len;
	size_t kept_cap;
	size_t *kept_end; /* per row: end of its text in kept */
} scorer;

typedef struct predict_options
{
	md_output kind;
	bool keep;
	bool header;
	const char *model_path;
	const char *input_path; /* NULL: standard input */
} predict_options;

static bool
parse_options(int argc, char **argv, predict_options *o)
{
	static const struct option longopts[] = {
		{"proba", no_argument, NULL, 'p'},
		{"raw", no_argument, NULL, 'r'},
		{"class", no_argument, NULL, 'c'},
		{"keep", no_argument, NULL, 'k'},
		{"header", no_argument, NULL, 'H'},
		{NULL, 0, NULL, 0}};
	int c;

	memset(o, 0, sizeof(*o));
	o->kind = MD_OUTPUT_PREDICT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'p':
			case 'r':
			case 'c':
				if (o->kind != MD_OUTPUT_PREDICT)
				{
					cli_error("--proba, --raw and --class cannot be "
							  "combined");
					return false;
				}
				o->kind = c == 'p' ? MD_OUTPUT_PROBA : c == 'r' ? MD_OUTPUT_RAW
																: MD_OUTPUT_CLASS;
				break;
			case 'k':
				o->keep = o->header = true;
				break;
			case 'H':
				o->header = true;
				break;
			default:
				return false;
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
	{
		cli_error("predict takes a model file and at most one input file");
		return false;
	}
	o->model_path = argv[optind];
	if (argc - optind == 2 && strcmp(argv[optind + 1], "-") != 0)
		o->input_path = argv[optind + 1];
	return true;
}

/*
 * A CSV field as a feature value: empty (or blank) and NaN are missing;
 * otherwise the whole field must be a number that fits a double, as
 * PostgreSQL's float8 input requires.
 */
static bool
parse_value(const char *s, size_t len, double *v)
{
	char *end;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
	{
		*v = NAN;
		return true;
	}
	errno = 0;
	*v = strtod(s, &end);
	if (end != s + len)
		return false;
	if (errno == ERANGE && (*v == 0.0 || isinf(*v)))
		return false;
	return true;
}

/*
 * "stdin, line 7: ..." or "stdin, line 7, column "x": ...", the way every
 * message about the input starts.
 */
static void
input_error(const scorer *s, uint64_t line, const char *column,
			const char *fmt, ...)
	cli_printf_like(4, 5);

static void
input_error(const scorer *s, uint64_t line, const char *column,
			const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (column != NULL)
		cli_error("%s, line %llu, column \"%s\": %s", s->input_name,
				  (unsigned long long) line, column, msg);
	else
		cli_error("%s, line %llu: %s", s->input_name,
				  (unsigned long long) line, msg);
}

/*
 * Field c of record r as the value of feature f into *v; false, with a
 * message naming the line and column, if it is not one.  A categorical
 * feature's field is a category name, matched exactly (or, where the model
 * says so, a number: the category code); empty is missing.
 */
static bool
read_field(const scorer *s, const csv_record *r, size_t c, int64_t f,
		   uint64_t line, const csv_record *header, double *v)
{
	const char *text = csv_field(r, c);
	size_t len = csv_field_len(r, c);
	int shown = (int) (len < MAX_SHOWN_VALUE ? len : MAX_SHOWN_VALUE);
	md_error err;

	if (!s->categorical[f])
	{
		if (parse_value(text, len, v))
			return true;
		input_error(s, line, csv_field(header, c), "\"%.*s%s\" is not a number",
					shown, text, len > MAX_SHOWN_VALUE ? "..." : "");
		return false;
	}
	if (len == 0)
	{
		*v = NAN;
		return true;
	}
	if (md_category_code(s->model, (uint32_t) f, text, len, v, &err) == MD_OK)
		return true;
	/* XGBoost's features took codes before their names were stored */
	if (md_category_takes_codes(s->model, (uint32_t) f) &&
		parse_value(text, len, v))
		return true;
	input_error(s, line, csv_field(header, c), "unknown category \"%.*s%s\"",
				shown, text, len > MAX_SHOWN_VALUE ? "..." : "");
	if (err.hint[0] != '\0')
		cli_hint("%s", err.hint);
	return false;
}

/* Columns of a model without feature names: the first n, in order. */
static bool
map_columns_in_order(scorer *s, const char *model_path)
{
	if (s->n_columns < s->n_features ||
		(s->n_columns > s->n_features && !s->keep))
	{
		input_error(s, 1, NULL, "%zu columns, but the model (which has no feature "
								"names) takes exactly %u, in order",
					s->n_columns,
					s->n_features);
		if (s->n_columns > s->n_features)
			cli_hint("--keep copies the columns after the first %u to the "
					 "output.",
					 s->n_features);
		return false;
	}
	cli_error("note: %s has no feature names: the first %u input columns "
			  "are its features, in order",
			  model_path, s->n_features);
	for (size_t c = 0; c < s->n_columns; c++)
		s->column_feature[c] = c < s->n_features ? (int64_t) c : COLUMN_KEPT;
	return true;
}

/* Report the features that no column named; false if there were any. */
static bool
check_all_features(const scorer *s, const unsigned char *seen)
{
	uint32_t missing = 0;
	uint32_t first = 0;

	for (uint32_t f = 0; f < s->n_features; f++)
		if (!seen[f] && missing++ == 0)
			first = f;
	if (missing == 0)
		return true;
	if (missing == 1)
		input_error(s, 1, NULL, "no column for the model's feature \"%s\"",
					md_feature_name(s->model, first));
	else
		input_error(s, 1, NULL, "no column for the model's feature \"%s\" nor for "
								"%u others",
					md_feature_name(s->model, first),
					missing - 1);
	cli_hint("Every feature needs a column (an empty field is a missing "
			 "value); \"mdscore info MODEL\" lists them.");
	return false;
}

/* Match the header's column names to the model's feature names. */
static bool
map_columns_by_name(scorer *s, const csv_record *header)
{
	unsigned char *seen = calloc(s->n_features, 1);
	bool ok = seen != NULL;

	for (size_t c = 0; ok && c < s->n_columns; c++)
	{
		const char *name = csv_field(header, c);
		int64_t f = md_feature_index(s->model, name,
									 csv_field_len(header, c));

		s->column_feature[c] = f < 0 ? COLUMN_KEPT : f;
		if (f < 0 && !s->keep)
		{
			input_error(s, 1, NULL, "column \"%s\" is not a feature of the model",
						name);
			cli_hint("\"mdscore info MODEL\" lists the features; --keep "
					 "copies other columns to the output.");
			ok = false;
		}
		else if (f >= 0 && seen[f]++)
		{
			input_error(s, 1, NULL, "column \"%s\" appears more than once", name);
			ok = false;
		}
	}
	ok = ok && check_all_features(s, seen);
	free(seen);
	return ok;
}

static bool
map_columns(scorer *s, const csv_record *header, const char *model_path)
{
	s->n_columns = header->n_fields;
	s->column_feature = malloc(sizeof(int64_t) * s->n_columns);
	s->categorical = malloc(sizeof(bool) * s->n_features + 1);
	if (s->column_feature == NULL || s->categorical == NULL)
	{
		cli_error("out of memory");
		return false;
	}
	for (uint32_t f = 0; f < s->n_features; f++)
		s->categorical[f] = md_feature_kind_of(s->model, f) ==
			MD_FEATURE_CATEGORICAL;
	if (!md_has_feature_names(s->model))
		return map_columns_in_order(s, model_path);
	return map_columns_by_name(s, header);
}

/* The longest class label's length, encoded for CSV (0: no labels). */
static size_t
longest_label(const scorer *s)
{
	size_t longest = 0;
	const char *label;

	for (uint32_t k = 0; (label = md_class_label(s->model, k)) != NULL; k++)
		if (csv_encoded_max(strlen(label)) > longest)
			longest = csv_encoded_max(strlen(label));
	return longest;
}

static bool
allocate_batch(scorer *s)
{
	size_t row_bytes = sizeof(double) * (s->n_features + s->width);

	s->batch_rows = BATCH_BYTES / row_bytes;
	if (s->batch_rows > MAX_BATCH_ROWS)
		s->batch_rows = MAX_BATCH_ROWS;
	if (s->batch_rows == 0)
		s->batch_rows = 1;
	s->x = malloc(sizeof(double) * s->n_features * s->batch_rows);
	s->out = malloc(sizeof(double) * s->width * s->batch_rows);
	s->workspace = malloc(md_workspace_size(s->model));
	s->kept_end = malloc(sizeof(size_t) * s->batch_rows);
	s->row_line = malloc(sizeof(uint64_t) * s->batch_rows);
	s->label = malloc(longest_label(s) + 1);
	if (s->x && s->out && s->workspace && s->kept_end && s->row_line &&
		s->label)
		return true;
	cli_error("out of memory");
	return false;
}

static void
free_scorer(scorer *s)
{
	free(s->column_feature);
	free(s->x);
	free(s->out);
	free(s->workspace);
	free(s->kept);
	free(s->kept_end);
	free(s->categorical);
	free(s->row_line);
	free(s->label);
}

/* The shortest decimal that reads back as exactly v. */
static void
write_double(FILE *out, double v)
{
	char buf[32];

	if (isnan(v))
	{
		fputs("NaN", out);
		return;
	}
	if (isinf(v))
	{
		fputs(v > 0 ? "Infinity" : "-Infinity", out);
		return;
	}
	for (int digits = 15; digits <= 17; digits++)
	{
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		if (digits == 17 || strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, out);
}

static void
write_header(const scorer *s, const csv_record *header, FILE *out)
{
	static const char *const prefix[] = {
		[MD_OUTPUT_PREDICT] = "prediction",
		[MD_OUTPUT_PROBA] = "proba_",
		[MD_OUTPUT_RAW] = "raw_",
		[MD_OUTPUT_CLASS] = "class",
	};
	char *buf = malloc(csv_encoded_max(header->len));

	for (size_t c = 0; buf != NULL && c < s->n_columns; c++)
		if (s->column_feature[c] == COLUMN_KEPT)
		{
			fwrite(buf, 1, csv_encode(buf, csv_field(header, c), csv_field_len(header, c)), out);
			fputc(',', out);
		}
	free(buf);
	for (uint32_t k = 0; k < s->width; k++)
	{
		if (s->kind == MD_OUTPUT_PREDICT || s->kind == MD_OUTPUT_CLASS)
			fputs(prefix[s->kind], out);
		else
			fprintf(out, "%s%u", prefix[s->kind], k);
		fputc(k + 1 < s->width ? ',' : '\n', out);
	}
}

/*
 * The class k as CSV: the model's label (a native classifier's), else the
 * number (XGBoost classes, k-means clusters), as predict_class() in SQL.
 */
static void
write_class(const scorer *s, double k, FILE *out)
{
	const char *label = md_class_label(s->model, (uint32_t) k);

	if (label == NULL)
		fprintf(out, "%u", (uint32_t) k);
	else
		fwrite(s->label, 1, csv_encode(s->label, label, strlen(label)), out);
}

/* The first row of the batch that the model refuses, and why. */
static size_t
first_refused_row(const scorer *s, md_error *err)
{
	for (size_t r = 0; r < s->n_rows; r++)
		if (md_check_row(s->model, s->x + r * s->n_features, s->workspace,
						 err) != MD_OK)
			return r;
	return s->n_rows;
}

/*
 * Score the rows of the batch and write them out; false, after writing
 * the rows before it, if the model refuses a row.
 */
static bool
flush_batch(scorer *s, FILE *out)
{
	size_t kept_start = 0;
	size_t n_rows = s->n_rows;
	size_t n_good = n_rows;
	md_error err;

	if (n_rows == 0)
		return true;
	if (md_score(s->model, s->kind, s->x, s->n_rows, s->out,
				 s->workspace) == MD_ERR_INPUT)
		n_good = first_refused_row(s, &err);
	for (size_t r = 0; r < n_good; r++)
	{
		const double *v = s->out + r * s->width;

		if (s->keep)
		{
			fwrite(s->kept + kept_start, 1, s->kept_end[r] - kept_start, out);
			kept_start = s->kept_end[r];
		}
		for (uint32_t k = 0; k < s->width; k++)
		{
			if (s->kind == MD_OUTPUT_CLASS)
				write_class(s, v[k], out);
			else
				write_double(out, v[k]);
			fputc(k + 1 < s->width ? ',' : '\n', out);
		}
	}
	s->n_rows = 0;
	s->kept_len = 0;
	if (n_good == n_rows)
		return true;
	input_error(s, s->row_line[n_good], NULL, "%s", err.message);
	if (err.hint[0] != '\0')
		cli_hint("%s", err.hint);
	return false;
}

/*
 * Make room in the kept-text buffer for one record: encoding at most
 * doubles each byte and adds quotes and a comma per field, and every field
 * has a NUL in its length, so 3 * len bytes always suffice.
 */
static bool
room_to_keep(scorer *s, const csv_record *r, FILE *out)
{
	size_t need = 3 * r->len;
	char *p;

	if (s->kept_cap - s->kept_len >= need)
		return true;
	if (!flush_batch(s, out))
		return false;
	if (s->kept_cap >= need)
		return true;
	if ((p = realloc(s->kept, need)) == NULL)
	{
		cli_error("out of memory");
		return false;
	}
	s->kept = p;
	s->kept_cap = need;
	return true;
}

static void
keep_fields(scorer *s, const csv_record *r)
{
	for (size_t c = 0; c < s->n_columns; c++)
		if (s->column_feature[c] == COLUMN_KEPT)
		{
			s->kept_len += csv_encode(s->kept + s->kept_len, csv_field(r, c),
									  csv_field_len(r, c));
			s->kept[s->kept_len++] = ',';
		}
	s->kept_end[s->n_rows] = s->kept_len;
}

/* Add one record to the batch; false (and a message) if it is bad. */
static bool
add_row(scorer *s, const csv_record *r, uint64_t line,
		const csv_record *header, FILE *out)
{
	double *x;

	if (r->n_fields != s->n_columns)
	{
		input_error(s, line, NULL, "%zu fields, but the header has %zu",
					r->n_fields, s->n_columns);
		return false;
	}
	if (s->keep && !room_to_keep(s, r, out))
		return false;
	x = s->x + s->n_rows * s->n_features;
	for (size_t c = 0; c < s->n_columns; c++)
	{
		int64_t f = s->column_feature[c];

		if (f != COLUMN_KEPT &&
			!read_field(s, r, c, f, line, header, &x[f]))
			return false;
	}
	if (s->keep)
		keep_fields(s, r);
	s->row_line[s->n_rows] = line;
	if (++s->n_rows == s->batch_rows)
		return flush_batch(s, out);
	return true;
}

/* Read the header, then stream the rows through the model. */
static bool
score_stream(scorer *s, FILE *in, const char *model_path, FILE *out,
			 bool header_line)
{
	csv_reader reader;
	csv_record header = {0};
	bool ok;
	int rc;

	if (!csv_open(&reader, in, MAX_RECORD_BYTES))
	{
		cli_error("out of memory");
		csv_close(&reader);
		return false;
	}
	rc = csv_next(&reader);
	if (rc == 0)
		cli_error("%s: no header line: the input is empty", s->input_name);
	else if (rc < 0)
		cli_error("%s: %s", s->input_name, reader.error);
	ok = rc == 1 && csv_record_copy(&header, &reader.rec) &&
		map_columns(s, &header, model_path) && allocate_batch(s);
	if (ok)
	{
		if (header_line)
			write_header(s, &header, out);
		while ((rc = csv_next(&reader)) == 1)
			if (!add_row(s, &reader.rec, reader.line, &header, out))
				break;
		/* rows before a bad one are good: they are written */
		ok = flush_batch(s, out) && rc == 0;
		if (rc < 0)
			cli_error("%s: %s", s->input_name, reader.error);
	}
	csv_record_free(&header);
	csv_close(&reader);
	return ok;
}

int
cmd_predict(int argc, char **argv)
{
	predict_options o;
	model_file mf;
	scorer s;
	FILE *in = stdin;
	md_info info;
	bool ok;

	if (!parse_options(argc, argv, &o))
		return EXIT_USAGE;
	if (!model_file_load(&mf, o.model_path, MD_FORMAT_AUTO))
		return EXIT_BAD_INPUT;
	memset(&s, 0, sizeof(s));
	s.model = &mf.model;
	s.kind = o.kind;
	s.keep = o.keep;
	s.input_name = o.input_path ? o.input_path : "stdin";
	md_get_info(s.model, &info);
	s.n_features = info.n_features;
	s.width = md_output_width(s.model, o.kind);
	if (s.width == 0)
	{
		cli_error("%s: the model (%s) does not predict %s", o.model_path,
				  info.objective, o.kind == MD_OUTPUT_CLASS ? "classes" : "class probabilities");
		cli_hint("Leave out --%s for its value.",
				 o.kind == MD_OUTPUT_CLASS ? "class" : "proba");
		model_file_free(&mf);
		return EXIT_BAD_INPUT;
	}
	if (o.input_path != NULL && (in = fopen(o.input_path, "rb")) == NULL)
	{
		cli_error("could not open input file \"%s\": %s", o.input_path,
				  strerror(errno));
		model_file_free(&mf);
		return EXIT_BAD_INPUT;
	}

	ok = score_stream(&s, in, o.model_path, stdout, o.header);
	if (fflush(stdout) != 0 || ferror(stdout))
	{
		cli_error("could not write the predictions: %s", strerror(errno));
		ok = false;
	}
	if (in != stdin)
		fclose(in);
	free_scorer(&s);
	model_file_free(&mf);
	return ok ? 0 : EXIT_BAD_INPUT;
}
