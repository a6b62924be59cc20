/*-------------------------------------------------------------------------
 *
 * json.c
 *	  Strict, bounded reading of model JSON with cJSON.
 *
 * cJSON 1.7.15 (Debian 12) has traps for a loader of untrusted files: it
 * rejects the bare NaN/Infinity tokens that XGBoost writes, accepts trailing
 * garbage unless asked not to, matches keys case-insensitively by default,
 * saturates its integer field, and turns 1e999 into infinity.  This file
 * wraps it so that the parsers above never meet those traps: a pre-scan
 * rewrites the non-finite tokens and bounds nesting before cJSON recurses,
 * and the getters check type, integrality, range and finiteness of every
 * value they hand out.
 *
 * cJSON parses a large model in one call of a second or more, with no way to
 * stop it but to deny it memory: when the caller asked to be polled for
 * interrupts, the parse runs with an allocator that polls every few thousand
 * allocations and fails them all once told to stop.  cJSON's hooks are
 * process-wide, so they are installed only for such callers (a server), and
 * they behave as malloc() in every thread that is not parsing for one.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "md_internal.h"
#include "ubjson.h"

/* Does 'word' stand at text[i], not followed by more letters or digits? */
static bool
token_at(const char *text, size_t len, size_t i, const char *word)
{
	size_t n = strlen(word);
	char next;

	if (len - i < n || memcmp(text + i, word, n) != 0)
		return false;
	if (i + n == len)
		return true;
	next = text[i + n];
	return !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
			 (next >= '0' && next <= '9'));
}

/*
 * Copy text into a NUL-terminated buffer that cJSON accepts: bare NaN becomes
 * null and (-)Infinity becomes (-)1e999, outside strings only.  Also refuses
 * NUL bytes and counts nesting, so that cJSON's recursive descent never goes
 * deeper than the limit.
 */
