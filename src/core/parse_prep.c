/*-------------------------------------------------------------------------
 *
 * parse_prep.c
 *	  Compiling the "preprocessing" steps of a native model into the flat
 *	  program of MD_SEC_PREPROCESS (see native.h).
 *
 * The steps work on a vector of columns that starts as the input features.
 * Imputers and scalers change it in place; encoders replace a column by
 * new ones; a column transformer gives each of its blocks a copy of the
 * columns it selects, runs the block's steps on it, and concatenates the
 * blocks' results.  The compiler follows each column's register and type
 * (a number, or the category code of a categorical feature), so that a
 * scaler applied to category codes, or category codes reaching the
 * estimator, are refused here with the path of the step at fault.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_native.h"
#include "vec.h"

/* One column of the vector being transformed. */
typedef struct pcol
{
	uint32_t reg;	  /* the register holding it */
	uint32_t feature; /* the input feature it derives from */
	bool codes;		  /* category codes of 'feature' */
} pcol;

typedef struct cols
{
	pcol *c;
	uint32_t n;
} cols;

typedef struct prep
{
	native_model *nm;
	vec ops;   /* md_prep_op */
	vec dpool; /* double */
	vec ipool; /* int32_t */
	uint32_t n_registers;
	uint32_t max_registers;
	md_error *err;
} prep;

static md_status compile_unit(prep *p, const cJSON *step, const char *where,
							  cols *c);

/* Registers for n new columns (the limit bounds the scoring workspace). */
static md_status
new_registers(prep *p, uint32_t n, uint32_t *first)
{
	if (n > p->nm->limits->max_features)
		return md_native_limit(p->err, "preprocessed columns", n,
							   p->nm->limits->max_features, "max_features");
	if (n > p->max_registers - p->n_registers)
		return md_native_limit(p->err, "preprocessing registers",
							   (uint64_t) p->n_registers + n, p->max_registers,
							   "max_features");
	*first = p->n_registers;
	p->n_registers += n;
	return MD_OK;
}

static md_status
emit(prep *p, const md_prep_op *op)
{
	if (!vec_reserve(&p->ops, 1))
		return md_native_nomem(p->err);
	((md_prep_op *) p->ops.data)[p->ops.len++] = *op;
	return MD_OK;
}

static md_status
push_pool(vec *pool, const void *v, uint64_t n, uint64_t *at, md_error *err)
{
	if (!vec_reserve(pool, n + 1))
		return md_native_nomem(err);
	*at = pool->len;
	memcpy((char *) pool->data + pool->len * pool->elem, v, n * pool->elem);
	pool->len += n;
	return MD_OK;
}

static md_status
set_width(prep *p, cols *c, uint32_t n)
{
	pcol *nc = calloc((size_t) n + 1, sizeof(pcol));

	if (nc == NULL)
		return md_native_nomem(p->err);
	free(c->c);
	c->c = nc;
	c->n = n;
	return MD_OK;
}

/* Copy the columns sel (indices into *in, or all if NULL) to new registers. */
static md_status
gather(prep *p, const cols *in, const int64_t *sel, uint32_t n, cols *out)
{
	md_prep_op op = {.kind = MD_OP_GATHER, .n_out = n};
	int32_t *regs = malloc(sizeof(int32_t) * ((size_t) n + 1));
	md_status st;

	if (regs == NULL)
		return md_native_nomem(p->err);
	st = new_registers(p, n, &op.dst);
	if (st == MD_OK)
		st = set_width(p, out, n);
	for (uint32_t i = 0; st == MD_OK && i < n; i++)
	{
		out->c[i] = in->c[sel ? sel[i] : i];
		regs[i] = (int32_t) out->c[i].reg;
		out->c[i].reg = op.dst + i;
	}
	if (st == MD_OK)
		st = push_pool(&p->ipool, regs, n, &op.p0, p->err);
	if (st == MD_OK)
		st = emit(p, &op);
	free(regs);
	return st;
}

