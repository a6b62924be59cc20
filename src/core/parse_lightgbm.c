/*-------------------------------------------------------------------------
 *
 * parse_lightgbm.c
 *	  LightGBM's text model (Booster.save_model, model_to_string) in, a
 *	  double-precision tree ensemble (MD_SEC_DTREES) out.
 *
 * The file is lines of key=value: a header (num_class, max_feature_idx,
 * objective, feature_names, average_output...), one block per tree
 * ("Tree=i" then its arrays, ended by a blank line), "end of trees", then
 * the feature importances, the training parameters and, from the Python
 * package, a "pandas_categorical:" line (docs/formats.md).  Each tree keeps
 * LightGBM's node order and its decision rules exactly (dtree.h): numeric
 * splits "v <= threshold" in double with the node's missing rule (None:
 * NaN compared as 0; Zero: NaN and |v| <= 1e-35 take the default side;
 * NaN: NaN takes the default side), categorical splits by bitset (NaN and
 * negative values go right), linear leaves.  Thresholds and leaves are
 * read with strtod, which rounds correctly, so the %.17g numbers LightGBM
 * writes come back as the very doubles it scored with.
 *
 * The text is untrusted: every count is checked against the limits and
 * the header, every array must have exactly its length, every child index
 * must be in its tree and reached once, every number finite.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "json.h"
#include "native.h"
#include "parse.h"
#include "strtab.h"
#include "vec.h"

#define MAX_TREE_KEYS 24

/* One "key=value" line of a tree block or the header. */
typedef struct kv
{
	const char *key;
	const char *value;
} kv;

/* What the header says. */
typedef struct lgb_header
{
	uint32_t num_class;
	uint32_t per_iteration;
	uint32_t n_features;
	bool average;
	const char *objective;
	const char *feature_names;
} lgb_header;

/* The forest being built: the arrays of MD_SEC_DTREES. */
typedef struct lgb_forest
{
	vec trees;
	vec nodes;
	vec leaves;
	vec cat_words;
	vec terms;
	vec node_cover;
	vec leaf_cover;
	bool cover; /* every tree has its counts */
	uint32_t max_depth;
	const md_limits *limits;
	uint32_t n_features;
	const bool *categorical; /* per feature: pandas category names */
} lgb_forest;

/* Scratch of one tree, reused from tree to tree. */
typedef struct lgb_tree
{
	uint32_t no; /* tree number in the file */
	uint32_t num_leaves;
	uint32_t num_cat;
	kv keys[MAX_TREE_KEYS];
	uint32_t n_keys;
	int64_t *ints; /* I-length integer arrays */
	int64_t *features;
	int64_t *left;
	int64_t *right;
	int64_t *dtype;
	double *threshold;
	double *leaf_value;
	double *counts; /* internal_count, leaf_count */
	double *leaf_counts;
	int64_t *cat_bounds;
	int32_t *parent; /* per node, leaves after nodes */
	uint32_t *depth;
	int64_t *stack;
	uint32_t cap; /* num_leaves the scratch arrays hold */
} lgb_tree;

static md_status
nomem(md_error *err)
{
	return md_fail(err, MD_ERR_NOMEM,
				   "out of memory reading the LightGBM "
				   "model");
}

bool
md_lightgbm_detect(const char *text, size_t len)
{
	return (len >= 5 && memcmp(text, "tree\n", 5) == 0) ||
		(len >= 6 && memcmp(text, "tree\r\n", 6) == 0);
}

/* --- lines ---------------------------------------------------------- */

/*
 * A copy of the text as NUL-terminated lines, one after the other ('\r'
 * before '\n' dropped, as LightGBM accepts \r\n); *end is past the last.
 */
static char *
split_lines(const char *text, size_t len, char **end)
{
	char *buf = malloc(len + 1);
	size_t n = 0;

	if (buf == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		buf[n++] = text[i] == '\n' ? '\0' : text[i];
	}
	buf[n] = '\0';
	*end = buf + n + (n > 0 && buf[n - 1] != '\0');
	return buf;
}

/* The line at *cursor, moving the cursor to the next; NULL at the end. */
static char *
next_line(char **cursor, char *end)
{
	char *line = *cursor;

	if (line >= end)
		return NULL;
	*cursor = line + strlen(line) + 1;
	return line;
}

/* Split "key=value" in place; value NULL for a bare key. */
static kv
split_line(char *line)
{
	kv r = {line, NULL};
	char *eq = strchr(line, '=');

	if (eq != NULL)
	{
		*eq = '\0';
		r.value = eq + 1;
	}
	return r;
}

/* --- numbers -------------------------------------------------------- */

static md_status
bad_array(md_error *err, uint32_t tree, const char *key, const char *why)
{
	return md_fail(err, MD_ERR_MODEL, "LightGBM model: tree %u: \"%s\" %s",
				   tree, key, why);
}

/*
 * Read exactly n space-separated numbers of s into out (doubles, or integers
 * within [lo, hi] when ints is not NULL).  Doubles must be finite, except
 * that a split threshold may be +-inf.
 */
