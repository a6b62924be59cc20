/*-------------------------------------------------------------------------
 *
 * parse_native.c
 *	  Reading model_deploy's native JSON format (docs/model-format.md) into
 *	  a blob: the format marker, the input features, the output, and the
 *	  sections that describe them; the preprocessing and the estimator are
 *	  read by parse_prep.c and parse_estimator.c.
 *
 * The reader is strict: unknown members, members given twice, wrong types,
 * duplicate names and inconsistent shapes are errors that name their JSON
 * path, because a misspelt key silently taking a default would score
 * wrongly without anyone noticing.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "parse_native.h"
#include "strtab.h"

#define NATIVE_FORMAT_MARKER "model_deploy"
#define NATIVE_FORMAT_VERSION 1

/* A category and its code, sorted by name for lookups while compiling. */
typedef struct category_entry
{
	const char *name;
	uint32_t code;
} category_entry;

/* native_model plus what only this file needs. */
typedef struct native_reader
{
	native_model nm;
	category_entry **sorted; /* [n_features]: NULL if numeric */
} native_reader;

void
md_path_write(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

md_status
md_native_nomem(md_error *err)
{
	return md_fail(err, MD_ERR_NOMEM, "out of memory reading the model");
}

md_status
md_native_limit(md_error *err, const char *what, uint64_t value,
				uint64_t limit, const char *setting)
{
	md_fail(err, MD_ERR_LIMIT, "model has %llu %s; the limit is %llu",
			(unsigned long long) value, what, (unsigned long long) limit);
	md_hint(err, "Raise model_deploy.%s if the model is genuine.", setting);
	return MD_ERR_LIMIT;
}

md_status
md_json_enum(const cJSON *obj, const char *key, const char *where,
			 const char *const *names, uint32_t *out, md_error *err)
{
	const char *value;
	char choices[160] = "";
	md_status st = md_json_string(obj, key, where, &value, err);

	if (st != MD_OK)
		return st;
	for (uint32_t i = 0; names[i] != NULL; i++)
	{
		if (strcmp(value, names[i]) == 0)
		{
			*out = i;
			return MD_OK;
		}
		snprintf(choices + strlen(choices), sizeof(choices) - strlen(choices),
				 "%s\"%s\"", i ? ", " : "", names[i]);
	}
	return md_fail(err, MD_ERR_MODEL,
				   "model JSON: %s.%s is \"%s\"; expected one of %s", where,
				   key, value, choices);
}

static int
compare_entries(const void *a, const void *b)
{
	return strcmp(((const category_entry *) a)->name,
				  ((const category_entry *) b)->name);
}

int64_t
md_native_category_index(const native_model *nm, uint32_t feature,
						 const char *value)
{
	const native_reader *r = (const native_reader *) nm;
	const category_entry *cats = r->sorted[feature];
	uint32_t lo = 0,
			 hi = nm->n_categories[feature];

	while (cats != NULL && lo < hi)
	{
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(value, cats[mid].name);

		if (c == 0)
			return cats[mid].code;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* A categorical feature's list: non-empty distinct strings. */
static md_status
read_categories(native_reader *r, uint32_t f, const cJSON *jf,
				const char *where, md_error *err)
{
	native_model *nm = &r->nm;
	const cJSON *cats;
	category_entry *sorted;
	uint32_t n,
		i = 0;
	md_status st;

	if ((st = md_json_array(jf, "categories", where, &cats, err)) != MD_OK)
		return st;
	n = (uint32_t) cJSON_GetArraySize(cats);
	if (n == 0)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s.categories is empty", where);
	if (n > nm->limits->max_features)
		return md_native_limit(err, "categories in one feature", n,
							   nm->limits->max_features, "max_features");
	sorted = malloc(sizeof(category_entry) * n);
	if (sorted == NULL)
		return md_native_nomem(err);
	r->sorted[f] = sorted;
	for (const cJSON *c = cats->child; c != NULL; c = c->next, i++)
	{
		if (!cJSON_IsString(c) || c->valuestring[0] == '\0')
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s.categories[%u] is not a non-empty "
						   "string",
						   where, i);
		sorted[i].name = c->valuestring;
		sorted[i].code = i;
	}
	qsort(sorted, n, sizeof(category_entry), compare_entries);
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i - 1].name, sorted[i].name) == 0)
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: %s.categories has \"%s\" twice",
						   where, sorted[i].name);
	nm->categories[f] = cats;
	nm->n_categories[f] = n;
	return MD_OK;
}