static md_status
prescan(const char *text, size_t len, uint32_t max_depth, char **out,
		md_error *err)
{
	/* each 3-byte NaN may grow into a 4-byte null */
	size_t cap = len + len / 3 + 2;
	char *buf = malloc(cap);
	size_t o = 0;
	uint32_t depth = 0;
	bool in_string = false;

	if (buf == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading the model");

	for (size_t i = 0; i < len; i++)
	{
		char c = text[i];

		if (c == '\0')
		{
			free(buf);
			return md_fail(err, MD_ERR_SYNTAX,
						   "model text contains a NUL byte at offset %zu", i);
		}
		if (in_string)
		{
			if (c == '\\' && len - i > 5 && memcmp(text + i + 1, "u0000", 5) == 0)
			{
				free(buf);
				return md_fail(err, MD_ERR_MODEL,
							   "model text contains an escaped NUL character "
							   "(\\u0000) at offset %zu",
							   i);
			}
			if (c == '\\' && i + 1 < len && text[i + 1] != '\0')
				buf[o++] = text[i++];
			else if (c == '"')
				in_string = false;
			buf[o++] = text[i];
			continue;
		}
		switch (c)
		{
			case '"':
				in_string = true;
				break;
			case '[':
			case '{':
				if (++depth > max_depth)
				{
					free(buf);
					md_fail(err, MD_ERR_LIMIT,
							"model JSON is nested deeper than %u levels "
							"(at offset %zu)",
							max_depth, i);
					md_hint(err, "Raise model_deploy.max_json_depth if the "
								 "model is genuine.");
					return MD_ERR_LIMIT;
				}
				break;
			case ']':
			case '}':
				if (depth > 0)
					depth--;
				break;
			case 'N':
				if (token_at(text, len, i, "NaN"))
				{
					memcpy(buf + o, "null", 4);
					o += 4;
					i += 2;
					continue;
				}
				break;
			case 'I':
				if (token_at(text, len, i, "Infinity"))
				{
					memcpy(buf + o, "1e999", 5);
					o += 5;
					i += 7;
					continue;
				}
				break;
			case '-':
				if (token_at(text, len, i + 1, "Infinity"))
				{
					memcpy(buf + o, "-1e999", 6);
					o += 6;
					i += 8;
					continue;
				}
				break;
		}
		buf[o++] = c;
	}
	buf[o] = '\0';
	*out = buf;
	return MD_OK;
}

/* The interruptible parse under way in this thread, if any. */
static _Thread_local const md_limits *parse_polled;
static _Thread_local unsigned parse_allocations;
static _Thread_local bool parse_interrupted;

static void *
polling_malloc(size_t size)
{
	if (parse_polled != NULL && !parse_interrupted &&
		++parse_allocations % 4096 == 0 &&
		md_poll_interrupt(parse_polled, NULL) != MD_OK)
		parse_interrupted = true;
	return parse_interrupted ? NULL : malloc(size);
}

static void
install_polling_malloc(void)
{
	cJSON_Hooks hooks = {polling_malloc, free};

	cJSON_InitHooks(&hooks);
}

static pthread_once_t polling_malloc_once = PTHREAD_ONCE_INIT;

/* cJSON_ParseWithOpts, stopped early if limits->interrupted says so. */
static cJSON *
parse_interruptibly(const char *buf, const char **end,
					const md_limits *limits, bool *interrupted)
{
	cJSON *root;

	*interrupted = false;
	if (limits->interrupted == NULL)
		return cJSON_ParseWithOpts(buf, end, 1);
	pthread_once(&polling_malloc_once, install_polling_malloc);
	parse_polled = limits;
	parse_allocations = 0;
	parse_interrupted = false;
	root = cJSON_ParseWithOpts(buf, end, 1);
	*interrupted = parse_interrupted;
	parse_polled = NULL;
	parse_interrupted = false;
	if (*interrupted)
	{
		cJSON_Delete(root);
		root = NULL;
	}
	return root;
}

/* Line and column (1-based) of a byte position, for syntax errors. */
static void
position_of(const char *buf, const char *at, size_t *line, size_t *column)
{
	*line = 1;
	*column = 1;
	for (const char *p = buf; p < at && *p; p++)
	{
		if (*p == '\n')
		{
			(*line)++;
			*column = 1;
		}
		else
			(*column)++;
	}
}

md_status
md_json_parse(const char *text, size_t len, const md_limits *limits,
			  cJSON **root, md_error *err)
{
	char *buf = NULL;
	const char *end = NULL;
	bool interrupted;
	md_status st;

	*root = NULL;
	if (md_ubjson_detect(text, len))
		return md_ubjson_parse(text, len, limits, root, err);
	st = prescan(text, len, limits->max_json_depth, &buf, err);
	if (st != MD_OK)
		return st;

	*root = parse_interruptibly(buf, &end, limits, &interrupted);
	if (interrupted)
	{
		free(buf);
		return md_fail(err, MD_ERR_CANCELLED, MD_CANCELLED_MESSAGE);
	}
	if (*root == NULL)
	{
		size_t line,
			column;
		cJSON *prefix;

		if (end == NULL)
			end = buf;
		position_of(buf, end, &line, &column);
		/* a valid value followed by more text? */
		prefix = cJSON_ParseWithOpts(buf, NULL, 0);
		if (prefix != NULL)
		{
			cJSON_Delete(prefix);
			md_fail(err, MD_ERR_SYNTAX,
					"model text goes on after the end of its JSON value "
					"(line %zu, column %zu)",
					line, column);
		}
		else if (*end == '\0')
			md_fail(err, MD_ERR_SYNTAX,
					"model text is not valid JSON: it ends unexpectedly "
					"(line %zu)",
					line);
		else
			md_fail(err, MD_ERR_SYNTAX,
					"model text is not valid JSON: error at line %zu, "
					"column %zu",
					line, column);
		free(buf);
		return MD_ERR_SYNTAX;
	}
	free(buf);
	return MD_OK;
}

const cJSON *
md_json_member(const cJSON *obj, const char *key)
{
	if (!cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static const char *
json_type_name(const cJSON *v)
{
	if (v == NULL)
		return "nothing";
	if (cJSON_IsObject(v))
		return "an object";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	return "null";
}

/* Fetch a required member and check its JSON type with 'is_type'. */
static md_status
required_member(const cJSON *obj, const char *key, const char *where,
				cJSON_bool (*is_type)(const cJSON *const),
				const char *type_name, const cJSON **out, md_error *err)
{
	const cJSON *v = md_json_member(obj, key);

	if (v == NULL)
		return md_fail(err, MD_ERR_MODEL, "model JSON has no \"%s\" in %s",
					   key, where);
	if (!is_type(v))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s.%s should be %s, not %s", where, key,
					   type_name, json_type_name(v));
	*out = v;
	return MD_OK;
}

md_status
md_json_object(const cJSON *obj, const char *key, const char *where,
			   const cJSON **out, md_error *err)
{
	return required_member(obj, key, where, cJSON_IsObject, "an object", out,
						   err);
}

md_status
md_json_array(const cJSON *obj, const char *key, const char *where,
			  const cJSON **out, md_error *err)
{
	return required_member(obj, key, where, cJSON_IsArray, "an array", out,
						   err);
}

md_status
md_json_string(const cJSON *obj, const char *key, const char *where,
			   const char **out, md_error *err)
{
	const cJSON *v;
	md_status st;

	st = required_member(obj, key, where, cJSON_IsString, "a string", &v,
						 err);
	if (st == MD_OK)
		*out = v->valuestring;
	return st;
}

/* Parse a whole string as a number; false if anything is left over. */
static bool
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	if (*s == '\0')
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

md_status
md_json_uint(const cJSON *obj, const char *key, const char *where,
			 uint64_t max, uint64_t *out, md_error *err)
{
	const cJSON *v = md_json_member(obj, key);
	double d;

	if (v == NULL)
		return md_fail(err, MD_ERR_MODEL, "model JSON has no \"%s\" in %s",
					   key, where);
	if (cJSON_IsNumber(v))
		d = v->valuedouble;
	else if (!cJSON_IsString(v) || !parse_double(v->valuestring, &d))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s.%s should be a whole number", where,
					   key);
	if (!(d >= 0 && d <= (double) max && d == floor(d)))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s.%s is %.15g; expected a whole number "
					   "from 0 to %llu",
					   where, key, d,
					   (unsigned long long) max);
	*out = (uint64_t) d;
	return MD_OK;
}