static md_status
read_numbers(const char *s, uint64_t n, double *out, int64_t *ints, int64_t lo,
			 int64_t hi, uint32_t tree, const char *key, md_error *err)
{
	const char *p = s;
	bool infinite_ok = strcmp(key, "threshold") == 0;

	for (uint64_t i = 0; i < n; i++)
	{
		char *end;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			return bad_array(err, tree, key, "has too few values");
		errno = 0;
		if (ints != NULL)
		{
			long long v = strtoll(p, &end, 10);

			if (end == p || errno != 0 || v < lo || v > hi)
				return bad_array(err, tree, key,
								 "holds a value that is not an integer in "
								 "range");
			ints[i] = v;
		}
		else
		{
			double v = strtod(p, &end);

			/* LightGBM writes and reads back thresholds of +-inf */
			if (end == p || isnan(v) || (isinf(v) && !infinite_ok))
				return bad_array(err, tree, key,
								 "holds a value that is not a finite number");
			out[i] = v;
		}
		if (*end != ' ' && *end != '\0')
			return bad_array(err, tree, key, "holds a malformed number");
		p = end;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return bad_array(err, tree, key, "has too many values");
	return MD_OK;
}

static md_status
read_uint(const char *value, uint64_t max, const char *what, uint64_t *out,
		  md_error *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (value == NULL || *value < '0' || *value > '9')
		v = 0, end = NULL;
	else
		v = strtoull(value, &end, 10);
	if (end == NULL || *end != '\0' || errno != 0 || v > max)
		return md_fail(err, MD_ERR_MODEL,
					   "LightGBM model: %s must be an integer from 0 to "
					   "%llu",
					   what, (unsigned long long) max);
	*out = v;
	return MD_OK;
}

/* --- the header ----------------------------------------------------- */

static md_status
read_header(char **cursor, char *end, const md_limits *limits, lgb_header *h,
			md_error *err)
{
	uint64_t v;
	char *line;
	bool have_class = false, have_features = false, have_per_iteration = false;
	md_status st = MD_OK;

	memset(h, 0, sizeof(*h));
	next_line(cursor, end); /* "tree" */
	while (st == MD_OK && (line = next_line(cursor, end)) != NULL)
	{
		kv e;

		if (*line == '\0')
			continue;
		if (strncmp(line, "Tree=", 5) == 0 ||
			strcmp(line, "end of trees") == 0)
		{
			*cursor = line; /* the trees' reader starts here */
			break;
		}
		e = split_line(line);
		if (strcmp(e.key, "num_class") == 0)
		{
			st = read_uint(e.value, limits->max_classes, "num_class", &v, err);
			h->num_class = (uint32_t) v;
			have_class = true;
		}
		else if (strcmp(e.key, "num_tree_per_iteration") == 0)
		{
			st = read_uint(e.value, limits->max_classes,
						   "num_tree_per_iteration", &v, err);
			h->per_iteration = (uint32_t) v;
			have_per_iteration = true;
		}
		else if (strcmp(e.key, "max_feature_idx") == 0)
		{
			st = read_uint(e.value, (uint64_t) limits->max_features - 1,
						   "max_feature_idx", &v, err);
			h->n_features = (uint32_t) v + 1;
			have_features = true;
		}
		else if (strcmp(e.key, "objective") == 0)
			h->objective = e.value;
		else if (strcmp(e.key, "average_output") == 0)
			h->average = true;
		else if (strcmp(e.key, "feature_names") == 0)
			h->feature_names = e.value;
	}
	if (st != MD_OK)
		return st;
	if (!have_class || !have_features || h->feature_names == NULL ||
		h->num_class == 0)
		return md_fail(err, MD_ERR_MODEL,
					   "LightGBM model: the header lacks num_class, "
					   "max_feature_idx or feature_names");
	if (!have_per_iteration)
		h->per_iteration = h->num_class;
	if (h->per_iteration != h->num_class)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "LightGBM model: num_tree_per_iteration %u differs "
					   "from num_class %u, which is not supported",
					   h->per_iteration, h->num_class);
	return MD_OK;
}

/* --- objective ------------------------------------------------------ */

/* The value of "name:value" among the objective's words, or NULL. */
static const char *
objective_param(const char *objective, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strchr(objective, ' '); p != NULL;
		 p = strchr(p + 1, ' '))
		if (strncmp(p + 1, name, n) == 0 && p[1 + n] == ':')
			return p + 2 + n;
	return NULL;
}

static bool
word_is(const char *objective, const char *word)
{
	size_t n = strlen(word);

	return strncmp(objective, word, n) == 0 &&
		(objective[n] == '\0' || objective[n] == ' ');
}

