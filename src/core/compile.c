/*-------------------------------------------------------------------------
 *
 * compile.c
 *	  md_compile(): model text in, validated blob out.
 *
 * Parse the JSON (bounded; LightGBM's text model, recognised by its first
 * line, is not JSON and goes to its parser as text, and an ONNX model,
 * recognised by its first protobuf field, goes to its parser as bytes), find out which format
 * it is, let that format's parser describe the model to a builder, finish the blob, and open it with
 * full validation, so that a blob this function returns has passed exactly
 * the checks a blob read from an untrusted file must pass.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "json.h"
#include "md_internal.h"
#include "parse.h"

void
md_limits_default(md_limits *limits)
{
	/* compiling takes about 16 times the text in memory (cJSON nodes) */
	limits->max_source_bytes = (size_t) 64 * 1024 * 1024;
	limits->max_trees = 100000;
	limits->max_nodes_per_tree = 1 << 22;
	limits->max_depth = 256;
	limits->max_features = 100000;
	limits->max_classes = 10000;
	limits->max_json_depth = 64;
	limits->interrupted = NULL;
}

md_status
md_check_source_size(size_t len, const md_limits *limits, md_error *err)
{
	md_limits defaults;

	if (limits == NULL)
	{
		md_limits_default(&defaults);
		limits = &defaults;
	}
	if (len <= limits->max_source_bytes)
		return MD_OK;
	return md_fail_limit(err, "model text is", len, "bytes",
						 limits->max_source_bytes, "max_model_size");
}

static md_status
detect_format(const cJSON *root, md_format *format, md_error *err)
{
	const cJSON *marker = md_json_member(root, "format");

	if (md_json_member(root, "learner") != NULL)
	{
		*format = MD_FORMAT_XGBOOST;
		return MD_OK;
	}
	if (cJSON_IsString(marker) && strcmp(marker->valuestring, "model_deploy") == 0)
	{
		*format = MD_FORMAT_NATIVE;
		return MD_OK;
	}
	if (md_catboost_detect(root))
	{
		*format = MD_FORMAT_CATBOOST;
		return MD_OK;
	}
	md_fail(err, MD_ERR_MODEL,
			"model JSON is not in a known format: it has no \"learner\" "
			"object (XGBoost) and no \"format\": \"model_deploy\" (native)");
	md_hint(err, "Save XGBoost models with Booster.save_model(\"model.json\"); "
				 "export scikit-learn models with tools/export_sklearn.py.");
	return MD_ERR_MODEL;
}

/*
 * Replace a validated tree blob by one with the fast layout of its trees
 * (float trees: MD_SEC_FOREST_FAST; double-precision: MD_SEC_DTREES_FAST),
 * validated in turn: the scorer trusts it as much as the rest.
 */
static md_status
add_fast_layout(md_model *check, void **blob, size_t *blob_len,
				md_error *err)
{
	void *fast;
	size_t fast_len;
	md_status st = md_section_ptr(check, MD_SEC_DTREES) != NULL ? md_dfast_compile(check, &fast, &fast_len, err) : md_fast_compile(check, &fast, &fast_len, err);

	if (st != MD_OK)
		return st;
	md_blob_free(*blob);
	*blob = fast;
	*blob_len = fast_len;
	return md_open(check, *blob, *blob_len, MD_OPEN_VALIDATE, err);
}

md_status
md_compile(const char *text, size_t len, md_format format,
		   const md_limits *limits, void **blob, size_t *blob_len,
		   md_error *err)
{
	md_limits defaults;
	cJSON *root = NULL;
	md_builder b;
	md_model check;
	md_status st;

	*blob = NULL;
	*blob_len = 0;
	md_clear_error(err);
	if (limits == NULL)
	{
		md_limits_default(&defaults);
		limits = &defaults;
	}
	if (text == NULL)
		return md_fail(err, MD_ERR_ARGUMENT, "no model text");
	st = md_check_source_size(len, limits, err);
	if (st != MD_OK)
		return st;
	if (format == MD_FORMAT_AUTO && md_lightgbm_detect(text, len))
		format = MD_FORMAT_LIGHTGBM;
	if (format == MD_FORMAT_AUTO && md_onnx_detect(text, len))
		format = MD_FORMAT_ONNX;
	if (format != MD_FORMAT_LIGHTGBM && format != MD_FORMAT_ONNX)
		st = md_json_parse(text, len, limits, &root, err);
	if (st == MD_OK)
		st = md_poll_interrupt(limits, err);
	if (st == MD_OK && format == MD_FORMAT_AUTO)
		st = detect_format(root, &format, err);
	if (st != MD_OK)
	{
		cJSON_Delete(root);
		return st;
	}

	md_builder_init(&b);
	switch (format)
	{
		case MD_FORMAT_XGBOOST:
			st = md_parse_xgboost(root, limits, &b, err);
			break;
		case MD_FORMAT_NATIVE:
			st = md_parse_native(root, limits, &b, err);
			break;
		case MD_FORMAT_LIGHTGBM:
			st = md_parse_lightgbm(text, len, limits, &b, err);
			break;
		case MD_FORMAT_CATBOOST:
			st = md_parse_catboost(root, limits, &b, err);
			break;
		case MD_FORMAT_ONNX:
			st = md_parse_onnx(text, len, limits, &b, err);
			break;
		default:
			st = md_fail(err, MD_ERR_ARGUMENT, "unknown model format");
			break;
	}
	cJSON_Delete(root);
	if (st == MD_OK)
		st = md_poll_interrupt(limits, err);
	if (st == MD_OK)
		st = md_builder_finish(&b, blob, blob_len, err);
	md_builder_free(&b);

	if (st == MD_OK)
		st = md_open(&check, *blob, *blob_len, MD_OPEN_VALIDATE, err);
	if (st == MD_OK)
		st = md_poll_interrupt(limits, err);
	if (st == MD_OK && (md_fast_applies(&check) || md_dfast_applies(&check)))
		st = add_fast_layout(&check, blob, blob_len, err);
	if (st != MD_OK)
	{
		md_blob_free(*blob);
		*blob = NULL;
		*blob_len = 0;
	}
	return st;
}

void
md_blob_free(void *blob)
{
	free(blob);
}
