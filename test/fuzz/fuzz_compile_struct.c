/*-------------------------------------------------------------------------
 *
 * fuzz_compile_struct.c
 *	  libFuzzer target: model JSON through md_compile(), with a mutator
 *	  that edits the JSON tree instead of its bytes.
 *
 * Byte mutations mostly break the JSON syntax, so they rarely get past the
 * parser to the checks that matter most: trees that are not trees, indices
 * out of range, counts that disagree, wrong types, boundary numbers.  This
 * mutator parses the input, changes one value of the tree (a number to a
 * boundary value, a string to a keyword of the format, an element deleted
 * or duplicated, a value replaced by another type) and prints it again, so
 * every input the target sees is JSON shaped like a model.  Inputs that do
 * not parse get libFuzzer's byte mutations.
 *
 *-------------------------------------------------------------------------
 */
#include "harness.h"

#include <cjson/cJSON.h>

#include "json.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t		LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t		LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
									size_t max_size, unsigned int seed);

static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	/* xorshift64*: deterministic for a given libFuzzer seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

/* Depth-first count of the values in a tree, and the i-th of them. */
static size_t
count_values(cJSON *v)
{
	size_t		n = 1;

	for (cJSON *c = v->child; c != NULL; c = c->next)
		n += count_values(c);
	return n;
}

static cJSON *
nth_value(cJSON *v, size_t *i)
{
	if ((*i)-- == 0)
		return v;
	for (cJSON *c = v->child; c != NULL; c = c->next)
	{
		cJSON	   *hit = nth_value(c, i);

		if (hit != NULL)
			return hit;
	}
	return NULL;
}

static const double boundary_numbers[] = {
	-1, 0, 1, 2, 3, 4, 6, 7, 31, 32, 33, 63, 64, 255, 256, 65536,
	16777215, 16777216, 2147483647, 2147483648.0, 4294967295.0,
	4294967296.0, 9007199254740993.0, 1e300, -1e300, 0.5, -0.5, 1e-45,
	3.4028235e38, 3.5e38
};

static const char *const keywords[] = {
	"", "0", "1", "-1", "5E-1", "[5E-1]", "[5E-1,5E-1,5E-1]", "[]", "1e999",
	"NaN", "gbtree", "dart", "gblinear", "reg:squarederror",
	"binary:logistic", "binary:hinge", "multi:softprob", "multi:softmax",
	"count:poisson", "rank:pairwise", "survival:cox", "4294967296", "3"
};

/* Replace 'v' (not the root) by 'with' in its parent. */
static void
replace_value(cJSON *parent, cJSON *v, cJSON *with)
{
	if (with == NULL)
		return;
	cJSON_ReplaceItemViaPointer(parent, v, with);
}

static cJSON *
parent_of(cJSON *root, cJSON *v)
{
	for (cJSON *c = root->child; c != NULL; c = c->next)
	{
		cJSON	   *p;

		if (c == v)
			return root;
		if ((p = parent_of(c, v)) != NULL)
			return p;
	}
	return NULL;
}

static void
mutate_number(cJSON *v)
{
	size_t		n = sizeof(boundary_numbers) / sizeof(boundary_numbers[0]);

	switch (rnd(4))
	{
		case 0:
			cJSON_SetNumberValue(v, boundary_numbers[rnd(n)]);
			break;
		case 1:
			cJSON_SetNumberValue(v, v->valuedouble + (rnd(2) ? 1 : -1));
			break;
		case 2:
			cJSON_SetNumberValue(v, v->valuedouble * (rnd(2) ? 2 : -1));
			break;
		default:
			cJSON_SetNumberValue(v, (double) rnd(16) - 2);
			break;
	}
}

/* One structural edit somewhere in the tree. */
static void
mutate_tree(cJSON *root)
{
	size_t		i = rnd((uint32_t) count_values(root));
	cJSON	   *v = nth_value(root, &i);
	cJSON	   *parent = v == root ? NULL : parent_of(root, v);

	if (cJSON_IsNumber(v) && rnd(4) != 0)
		mutate_number(v);
	else if (cJSON_IsString(v) && rnd(3) != 0 && parent != NULL)
		replace_value(parent, v, cJSON_CreateString(
						  keywords[rnd(sizeof(keywords) / sizeof(keywords[0]))]));
	else if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && v->child != NULL &&
			 rnd(2) == 0)
	{
		int			n = cJSON_GetArraySize(v);
		int			which = (int) rnd((uint32_t) n);

		if (rnd(2) == 0)
			cJSON_DeleteItemFromArray(v, which);
		else
		{
			cJSON	   *copy = cJSON_Duplicate(cJSON_GetArrayItem(v, which), 1);

			if (copy != NULL && cJSON_IsArray(v))
				cJSON_AddItemToArray(v, copy);
			else if (copy != NULL)
				cJSON_AddItemToObject(v, copy->string ? copy->string : "x", copy);
		}
	}
	else if (parent != NULL)
	{
		cJSON	   *with;

		switch (rnd(5))
		{
			case 0:
				with = cJSON_CreateNull();
				break;
			case 1:
				with = cJSON_CreateTrue();
				break;
			case 2:
				with = cJSON_CreateArray();
				break;
			case 3:
				with = cJSON_CreateObject();
				break;
			default:
				with = cJSON_CreateString("1");
				break;
		}
		replace_value(parent, v, with);
	}
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
						unsigned int seed)
{
	md_limits	limits;
	md_error	err;
	cJSON	   *root = NULL;
	char	   *text;
	size_t		len;

	rng_state = ((uint64_t) seed << 1) | 1;
	md_limits_default(&limits);
	if (rnd(8) == 0 ||
		md_json_parse((const char *) data, size, &limits, &root, &err) != MD_OK)
		return LLVMFuzzerMutate(data, size, max_size);

	for (uint32_t edits = 1 + rnd(3); edits > 0; edits--)
		mutate_tree(root);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL || (len = strlen(text)) > max_size)
	{
		free(text);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	memcpy(data, text, len);
	free(text);
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	md_error	err;

	fuzz_compile_one(data, size, &err);
	return 0;
}