static md_status
read_objective(const lgb_header *lh, md_dforest_header *h, md_error *err)
{
	static const char *const identity[] = {
		"regression",
		"regression_l1",
		"huber",
		"fair",
		"quantile",
		"mape",
	};
	static const char *const exp_link[] = {"poisson", "gamma", "tweedie"};
	const char *o = lh->objective ? lh->objective : "custom";
	const char *sig = objective_param(o, "sigmoid");
	bool multi = lh->num_class > 1;

	h->task = MD_TASK_REGRESSION;
	h->link = MD_DLINK_IDENTITY;
	h->link_param = 1.0;
	snprintf(h->objective, sizeof(h->objective), "%s", o);
	if (sig != NULL)
	{
		char *end;

		h->link_param = strtod(sig, &end);
		if (end == sig || (*end != '\0' && *end != ' ') ||
			!isfinite(h->link_param))
			return md_fail(err, MD_ERR_MODEL,
						   "LightGBM model: objective \"%s\" has a bad "
						   "sigmoid parameter",
						   o);
	}
	if (word_is(o, "binary") && !multi)
	{
		h->task = MD_TASK_BINARY;
		h->link = MD_DLINK_SIGMOID;
		return MD_OK;
	}
	if ((word_is(o, "multiclass") || word_is(o, "multiclassova")) && multi)
	{
		h->task = MD_TASK_MULTICLASS;
		h->link =
			word_is(o, "multiclass") ? MD_DLINK_SOFTMAX : MD_DLINK_OVA_SIGMOID;
		return MD_OK;
	}
	if (multi)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "LightGBM model: objective \"%s\" with %u classes is "
					   "not supported",
					   o, lh->num_class);
	for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
		if (word_is(o, identity[i]))
		{
			if (strstr(o, " sqrt") != NULL)
				h->link = MD_DLINK_SIGNED_SQUARE;
			return MD_OK;
		}
	for (size_t i = 0; i < sizeof(exp_link) / sizeof(exp_link[0]); i++)
		if (word_is(o, exp_link[i]))
		{
			h->link = MD_DLINK_EXP;
			return MD_OK;
		}
	if (word_is(o, "cross_entropy"))
	{
		h->link = MD_DLINK_SIGMOID;
		return MD_OK;
	}
	if (word_is(o, "cross_entropy_lambda"))
	{
		h->link = MD_DLINK_LOG1P_EXP;
		return MD_OK;
	}
	if (word_is(o, "lambdarank") || word_is(o, "rank_xendcg"))
	{
		h->task = MD_TASK_RANKING;
		return MD_OK;
	}
	if (word_is(o, "custom"))
		return MD_OK;
	md_fail(err, MD_ERR_UNSUPPORTED,
			"LightGBM objective \"%.60s\" is not supported", o);
	md_hint(err,
			"Supported: binary, multiclass, multiclassova, regression "
			"(L2, L1, huber, fair, quantile, mape), poisson, gamma, tweedie, "
			"cross_entropy, cross_entropy_lambda, lambdarank, rank_xendcg.");
	return MD_ERR_UNSUPPORTED;
}

/* --- one tree ------------------------------------------------------- */

static const char *
tree_key(const lgb_tree *t, const char *key)
{
	for (uint32_t i = 0; i < t->n_keys; i++)
		if (strcmp(t->keys[i].key, key) == 0)
			return t->keys[i].value;
	return NULL;
}

static md_status
required(const lgb_tree *t, const char *key, const char **value, md_error *err)
{
	*value = tree_key(t, key);
	if (*value == NULL)
		return md_fail(err, MD_ERR_MODEL,
					   "LightGBM model: tree %u has no \"%s\"", t->no, key);
	return MD_OK;
}

/* Scratch arrays for trees of up to num_leaves leaves. */
static bool
tree_scratch(lgb_tree *t, uint32_t num_leaves)
{
	size_t n = (size_t) num_leaves * 2;

	if (num_leaves <= t->cap)
		return true;
	free(t->ints);
	free(t->threshold);
	free(t->parent);
	free(t->depth);
	free(t->stack);
	/* features, left, right, dtype, cat_bounds: one block of integers */
	t->ints = malloc(sizeof(int64_t) * 5 * n);
	t->threshold = malloc(sizeof(double) * 4 * n);
	t->parent = malloc(sizeof(int32_t) * n);
	t->depth = malloc(sizeof(uint32_t) * n);
	t->stack = malloc(sizeof(int64_t) * n);
	if (!t->ints || !t->threshold || !t->parent || !t->depth || !t->stack)
	{
		t->cap = 0;
		return false;
	}
	t->features = t->ints;
	t->left = t->features + n;
	t->right = t->left + n;
	t->dtype = t->right + n;
	t->cat_bounds = t->dtype + n;
	t->leaf_value = t->threshold + n;
	t->counts = t->leaf_value + n;
	t->leaf_counts = t->counts + n;
	t->cap = num_leaves;
	return true;
}

static void
tree_free(lgb_tree *t)
{
	free(t->ints);
	free(t->threshold);
	free(t->parent);
	free(t->depth);
	free(t->stack);
}

/*
 * Parent and depth of every node and leaf (leaf l at num_leaves - 1 + l),
 * by a walk from the root that proves the children form one tree whose
 * internal children follow their parents, as MD_SEC_DTREES requires.
 */
static md_status
link_tree(lgb_tree *t, const md_limits *limits, uint32_t *max_depth,
		  md_error *err)
{
	uint32_t inner = t->num_leaves - 1;
	uint32_t n = inner + t->num_leaves;
	uint32_t top = 0;
	uint32_t seen = 1;

	for (uint32_t i = 0; i < n; i++)
		t->parent[i] = -2;
	t->parent[0] = -1;
	t->depth[0] = 0;
	*max_depth = 0;
	t->stack[top++] = 0;
	while (top > 0)
	{
		int64_t node = t->stack[--top];

		for (int side = 0; side < 2; side++)
		{
			int64_t c = side ? t->right[node] : t->left[node];
			uint32_t slot = c >= 0 ? (uint32_t) c : inner + (uint32_t) ~c;

			if ((c >= 0 && (c <= node || c >= inner)) ||
				(c < 0 && ~c >= t->num_leaves) || t->parent[slot] != -2)
				return md_fail(err, MD_ERR_MODEL,
							   "LightGBM model: tree %u: node %lld has a "
							   "bad or repeated child %lld",
							   t->no, (long long) node, (long long) c);
			t->parent[slot] = (int32_t) node;
			t->depth[slot] = t->depth[node] + 1;
			seen++;
			if (t->depth[slot] > limits->max_depth)
				return md_fail_limit(err, "tree depth is", t->depth[slot],
									 "levels", limits->max_depth, "max_depth");
			if (t->depth[slot] > *max_depth)
				*max_depth = t->depth[slot];
			if (c >= 0)
				t->stack[top++] = c;
		}
	}
	if (seen != n)
		return md_fail(err, MD_ERR_MODEL,
					   "LightGBM model: tree %u has unreachable nodes", t->no);
	return MD_OK;
}

