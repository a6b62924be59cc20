/*-------------------------------------------------------------------------
 *
 * parse_catboost.c
 *	  CatBoost's JSON model (save_model(path, format="json")) in, a
 *	  double-precision tree ensemble (MD_SEC_DTREES) out.
 *
 * The document has "features_info" (float_features with their flat column
 * index and NaN treatment, categorical_features), "model_info" (the loss
 * in params.loss_function.type), "scale_and_bias" ([scale, [bias...]]) and
 * either "oblivious_trees" (symmetric trees: one split per level, leaf
 * index bit k = split k holds, leaf_values[index * dim + k]) or "trees"
 * (Depthwise and Lossguide: nested {split, left, right} / {value, weight},
 * right where the split holds).
 *
 * CatBoost's arithmetic, kept exactly: it reads every feature as a float
 * and a float split holds when (float) x > border.  For a double x that is
 * the same as one double comparison with the midpoint m between the border
 * and the next float up: x > m, or x >= m when the next float is even
 * (round-to-nearest-even sends the tie there).  NaN goes where
 * nan_value_treatment says (AsTrue: the split holds; AsIs, AsFalse: not).
 * A one-hot split holds when the value equals the category's hash; the
 * JSON keeps only hashes (CityHash64 of the category's text, low 32 bits,
 * signed), so those columns are categorical features whose text is hashed
 * the same way (cityhash.c) and whose numbers are taken as hashes.  The
 * leaves are summed from 0 in tree order and scale and bias applied after
 * (MD_DF_SCALE_LAST), as CatBoost does.  Oblivious trees become complete
 * trees rooted at their last split, the layout CatBoost's ShapValues uses,
 * and leaf weights are the covers explanations need.  CTR-based
 * categorical features (OnlineCtr splits, "ctrs"), text and embedding
 * features are refused by name.
 *
 * The JSON is untrusted: every index is checked against the features it
 * names, every array against its length, every number for finiteness, the
 * trees against the limits.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "json.h"
#include "native.h"
#include "parse.h"
#include "strtab.h"
#include "vec.h"

/* Deepest oblivious tree: 2^depth leaves must fit the node limits. */
#define CB_MAX_OBLIVIOUS_DEPTH 24

/* One float feature of features_info, by its feature_index. */
typedef struct cb_float
{
	uint32_t flat;
	bool nan_holds; /* nan_value_treatment AsTrue */
	bool seen;
} cb_float;

/* The model as read so far, and the forest being built. */
typedef struct cb_model
{
	const md_limits *limits;
	uint32_t n_features; /* flat columns */
	uint32_t n_float;
	uint32_t n_cat;
	cb_float *floats;
	uint32_t *cat_flat;
	const char **names; /* per flat column, NULL if unnamed */
	uint32_t dim;		/* outputs */
	double *init;		/* bias[dim], then scale */
	vec trees;
	vec nodes;
	vec leaves;
	vec node_cover;
	vec leaf_cover;
	bool cover; /* every leaf has its training weight */
	uint32_t max_depth;
	uint32_t tree_no; /* the tree being read, as the file numbers them */
} cb_model;

/* One tree before it is copied once per output. */
typedef struct cb_tree
{
	vec nodes;		 /* md_dnode */
	vec leaves;		 /* md_dleaf, value unset */
	vec values;		 /* double[dim] per leaf */
	vec leaf_weight; /* double per leaf */
	uint32_t max_depth;
} cb_tree;

static md_status
nomem(md_error *err)
{
	return md_fail(err, MD_ERR_NOMEM,
				   "out of memory reading the CatBoost model");
}

bool
md_catboost_detect(const cJSON *root)
{
	return cJSON_IsObject(md_json_member(root, "features_info")) &&
		(md_json_member(root, "oblivious_trees") != NULL ||
		 md_json_member(root, "trees") != NULL);
}

static md_status
tree_error(md_error *err, const cb_model *cb, const char *what)
{
	return md_fail(err, MD_ERR_MODEL, "CatBoost model: tree %u: %s",
				   cb->tree_no, what);
}

/* --- features_info ------------------------------------------------- */

/* A feature's flat column index, growing the column count. */
static md_status
read_flat(cb_model *cb, const cJSON *feat, const char *where, uint32_t *flat,
		  md_error *err)
{
	uint64_t v;
	md_status st = md_json_uint(feat, "flat_feature_index", where,
								cb->limits->max_features - 1, &v, err);

	if (st != MD_OK)
		return st;
	*flat = (uint32_t) v;
	if (*flat + 1 > cb->n_features)
		cb->n_features = *flat + 1;
	return MD_OK;
}

/*
 * The names of one kind's features, once the column count is known (their
 * flat_feature_index was checked by read_flat()).
 */
static md_status
read_names(cb_model *cb, const cJSON *features, md_error *err)
{
	const cJSON *feat;

	cJSON_ArrayForEach(feat, features)
	{
		const cJSON *id = md_json_member(feat, "feature_id");
		uint32_t flat = (uint32_t) md_json_member(feat, "flat_feature_index")
							->valuedouble;

		if (!cJSON_IsString(id) || id->valuestring[0] == '\0')
			continue;
		if (cb->names[flat] != NULL)
			return md_fail(err, MD_ERR_MODEL,
						   "CatBoost model: two features have "
						   "flat_feature_index %u",
						   flat);
		cb->names[flat] = id->valuestring;
	}
	return MD_OK;
}

