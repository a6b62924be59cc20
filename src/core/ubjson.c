/*-------------------------------------------------------------------------
 *
 * ubjson.c
 *	  Reading UBJSON (XGBoost's binary model format, .ubj) into a cJSON tree.
 *
 * XGBoost's Booster.save_model("m.ubj") writes the same document as its
 * JSON in Universal Binary JSON (ubjson.org, draft 12): big-endian typed
 * scalars, strings and object keys prefixed by an integer length, and
 * "optimised" containers ('[$d#L<n>' then n raw float32s) for the big
 * arrays.  Decoding into cJSON lets the XGBoost parser read both formats
 * with one code path.
 *
 * The input is untrusted: every read is checked against the end of the
 * data, a count is refused unless that many elements could follow (typed
 * containers of payload-free elements, such as nulls, are refused), so
 * memory stays proportional to the input; recursion stops at
 * limits->max_json_depth, as for JSON text.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md_internal.h"
#include "ubjson.h"

typedef struct ubj_reader
{
	const uint8_t *start;
	const uint8_t *p;
	const uint8_t *end;
	uint32_t max_depth;
	md_error *err;
} ubj_reader;

static md_status
ubj_fail(ubj_reader *r, const char *what)
{
	return md_fail(r->err, MD_ERR_SYNTAX,
				   "model UBJSON is not valid: %s at offset %zu", what,
				   (size_t) (r->p - r->start));
}

static md_status
ubj_nomem(ubj_reader *r)
{
	return md_fail(r->err, MD_ERR_NOMEM, "out of memory reading the model");
}

/* Take n bytes, or fail if the data ends first. */
static md_status
take(ubj_reader *r, size_t n, const uint8_t **out)
{
	*out = r->p;
	if ((size_t) (r->end - r->p) < n)
		return ubj_fail(r, "the data ends inside a value");
	r->p += n;
	return MD_OK;
}

/* The next type marker, skipping the no-op marker 'N'. */
static md_status
next_marker(ubj_reader *r, uint8_t *marker)
{
	const uint8_t *b;
	md_status st;

	do
	{
		if ((st = take(r, 1, &b)) != MD_OK)
			return st;
	} while (*b == 'N');
	*marker = *b;
	return MD_OK;
}

static uint64_t
big_endian(const uint8_t *b, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | b[i];
	return v;
}

/* Payload width of a fixed-size scalar type, 0 if none, -1 if unknown. */
static int
scalar_width(uint8_t marker)
{
	switch (marker)
	{
		case 'Z':
		case 'T':
		case 'F':
			return 0;
		case 'i':
		case 'U':
		case 'C':
			return 1;
		case 'I':
			return 2;
		case 'l':
		case 'd':
			return 4;
		case 'L':
		case 'D':
			return 8;
		default:
			return -1;
	}
}

/* An integer of type 'marker'; fails for a marker that is no integer. */
static md_status
read_int(ubj_reader *r, uint8_t marker, int64_t *v)
{
	const uint8_t *b;
	int w = scalar_width(marker);
	md_status st;

	if (marker != 'i' && marker != 'U' && marker != 'I' && marker != 'l' &&
		marker != 'L')
		return ubj_fail(r, "expected an integer");
	if ((st = take(r, (size_t) w, &b)) != MD_OK)
		return st;
	switch (marker)
	{
		case 'i':
			*v = (int8_t) b[0];
			break;
		case 'U':
			*v = b[0];
			break;
		case 'I':
			*v = (int16_t) big_endian(b, 2);
			break;
		case 'l':
			*v = (int32_t) big_endian(b, 4);
			break;
		default:
			*v = (int64_t) big_endian(b, 8);
			break;
	}
	return MD_OK;
}

/*
 * A length (of a string, key or counted container): an integer marker and
 * value, not negative and at most 'max'.
 */
static md_status
read_length(ubj_reader *r, uint64_t max, uint64_t *n)
{
	uint8_t marker;
	int64_t v;
	md_status st;

	if ((st = next_marker(r, &marker)) != MD_OK ||
		(st = read_int(r, marker, &v)) != MD_OK)
		return st;
	if (v < 0 || (uint64_t) v > max)
		return ubj_fail(r, "a length is negative or runs past the end of "
						   "the data");
	*n = (uint64_t) v;
	return MD_OK;
}