/* The categorical bitsets of a tree, appended to the pool. */
static md_status
read_categories(lgb_tree *t, lgb_forest *f, uint64_t *pool_start,
				md_error *err)
{
	const char *bounds_s;
	const char *words_s;
	uint64_t n_words;
	md_status st;

	*pool_start = f->cat_words.len;
	if (t->num_cat == 0)
		return MD_OK;
	if ((st = required(t, "cat_boundaries", &bounds_s, err)) != MD_OK ||
		(st = required(t, "cat_threshold", &words_s, err)) != MD_OK ||
		(st = read_numbers(bounds_s, t->num_cat + 1, NULL, t->cat_bounds, 0,
						   INT32_MAX, t->no, "cat_boundaries", err)) != MD_OK)
		return st;
	for (uint32_t k = 0; k < t->num_cat; k++)
		if (t->cat_bounds[k + 1] < t->cat_bounds[k] || t->cat_bounds[0] != 0)
			return bad_array(err, t->no, "cat_boundaries",
							 "is not increasing from 0");
	n_words = (uint64_t) t->cat_bounds[t->num_cat];
	if (n_words > UINT32_MAX - f->cat_words.len ||
		!vec_reserve(&f->cat_words, n_words))
		return nomem(err);
	{
		int64_t *w = malloc(sizeof(int64_t) * (n_words ? n_words : 1));

		if (w == NULL)
			return nomem(err);
		st = read_numbers(words_s, n_words, NULL, w, 0, UINT32_MAX, t->no,
						  "cat_threshold", err);
		for (uint64_t i = 0; st == MD_OK && i < n_words; i++)
			((uint32_t *) f->cat_words.data)[f->cat_words.len++] =
				(uint32_t) w[i];
		free(w);
	}
	return st;
}

static md_status
make_node(const lgb_tree *t, const lgb_forest *f, uint32_t i,
		  uint64_t pool_start, int64_t feature, md_dnode *n, md_error *err)
{
	int64_t dt = t->dtype[i];

	memset(n, 0, sizeof(*n));
	n->feature = (uint32_t) feature;
	n->yes = (int32_t) t->left[i];
	n->no = (int32_t) t->right[i];
	n->depth = t->depth[i];
	n->parent = t->parent[i];
	if (t->num_cat > 0 && (dt & 1))
	{
		double k = t->threshold[i];

		/* categorical: threshold is the index of the node's bitset */
		if (!(k >= 0 && k < t->num_cat) || k != (double) (uint32_t) k)
			return bad_array(err, t->no, "threshold",
							 "names a category set that does not exist");
		n->op = MD_DOP_IN;
		n->missing = MD_DMISS_NAN;
		n->cat_offset = (uint32_t) (pool_start + t->cat_bounds[(uint32_t) k]);
		n->cat_words = (uint32_t) (t->cat_bounds[(uint32_t) k + 1] -
								   t->cat_bounds[(uint32_t) k]);
		return MD_OK;
	}
	if (f->categorical[feature])
		return bad_array(err, t->no, "decision_type",
						 "splits a pandas categorical feature numerically");
	n->op = MD_DOP_LEQ;
	n->threshold = t->threshold[i];
	n->flags = (dt & 2) ? MD_DNODE_DEFAULT_YES : 0;
	switch ((dt >> 2) & 3)
	{
		case 0:
			n->missing = MD_DMISS_AS_ZERO;
			break;
		case 1:
			n->missing = MD_DMISS_ZERO;
			break;
		case 2:
			n->missing = MD_DMISS_NAN;
			break;
		default:
			return bad_array(err, t->no, "decision_type",
							 "holds an unknown missing-value type");
	}
	return MD_OK;
}

/* Linear leaves: leaf_const, num_features, leaf_features, leaf_coeff. */
static md_status
read_linear(lgb_tree *t, lgb_forest *f, md_dleaf *leaves, md_error *err)
{
	const char *consts, *counts, *feats, *coeffs;
	uint64_t total = 0;
	size_t n = t->num_leaves;
	double *cv = malloc(sizeof(double) * n);
	int64_t *nv = malloc(sizeof(int64_t) * n);
	int64_t *fi = NULL;
	double *co = NULL;
	md_status st = MD_OK;

	if (cv == NULL || nv == NULL)
		st = nomem(err);
	if (st != MD_OK ||
		(st = required(t, "leaf_const", &consts, err)) != MD_OK ||
		(st = required(t, "num_features", &counts, err)) != MD_OK ||
		(st = required(t, "leaf_features", &feats, err)) != MD_OK ||
		(st = required(t, "leaf_coeff", &coeffs, err)) != MD_OK ||
		(st = read_numbers(consts, n, cv, NULL, 0, 0, t->no, "leaf_const",
						   err)) != MD_OK ||
		(st = read_numbers(counts, n, NULL, nv, 0, f->n_features, t->no,
						   "num_features", err)) != MD_OK)
		goto done;
	for (size_t l = 0; l < n; l++)
		total += (uint64_t) nv[l];
	fi = malloc(sizeof(int64_t) * (total ? total : 1));
	co = malloc(sizeof(double) * (total ? total : 1));
	if (fi == NULL || co == NULL || !vec_reserve(&f->terms, total))
		st = nomem(err);
	if (st == MD_OK)
		st = read_numbers(feats, total, NULL, fi, 0, f->n_features - 1, t->no,
						  "leaf_features", err);
	if (st == MD_OK)
		st = read_numbers(coeffs, total, co, NULL, 0, 0, t->no, "leaf_coeff",
						  err);
	for (size_t l = 0, k = 0; st == MD_OK && l < n; l++)
	{
		leaves[l].constant = cv[l];
		leaves[l].first_term = f->terms.len;
		leaves[l].n_terms = (uint32_t) nv[l];
		for (int64_t j = 0; j < nv[l]; j++, k++)
		{
			md_dterm *term = (md_dterm *) f->terms.data + f->terms.len++;

			/* LightGBM keeps categorical features out of linear models */
			if (f->categorical[fi[k]])
				st = bad_array(err, t->no, "leaf_features",
							   "holds a pandas categorical feature");
			term->coeff = co[k];
			term->feature = (uint32_t) fi[k];
			term->reserved = 0;
		}
	}
done:
	free(cv);
	free(nv);
	free(fi);
	free(co);
	return st;
}