/* In-place steps work on consecutive registers. */
static md_status
make_contiguous(prep *p, cols *c)
{
	cols out = {0};
	md_status st;

	for (uint32_t i = 1; i < c->n; i++)
	{
		if (c->c[i].reg != c->c[0].reg + i)
		{
			st = gather(p, c, NULL, c->n, &out);
			free(c->c);
			*c = out;
			return st;
		}
	}
	return MD_OK;
}

/* Read a parameter array of one double per column. */
static md_status
per_column(prep *p, const cJSON *step, const char *key, const char *where,
		   uint32_t n, double *out)
{
	const cJSON *a;
	char path[MD_PATH_LEN];
	md_status st;

	md_path(path, "%s.%s", where, key);
	if ((st = md_json_array(step, key, where, &a, p->err)) != MD_OK)
		return st;
	return md_json_double_array(a, path, false, out, n, p->err);
}

static md_status
refuse_codes(prep *p, const cols *c, const char *where, const char *what)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->c[i].codes)
			return md_fail(p->err, MD_ERR_MODEL,
						   "model JSON: %s (%s) applies to column %u, the "
						   "category codes of feature \"%s\"; encode it first "
						   "(one_hot or ordinal)",
						   where, what, i,
						   p->nm->names[c->c[i].feature]);
	return MD_OK;
}

/* One in-place op over the whole (contiguous) vector. */
static md_status
emit_in_place(prep *p, md_op_kind kind, const cols *c, const double *a,
			  const double *b, uint32_t flags, double v0, double v1)
{
	md_prep_op op = {.kind = kind, .flags = flags, .n_out = c->n, .src = c->c[0].reg, .dst = c->c[0].reg, .v0 = v0, .v1 = v1};
	md_status st = push_pool(&p->dpool, a, c->n, &op.p0, p->err);

	if (st == MD_OK && b != NULL)
		st = push_pool(&p->dpool, b, c->n, &op.p1, p->err);
	op.feature = c->c[0].feature;
	if (st == MD_OK)
		st = emit(p, &op);
	return st;
}

/* {"type": "impute", "values": [...]}: numbers, or categories by name */
static md_status
step_impute(prep *p, const cJSON *step, const char *where, cols *c,
			double *v)
{
	const cJSON *a,
		*e;
	uint32_t i = 0;
	md_status st;

	if ((st = md_json_array(step, "values", where, &a, p->err)) != MD_OK)
		return st;
	if (cJSON_GetArraySize(a) != (int) c->n)
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s.values has %d elements for %u columns",
					   where, cJSON_GetArraySize(a), c->n);
	for (e = a->child; e != NULL; e = e->next, i++)
	{
		if (c->c[i].codes)
		{
			int64_t code = cJSON_IsString(e)
				? md_native_category_index(p->nm, c->c[i].feature, e->valuestring)
				: -1;

			if (code < 0)
				return md_fail(p->err, MD_ERR_MODEL,
							   "model JSON: %s.values[%u] should be a "
							   "category of feature \"%s\"",
							   where, i,
							   p->nm->names[c->c[i].feature]);
			v[i] = (double) code;
		}
		else if (cJSON_IsNumber(e) && isfinite(e->valuedouble))
			v[i] = e->valuedouble;
		else
			return md_fail(p->err, MD_ERR_MODEL,
						   "model JSON: %s.values[%u] should be a finite "
						   "number (column %u is numeric)",
						   where, i, i);
	}
	return emit_in_place(p, MD_OP_IMPUTE, c, v, NULL, 0, 0, 0);
}

/* {"type": "standard_scale", "mean": [...], "scale": [...]} */
static md_status
step_standard(prep *p, const cJSON *step, const char *where, cols *c,
			  double *a, double *b)
{
	md_status st;

	if ((st = refuse_codes(p, c, where, "standard_scale")) != MD_OK ||
		(st = per_column(p, step, "mean", where, c->n, a)) != MD_OK ||
		(st = per_column(p, step, "scale", where, c->n, b)) != MD_OK)
		return st;
	for (uint32_t i = 0; i < c->n; i++)
		if (b[i] == 0)
			return md_fail(p->err, MD_ERR_MODEL,
						   "model JSON: %s.scale[%u] is zero", where, i);
	return emit_in_place(p, MD_OP_STANDARD, c, a, b, 0, 0, 0);
}