/* A string's bytes as a NUL-terminated copy made with cJSON's allocator. */
static md_status
read_string_bytes(ubj_reader *r, char **out)
{
	const uint8_t *b;
	uint64_t n;
	md_status st;

	if ((st = read_length(r, (uint64_t) (r->end - r->p), &n)) != MD_OK ||
		(st = take(r, (size_t) n, &b)) != MD_OK)
		return st;
	if (memchr(b, '\0', (size_t) n) != NULL)
		return ubj_fail(r, "a string contains a NUL byte");
	*out = cJSON_malloc((size_t) n + 1);
	if (*out == NULL)
		return ubj_nomem(r);
	memcpy(*out, b, (size_t) n);
	(*out)[n] = '\0';
	return MD_OK;
}

static cJSON *
make_real(double v)
{
	/* XGBoost's NaN, as md_json_parse() reads its NaN token */
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static md_status read_value(ubj_reader *r, uint8_t marker, uint32_t depth,
							cJSON **out);

/* A scalar of type 'marker' (its marker already read). */
static md_status
read_scalar(ubj_reader *r, uint8_t marker, cJSON **out)
{
	const uint8_t *b;
	int64_t iv;
	uint32_t u32;
	uint64_t u64;
	float f;
	double d;
	char *s;
	md_status st;

	switch (marker)
	{
		case 'Z':
			*out = cJSON_CreateNull();
			break;
		case 'T':
		case 'F':
			*out = cJSON_CreateBool(marker == 'T');
			break;
		case 'd':
			if ((st = take(r, 4, &b)) != MD_OK)
				return st;
			u32 = (uint32_t) big_endian(b, 4);
			memcpy(&f, &u32, sizeof(f));
			*out = make_real(f);
			break;
		case 'D':
			if ((st = take(r, 8, &b)) != MD_OK)
				return st;
			u64 = big_endian(b, 8);
			memcpy(&d, &u64, sizeof(d));
			*out = make_real(d);
			break;
		case 'C':
			if ((st = take(r, 1, &b)) != MD_OK)
				return st;
			if (b[0] == '\0')
				return ubj_fail(r, "a character is NUL");
			*out = cJSON_CreateString((char[2]){(char) b[0], '\0'});
			break;
		case 'S':
			if ((st = read_string_bytes(r, &s)) != MD_OK)
				return st;
			*out = cJSON_CreateString(s);
			cJSON_free(s);
			break;
		case 'H':
			md_fail(r->err, MD_ERR_UNSUPPORTED,
					"model UBJSON has a high-precision number ('H' at offset "
					"%zu), which model_deploy does not read",
					(size_t) (r->p - r->start - 1));
			return MD_ERR_UNSUPPORTED;
		default:
			if ((st = read_int(r, marker, &iv)) != MD_OK)
				return ubj_fail(r, "unknown type marker");
			*out = cJSON_CreateNumber((double) iv);
			break;
	}
	return *out == NULL ? ubj_nomem(r) : MD_OK;
}

/* Append 'item' to 'container' in O(1) ('child->prev' is the last item). */
static void
append(cJSON *container, cJSON *item)
{
	cJSON *first = container->child;

	if (first == NULL)
	{
		container->child = item;
		item->prev = item;
		return;
	}
	item->prev = first->prev;
	first->prev->next = item;
	first->prev = item;
}

/*
 * The optional "$type" and "#count" of a container.  'type' is 0 when the
 * elements carry their own markers, 'count' UINT64_MAX when the container
 * ends with its closing marker instead.
 */
static md_status
read_container_head(ubj_reader *r, uint8_t *type, uint64_t *count)
{
	uint64_t left = (uint64_t) (r->end - r->p);
	md_status st;

	*type = 0;
	*count = UINT64_MAX;
	if (r->p < r->end && *r->p == '$')
	{
		r->p++;
		if (r->p == r->end)
			return ubj_fail(r, "the data ends inside a container");
		*type = *r->p++;
		if (*type == 'N' || *type == ']' || *type == '}')
			return ubj_fail(r, "a container has an invalid element type");
		/* elements of no payload: the count alone would size the tree */
		if (scalar_width(*type) == 0)
		{
			md_fail(r->err, MD_ERR_UNSUPPORTED,
					"model UBJSON has a container of typed '%c' elements "
					"(offset %zu), which XGBoost does not write",
					*type, (size_t) (r->p - r->start - 1));
			return MD_ERR_UNSUPPORTED;
		}
		if (r->p == r->end || *r->p != '#')
			return ubj_fail(r, "a typed container has no count");
	}
	if (r->p < r->end && *r->p == '#')
	{
		int w = *type ? scalar_width(*type) : -1;

		r->p++;
		if ((st = read_length(r, left, count)) != MD_OK)
			return st;
		/* no more elements than could follow, or than there are bytes */
		left = (uint64_t) (r->end - r->p);
		if (w > 0 && *count > left / (uint64_t) w)
			return ubj_fail(r, "a container's count runs past the end of "
							   "the data");
	}
	return MD_OK;
}

static md_status
read_container(ubj_reader *r, bool object, uint32_t depth, cJSON **out)
{
	uint8_t type,
		marker;
	uint64_t count;
	md_status st;

	if (depth >= r->max_depth)
	{
		md_fail(r->err, MD_ERR_LIMIT,
				"model UBJSON is nested deeper than %u levels (at offset %zu)",
				r->max_depth, (size_t) (r->p - r->start));
		md_hint(r->err, "Raise model_deploy.max_json_depth if the model is "
						"genuine.");
		return MD_ERR_LIMIT;
	}
	if ((st = read_container_head(r, &type, &count)) != MD_OK)
		return st;
	*out = object ? cJSON_CreateObject() : cJSON_CreateArray();
	if (*out == NULL)
		return ubj_nomem(r);
	for (uint64_t i = 0; count == UINT64_MAX || i < count; i++)
	{
		char *key = NULL;
		cJSON *item = NULL;

		if (count == UINT64_MAX)
		{
			if (r->p == r->end)
				return ubj_fail(r, "the data ends inside a container");
			if (*r->p == (object ? '}' : ']'))
			{
				r->p++;
				break;
			}
		}
		if (object && (st = read_string_bytes(r, &key)) != MD_OK)
			return st;
		if (type != 0)
			marker = type;
		else if ((st = next_marker(r, &marker)) != MD_OK)
		{
			cJSON_free(key);
			return st;
		}
		st = read_value(r, marker, depth + 1, &item);
		if (item != NULL)
		{
			item->string = key;
			append(*out, item);
		}
		else
			cJSON_free(key);
		if (st != MD_OK)
			return st;
	}
	return MD_OK;
}

static md_status
read_value(ubj_reader *r, uint8_t marker, uint32_t depth, cJSON **out)
{
	*out = NULL;
	if (marker == '[' || marker == '{')
		return read_container(r, marker == '{', depth, out);
	return read_scalar(r, marker, out);
}

bool
md_ubjson_detect(const char *data, size_t len)
{
	return len >= 2 && (data[0] == '{' || data[0] == '[') &&
		strchr("$#iUIlL", data[1]) != NULL && data[1] != '\0';
}

md_status
md_ubjson_parse(const char *data, size_t len, const md_limits *limits,
				cJSON **root, md_error *err)
{
	ubj_reader r = {
		.start = (const uint8_t *) data,
		.p = (const uint8_t *) data,
		.end = (const uint8_t *) data + len,
		.max_depth = limits->max_json_depth,
		.err = err,
	};
	uint8_t marker;
	md_status st;

	*root = NULL;
	st = next_marker(&r, &marker);
	if (st == MD_OK)
		st = read_value(&r, marker, 0, root);
	if (st == MD_OK && r.p != r.end)
		st = ubj_fail(&r, "the data goes on after the end of the model");
	if (st != MD_OK)
	{
		cJSON_Delete(*root);
		*root = NULL;
	}
	return st;
}