static md_status
read_counts(lgb_tree *t, lgb_forest *f, md_error *err)
{
	const char *inner = tree_key(t, "internal_count");
	const char *leaf = tree_key(t, "leaf_count");
	md_status st;

	if (inner == NULL || leaf == NULL)
	{
		f->cover = false;
		return MD_OK;
	}
	st = read_numbers(inner, t->num_leaves - 1, t->counts, NULL, 0, 0, t->no,
					  "internal_count", err);
	if (st == MD_OK)
		st = read_numbers(leaf, t->num_leaves, t->leaf_counts, NULL, 0, 0,
						  t->no, "leaf_count", err);
	for (uint32_t i = 0; st == MD_OK && i + 1 < t->num_leaves; i++)
		if (!(t->counts[i] > 0))
			f->cover = false;
	for (uint32_t l = 0; st == MD_OK && l < t->num_leaves; l++)
		if (!(t->leaf_counts[l] >= 0))
			f->cover = false;
	return st;
}

/* Append the nodes, leaves and counts of a parsed tree to the forest. */
static md_status
add_tree(lgb_tree *t, lgb_forest *f, uint32_t output, md_error *err)
{
	uint32_t inner = t->num_leaves - 1;
	const char *features_s;
	const char *linear = tree_key(t, "is_linear");
	md_dtree tree = {
		f->nodes.len, f->leaves.len, inner, t->num_leaves, output, 0, 0, 0};
	md_dleaf *leaves;
	uint64_t pool_start;
	md_status st;

	if (!vec_reserve(&f->trees, 1) || !vec_reserve(&f->nodes, inner) ||
		!vec_reserve(&f->leaves, t->num_leaves) ||
		!vec_reserve(&f->node_cover, inner) ||
		!vec_reserve(&f->leaf_cover, t->num_leaves))
		return nomem(err);
	leaves = (md_dleaf *) f->leaves.data + f->leaves.len;
	memset(leaves, 0, sizeof(md_dleaf) * t->num_leaves);
	if (inner == 0)
	{
		/* LightGBM reads nothing after leaf_value for a single leaf */
		leaves[0].value = t->leaf_value[0];
		leaves[0].parent = -1;
		((double *) f->leaf_cover.data)[f->leaf_cover.len++] = 0.0;
		f->leaves.len++;
		((md_dtree *) f->trees.data)[f->trees.len++] = tree;
		return MD_OK;
	}
	if ((st = required(t, "split_feature", &features_s, err)) != MD_OK ||
		(st = read_numbers(features_s, inner, NULL, t->features, 0,
						   f->n_features - 1, t->no, "split_feature", err)) !=
			MD_OK ||
		(st = link_tree(t, f->limits, &tree.max_depth, err)) != MD_OK ||
		(st = read_categories(t, f, &pool_start, err)) != MD_OK ||
		(st = read_counts(t, f, err)) != MD_OK)
		return st;
	for (uint32_t i = 0; i < inner; i++)
	{
		md_dnode *n = (md_dnode *) f->nodes.data + f->nodes.len + i;

		st = make_node(t, f, i, pool_start, t->features[i], n, err);
		if (st != MD_OK)
			return st;
		((double *) f->node_cover.data)[f->node_cover.len + i] = t->counts[i];
	}
	for (uint32_t l = 0; l < t->num_leaves; l++)
	{
		leaves[l].value = t->leaf_value[l];
		leaves[l].parent = t->parent[inner + l];
		leaves[l].depth = t->depth[inner + l];
		((double *) f->leaf_cover.data)[f->leaf_cover.len + l] =
			t->leaf_counts[l];
	}
	if (linear != NULL && strcmp(linear, "0") != 0)
	{
		if (strcmp(linear, "1") != 0)
			return bad_array(err, t->no, "is_linear", "is not 0 or 1");
		tree.flags = MD_DTREE_LINEAR;
		st = read_linear(t, f, leaves, err);
		if (st != MD_OK)
			return st;
	}
	f->nodes.len += inner;
	f->node_cover.len += inner;
	f->leaves.len += t->num_leaves;
	f->leaf_cover.len += t->num_leaves;
	if (tree.max_depth > f->max_depth)
		f->max_depth = tree.max_depth;
	((md_dtree *) f->trees.data)[f->trees.len++] = tree;
	return MD_OK;
}