/* {"type": "minmax_scale", "scale": [...], "min": [...], "clip": [lo, hi]} */
static md_status
step_minmax(prep *p, const cJSON *step, const char *where, cols *c,
			double *a, double *b)
{
	const cJSON *clip = md_json_member(step, "clip");
	double range[2] = {0, 0};
	char path[MD_PATH_LEN];
	md_status st;

	if ((st = refuse_codes(p, c, where, "minmax_scale")) != MD_OK ||
		(st = per_column(p, step, "scale", where, c->n, a)) != MD_OK ||
		(st = per_column(p, step, "min", where, c->n, b)) != MD_OK)
		return st;
	md_path(path, "%s.clip", where);
	if (clip != NULL &&
		(!cJSON_IsArray(clip) ||
		 (st = md_json_double_array(clip, path, false, range, 2, p->err)) != MD_OK ||
		 !(range[0] <= range[1])))
		return st != MD_OK ? st : md_fail(p->err, MD_ERR_MODEL, "model JSON: %s should be [low, high] with low <= high", path);
	return emit_in_place(p, MD_OP_MINMAX, c, a, b, clip ? MD_OPF_CLIP : 0,
						 range[0], range[1]);
}

/*
 * The lookup half of an encoder op for one column: which of the encoder's
 * categories (JSON array 'cats'; a final null is the category of missing
 * values) an input is.  Category codes map through a table indexed by code;
 * numbers are found in the sorted list of the encoder's numbers.
 */
static md_status
encoder_lookup(prep *p, const pcol *col, const cJSON *cats, const char *where,
			   md_prep_op *op)
{
	uint32_t n = op->n_cats;
	uint32_t n_codes = col->codes ? p->nm->n_categories[col->feature] : 0;
	int32_t *table = malloc(sizeof(int32_t) * ((size_t) n_codes + 1));
	double *values = malloc(sizeof(double) * ((size_t) n + 1));
	uint32_t i = 0;
	md_status st = MD_OK;

	if (table == NULL || values == NULL)
		st = md_native_nomem(p->err);
	for (uint32_t k = 0; st == MD_OK && k < n_codes; k++)
		table[k] = -1;
	op->missing = -1;
	for (const cJSON *e = cats->child; st == MD_OK && e != NULL; e = e->next, i++)
	{
		if (cJSON_IsNull(e) && e->next == NULL)
			op->missing = (int32_t) i;
		else if (col->codes && cJSON_IsString(e))
		{
			int64_t code = md_native_category_index(p->nm, col->feature,
													e->valuestring);

			if (code < 0 || table[code] >= 0)
				st = md_fail(p->err, MD_ERR_MODEL,
							 "model JSON: %s[%u] \"%s\" is %s of feature "
							 "\"%s\"",
							 where, i, e->valuestring,
							 code < 0 ? "not a category" : "a repeated category",
							 p->nm->names[col->feature]);
			else
				table[code] = (int32_t) i;
		}
		else if (!col->codes && cJSON_IsNumber(e) && isfinite(e->valuedouble) &&
				 (i == 0 || e->valuedouble > values[i - 1]))
			values[i] = e->valuedouble;
		else
			st = md_fail(p->err, MD_ERR_MODEL,
						 "model JSON: %s[%u] should be %s", where, i,
						 col->codes
							 ? "a category name (the column holds a categorical "
							   "feature)"
							 : "a finite number greater than the one before (the "
							   "column is numeric)");
	}
	if (st == MD_OK && col->codes)
	{
		op->flags |= MD_OPF_CODES;
		op->n_codes = n_codes;
		st = push_pool(&p->ipool, table, n_codes, &op->p0, p->err);
	}
	else if (st == MD_OK)
		st = push_pool(&p->dpool, values, n - (op->missing >= 0), &op->p0,
					   p->err);
	free(table);
	free(values);
	return st;
}

/* Options of an encoder step that apply to all its columns. */
typedef struct encoder_opts
{
	bool one_hot;
	const cJSON *cats; /* array of one array per column */
	const cJSON *drop; /* one_hot: array, or NULL */
	bool unknown_error;
	double unknown_value; /* ordinal */
	double missing_value; /* ordinal */
} encoder_opts;