static md_status
read_float_feature(cb_model *cb, const cJSON *feat, uint32_t i, md_error *err)
{
	char where[64];
	uint64_t index;
	const char *nan;
	md_status st;

	snprintf(where, sizeof(where), "features_info.float_features[%u]", i);
	if ((st = md_json_uint(feat, "feature_index", where, cb->n_float - 1,
						   &index, err)) != MD_OK)
		return st;
	if (cb->floats[index].seen)
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: two float features have "
					   "feature_index %llu",
					   (unsigned long long) index);
	cb->floats[index].seen = true;
	if ((st = read_flat(cb, feat, where, &cb->floats[index].flat, err)) !=
			MD_OK ||
		(st = md_json_string(feat, "nan_value_treatment", where, &nan,
							 err)) != MD_OK)
		return st;
	if (strcmp(nan, "AsTrue") == 0)
		cb->floats[index].nan_holds = true;
	else if (strcmp(nan, "AsFalse") != 0 && strcmp(nan, "AsIs") != 0)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "CatBoost model: %s has nan_value_treatment \"%s\"",
					   where, nan);
	return MD_OK;
}

static md_status
read_cat_feature(cb_model *cb, const cJSON *feat, uint32_t i, md_error *err)
{
	char where[64];
	uint64_t index;
	md_status st;

	snprintf(where, sizeof(where), "features_info.categorical_features[%u]",
			 i);
	if ((st = md_json_uint(feat, "feature_index", where, cb->n_cat - 1, &index,
						   err)) != MD_OK)
		return st;
	/* cat_flat[] starts at UINT32_MAX: a second feature_index i is seen */
	if (cb->cat_flat[index] != UINT32_MAX)
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: two categorical features have "
					   "feature_index %llu",
					   (unsigned long long) index);
	return read_flat(cb, feat, where, &cb->cat_flat[index], err);
}

/*
 * The names of the categorical features that CTRs read ("colour", "city"),
 * for the message refusing them; an unnamed one by its flat index.
 */
static void
ctr_feature_names(const cJSON *info, char *buf, size_t len)
{
	const cJSON *cats = md_json_member(info, "categorical_features");
	const cJSON *ctr, *e;
	size_t used = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(ctr, md_json_member(info, "ctrs"))
	{
		cJSON_ArrayForEach(e, md_json_member(ctr, "elements"))
		{
			const cJSON *i = md_json_member(e, "cat_feature_index");
			const cJSON *f = cJSON_IsNumber(i) && cJSON_IsArray(cats)
				? cJSON_GetArrayItem(cats, i->valueint)
				: NULL;
			const cJSON *id = md_json_member(f, "feature_id");
			char name[80];

			if (cJSON_IsString(id) && id->valuestring[0] != '\0')
				snprintf(name, sizeof(name), "\"%.60s\"", id->valuestring);
			else if (cJSON_IsNumber(i))
				snprintf(name, sizeof(name), "categorical feature %d",
						 i->valueint);
			else
				continue;
			if (strstr(buf, name) == NULL && used + strlen(name) + 3 < len)
				used += snprintf(buf + used, len - used, "%s%s",
								 used ? ", " : "", name);
		}
	}
}

/* The kinds of feature the trees cannot read without CatBoost's code. */
static md_status
refuse_unsupported(const cJSON *info, md_error *err)
{
	static const char *const kinds[] = {"text_features",
										"embedding_features"};
	const cJSON *ctrs = md_json_member(info, "ctrs");
	char names[200];

	if (ctrs != NULL && cJSON_GetArraySize(ctrs) > 0)
	{
		ctr_feature_names(info, names, sizeof(names));
		md_fail(err, MD_ERR_UNSUPPORTED,
				"CatBoost model uses CTR-based categorical features (%s): "
				"only float and one-hot categorical features are supported",
				names[0] ? names : "features_info.ctrs");
		md_hint(err, "Train with one_hot_max_size above each categorical "
					 "feature's number of values: CatBoost then splits on "
					 "the values themselves.");
		return MD_ERR_UNSUPPORTED;
	}
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
	{
		const cJSON *v = md_json_member(info, kinds[k]);

		if (v != NULL && cJSON_GetArraySize(v) > 0)
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "CatBoost model uses %s (features_info.%s): only "
						   "float and one-hot categorical features are "
						   "supported",
						   kinds[k], kinds[k]);
	}
	return MD_OK;
}

/* Each kind's array: counted first, read once the counts are known. */
static md_status
feature_array(const cJSON *info, const char *key, const md_limits *limits,
			  const cJSON **arr, uint32_t *n, md_error *err)
{
	int size;

	*arr = md_json_member(info, key);
	*n = 0;
	if (*arr == NULL)
		return MD_OK;
	if (!cJSON_IsArray(*arr))
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: features_info.%s is not an array", key);
	size = cJSON_GetArraySize(*arr);
	if ((uint64_t) size > limits->max_features)
		return md_fail_limit(err, "model has", (uint64_t) size, "features",
							 limits->max_features, "max_features");
	*n = (uint32_t) size;
	return MD_OK;
}