/* The lines of one "Tree=i" block, up to its blank line. */
static md_status
read_tree_block(char **cursor, char *end, lgb_tree *t, md_error *err)
{
	char *line;

	t->n_keys = 0;
	while ((line = next_line(cursor, end)) != NULL && *line != '\0')
	{
		if (t->n_keys == MAX_TREE_KEYS)
			return md_fail(err, MD_ERR_MODEL,
						   "LightGBM model: tree %u has too many lines",
						   t->no);
		t->keys[t->n_keys] = split_line(line);
		if (t->keys[t->n_keys].value == NULL)
			return md_fail(err, MD_ERR_MODEL,
						   "LightGBM model: tree %u: line \"%.40s\" is not "
						   "key=value",
						   t->no, line);
		t->n_keys++;
	}
	return MD_OK;
}

static md_status
read_tree(lgb_tree *t, lgb_forest *f, uint32_t output, md_error *err)
{
	const char *s;
	uint64_t v;
	md_status st;

	if ((st = required(t, "num_leaves", &s, err)) != MD_OK ||
		(st = read_uint(s, f->limits->max_nodes_per_tree / 2 + 1, "num_leaves",
						&v, err)) != MD_OK)
		return st;
	if (v == 0)
		return bad_array(err, t->no, "num_leaves", "is 0");
	t->num_leaves = (uint32_t) v;
	if (!tree_scratch(t, t->num_leaves))
		return nomem(err);
	if ((st = required(t, "leaf_value", &s, err)) != MD_OK ||
		(st = read_numbers(s, t->num_leaves, t->leaf_value, NULL, 0, 0, t->no,
						   "leaf_value", err)) != MD_OK)
		return st;
	if (t->num_leaves > 1)
	{
		const char *dt, *left, *right, *thr;
		uint32_t inner = t->num_leaves - 1;

		if ((st = required(t, "num_cat", &s, err)) != MD_OK ||
			(st = read_uint(s, inner, "num_cat", &v, err)) != MD_OK ||
			(st = required(t, "decision_type", &dt, err)) != MD_OK ||
			(st = required(t, "left_child", &left, err)) != MD_OK ||
			(st = required(t, "right_child", &right, err)) != MD_OK ||
			(st = required(t, "threshold", &thr, err)) != MD_OK ||
			(st = read_numbers(dt, inner, NULL, t->dtype, 0, 127, t->no,
							   "decision_type", err)) != MD_OK ||
			(st =
				 read_numbers(left, inner, NULL, t->left, -(int64_t) inner - 1,
							  inner, t->no, "left_child", err)) != MD_OK ||
			(st = read_numbers(right, inner, NULL, t->right,
							   -(int64_t) inner - 1, inner, t->no,
							   "right_child", err)) != MD_OK ||
			(st = read_numbers(thr, inner, t->threshold, NULL, 0, 0, t->no,
							   "threshold", err)) != MD_OK)
			return st;
		t->num_cat = (uint32_t) v;
	}
	return add_tree(t, f, output, err);
}

static md_status
read_trees(char **cursor, char *end, const lgb_header *h, lgb_forest *f,
		   md_error *err)
{
	lgb_tree t;
	char *line;
	md_status st = MD_OK;

	memset(&t, 0, sizeof(t));
	while (st == MD_OK && (line = next_line(cursor, end)) != NULL)
	{
		uint64_t no;

		if (*line == '\0')
			continue;
		if (strcmp(line, "end of trees") == 0)
			break;
		if (strncmp(line, "Tree=", 5) != 0 ||
			read_uint(line + 5, UINT32_MAX, "a tree number", &no, err) !=
				MD_OK ||
			no != f->trees.len)
		{
			st = md_fail(err, MD_ERR_MODEL,
						 "LightGBM model: expected \"Tree=%llu\", found "
						 "\"%.40s\"",
						 (unsigned long long) f->trees.len, line);
			break;
		}
		if (f->trees.len >= f->limits->max_trees)
		{
			st =
				md_fail_limit(err, "model has more than", f->limits->max_trees,
							  "trees", f->limits->max_trees, "max_trees");
			break;
		}
		t.no = (uint32_t) no;
		st = read_tree_block(cursor, end, &t, err);
		if (st == MD_OK)
			st = read_tree(&t, f, t.no % h->per_iteration, err);
	}
	tree_free(&t);
	if (st == MD_OK && line == NULL)
		st = md_fail(err, MD_ERR_MODEL,
					 "LightGBM model: no \"end of trees\" line (truncated?)");
	if (st == MD_OK && f->trees.len == 0)
		st = md_fail(err, MD_ERR_MODEL, "LightGBM model has no trees");
	if (st == MD_OK && f->trees.len % h->per_iteration != 0)
		st = md_fail(err, MD_ERR_MODEL,
					 "LightGBM model: %llu trees is not a whole number of "
					 "iterations of %u trees",
					 (unsigned long long) f->trees.len, h->per_iteration);
	return st;
}

/* --- after the trees: categorical features and their names ---------- */

/*
 * "[categorical_feature: 1,4]" among the parameters, and the
 * "pandas_categorical:" line: the category names of those features, in
 * feature order.
 */
static void
find_tail(char **cursor, char *end, const char **cat_features,
		  const char **pandas)
{
	char *line;

	*cat_features = NULL;
	*pandas = NULL;
	while ((line = next_line(cursor, end)) != NULL)
	{
		if (strncmp(line, "[categorical_feature:", 21) == 0)
			*cat_features = line + 21;
		else if (strncmp(line, "pandas_categorical:", 19) == 0)
			*pandas = line + 19;
	}
}

