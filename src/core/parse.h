/*-------------------------------------------------------------------------
 *
 * parse.h
 *	  Model format parsers: JSON tree (or model text) in, blob sections out.
 *
 * A parser reads a cJSON tree produced by md_json_parse(), checks it against
 * its format and the limits, and describes the model to a builder.  It need
 * not re-check what the blob validators check, but everything it reports is
 * phrased in terms of the source format (tree and node numbers as the file
 * has them), which is why it checks structure as it reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_PARSE_H
#define MD_PARSE_H

#include <cjson/cJSON.h>

#include "md_internal.h"

md_status md_parse_xgboost(const cJSON *root, const md_limits *limits,
						   md_builder *b, md_error *err);

/*
 * The category names XGBoost 3.1+ keeps in a tree model ("cats"), as the
 * MD_SEC_NATIVE_FEATURES section (none without them).  names_in_bytes:
 * the writer measured names in bytes (3.4+), see parse_xgb_cats.c.
 */
md_status md_xgb_write_categories(const cJSON *model, uint32_t n_features,
								  bool names_in_bytes, md_builder *b,
								  md_error *err);

md_status md_parse_native(const cJSON *root, const md_limits *limits,
						  md_builder *b, md_error *err);

/*
 * CatBoost's JSON model (save_model(format="json")): md_catboost_detect()
 * says whether a JSON document looks like one (it has "features_info" and
 * "oblivious_trees" or "trees").
 */
bool md_catboost_detect(const cJSON *root);
md_status md_parse_catboost(const cJSON *root, const md_limits *limits,
							md_builder *b, md_error *err);

/*
 * LightGBM's text model is not JSON: its parser takes the text itself.
 * md_lightgbm_detect() says whether text looks like one (its first line is
 * "tree").
 */
bool md_lightgbm_detect(const char *text, size_t len);
md_status md_parse_lightgbm(const char *text, size_t len,
							const md_limits *limits, md_builder *b,
							md_error *err);

/*
 * ONNX models are protobuf bytes: md_onnx_detect() (onnx.h) recognises
 * them, md_parse_onnx() reads them (parse_onnx.c).
 */
bool md_onnx_detect(const char *bytes, size_t len);
md_status md_parse_onnx(const char *bytes, size_t len,
						const md_limits *limits, md_builder *b,
						md_error *err);

#endif /* MD_PARSE_H */