static md_status
read_features(const cJSON *root, cb_model *cb, md_error *err)
{
	const cJSON *info = md_json_member(root, "features_info");
	const cJSON *floats, *cats, *f;
	uint32_t i;
	md_status st;

	if ((st = refuse_unsupported(info, err)) != MD_OK ||
		(st = feature_array(info, "float_features", cb->limits, &floats,
							&cb->n_float, err)) != MD_OK ||
		(st = feature_array(info, "categorical_features", cb->limits, &cats,
							&cb->n_cat, err)) != MD_OK)
		return st;
	cb->floats = calloc(cb->n_float + 1, sizeof(cb_float));
	cb->cat_flat = malloc((cb->n_cat + 1) * sizeof(uint32_t));
	if (cb->floats == NULL || cb->cat_flat == NULL)
		return nomem(err);
	memset(cb->cat_flat, 0xff, (cb->n_cat + 1) * sizeof(uint32_t));
	i = 0;
	cJSON_ArrayForEach(f, floats)
	{
		if ((st = read_float_feature(cb, f, i++, err)) != MD_OK)
			return st;
	}
	i = 0;
	cJSON_ArrayForEach(f, cats)
	{
		if ((st = read_cat_feature(cb, f, i++, err)) != MD_OK)
			return st;
	}
	if (cb->n_features == 0)
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: features_info describes no feature");
	cb->names = calloc(cb->n_features, sizeof(char *));
	if (cb->names == NULL)
		return nomem(err);
	if ((st = read_names(cb, floats, err)) != MD_OK)
		return st;
	return read_names(cb, cats, err);
}

/* --- loss, scale and bias ------------------------------------------ */

typedef struct cb_loss
{
	const char *name;
	md_task task;
	md_dlink link;
} cb_loss;

static const cb_loss losses[] = {
	{"Logloss", MD_TASK_BINARY, MD_DLINK_SIGMOID},
	{"CrossEntropy", MD_TASK_BINARY, MD_DLINK_SIGMOID},
	{"MultiClass", MD_TASK_MULTICLASS, MD_DLINK_SOFTMAX},
	{"MultiClassOneVsAll", MD_TASK_MULTICLASS, MD_DLINK_OVA_SIGMOID},
	{"RMSE", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"MAE", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"Quantile", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"MAPE", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"Huber", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"Lq", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"Expectile", MD_TASK_REGRESSION, MD_DLINK_IDENTITY},
	{"Poisson", MD_TASK_REGRESSION, MD_DLINK_EXP},
	{"Tweedie", MD_TASK_REGRESSION, MD_DLINK_EXP},
	{"YetiRank", MD_TASK_RANKING, MD_DLINK_IDENTITY},
	{"YetiRankPairwise", MD_TASK_RANKING, MD_DLINK_IDENTITY},
	{"PairLogit", MD_TASK_RANKING, MD_DLINK_IDENTITY},
	{"PairLogitPairwise", MD_TASK_RANKING, MD_DLINK_IDENTITY},
	{"QueryRMSE", MD_TASK_RANKING, MD_DLINK_IDENTITY},
	{"QuerySoftMax", MD_TASK_RANKING, MD_DLINK_IDENTITY},
};

static md_status
read_loss(const cJSON *root, const cb_model *cb, md_dforest_header *h,
		  md_error *err)
{
	const cJSON *info, *params, *loss;
	const char *type;
	md_status st;

	if ((st = md_json_object(root, "model_info", "the model", &info, err)) !=
			MD_OK ||
		(st = md_json_object(info, "params", "model_info", &params, err)) !=
			MD_OK ||
		(st = md_json_object(params, "loss_function", "model_info.params",
							 &loss, err)) != MD_OK ||
		(st = md_json_string(loss, "type", "model_info.params.loss_function",
							 &type, err)) != MD_OK)
		return st;
	for (unsigned i = 0; i < sizeof(losses) / sizeof(losses[0]); i++)
	{
		bool multi = losses[i].task == MD_TASK_MULTICLASS;

		if (strcmp(type, losses[i].name) != 0)
			continue;
		if (multi ? cb->dim < 2 : cb->dim != 1)
			return md_fail(err, MD_ERR_MODEL,
						   "CatBoost model: loss %s with %u outputs "
						   "(scale_and_bias)",
						   type, cb->dim);
		h->task = losses[i].task;
		h->link = losses[i].link;
		h->link_param = 1.0;
		h->divisor = 1.0;
		snprintf(h->objective, sizeof(h->objective), "%s", type);
		return MD_OK;
	}
	md_fail(err, MD_ERR_UNSUPPORTED, "CatBoost loss function \"%s\" is not "
									 "supported",
			type);
	md_hint(err, "Supported: Logloss, CrossEntropy, MultiClass, "
				 "MultiClassOneVsAll, RMSE, MAE, Quantile, MAPE, Huber, Lq, "
				 "Expectile, Poisson, Tweedie and the ranking losses.");
	return MD_ERR_UNSUPPORTED;
}