/* One encoder op: lookup, then one-hot positions or ordinal values. */
static md_status
encode_column(prep *p, const encoder_opts *o, const pcol *col,
			  const cJSON *cats, const cJSON *drop, uint32_t dst,
			  const char *where, md_prep_op *op)
{
	uint32_t n = op->n_cats;
	int32_t *pos = malloc(sizeof(int32_t) * ((size_t) n + 1));
	double *val = malloc(sizeof(double) * ((size_t) n + 1));
	int64_t d = -1;
	md_status st = MD_OK;

	if (pos == NULL || val == NULL)
		st = md_native_nomem(p->err);
	if (st == MD_OK && drop != NULL && !cJSON_IsNull(drop))
	{
		if (!cJSON_IsNumber(drop) || drop->valuedouble < 0 ||
			drop->valuedouble >= n || drop->valuedouble != floor(drop->valuedouble))
			st = md_fail(p->err, MD_ERR_MODEL,
						 "model JSON: %s: drop should be null or the index "
						 "of one of the column's %u categories",
						 where, n);
		else
			d = (int64_t) drop->valuedouble;
	}
	op->kind = o->one_hot ? MD_OP_ONE_HOT : MD_OP_ORDINAL;
	op->src = col->reg;
	op->dst = dst;
	op->feature = col->feature;
	op->n_out = o->one_hot ? n - (d >= 0) : 1;
	op->v0 = o->unknown_value;
	if (o->unknown_error)
		op->flags |= MD_OPF_UNKNOWN_ERROR;
	if (st == MD_OK)
		st = encoder_lookup(p, col, cats, where, op);
	for (uint32_t e = 0; st == MD_OK && e < n; e++)
	{
		pos[e] = e == d ? -1 : (int32_t) (e - (d >= 0 && e > d));
		val[e] = (int32_t) e == op->missing ? o->missing_value : (double) e;
	}
	if (st == MD_OK && o->one_hot)
		st = push_pool(&p->ipool, pos, n, &op->p1, p->err);
	else if (st == MD_OK)
		st = push_pool(&p->dpool, val, n, &op->p1, p->err);
	free(pos);
	free(val);
	return st;
}

/* The options of a one_hot or ordinal step. */
static md_status
encoder_options(prep *p, const cJSON *step, const char *where, uint32_t n,
				encoder_opts *o)
{
	static const char *const oh_unknown[] = {"error", "ignore", NULL};
	static const char *const ord_unknown[] = {"error", "use_encoded_value", NULL};
	const cJSON *uv = md_json_member(step, "unknown_value");
	const cJSON *mv = md_json_member(step, "encoded_missing_value");
	uint32_t unknown = 0;
	char path[MD_PATH_LEN];
	md_status st;

	if ((st = md_json_array(step, "categories", where, &o->cats, p->err)) != MD_OK)
		return st;
	if (cJSON_GetArraySize(o->cats) != (int) n)
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s.categories has %d lists for %u columns",
					   where, cJSON_GetArraySize(o->cats), n);
	if (md_json_member(step, "handle_unknown") != NULL &&
		(st = md_json_enum(step, "handle_unknown", where,
						   o->one_hot ? oh_unknown : ord_unknown, &unknown,
						   p->err)) != MD_OK)
		return st;
	o->unknown_error = unknown == 0;
	o->unknown_value = NAN;
	o->missing_value = NAN;
	o->drop = md_json_member(step, "drop");
	if (o->drop != NULL &&
		(!cJSON_IsArray(o->drop) || cJSON_GetArraySize(o->drop) != (int) n))
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s.drop should be an array of %u indices "
					   "or nulls",
					   where, n);
	if (o->one_hot)
		return MD_OK;
	if ((uv != NULL) != !o->unknown_error)
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s: unknown_value is required with "
					   "handle_unknown \"use_encoded_value\", and only then",
					   where);
	md_path(path, "%s.unknown_value", where);
	if (uv != NULL && !cJSON_IsNull(uv) &&
		(st = md_json_real(uv, path, &o->unknown_value, p->err)) != MD_OK)
		return st;
	md_path(path, "%s.encoded_missing_value", where);
	if (mv != NULL && !cJSON_IsNull(mv) &&
		(st = md_json_real(mv, path, &o->missing_value, p->err)) != MD_OK)
		return st;
	return MD_OK;
}