static md_status
read_feature(native_reader *r, uint32_t f, const cJSON *jf, md_error *err)
{
	static const char *const keys[] = {"name", "type", "categories", NULL};
	static const char *const types[] = {"numeric", "categorical", NULL};
	char where[MD_PATH_LEN];
	uint32_t type;
	md_status st;

	md_path(where, "features[%u]", f);
	if (!cJSON_IsObject(jf))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s should be an object", where);
	if ((st = md_json_check_keys(jf, where, keys, err)) != MD_OK ||
		(st = md_json_string(jf, "name", where, &r->nm.names[f], err)) != MD_OK ||
		(st = md_json_enum(jf, "type", where, types, &type, err)) != MD_OK)
		return st;
	if (r->nm.names[f][0] == '\0')
		return md_fail(err, MD_ERR_MODEL, "model JSON: %s.name is empty",
					   where);
	if (type == MD_FEATURE_CATEGORICAL)
		return read_categories(r, f, jf, where, err);
	if (md_json_member(jf, "categories") != NULL)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: %s is numeric but has categories", where);
	return MD_OK;
}

static md_status
read_features(native_reader *r, const cJSON *root, md_error *err)
{
	native_model *nm = &r->nm;
	const cJSON *jfs;
	uint32_t n,
		f = 0;
	md_status st;

	if ((st = md_json_array(root, "features", "the model", &jfs, err)) != MD_OK)
		return st;
	n = (uint32_t) cJSON_GetArraySize(jfs);
	if (n == 0)
		return md_fail(err, MD_ERR_MODEL, "model JSON: features is empty");
	if (n > nm->limits->max_features)
		return md_native_limit(err, "features", n,
							   nm->limits->max_features, "max_features");
	nm->n_features = n;
	nm->names = calloc(n, sizeof(char *));
	nm->categories = calloc(n, sizeof(cJSON *));
	nm->n_categories = calloc(n, sizeof(uint32_t));
	nm->unknown_error = calloc(n, 1);
	r->sorted = calloc(n, sizeof(category_entry *));
	if (!nm->names || !nm->categories || !nm->n_categories ||
		!nm->unknown_error || !r->sorted)
		return md_native_nomem(err);
	for (const cJSON *jf = jfs->child; jf != NULL; jf = jf->next, f++)
		if ((st = read_feature(r, f, jf, err)) != MD_OK)
			return st;
	return MD_OK;
}

/* "output": the kind of prediction, and the class labels of classifiers */
static md_status
read_output(native_model *nm, const cJSON *root, md_error *err)
{
	static const char *const keys[] = {"kind", "classes", NULL};
	static const char *const kinds[] = {"regression", "binary", "multiclass",
										"cluster", NULL};
	static const md_task tasks[] = {MD_TASK_REGRESSION, MD_TASK_BINARY,
									MD_TASK_MULTICLASS, MD_TASK_CLUSTER};
	const cJSON *out;
	uint32_t kind,
		i = 0;
	md_status st;

	if ((st = md_json_object(root, "output", "the model", &out, err)) != MD_OK ||
		(st = md_json_check_keys(out, "output", keys, err)) != MD_OK ||
		(st = md_json_enum(out, "kind", "output", kinds, &kind, err)) != MD_OK)
		return st;
	nm->task = tasks[kind];
	if (nm->task != MD_TASK_BINARY && nm->task != MD_TASK_MULTICLASS)
	{
		if (md_json_member(out, "classes") != NULL)
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: output of kind \"%s\" has no classes",
						   kinds[kind]);
		return MD_OK;
	}
	if ((st = md_json_array(out, "classes", "output", &nm->classes, err)) != MD_OK)
		return st;
	nm->n_classes = (uint32_t) cJSON_GetArraySize(nm->classes);
	if (nm->n_classes > nm->limits->max_classes)
		return md_native_limit(err, "classes", nm->n_classes,
							   nm->limits->max_classes, "max_classes");
	if (nm->task == MD_TASK_BINARY ? nm->n_classes != 2 : nm->n_classes < 3)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: output of kind \"%s\" has %u classes; "
					   "expected %s",
					   kinds[kind], nm->n_classes,
					   nm->task == MD_TASK_BINARY ? "2" : "3 or more");
	for (const cJSON *c = nm->classes->child; c != NULL; c = c->next, i++)
		if (!cJSON_IsString(c) || c->valuestring[0] == '\0')
			return md_fail(err, MD_ERR_MODEL,
						   "model JSON: output.classes[%u] is not a non-empty "
						   "string",
						   i);
	return MD_OK;
}