/* scale_and_bias: [scale, [bias per output]]; it fixes the output count. */
static md_status
read_scale_and_bias(const cJSON *root, cb_model *cb, md_error *err)
{
	const cJSON *sb = md_json_member(root, "scale_and_bias");
	const cJSON *bias;
	int n;
	md_status st;

	if (!cJSON_IsArray(sb) || cJSON_GetArraySize(sb) != 2 ||
		!cJSON_IsArray(bias = cJSON_GetArrayItem(sb, 1)))
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: \"scale_and_bias\" should be [scale, "
					   "[bias, ...]]");
	n = cJSON_GetArraySize(bias);
	if (n < 1 || (uint64_t) n > cb->limits->max_classes)
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: scale_and_bias has %d biases", n);
	cb->dim = (uint32_t) n;
	cb->init = calloc(cb->dim + 1, sizeof(double));
	if (cb->init == NULL)
		return nomem(err);
	if ((st = md_json_double_array(bias, "scale_and_bias[1]", false, cb->init,
								   cb->dim, err)) != MD_OK)
		return st;
	return md_json_real(cJSON_GetArrayItem(sb, 0), "scale_and_bias[0]",
						&cb->init[cb->dim], err);
}

/* --- splits --------------------------------------------------------- */

/*
 * "(float) x > border" as a double comparison: x rounds above the border
 * when it passes the midpoint to the next float up, or meets it and that
 * float is even.  FLT_MAX's next float up is infinity (even).
 */
static void
float_greater(float border, md_dnode *n)
{
	float up = nextafterf(border, INFINITY);
	uint32_t bits;

	memcpy(&bits, &up, sizeof(bits));
	if (isinf(up))
		n->threshold = (double) border + ldexp(1.0, 103);
	else
		n->threshold = ((double) border + (double) up) / 2.0;
	n->op = (isinf(up) || (bits & 1) == 0) ? MD_DOP_GTE : MD_DOP_GT;
}

static md_status
read_float_split(cb_model *cb, const cJSON *split, md_dnode *n, md_error *err)
{
	uint64_t index;
	double border;
	md_status st;

	if ((st = md_json_uint(split, "float_feature_index", "a float split",
						   cb->n_float ? cb->n_float - 1 : 0, &index, err)) !=
			MD_OK ||
		(st = md_json_real(md_json_member(split, "border"), "a split border",
						   &border, err)) != MD_OK)
		return st;
	if (cb->n_float == 0)
		return tree_error(err, cb, "a float split but no float features");
	if (fabs(border) > FLT_MAX)
		return tree_error(err, cb, "a border outside the float range");
	float_greater((float) border, n);
	n->feature = cb->floats[index].flat;
	if (cb->floats[index].nan_holds)
		n->flags = MD_DNODE_DEFAULT_YES;
	return MD_OK;
}

/* A one-hot split: the column's value (CatBoost's hash) equals 'value'. */
static md_status
read_onehot_split(cb_model *cb, const cJSON *split, md_dnode *n,
				  md_error *err)
{
	uint64_t index;
	double value;
	md_status st;

	if ((st = md_json_uint(split, "cat_feature_index", "a one-hot split",
						   cb->n_cat ? cb->n_cat - 1 : 0, &index, err)) !=
			MD_OK ||
		(st = md_json_real(md_json_member(split, "value"), "a one-hot value",
						   &value, err)) != MD_OK)
		return st;
	if (cb->n_cat == 0)
		return tree_error(err, cb, "a one-hot split but no categorical "
								   "features");
	if (value != trunc(value) || fabs(value) > 4294967296.0)
		return tree_error(err, cb, "a one-hot value that is no 32-bit hash");
	n->op = MD_DOP_EQ;
	n->threshold = value;
	n->feature = cb->cat_flat[index];
	return MD_OK;
}

static md_status
read_split(cb_model *cb, const cJSON *split, md_dnode *n, md_error *err)
{
	const char *type;
	md_status st;

	memset(n, 0, sizeof(*n));
	n->missing = MD_DMISS_NAN;
	if (!cJSON_IsObject(split))
		return tree_error(err, cb, "a split is not an object");
	if ((st = md_json_string(split, "split_type", "a split", &type, err)) !=
		MD_OK)
		return st;
	if (strcmp(type, "FloatFeature") == 0)
		return read_float_split(cb, split, n, err);
	if (strcmp(type, "OneHotFeature") == 0)
		return read_onehot_split(cb, split, n, err);
	md_fail(err, MD_ERR_UNSUPPORTED,
			"CatBoost model: tree %u splits on a %s feature: only float and "
			"one-hot categorical splits are supported",
			cb->tree_no, type);
	md_hint(err, "OnlineCtr splits are CTR-based categorical features; train "
				 "with one_hot_max_size above each categorical feature's "
				 "number of values.");
	return MD_ERR_UNSUPPORTED;
}

/* --- trees ---------------------------------------------------------- */

static void
tree_reset(cb_tree *t)
{
	t->nodes.len = t->leaves.len = t->values.len = t->leaf_weight.len = 0;
	t->max_depth = 0;
}