static md_status
no_categories(md_error *err, const char *why)
{
	return md_fail(err, MD_ERR_UNSUPPORTED,
				   "LightGBM model: pandas_categorical %s, which is not "
				   "supported",
				   why);
}

/*
 * Mark the features that pandas_categorical names and collect their
 * category lists (cats[f]: a JSON array of strings, or NULL).
 */
static md_status
read_categorical(const char *cat_features, const char *pandas,
				 const md_limits *limits, uint32_t n_features, bool *is_cat,
				 const cJSON **cats, cJSON **root, md_error *err)
{
	const cJSON *list;
	const char *p = cat_features ? cat_features : "";
	long prev = -1;
	md_status st;

	*root = NULL;
	if (pandas == NULL || strcmp(pandas, "null") == 0)
		return MD_OK;
	st = md_json_parse(pandas, strlen(pandas), limits, root, err);
	if (st != MD_OK)
		return st;
	if (!cJSON_IsArray(*root))
		return no_categories(err, "is not a list");
	/* the lists belong to the categorical features, in feature order */
	for (list = (*root)->child; list != NULL; list = list->next)
	{
		char *end;
		long f;

		while (*p == ' ' || *p == ',')
			p++;
		f = strtol(p, &end, 10);
		if (end == p || f <= prev || f >= (long) n_features)
			return no_categories(err, "does not match categorical_feature");
		if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
			return no_categories(err, "has an empty category list");
		for (const cJSON *c = list->child; c != NULL; c = c->next)
			if (!cJSON_IsString(c) || c->valuestring[0] == '\0')
				return no_categories(err, "has categories that are not "
										  "text");
		is_cat[f] = true;
		cats[f] = list;
		prev = f;
		p = end;
	}
	while (*p == ' ' || *p == ',')
		p++;
	if (*p != ']' && *p != '\0')
		return no_categories(err, "does not match categorical_feature");
	return MD_OK;
}

/* MD_SEC_NATIVE_FEATURES: category names of the pandas features. */
static md_status
write_feature_table(md_builder *b, uint32_t n_features, const cJSON **cats,
					md_error *err)
{
	md_native_features head = {n_features, 0, 0};
	md_native_feature *feats = calloc(n_features, sizeof(*feats));
	const char **strs = NULL;
	uint64_t head_at, feats_at;
	md_status st = MD_OK;

	if (feats == NULL)
		return nomem(err);
	md_builder_begin(b, MD_SEC_NATIVE_FEATURES);
	head_at = md_builder_put(b, &head, sizeof(head));
	feats_at = md_builder_reserve(b, sizeof(*feats) * n_features);
	for (uint32_t f = 0; f < n_features && st == MD_OK; f++)
	{
		uint32_t n = 0;

		feats[f].kind = MD_FEATURE_NUMERIC;
		if (cats[f] == NULL)
			continue;
		free(strs);
		strs = malloc(sizeof(char *) * cJSON_GetArraySize(cats[f]));
		if (strs == NULL)
		{
			st = nomem(err);
			break;
		}
		for (const cJSON *c = cats[f]->child; c != NULL; c = c->next)
			strs[n++] = c->valuestring;
		feats[f].kind = MD_FEATURE_CATEGORICAL;
		/* pandas codes an unseen category -1, LightGBM then NaN: right */
		feats[f].unknown = MD_UNKNOWN_IGNORE;
		feats[f].n_categories = n;
		st = md_strtab_put(b, strs, n, "categories",
						   &feats[f].categories_offset,
						   &feats[f].categories_size, err);
	}
	head.features_offset = feats_at;
	if (st == MD_OK && md_builder_at(b, head_at) != NULL)
	{
		memcpy(md_builder_at(b, head_at), &head, sizeof(head));
		memcpy(md_builder_at(b, feats_at), feats, sizeof(*feats) * n_features);
	}
	md_builder_end(b);
	free(strs);
	free(feats);
	return st;
}

static md_status
write_feature_names(md_builder *b, char *names, uint32_t n_features,
					md_error *err)
{
	const char **strs = malloc(sizeof(char *) * n_features);
	uint32_t n = 0;
	char *save = NULL;
	md_status st;

	if (strs == NULL)
		return nomem(err);
	for (char *tok = strtok_r(names, " ", &save); tok != NULL;
		 tok = strtok_r(NULL, " ", &save))
	{
		if (n == n_features)
			break;
		strs[n++] = tok;
	}
	if (n != n_features || strtok_r(NULL, " ", &save) != NULL)
		st = md_fail(err, MD_ERR_MODEL,
					 "LightGBM model: feature_names does not name exactly "
					 "%u features",
					 n_features);
	else
		st = md_strtab_write(b, MD_SEC_FEATURE_NAMES, strs, n, "feature name",
							 err);
	free(strs);
	return st;
}

/* --- the section ---------------------------------------------------- */