md_status
md_json_real(const cJSON *value, const char *where, double *out,
			 md_error *err)
{
	double d;

	if (cJSON_IsNumber(value))
		d = value->valuedouble;
	else if (!cJSON_IsString(value) || !parse_double(value->valuestring, &d))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s should be a number", where);
	if (!isfinite(d))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s is not a finite number", where);
	*out = d;
	return MD_OK;
}

md_status
md_json_expect_length(const cJSON *arr, const char *where, uint64_t expected,
					  md_error *err)
{
	uint64_t n = 0;

	for (const cJSON *e = arr->child; e != NULL; e = e->next)
		n++;
	if (n != expected)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s has %llu elements, expected %llu",
					   where, (unsigned long long) n,
					   (unsigned long long) expected);
	return MD_OK;
}

/* The array's i-th element has the wrong type or value. */
static md_status
bad_element(const char *where, uint64_t i, const char *what, md_error *err)
{
	return md_fail(err, MD_ERR_MODEL, "model JSON: %s[%llu] %s", where,
				   (unsigned long long) i, what);
}

md_status
md_json_int_array(const cJSON *arr, const char *where, int64_t min,
				  int64_t max, int64_t *out, uint64_t n, md_error *err)
{
	uint64_t i = 0;
	md_status st = md_json_expect_length(arr, where, n, err);

	if (st != MD_OK)
		return st;
	for (const cJSON *e = arr->child; e != NULL; e = e->next, i++)
	{
		double d;

		if (!cJSON_IsNumber(e))
			return bad_element(where, i, "is not a number", err);
		d = e->valuedouble;
		if (!(d >= (double) min && d <= (double) max && d == floor(d)))
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s[%llu] is %.15g; expected a whole "
						   "number from %lld to %lld",
						   where,
						   (unsigned long long) i, d, (long long) min,
						   (long long) max);
		out[i] = (int64_t) d;
	}
	return MD_OK;
}

md_status
md_json_bool_array(const cJSON *arr, const char *where, uint8_t *out,
				   uint64_t n, md_error *err)
{
	uint64_t i = 0;
	md_status st = md_json_expect_length(arr, where, n, err);

	if (st != MD_OK)
		return st;
	for (const cJSON *e = arr->child; e != NULL; e = e->next, i++)
	{
		if (cJSON_IsBool(e))
			out[i] = cJSON_IsTrue(e) ? 1 : 0;
		else if (cJSON_IsNumber(e) &&
				 (e->valuedouble == 0 || e->valuedouble == 1))
			out[i] = (uint8_t) e->valuedouble;
		else
			return bad_element(where, i, "should be true/false or 0/1", err);
	}
	return MD_OK;
}

/*
 * Numbers of an array into float or double elements, rounded to 'single'
 * precision if asked; JSON null becomes NaN where 'null_is_nan' allows it,
 * anything else must be finite in the target precision.
 */
static md_status
number_array(const cJSON *arr, const char *where, bool null_is_nan,
			 bool single, void *out, uint64_t n, md_error *err)
{
	uint64_t i = 0;
	md_status st = md_json_expect_length(arr, where, n, err);

	if (st != MD_OK)
		return st;
	for (const cJSON *e = arr->child; e != NULL; e = e->next, i++)
	{
		double d = NAN;

		if (!(cJSON_IsNull(e) && null_is_nan))
		{
			if (!cJSON_IsNumber(e))
				return bad_element(where, i, "is not a number", err);
			d = single ? md_round_to_float(e->valuedouble) : e->valuedouble;
			if (!isfinite(d))
				return bad_element(where, i, single ? "is not a finite single-precision number" : "is not a finite number", err);
		}
		if (single)
			((float *) out)[i] = (float) d;
		else
			((double *) out)[i] = d;
	}
	return MD_OK;
}

md_status
md_json_float_array(const cJSON *arr, const char *where, bool null_is_nan,
					float *out, uint64_t n, md_error *err)
{
	return number_array(arr, where, null_is_nan, true, out, n, err);
}

md_status
md_json_double_array(const cJSON *arr, const char *where, bool null_is_nan,
					 double *out, uint64_t n, md_error *err)
{
	return number_array(arr, where, null_is_nan, false, out, n, err);
}

static bool
key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(key, *allowed) == 0)
			return true;
	return false;
}

md_status
md_json_check_keys(const cJSON *obj, const char *where,
				   const char *const *allowed, md_error *err)
{
	for (const cJSON *e = obj->child; e != NULL; e = e->next)
	{
		if (!key_allowed(e->string, allowed))
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s has an unknown member \"%s\"",
						   where, e->string);
		/* the allowed keys are few, so this stays linear in the text */
		for (const cJSON *p = obj->child; p != e; p = p->next)
			if (strcmp(p->string, e->string) == 0)
				return md_fail(err, MD_ERR_MODEL,
							   "model JSON: %s has \"%s\" twice", where,
							   e->string);
	}
	return MD_OK;
}