/* Room for a leaf; its values and weight are filled by the caller. */
static md_status
add_leaf(cb_tree *t, const cb_model *cb, int32_t parent, uint32_t depth,
		 md_error *err)
{
	md_dleaf *leaf;

	if (t->leaves.len >= cb->limits->max_nodes_per_tree)
		return md_fail_limit(err, "tree has more than",
							 cb->limits->max_nodes_per_tree, "leaves",
							 cb->limits->max_nodes_per_tree,
							 "max_nodes_per_tree");
	if (!vec_reserve(&t->leaves, 1) || !vec_reserve(&t->values, cb->dim) ||
		!vec_reserve(&t->leaf_weight, 1))
		return nomem(err);
	leaf = (md_dleaf *) t->leaves.data + t->leaves.len++;
	memset(leaf, 0, sizeof(*leaf));
	leaf->parent = parent;
	leaf->depth = depth;
	if (depth > t->max_depth)
		t->max_depth = depth;
	return MD_OK;
}

/*
 * An oblivious tree as a complete tree.  The last split is tested at the
 * root, as CatBoost's ShapValues lays the tree out (path-dependent TreeSHAP
 * depends on the order); so level j tests splits[depth - 1 - j], node q of
 * level j is the one that the decisions in bits 0..j-1 of q lead to, and
 * leaf q is CatBoost's leaf index with q's bits reversed.
 */
static md_status
oblivious_nodes(cb_model *cb, cb_tree *t, const cJSON *splits, uint32_t depth,
				md_error *err)
{
	md_status st;

	if (!vec_reserve(&t->nodes, ((uint64_t) 1 << depth) - 1))
		return nomem(err);
	for (uint32_t j = 0; j < depth; j++)
	{
		md_dnode split;
		uint32_t width = 1u << j;

		st = read_split(cb, cJSON_GetArrayItem(splits, (int) (depth - 1 - j)),
						&split, err);
		if (st != MD_OK)
			return st;
		for (uint32_t q = 0; q < width; q++)
		{
			md_dnode *n = (md_dnode *) t->nodes.data + width - 1 + q;

			*n = split;
			n->depth = j;
			/* the parent is at level j-1: q without bit j-1 */
			n->parent =
				j == 0 ? -1 : (int32_t) (width / 2 - 1 + (q & (width / 2 - 1)));
			if (j + 1 == depth)
			{
				n->no = ~(int32_t) q;
				n->yes = ~(int32_t) (q | width);
			}
			else
			{
				n->no = (int32_t) (2 * width - 1 + q);
				n->yes = (int32_t) (2 * width - 1 + (q | width));
			}
		}
	}
	t->nodes.len = ((uint64_t) 1 << depth) - 1;
	return MD_OK;
}

/* CatBoost's leaf index of leaf q: q's 'depth' low bits reversed. */
static uint32_t
leaf_index(uint32_t q, uint32_t depth)
{
	uint32_t idx = 0;

	for (uint32_t j = 0; j < depth; j++)
		idx |= ((q >> j) & 1) << (depth - 1 - j);
	return idx;
}

/* The leaves of an oblivious tree, in the order oblivious_nodes() says. */
static md_status
oblivious_leaves(cb_model *cb, cb_tree *t, const cJSON *tree, uint32_t depth,
				 md_error *err)
{
	uint32_t n = 1u << depth;
	const cJSON *values = md_json_member(tree, "leaf_values");
	const cJSON *weights = md_json_member(tree, "leaf_weights");
	double *v = malloc(sizeof(double) * ((size_t) n * cb->dim + n));
	char where[64];
	md_status st = MD_OK;

	if (v == NULL)
		return nomem(err);
	snprintf(where, sizeof(where), "oblivious_trees[%u].leaf_values",
			 cb->tree_no);
	if (!cJSON_IsArray(values))
		st = tree_error(err, cb, "no \"leaf_values\" array");
	if (st == MD_OK &&
		(st = md_json_expect_length(values, where, (uint64_t) n * cb->dim,
									err)) == MD_OK)
		st = md_json_double_array(values, where, false, v,
								  (uint64_t) n * cb->dim, err);
	if (!cJSON_IsArray(weights) || cJSON_GetArraySize(weights) != (int) n ||
		md_json_double_array(weights, where, false, v + (size_t) n * cb->dim,
							 n, NULL) != MD_OK)
		cb->cover = false;
	for (uint32_t q = 0; q < n && cb->cover; q++)
		if (!(v[(size_t) n * cb->dim + q] >= 0.0))
			cb->cover = false;
	for (uint32_t q = 0; q < n && st == MD_OK; q++)
	{
		uint32_t idx = leaf_index(q, depth);
		int32_t parent =
			depth == 0 ? -1
					   : (int32_t) ((1u << (depth - 1)) - 1 +
									(q & ((1u << (depth - 1)) - 1)));

		if ((st = add_leaf(t, cb, parent, depth, err)) != MD_OK)
			break;
		memcpy((double *) t->values.data + t->values.len,
			   v + (size_t) idx * cb->dim, sizeof(double) * cb->dim);
		t->values.len += cb->dim;
		if (cb->cover)
			((double *) t->leaf_weight.data)[t->leaf_weight.len++] =
				v[(size_t) n * cb->dim + idx];
	}
	free(v);
	return st;
}

