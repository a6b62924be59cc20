/*-------------------------------------------------------------------------
 *
 * native_info.c
 *	  Describing native models (md_get_info, output widths) and the public
 *	  calls about features, categories and class labels.
 *
 * Categorical features are scored as category codes; md_category_code()
 * is how a caller with text (a SQL text column, a CSV field) gets the code,
 * with the model's own rule for a category it has never seen.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "cityhash.h"
#include "native.h"
#include "strtab.h"

/* Bytes of an unknown category name that its error message quotes. */
#define MAX_QUOTED_VALUE 100

const char *
md_task_name(md_task task)
{
	static const char *const names[] = {
		[MD_TASK_REGRESSION] = "regression",
		[MD_TASK_BINARY] = "binary",
		[MD_TASK_MULTICLASS] = "multiclass",
		[MD_TASK_RANKING] = "ranking",
		[MD_TASK_CLUSTER] = "cluster",
	};

	return (unsigned) task <= MD_TASK_CLUSTER ? names[task] : "?";
}

/* What the registry shows as the objective of a native model. */
static const char *
objective_name(const md_native_header *h)
{
	const md_native_forest *f = md_native_at(h, h->body_offset);

	switch ((md_native_kind) h->kind)
	{
		case MD_NATIVE_LINEAR:
			if (h->link == MD_LINK_EXP)
				return "native:log_linear_regression";
			return h->task == MD_TASK_REGRESSION
				? "native:linear_regression"
				: "native:logistic_regression";
		case MD_NATIVE_TREES:
			return f->aggregation == MD_AGG_SUM
				? "native:boosted_trees"
				: "native:averaged_trees";
		case MD_NATIVE_MLP:
			return "native:mlp";
		case MD_NATIVE_KMEANS:
		case MD_NATIVE__END:
			break;
	}
	return "native:kmeans";
}

void
md_native_info(const md_model *m, md_info *info)
{
	static const char *const kinds[] = {
		[MD_NATIVE_LINEAR] = "linear",
		[MD_NATIVE_TREES] = "trees",
		[MD_NATIVE_MLP] = "mlp",
		[MD_NATIVE_KMEANS] = "kmeans",
	};
	const md_native_header *h = md_native_head(m);

	info->task = (md_task) h->task;
	info->objective = objective_name(h);
	info->booster = kinds[h->kind];
	info->n_classes = h->n_classes;
	if (h->kind == MD_NATIVE_TREES)
	{
		const md_native_forest *f = md_native_at(h, h->body_offset);

		info->n_trees = f->n_trees;
		info->n_nodes = f->n_nodes;
		info->max_depth = f->max_depth;
	}
}

uint32_t
md_native_output_width(const md_model *m, md_output kind)
{
	const md_native_header *h = md_native_head(m);

	switch (kind)
	{
		case MD_OUTPUT_PREDICT:
			return 1;
		case MD_OUTPUT_PROBA:
			return h->n_classes;
		case MD_OUTPUT_RAW:
			return h->n_outputs;
		case MD_OUTPUT_CLASS:
			return h->task == MD_TASK_REGRESSION ? 0 : 1;
	}
	return 0;
}

const char *
md_class_label(const md_model *m, uint32_t k)
{
	const md_strtab *labels = md_section_ptr(m, MD_SEC_CLASS_LABELS);

	if (labels == NULL || k >= labels->count)
		return NULL;
	return md_strtab_get(labels, k);
}

/*
 * The description of feature i in the model's feature table, or NULL (no
 * table: every feature numeric; or no such feature).  Any kind of model
 * may have the table (blob.c validates it).
 */
static const md_native_feature *
native_feature(const md_model *m, uint32_t i)
{
	const md_native_features *fs = md_section_ptr(m, MD_SEC_NATIVE_FEATURES);

	if (fs == NULL || i >= fs->n_features)
		return NULL;
	return (const md_native_feature *) md_native_at(fs, fs->features_offset) + i;
}