static md_status
read_marker(const cJSON *root, md_error *err)
{
	const char *marker;
	const cJSON *v;
	md_status st;

	if ((st = md_json_string(root, "format", "the model", &marker, err)) != MD_OK)
		return st;
	if (strcmp(marker, NATIVE_FORMAT_MARKER) != 0)
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: format is \"%s\"; expected \"%s\"",
					   marker, NATIVE_FORMAT_MARKER);
	v = md_json_member(root, "format_version");
	if (!cJSON_IsNumber(v))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: format_version should be the number %d",
					   NATIVE_FORMAT_VERSION);
	if (v->valuedouble != NATIVE_FORMAT_VERSION)
	{
		md_fail(err, MD_ERR_UNSUPPORTED,
				"model JSON has format_version %g; this library reads "
				"version %d",
				v->valuedouble, NATIVE_FORMAT_VERSION);
		md_hint(err, "Export the model again with this version's "
					 "tools/export_sklearn.py.");
		return MD_ERR_UNSUPPORTED;
	}
	return MD_OK;
}

/*
 * Do the estimator's outputs fit the declared kind of output?  Probabilities
 * come from 1 output (binary: logistic or softmax link) or one per class;
 * regression has 1 value; clusters come from k-means only.
 */
static md_status
check_output_shape(const native_model *nm, const md_native_header *h,
				   md_error *err)
{
	bool ok;

	switch (nm->task)
	{
		case MD_TASK_REGRESSION:
			ok = h->n_outputs == 1 && h->kind != MD_NATIVE_KMEANS &&
				(h->link == MD_LINK_IDENTITY || h->link == MD_LINK_EXP);
			break;
		case MD_TASK_CLUSTER:
			ok = h->kind == MD_NATIVE_KMEANS;
			break;
		default:
			ok = h->kind != MD_NATIVE_KMEANS && h->link != MD_LINK_EXP &&
				(h->n_outputs == nm->n_classes ||
				 (h->n_outputs == 1 && nm->task == MD_TASK_BINARY &&
				  h->link != MD_LINK_IDENTITY));
			break;
	}
	if (!ok)
	{
		md_fail(err, MD_ERR_MODEL,
				"model JSON: the estimator (%u outputs, link %s) does not "
				"fit output kind \"%s\"",
				h->n_outputs,
				md_link_name(h->link), md_task_name(nm->task));
		md_hint(err, "Regression: 1 output, link identity or exp.  Binary: "
					 "1 output with link logistic or softmax, or 2.  Multiclass: "
					 "one output per class.  Cluster: a kmeans estimator.");
		return MD_ERR_MODEL;
	}
	return MD_OK;
}