static void
write_forest(md_builder *b, md_dforest_header *h, const lgb_forest *f,
			 uint32_t n_outputs)
{
	double *init = calloc(n_outputs, sizeof(double));
	uint64_t head_at;

	h->n_trees = (uint32_t) f->trees.len;
	h->n_outputs = n_outputs;
	h->n_nodes = f->nodes.len;
	h->n_leaves = f->leaves.len;
	h->n_cat_words = f->cat_words.len;
	h->n_terms = f->terms.len;
	h->max_depth = f->max_depth;
	h->flags = MD_DF_TINY_IS_ZERO | (f->cover ? MD_DF_COVER : 0);
	md_builder_begin(b, MD_SEC_DTREES);
	head_at = md_builder_reserve(b, sizeof(*h));
	if (init == NULL)
		b->failed = true;
	else
		h->init_offset = md_builder_put(b, init, sizeof(double) * n_outputs);
	h->trees_offset =
		md_builder_put(b, f->trees.data, sizeof(md_dtree) * f->trees.len);
	h->nodes_offset =
		md_builder_put(b, f->nodes.data, sizeof(md_dnode) * f->nodes.len);
	h->leaves_offset =
		md_builder_put(b, f->leaves.data, sizeof(md_dleaf) * f->leaves.len);
	h->cat_words_offset = md_builder_put(b, f->cat_words.data,
										 sizeof(uint32_t) * f->cat_words.len);
	h->terms_offset =
		md_builder_put(b, f->terms.data, sizeof(md_dterm) * f->terms.len);
	if (f->cover)
	{
		h->node_cover_offset = md_builder_put(b, f->node_cover.data,
											  sizeof(double) * f->nodes.len);
		h->leaf_cover_offset = md_builder_put(b, f->leaf_cover.data,
											  sizeof(double) * f->leaves.len);
	}
	if (md_builder_at(b, head_at) != NULL)
		memcpy(md_builder_at(b, head_at), h, sizeof(*h));
	md_builder_end(b);
	free(init);
}

static void
forest_init(lgb_forest *f, const md_limits *limits, uint32_t n_features,
			const bool *is_cat)
{
	memset(f, 0, sizeof(*f));
	f->trees.elem = sizeof(md_dtree);
	f->nodes.elem = sizeof(md_dnode);
	f->leaves.elem = sizeof(md_dleaf);
	f->cat_words.elem = sizeof(uint32_t);
	f->terms.elem = sizeof(md_dterm);
	f->node_cover.elem = sizeof(double);
	f->leaf_cover.elem = sizeof(double);
	f->cover = true;
	f->limits = limits;
	f->n_features = n_features;
	f->categorical = is_cat;
}

static void
forest_free(lgb_forest *f)
{
	free(f->trees.data);
	free(f->nodes.data);
	free(f->leaves.data);
	free(f->cat_words.data);
	free(f->terms.data);
	free(f->node_cover.data);
	free(f->leaf_cover.data);
}

/* Everything after the header, once the header is known. */
static md_status
parse_body(char **cursor, char *end, lgb_header *lh, const md_limits *limits,
		   md_builder *b, md_error *err)
{
	md_dforest_header h;
	lgb_forest f;
	bool *is_cat = calloc(lh->n_features, sizeof(bool));
	const cJSON **cats = calloc(lh->n_features, sizeof(cJSON *));
	cJSON *pandas_root = NULL;
	char *trees_at = *cursor;
	const char *cat_features, *pandas;
	md_meta meta = {
		MD_FORMAT_LIGHTGBM, 0, MD_EST_DTREES, 0, lh->n_features, lh->num_class, {0, 0}};
	md_status st;

	if (is_cat == NULL || cats == NULL)
	{
		free(is_cat);
		free(cats);
		return nomem(err);
	}
	memset(&h, 0, sizeof(h));
	/* the tail first: which features are categorical shapes the trees */
	find_tail(cursor, end, &cat_features, &pandas);
	st = read_categorical(cat_features, pandas, limits, lh->n_features, is_cat,
						  cats, &pandas_root, err);
	if (st == MD_OK)
		st = read_objective(lh, &h, err);
	forest_init(&f, limits, lh->n_features, is_cat);
	if (st == MD_OK)
	{
		/* find_tail cut the lines; the tree lines come before the tail */
		*cursor = trees_at;
		st = read_trees(cursor, end, lh, &f, err);
	}
	h.divisor = lh->average ? (double) (f.trees.len / lh->per_iteration) : 1.0;
	if (st == MD_OK)
	{
		md_builder_begin(b, MD_SEC_META);
		md_builder_put(b, &meta, sizeof(meta));
		md_builder_end(b);
		st = write_feature_names(b, (char *) lh->feature_names, lh->n_features,
								 err);
	}
	if (st == MD_OK && pandas_root != NULL)
		st = write_feature_table(b, lh->n_features, cats, err);
	if (st == MD_OK)
		write_forest(b, &h, &f, lh->num_class);
	forest_free(&f);
	cJSON_Delete(pandas_root);
	free(is_cat);
	free(cats);
	return st;
}

md_status
md_parse_lightgbm(const char *text, size_t len, const md_limits *limits,
				  md_builder *b, md_error *err)
{
	char *buf;
	char *cursor;
	char *end;
	lgb_header lh;
	md_status st;

	if (!md_lightgbm_detect(text, len))
		return md_fail(err, MD_ERR_MODEL,
					   "not a LightGBM text model: it does not start with "
					   "the line \"tree\"");
	if (memchr(text, '\0', len) != NULL)
		return md_fail(
			err, MD_ERR_SYNTAX,
			"LightGBM model text contains a NUL byte at offset %zu",
			(size_t) ((const char *) memchr(text, '\0', len) - text));
	buf = split_lines(text, len, &end);
	if (buf == NULL)
		return nomem(err);
	cursor = buf;
	st = read_header(&cursor, end, limits, &lh, err);
	if (st == MD_OK)
		st = parse_body(&cursor, end, &lh, limits, b, err);
	free(buf);
	return st;
}