md_feature_kind
md_feature_kind_of(const md_model *m, uint32_t feature)
{
	const md_native_feature *f = native_feature(m, feature);

	return f ? (md_feature_kind) f->kind : MD_FEATURE_NUMERIC;
}

int
md_category_takes_codes(const md_model *m, uint32_t feature)
{
	const md_native_feature *f = native_feature(m, feature);

	return f != NULL && f->kind == MD_FEATURE_CATEGORICAL &&
		(f->flags & MD_FEATURE_TAKES_CODES) != 0;
}

uint32_t
md_category_count(const md_model *m, uint32_t feature)
{
	const md_native_feature *f = native_feature(m, feature);

	return f ? f->n_categories : 0;
}

static const md_strtab *
categories(const md_model *m, const md_native_feature *f)
{
	return md_native_at(md_section_ptr(m, MD_SEC_NATIVE_FEATURES),
						f->categories_offset);
}

const char *
md_category_name(const md_model *m, uint32_t feature, uint32_t code)
{
	const md_native_feature *f = native_feature(m, feature);

	if (f == NULL || code >= f->n_categories)
		return NULL;
	return md_strtab_get(categories(m, f), code);
}

/* "a", "b", "c" and 7 more: the start of a feature's category list. */
static void
list_categories(const md_model *m, const md_native_feature *f, uint32_t i,
				char *buf, size_t len)
{
	size_t used = 0;
	uint32_t k;

	buf[0] = '\0';
	for (k = 0; k < f->n_categories && used + 40 < len; k++)
		used += snprintf(buf + used, len - used, "%s\"%.30s\"", k ? ", " : "",
						 md_category_name(m, i, k));
	if (k < f->n_categories)
		snprintf(buf + used, len - used, " and %u more", f->n_categories - k);
}

/*
 * How much of value[0..len) a message quotes: at most 100 bytes, cut
 * before a UTF-8 continuation byte so that a character is never split.
 */
static int
quoted_length(const char *value, size_t len)
{
	size_t n = len;

	if (n <= MAX_QUOTED_VALUE)
		return (int) n;
	n = MAX_QUOTED_VALUE;
	while (n > 0 && ((unsigned char) value[n] & 0xC0) == 0x80)
		n--;
	return (int) n;
}

md_status
md_category_code(const md_model *m, uint32_t feature, const char *value,
				 size_t len, double *code, md_error *err)
{
	const md_native_feature *f = native_feature(m, feature);
	int64_t i;
	char known[200];
	int shown;

	md_clear_error(err);
	if (f == NULL || f->kind != MD_FEATURE_CATEGORICAL)
		return md_fail(err, MD_ERR_ARGUMENT,
					   "feature %u of the model is not categorical", feature);
	if (f->unknown == MD_UNKNOWN_HASH)
	{
		*code = md_catboost_hash(value, len);
		return MD_OK;
	}
	i = md_strtab_find(categories(m, f), value, len);
	if (i >= 0 || f->unknown == MD_UNKNOWN_IGNORE)
	{
		*code = i >= 0 ? (double) i : MD_UNKNOWN_CATEGORY;
		return MD_OK;
	}
	list_categories(m, f, feature, known, sizeof(known));
	shown = quoted_length(value, len);
	md_fail(err, MD_ERR_INPUT, "feature \"%s\": unknown category \"%.*s%s\"",
			md_feature_name(m, feature), shown, value,
			(size_t) shown < len ? "..." : "");
	if (md_model_meta(m)->format == MD_FORMAT_XGBOOST)
		md_hint(err, "The model knows the categories %s; XGBoost refuses a "
					 "category it was not trained with.",
				known);
	else
		md_hint(err, "The model knows the categories %s; its encoder was "
					 "fitted with handle_unknown='error'.",
				known);
	return MD_ERR_INPUT;
}