static md_status
write_features(const native_model *nm, md_builder *b, md_error *err)
{
	md_native_features head = {nm->n_features, 0, 0};
	md_native_feature *feats = calloc(nm->n_features, sizeof(md_native_feature));
	const char **strs = NULL;
	uint64_t head_at,
		feats_at;
	md_status st = MD_OK;

	if (feats == NULL)
		return md_native_nomem(err);
	md_builder_begin(b, MD_SEC_NATIVE_FEATURES);
	head_at = md_builder_put(b, &head, sizeof(head));
	feats_at = md_builder_reserve(b, sizeof(md_native_feature) * nm->n_features);
	for (uint32_t f = 0; f < nm->n_features && st == MD_OK; f++)
	{
		uint32_t i = 0;

		feats[f].kind = MD_FEATURE_NUMERIC;
		if (nm->categories[f] == NULL)
			continue;
		feats[f].kind = MD_FEATURE_CATEGORICAL;
		feats[f].n_categories = nm->n_categories[f];
		feats[f].unknown = nm->unknown_error[f]
			? MD_UNKNOWN_ERROR
			: MD_UNKNOWN_IGNORE;
		free(strs);
		strs = malloc(sizeof(char *) * nm->n_categories[f]);
		if (strs == NULL)
			st = md_native_nomem(err);
		for (const cJSON *c = nm->categories[f]->child;
			 st == MD_OK && c != NULL; c = c->next)
			strs[i++] = c->valuestring;
		if (st == MD_OK)
			st = md_strtab_put(b, strs, i, "categories",
							   &feats[f].categories_offset,
							   &feats[f].categories_size, err);
	}
	head.features_offset = feats_at;
	if (st == MD_OK && md_builder_at(b, head_at) != NULL)
	{
		memcpy(md_builder_at(b, head_at), &head, sizeof(head));
		memcpy(md_builder_at(b, feats_at), feats,
			   sizeof(md_native_feature) * nm->n_features);
	}
	md_builder_end(b);
	free(strs);
	free(feats);
	return st;
}

/* Feature names and class labels as string tables. */
static md_status
write_names(const native_model *nm, md_builder *b, md_error *err)
{
	const char **labels;
	uint32_t i = 0;
	md_status st;

	st = md_strtab_write(b, MD_SEC_FEATURE_NAMES, nm->names, nm->n_features,
						 "feature names", err);
	if (st != MD_OK || nm->classes == NULL)
		return st;
	labels = malloc(sizeof(char *) * nm->n_classes);
	if (labels == NULL)
		return md_native_nomem(err);
	for (const cJSON *c = nm->classes->child; c != NULL; c = c->next)
		labels[i++] = c->valuestring;
	st = md_strtab_write(b, MD_SEC_CLASS_LABELS, labels, nm->n_classes,
						 "class labels", err);
	free(labels);
	return st;
}

static md_status
parse_model(native_reader *r, const cJSON *root, md_builder *b, md_error *err)
{
	static const char *const keys[] = {"format", "format_version", "producer",
									   "metadata", "features", "output", "preprocessing", "estimator", NULL};
	native_model *nm = &r->nm;
	md_native_header h = {0};
	md_meta meta = {0};
	const cJSON *est;
	md_status st;

	if (!cJSON_IsObject(root))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON should be an object");
	if ((st = md_json_check_keys(root, "the model", keys, err)) != MD_OK ||
		(st = read_marker(root, err)) != MD_OK ||
		(st = read_features(r, root, err)) != MD_OK ||
		(st = read_output(nm, root, err)) != MD_OK ||
		(st = md_json_object(root, "estimator", "the model", &est, err)) != MD_OK)
		return st;
	st = md_compile_preprocessing(md_json_member(root, "preprocessing"), nm, b,
								  &h.n_inputs, err);
	h.task = nm->task;
	h.n_classes = nm->n_classes;
	if (st == MD_OK)
		st = md_parse_estimator(est, nm, &h, b, err);
	if (st == MD_OK)
		st = check_output_shape(nm, &h, err);
	if (st == MD_OK)
		st = write_features(nm, b, err);
	if (st == MD_OK)
		st = write_names(nm, b, err);

	meta.format = MD_FORMAT_NATIVE;
	meta.estimator = MD_EST_NATIVE;
	meta.n_features = nm->n_features;
	meta.n_outputs = h.n_outputs;
	md_builder_begin(b, MD_SEC_META);
	md_builder_put(b, &meta, sizeof(meta));
	md_builder_end(b);
	return st;
}

md_status
md_parse_native(const cJSON *root, const md_limits *limits, md_builder *b,
				md_error *err)
{
	native_reader r = {.nm = {.limits = limits}};
	md_status st = parse_model(&r, root, b, err);

	for (uint32_t f = 0; r.sorted != NULL && f < r.nm.n_features; f++)
		free(r.sorted[f]);
	free(r.sorted);
	free(r.nm.names);
	free(r.nm.categories);
	free(r.nm.n_categories);
	free(r.nm.unknown_error);
	return st;
}