/*
 * {"type": "one_hot" | "ordinal", "categories": [[...], ...], ...}: one op
 * per column, writing new registers (one-hot) or in place (ordinal).
 */
static md_status
step_encoder(prep *p, const cJSON *step, const char *where, cols *c,
			 bool one_hot)
{
	encoder_opts o = {.one_hot = one_hot};
	md_prep_op *ops = calloc((size_t) c->n + 1, sizeof(md_prep_op));
	const cJSON *cats,
		*drop;
	uint32_t width = 0,
			 first = 0;
	char path[MD_PATH_LEN];
	md_status st = ops ? MD_OK : md_native_nomem(p->err);

	if (st == MD_OK)
		st = encoder_options(p, step, where, c->n, &o);
	cats = st == MD_OK ? o.cats->child : NULL;
	drop = o.drop ? o.drop->child : NULL;
	for (uint32_t i = 0; st == MD_OK && i < c->n; i++)
	{
		md_path(path, "%s.categories[%u]", where, i);
		if (!cJSON_IsArray(cats) || cats->child == NULL)
			st = md_fail(p->err, MD_ERR_MODEL,
						 "model JSON: %s should be a non-empty array", path);
		else if (cJSON_GetArraySize(cats) > (int) p->nm->limits->max_features)
			st = md_native_limit(p->err, "categories in one encoder column",
								 cJSON_GetArraySize(cats),
								 p->nm->limits->max_features, "max_features");
		else
		{
			ops[i].n_cats = (uint32_t) cJSON_GetArraySize(cats);
			st = encode_column(p, &o, &c->c[i], cats, drop,
							   one_hot ? width : c->c[i].reg, path, &ops[i]);
			width += ops[i].n_out;
			if (o.unknown_error && c->c[i].codes)
				p->nm->unknown_error[c->c[i].feature] = 1;
		}
		cats = cats ? cats->next : NULL;
		drop = drop ? drop->next : NULL;
	}
	if (st == MD_OK && one_hot)
		st = new_registers(p, width, &first);
	for (uint32_t i = 0; st == MD_OK && i < c->n; i++)
	{
		if (one_hot)
			ops[i].dst += first;
		st = emit(p, &ops[i]);
	}
	if (st == MD_OK && one_hot)
	{
		cols out = {0};

		st = set_width(p, &out, width);
		for (uint32_t i = 0, j = 0; st == MD_OK && i < c->n; i++)
			for (uint32_t k = 0; k < ops[i].n_out; k++, j++)
				out.c[j] = (pcol){first + j, c->c[i].feature, false};
		free(c->c);
		*c = out;
	}
	else
		for (uint32_t i = 0; st == MD_OK && i < c->n; i++)
			c->c[i].codes = false;
	free(ops);
	return st;
}

/* One step that is not a column transformer, on a vector of columns. */
static md_status
compile_unit(prep *p, const cJSON *step, const char *where, cols *c)
{
	static const char *const types[] = {"impute", "standard_scale",
										"minmax_scale", "one_hot", "ordinal", "column_transformer", NULL};
	static const char *const keys[][6] = {
		{"type", "values", NULL},
		{"type", "mean", "scale", NULL},
		{"type", "scale", "min", "clip", NULL},
		{"type", "categories", "drop", "handle_unknown", NULL},
		{"type", "categories", "handle_unknown", "unknown_value",
		 "encoded_missing_value", NULL},
	};
	double *a,
		*b;
	uint32_t type;
	md_status st;

	if (!cJSON_IsObject(step))
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s should be an object", where);
	if ((st = md_json_enum(step, "type", where, types, &type, p->err)) != MD_OK)
		return st;
	if (type == 5)
		return md_fail(p->err, MD_ERR_UNSUPPORTED,
					   "model JSON: %s: a column_transformer cannot be nested "
					   "in another one",
					   where);
	if ((st = md_json_check_keys(step, where, keys[type], p->err)) != MD_OK ||
		(st = make_contiguous(p, c)) != MD_OK)
		return st;
	if (type >= 3)
		return step_encoder(p, step, where, c, type == 3);
	a = malloc(sizeof(double) * ((size_t) c->n + 1));
	b = malloc(sizeof(double) * ((size_t) c->n + 1));
	if (a == NULL || b == NULL)
		st = md_native_nomem(p->err);
	else if (type == 0)
		st = step_impute(p, step, where, c, a);
	else if (type == 1)
		st = step_standard(p, step, where, c, a, b);
	else
		st = step_minmax(p, step, where, c, a, b);
	free(a);
	free(b);
	return st;
}

