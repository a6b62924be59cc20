/*-------------------------------------------------------------------------
 *
 * info.c
 *	  Describing an open model: what it predicts, its size and its features.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "md_internal.h"
#include "native.h"
#include "objective.h"
#include "strtab.h"

static const char *const format_names[] = {
	[MD_FORMAT_AUTO] = "auto",
	[MD_FORMAT_XGBOOST] = "xgboost",
	[MD_FORMAT_NATIVE] = "native",
};

const char *
md_version(void)
{
	return MDSCORE_VERSION;
}

const char *
md_format_name(md_format format)
{
	if ((unsigned) format >= sizeof(format_names) / sizeof(format_names[0]))
		return "unknown";
	return format_names[format];
}

md_status
md_format_from_name(const char *name, md_format *format)
{
	for (unsigned i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
	{
		if (strcmp(name, format_names[i]) == 0)
		{
			*format = (md_format) i;
			return MD_OK;
		}
	}
	return MD_ERR_ARGUMENT;
}

static uint32_t
class_count(const md_meta *meta)
{
	switch (md_objective_task(meta->objective))
	{
		case MD_TASK_BINARY:
			return 2;
		case MD_TASK_MULTICLASS:
			return meta->n_outputs;
		default:
			return 0;
	}
}

void
md_get_info(const md_model *m, md_info *info)
{
	const md_meta *meta = md_model_meta(m);
	const md_forest_header *fh = md_section_ptr(m, MD_SEC_FOREST);

	memset(info, 0, sizeof(*info));
	info->format = (md_format) meta->format;
	info->task = md_objective_task(meta->objective);
	info->objective = md_objective_name(meta->objective);
	info->booster = md_booster_name(meta->booster);
	info->n_features = meta->n_features;
	info->n_outputs = meta->n_outputs;
	info->n_classes = class_count(meta);
	info->blob_size = m->size;
	if (meta->format == MD_FORMAT_NATIVE)
		md_native_info(m, info);
	else if (fh != NULL)
	{
		info->n_trees = fh->n_trees;
		info->n_nodes = fh->n_nodes;
		info->max_depth = fh->max_depth;
	}
}

uint32_t
md_output_width(const md_model *m, md_output kind)
{
	const md_meta *meta = md_model_meta(m);

	if (meta->format == MD_FORMAT_NATIVE)
		return md_native_output_width(m, kind);
	switch (kind)
	{
		case MD_OUTPUT_PREDICT:
			return 1;
		case MD_OUTPUT_PROBA:
			return class_count(meta);
		case MD_OUTPUT_RAW:
			return meta->n_outputs;
		case MD_OUTPUT_CLASS:
			return class_count(meta) > 0;
	}
	return 0;
}

int
md_has_feature_names(const md_model *m)
{
	return md_section_ptr(m, MD_SEC_FEATURE_NAMES) != NULL;
}

const char *
md_feature_name(const md_model *m, uint32_t i)
{
	const md_strtab *names = md_section_ptr(m, MD_SEC_FEATURE_NAMES);

	if (names == NULL || i >= names->count)
		return NULL;
	return md_strtab_get(names, i);
}

int64_t
md_feature_index(const md_model *m, const char *name, size_t len)
{
	const md_strtab *names = md_section_ptr(m, MD_SEC_FEATURE_NAMES);

	if (names == NULL)
		return -1;
	return md_strtab_find(names, name, len);
}