static md_status
read_oblivious(cb_model *cb, cb_tree *t, const cJSON *tree, md_error *err)
{
	const cJSON *splits = md_json_member(tree, "splits");
	int depth;
	md_status st;

	if (!cJSON_IsObject(tree))
		return tree_error(err, cb, "is not an object");
	if (splits == NULL || !cJSON_IsArray(splits))
		return tree_error(err, cb, "no \"splits\" array");
	depth = cJSON_GetArraySize(splits);
	if ((uint32_t) depth > cb->limits->max_depth ||
		depth > CB_MAX_OBLIVIOUS_DEPTH)
		return md_fail_limit(err, "tree depth is", (uint64_t) depth, "levels",
							 cb->limits->max_depth < CB_MAX_OBLIVIOUS_DEPTH
								 ? cb->limits->max_depth
								 : CB_MAX_OBLIVIOUS_DEPTH,
							 "max_depth");
	if (((uint64_t) 1 << depth) > cb->limits->max_nodes_per_tree)
		return md_fail_limit(err, "tree has", (uint64_t) 1 << depth, "leaves",
							 cb->limits->max_nodes_per_tree,
							 "max_nodes_per_tree");
	/* before 2^depth nodes are made: a short file cannot ask for many */
	if (cJSON_GetArraySize(md_json_member(tree, "leaf_values")) !=
		(int) (((uint64_t) 1 << depth) * cb->dim))
		return tree_error(err, cb, "\"leaf_values\" does not hold 2^depth "
								   "values per output");
	tree_reset(t);
	if ((st = oblivious_nodes(cb, t, splits, (uint32_t) depth, err)) != MD_OK)
		return st;
	return oblivious_leaves(cb, t, tree, (uint32_t) depth, err);
}

/* A non-symmetric tree's leaf: "value" (a number, or one per output). */
static md_status
nonsym_leaf(cb_model *cb, cb_tree *t, const cJSON *node, int32_t parent,
			uint32_t depth, int32_t *ref, md_error *err)
{
	const cJSON *value = md_json_member(node, "value");
	const cJSON *weight = md_json_member(node, "weight");
	double *out;
	md_status st;

	if ((st = add_leaf(t, cb, parent, depth, err)) != MD_OK)
		return st;
	*ref = ~(int32_t) (t->leaves.len - 1);
	out = (double *) t->values.data + t->values.len;
	if (cJSON_IsArray(value))
		st = md_json_double_array(value, "a leaf's values", false, out,
								  cb->dim, err) == MD_OK &&
				cJSON_GetArraySize(value) == (int) cb->dim
			? MD_OK
			: tree_error(err, cb, "a leaf without one value per output");
	else if (cb->dim == 1)
		st = md_json_real(value, "a leaf's value", out, err);
	else
		st = tree_error(err, cb, "a leaf without one value per output");
	if (st != MD_OK)
		return st;
	t->values.len += cb->dim;
	if (cJSON_IsNumber(weight) && isfinite(weight->valuedouble) &&
		weight->valuedouble >= 0.0)
		((double *) t->leaf_weight.data)[t->leaf_weight.len++] =
			weight->valuedouble;
	else
		cb->cover = false;
	return MD_OK;
}

/*
 * A non-symmetric (Depthwise, Lossguide) subtree, in preorder so that a
 * node's children come after it; the JSON's nesting bounds the recursion.
 */
static md_status
nonsym_node(cb_model *cb, cb_tree *t, const cJSON *node, int32_t parent,
			uint32_t depth, int32_t *ref, md_error *err)
{
	const cJSON *split = md_json_member(node, "split");
	uint64_t at = t->nodes.len;
	md_dnode n;
	int32_t no, yes;
	md_status st;

	if (!cJSON_IsObject(node))
		return tree_error(err, cb, "a split node lacks \"left\" or "
								   "\"right\", or a node is not an object");
	if (depth > cb->limits->max_depth)
		return md_fail_limit(err, "tree depth is", depth, "levels",
							 cb->limits->max_depth, "max_depth");
	if (split == NULL)
		return nonsym_leaf(cb, t, node, parent, depth, ref, err);
	if (t->nodes.len >= cb->limits->max_nodes_per_tree)
		return md_fail_limit(err, "tree has more than",
							 cb->limits->max_nodes_per_tree, "nodes",
							 cb->limits->max_nodes_per_tree,
							 "max_nodes_per_tree");
	if ((st = read_split(cb, split, &n, err)) != MD_OK)
		return st;
	if (!vec_reserve(&t->nodes, 1))
		return nomem(err);
	n.depth = depth;
	n.parent = parent;
	t->nodes.len++;
	*ref = (int32_t) at;
	if ((st = nonsym_node(cb, t, md_json_member(node, "left"), (int32_t) at,
						  depth + 1, &no, err)) != MD_OK ||
		(st = nonsym_node(cb, t, md_json_member(node, "right"), (int32_t) at,
						  depth + 1, &yes, err)) != MD_OK)
		return st;
	n.no = no;
	n.yes = yes;
	((md_dnode *) t->nodes.data)[at] = n;
	return MD_OK;
}