/* Append the columns of 'more' to 'c'. */
static md_status
concatenate(prep *p, cols *c, const cols *more)
{
	pcol *nc;

	if ((uint64_t) c->n + more->n > p->nm->limits->max_features)
		return md_native_limit(p->err, "preprocessed columns",
							   (uint64_t) c->n + more->n,
							   p->nm->limits->max_features, "max_features");
	nc = realloc(c->c, sizeof(pcol) * ((size_t) c->n + more->n + 1));
	if (nc == NULL)
		return md_native_nomem(p->err);
	memcpy(nc + c->n, more->c, sizeof(pcol) * more->n);
	c->c = nc;
	c->n += more->n;
	return MD_OK;
}

/* One block of a column transformer: its columns, then its steps. */
static md_status
compile_block(prep *p, const cJSON *block, const char *where, const cols *in,
			  cols *out)
{
	static const char *const keys[] = {"columns", "steps", NULL};
	const cJSON *jcols,
		*steps = md_json_member(block, "steps");
	cols local = {0};
	int64_t *sel = NULL;
	uint32_t n,
		k = 0;
	char path[MD_PATH_LEN];
	md_status st;

	if (!cJSON_IsObject(block))
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s should be an object", where);
	if ((st = md_json_check_keys(block, where, keys, p->err)) != MD_OK ||
		(st = md_json_array(block, "columns", where, &jcols, p->err)) != MD_OK)
		return st;
	if (steps != NULL && !cJSON_IsArray(steps))
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s.steps should be an array", where);
	n = (uint32_t) cJSON_GetArraySize(jcols);
	if (n == 0 || n > p->nm->limits->max_features)
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: %s.columns should list 1 to %u columns",
					   where, p->nm->limits->max_features);
	sel = malloc(sizeof(int64_t) * n);
	if (sel == NULL)
		return md_native_nomem(p->err);
	md_path(path, "%s.columns", where);
	st = md_json_int_array(jcols, path, 0, (int64_t) in->n - 1, sel, n, p->err);
	if (st == MD_OK)
		st = gather(p, in, sel, n, &local);
	for (const cJSON *s = steps ? steps->child : NULL; st == MD_OK && s;
		 s = s->next, k++)
	{
		md_path(path, "%s.steps[%u]", where, k);
		st = compile_unit(p, s, path, &local);
	}
	if (st == MD_OK)
		st = concatenate(p, out, &local);
	free(local.c);
	free(sel);
	return st;
}

/*
 * {"type": "column_transformer", "blocks": [...]}: each block works on a
 * copy of the columns it selects; the results are concatenated in block
 * order, and columns no block selects are dropped.
 */
static md_status
compile_column_transformer(prep *p, const cJSON *step, const char *where,
						   cols *c)
{
	static const char *const keys[] = {"type", "blocks", NULL};
	const cJSON *blocks;
	cols out = {0};
	uint32_t k = 0;
	char path[MD_PATH_LEN];
	md_status st;

	if ((st = md_json_check_keys(step, where, keys, p->err)) != MD_OK ||
		(st = md_json_array(step, "blocks", where, &blocks, p->err)) != MD_OK)
		return st;
	for (const cJSON *bl = blocks->child; st == MD_OK && bl; bl = bl->next, k++)
	{
		md_path(path, "%s.blocks[%u]", where, k);
		st = compile_block(p, bl, path, c, &out);
	}
	free(c->c);
	*c = out;
	return st;
}

