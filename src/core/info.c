/*-------------------------------------------------------------------------
 *
 * info.c
 *	  Describing an open model: what it predicts, its size and its features.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "md_internal.h"
#include "strtab.h"

static const char *const format_names[] = {
	[MD_FORMAT_AUTO] = "auto",
	[MD_FORMAT_XGBOOST] = "xgboost",
	[MD_FORMAT_NATIVE] = "native",
	[MD_FORMAT_LIGHTGBM] = "lightgbm",
	[MD_FORMAT_CATBOOST] = "catboost",
	[MD_FORMAT_ONNX] = "onnx",
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

void
md_get_info(const md_model *m, md_info *info)
{
	const md_meta *meta = md_model_meta(m);

	memset(info, 0, sizeof(*info));
	info->format = (md_format) meta->format;
	info->n_features = meta->n_features;
	info->n_outputs = meta->n_outputs;
	info->blob_size = m->size;
	md_kind_of(m)->info(m, info);
}

uint32_t
md_output_width(const md_model *m, md_output kind)
{
	return md_kind_of(m)->output_width(m, kind);
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