/* --- the forest ----------------------------------------------------- */

/* Training weights of the nodes, from the leaves up (preorder: reversed). */
static void
node_weights(const cb_tree *t, double *w)
{
	const md_dnode *nodes = t->nodes.data;
	const double *lw = t->leaf_weight.data;

	for (uint64_t i = t->nodes.len; i-- > 0;)
	{
		int32_t c[2] = {nodes[i].no, nodes[i].yes};

		w[i] = 0.0;
		for (int k = 0; k < 2; k++)
			w[i] += c[k] >= 0 ? w[c[k]] : lw[~c[k]];
	}
}

/* The tree once per output, with that output's leaf values. */
static md_status
add_tree(cb_model *cb, const cb_tree *t, md_error *err)
{
	uint64_t n_nodes = t->nodes.len;
	uint64_t n_leaves = t->leaves.len;

	if (cb->trees.len + cb->dim > cb->limits->max_trees)
		return md_fail_limit(err, "model has more than",
							 cb->limits->max_trees, "trees",
							 cb->limits->max_trees, "max_trees");
	if (!vec_reserve(&cb->trees, cb->dim) ||
		!vec_reserve(&cb->nodes, n_nodes * cb->dim) ||
		!vec_reserve(&cb->leaves, n_leaves * cb->dim) ||
		!vec_reserve(&cb->node_cover, n_nodes * cb->dim) ||
		!vec_reserve(&cb->leaf_cover, n_leaves * cb->dim))
		return nomem(err);
	for (uint32_t k = 0; k < cb->dim; k++)
	{
		md_dtree tree = {cb->nodes.len, cb->leaves.len, (uint32_t) n_nodes,
						 (uint32_t) n_leaves, k, t->max_depth, 0, 0};
		md_dleaf *leaves = (md_dleaf *) cb->leaves.data + cb->leaves.len;
		double *ncover = (double *) cb->node_cover.data + cb->node_cover.len;

		memcpy((md_dnode *) cb->nodes.data + cb->nodes.len, t->nodes.data,
			   sizeof(md_dnode) * n_nodes);
		memcpy(leaves, t->leaves.data, sizeof(md_dleaf) * n_leaves);
		for (uint64_t l = 0; l < n_leaves; l++)
			leaves[l].value = ((double *) t->values.data)[l * cb->dim + k];
		if (cb->cover)
		{
			node_weights(t, ncover);
			memcpy((double *) cb->leaf_cover.data + cb->leaf_cover.len,
				   t->leaf_weight.data, sizeof(double) * n_leaves);
		}
		cb->nodes.len += n_nodes;
		cb->leaves.len += n_leaves;
		cb->node_cover.len += n_nodes;
		cb->leaf_cover.len += n_leaves;
		((md_dtree *) cb->trees.data)[cb->trees.len++] = tree;
	}
	if (t->max_depth > cb->max_depth)
		cb->max_depth = t->max_depth;
	return MD_OK;
}

static md_status
read_trees(const cJSON *root, cb_model *cb, md_error *err)
{
	const cJSON *oblivious = md_json_member(root, "oblivious_trees");
	const cJSON *nonsym = md_json_member(root, "trees");
	const cJSON *arr = oblivious ? oblivious : nonsym;
	const cJSON *tree;
	cb_tree t;
	md_status st = MD_OK;

	if ((oblivious != NULL) == (nonsym != NULL) || !cJSON_IsArray(arr) ||
		cJSON_GetArraySize(arr) == 0)
		return md_fail(err, MD_ERR_MODEL,
					   "CatBoost model: it needs one non-empty array of trees, "
					   "\"oblivious_trees\" or \"trees\"");
	memset(&t, 0, sizeof(t));
	t.nodes.elem = sizeof(md_dnode);
	t.leaves.elem = sizeof(md_dleaf);
	t.values.elem = sizeof(double);
	t.leaf_weight.elem = sizeof(double);
	cb->tree_no = 0;
	cJSON_ArrayForEach(tree, arr)
	{
		int32_t root_ref;

		if ((st = md_poll_interrupt(cb->limits, err)) != MD_OK)
			break;
		if (oblivious)
			st = read_oblivious(cb, &t, tree, err);
		else
		{
			tree_reset(&t);
			st = nonsym_node(cb, &t, tree, -1, 0, &root_ref, err);
		}
		if (st != MD_OK || (st = add_tree(cb, &t, err)) != MD_OK)
			break;
		cb->tree_no++;
	}
	free(t.nodes.data);
	free(t.leaves.data);
	free(t.values.data);
	free(t.leaf_weight.data);
	return st;
}