static bool
is_column_transformer(const cJSON *step)
{
	const cJSON *t = md_json_member(step, "type");

	return cJSON_IsString(t) && strcmp(t->valuestring, "column_transformer") == 0;
}

static md_status
write_program(prep *p, const cols *c, md_builder *b)
{
	md_prep_header h = {0};
	uint32_t *origin = malloc(sizeof(uint32_t) * ((size_t) c->n + 1));
	uint64_t at;

	if (origin == NULL)
		return md_native_nomem(p->err);
	for (uint32_t i = 0; i < c->n; i++)
		origin[i] = c->c[i].feature;
	h.n_ops = (uint32_t) p->ops.len;
	h.n_registers = p->n_registers;
	h.out_start = c->c[0].reg;
	h.out_width = c->n;
	h.n_dpool = p->dpool.len;
	h.n_ipool = p->ipool.len;

	md_builder_begin(b, MD_SEC_PREPROCESS);
	at = md_builder_put(b, &h, sizeof(h));
	h.ops_offset = md_builder_put(b, p->ops.data, sizeof(md_prep_op) * p->ops.len);
	h.origin_offset = md_builder_put(b, origin, sizeof(uint32_t) * c->n);
	h.dpool_offset = md_builder_put(b, p->dpool.data,
									sizeof(double) * p->dpool.len);
	h.ipool_offset = md_builder_put(b, p->ipool.data,
									sizeof(int32_t) * p->ipool.len);
	if (md_builder_at(b, at) != NULL)
		memcpy(md_builder_at(b, at), &h, sizeof(h));
	md_builder_end(b);
	free(origin);
	return MD_OK;
}

/* The estimator gets numbers only, in consecutive registers. */
static md_status
finish(prep *p, cols *c, md_builder *b, uint32_t *n_inputs)
{
	md_status st;

	if (c->n == 0)
		return md_fail(p->err, MD_ERR_MODEL,
					   "model JSON: the preprocessing leaves no columns for "
					   "the estimator");
	for (uint32_t i = 0; i < c->n; i++)
		if (c->c[i].codes)
		{
			md_fail(p->err, MD_ERR_MODEL,
					"model JSON: estimator input %u is the category code of "
					"feature \"%s\"",
					i, p->nm->names[c->c[i].feature]);
			md_hint(p->err, "Encode categorical features with a one_hot or "
							"ordinal step.");
			return MD_ERR_MODEL;
		}
	if ((st = make_contiguous(p, c)) != MD_OK)
		return st;
	*n_inputs = c->n;
	return write_program(p, c, b);
}

md_status
md_compile_preprocessing(const cJSON *steps, native_model *nm, md_builder *b,
						 uint32_t *n_inputs, md_error *err)
{
	prep p = {
		.nm = nm,
		.ops = {.elem = sizeof(md_prep_op)},
		.dpool = {.elem = sizeof(double)},
		.ipool = {.elem = sizeof(int32_t)},
		.n_registers = nm->n_features,
		/* registers are int32 in the pool */
		.max_registers = (uint32_t) (nm->limits->max_features < INT32_MAX / 16
										 ? nm->limits->max_features * 16
										 : INT32_MAX),
		.err = err,
	};
	cols c = {0};
	uint32_t k = 0;
	char where[MD_PATH_LEN];
	md_status st;

	if (steps != NULL && !cJSON_IsArray(steps))
		return md_fail(err, MD_ERR_MODEL,
					   "model JSON: preprocessing should be an array of steps");
	st = set_width(&p, &c, nm->n_features);
	for (uint32_t f = 0; st == MD_OK && f < nm->n_features; f++)
		c.c[f] = (pcol){f, f, nm->categories[f] != NULL};
	for (const cJSON *s = steps ? steps->child : NULL; st == MD_OK && s;
		 s = s->next, k++)
	{
		md_path(where, "preprocessing[%u]", k);
		st = is_column_transformer(s)
			? compile_column_transformer(&p, s, where, &c)
			: compile_unit(&p, s, where, &c);
	}
	if (st == MD_OK)
		st = finish(&p, &c, b, n_inputs);
	free(c.c);
	free(p.ops.data);
	free(p.dpool.data);
	free(p.ipool.data);
	return st;
}