static void
write_forest(md_builder *b, md_dforest_header *h, const cb_model *cb)
{
	uint64_t head_at;

	h->n_trees = (uint32_t) cb->trees.len;
	h->n_outputs = cb->dim;
	h->n_nodes = cb->nodes.len;
	h->n_leaves = cb->leaves.len;
	h->max_depth = cb->max_depth;
	h->flags = MD_DF_SCALE_LAST | (cb->cover ? MD_DF_COVER : 0);
	md_builder_begin(b, MD_SEC_DTREES);
	head_at = md_builder_reserve(b, sizeof(*h));
	h->init_offset =
		md_builder_put(b, cb->init, sizeof(double) * (cb->dim + 1));
	h->trees_offset =
		md_builder_put(b, cb->trees.data, sizeof(md_dtree) * cb->trees.len);
	h->nodes_offset =
		md_builder_put(b, cb->nodes.data, sizeof(md_dnode) * cb->nodes.len);
	h->leaves_offset =
		md_builder_put(b, cb->leaves.data, sizeof(md_dleaf) * cb->leaves.len);
	h->cat_words_offset = md_builder_put(b, NULL, 0);
	h->terms_offset = md_builder_put(b, NULL, 0);
	if (cb->cover)
	{
		h->node_cover_offset = md_builder_put(b, cb->node_cover.data,
											  sizeof(double) * cb->nodes.len);
		h->leaf_cover_offset = md_builder_put(b, cb->leaf_cover.data,
											  sizeof(double) * cb->leaves.len);
	}
	if (md_builder_at(b, head_at) != NULL)
		memcpy(md_builder_at(b, head_at), h, sizeof(*h));
	md_builder_end(b);
}

/*
 * One-hot columns as categorical features whose text is hashed the way
 * CatBoost hashes it (MD_UNKNOWN_HASH), so rows can name categories; a
 * number in such a column is taken as the hash itself.
 */
static void
write_feature_table(md_builder *b, const cb_model *cb)
{
	md_native_features head = {cb->n_features, 0, 0};
	uint64_t feats_at;
	md_native_feature *feats;

	if (cb->n_cat == 0)
		return;
	md_builder_begin(b, MD_SEC_NATIVE_FEATURES);
	md_builder_put(b, &head, sizeof(head));
	feats_at =
		md_builder_reserve(b, sizeof(md_native_feature) * cb->n_features);
	feats = md_builder_at(b, feats_at);
	if (feats != NULL)
	{
		((md_native_features *) md_builder_at(b, 0))->features_offset =
			feats_at;
		for (uint32_t i = 0; i < cb->n_cat; i++)
		{
			feats[cb->cat_flat[i]].kind = MD_FEATURE_CATEGORICAL;
			feats[cb->cat_flat[i]].unknown = MD_UNKNOWN_HASH;
			feats[cb->cat_flat[i]].flags = MD_FEATURE_TAKES_CODES;
		}
	}
	md_builder_end(b);
}

/* Names only when every column has one (models trained on arrays have none). */
static md_status
write_names(md_builder *b, const cb_model *cb, md_error *err)
{
	for (uint32_t i = 0; i < cb->n_features; i++)
		if (cb->names[i] == NULL)
			return MD_OK;
	return md_strtab_write(b, MD_SEC_FEATURE_NAMES, cb->names, cb->n_features,
						   "feature name", err);
}

static void
model_init(cb_model *cb, const md_limits *limits)
{
	memset(cb, 0, sizeof(*cb));
	cb->limits = limits;
	cb->trees.elem = sizeof(md_dtree);
	cb->nodes.elem = sizeof(md_dnode);
	cb->leaves.elem = sizeof(md_dleaf);
	cb->node_cover.elem = sizeof(double);
	cb->leaf_cover.elem = sizeof(double);
	cb->cover = true;
}

static void
model_free(cb_model *cb)
{
	free(cb->floats);
	free(cb->cat_flat);
	free(cb->names);
	free(cb->init);
	free(cb->trees.data);
	free(cb->nodes.data);
	free(cb->leaves.data);
	free(cb->node_cover.data);
	free(cb->leaf_cover.data);
}

md_status
md_parse_catboost(const cJSON *root, const md_limits *limits, md_builder *b,
				  md_error *err)
{
	cb_model cb;
	md_dforest_header h;
	md_meta meta;
	md_status st;

	if (!md_catboost_detect(root))
		return md_fail(err, MD_ERR_MODEL,
					   "not a CatBoost JSON model: it has no \"features_info\" "
					   "object with \"oblivious_trees\" or \"trees\"");
	model_init(&cb, limits);
	memset(&h, 0, sizeof(h));
	if ((st = read_features(root, &cb, err)) == MD_OK &&
		(st = read_scale_and_bias(root, &cb, err)) == MD_OK &&
		(st = read_loss(root, &cb, &h, err)) == MD_OK)
		st = read_trees(root, &cb, err);
	if (st == MD_OK)
	{
		memset(&meta, 0, sizeof(meta));
		meta.format = MD_FORMAT_CATBOOST;
		meta.estimator = MD_EST_DTREES;
		meta.n_features = cb.n_features;
		meta.n_outputs = cb.dim;
		md_builder_begin(b, MD_SEC_META);
		md_builder_put(b, &meta, sizeof(meta));
		md_builder_end(b);
		st = write_names(b, &cb, err);
	}
	if (st == MD_OK)
	{
		write_feature_table(b, &cb);
		write_forest(b, &h, &cb);
	}
	model_free(&cb);
	return st;
}
