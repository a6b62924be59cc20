/*-------------------------------------------------------------------------
 *
 * parse_onnx.c
 *	  An ONNX model (bytes) into a blob: the graph around one tree ensemble.
 *
 * A converter's graph is one estimator -- an ai.onnx.ml tree ensemble
 * (TreeEnsembleRegressor, TreeEnsembleClassifier, TreeEnsemble) or linear
 * model (LinearRegressor, LinearClassifier) -- and the nodes around it.
 * On the way in: Identity, Cast and Concat assembling X from the graph's
 * inputs, and, on a single input tensor, the pre-processing nodes of
 * onnx_prep.c (Scaler, Imputer, Mul and Add by constants).  On the way
 * out: a Normalizer of a linear model's scores (it changes them, so it is
 * compiled in), and nodes that only carry data: ZipMap, Identity, Cast,
 * Reshape, ArgMax, and Mul by a constant 1 (onnxmltools' LightGBM).  The
 * model's outputs are the estimator's own, so those nodes change nothing;
 * every other node (an operator that computes, like Exp or MatMul) is
 * refused with MD_ERR_UNSUPPORTED naming it, never skipped.  Feature names
 * are the graph inputs' names when X is a Concat of one-column inputs; a
 * single tensor input gives none (arrays only).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "parse.h"
#include "strtab.h"

#define ML_DOMAIN "ai.onnx.ml"

typedef struct graph_view
{
	const Onnx__GraphProto *g;
	const Onnx__NodeProto *est;	 /* the estimator: trees or linear */
	const Onnx__NodeProto *norm; /* a Normalizer of its scores, or NULL */
	int64_t ml_version;			 /* ai.onnx.ml opset imported */
	bool classifier;
	bool linear;									   /* LinearRegressor or LinearClassifier */
	const Onnx__NodeProto *prep[MD_ONNX_MAX_PREP + 1]; /* graph order */
	size_t n_prep;
	bool *used;			/* per node: accounted for */
	const char **names; /* feature names, or NULL */
	md_onnx_input in;
} graph_view;

static bool
is_op(const Onnx__NodeProto *n, const char *op)
{
	return n->op_type != NULL && strcmp(n->op_type, op) == 0;
}

static bool
in_ml_domain(const Onnx__NodeProto *n)
{
	return n->domain != NULL && strcmp(n->domain, ML_DOMAIN) == 0;
}

static md_status
unsupported_op(const Onnx__NodeProto *n, md_error *err)
{
	md_fail(err, MD_ERR_UNSUPPORTED,
			"ONNX operator %s%s%s (node \"%s\") is not supported",
			n->domain && *n->domain ? n->domain : "",
			n->domain && *n->domain ? "." : "", n->op_type ? n->op_type : "?",
			n->name ? n->name : "");
	md_hint(err, "model_deploy reads ai.onnx.ml TreeEnsembleRegressor and "
				 "TreeEnsembleClassifier (opsets 1 and 3), TreeEnsemble (opset "
				 "5), LinearRegressor and LinearClassifier, after Scaler, "
				 "Imputer, Mul and Add by constants on one input tensor, with "
				 "Normalizer, ZipMap, Cast, Identity, Concat, Reshape and ArgMax "
				 "around them.");
	return MD_ERR_UNSUPPORTED;
}

/* The node that produces tensor 'name', or -1 (a graph input, initializer) */
static ssize_t
producer(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t k = 0; k < g->node[i]->n_output; k++)
			if (strcmp(g->node[i]->output[k], name) == 0)
				return (ssize_t) i;
	return -1;
}

static const Onnx__ValueInfoProto *
graph_input(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_input; i++)
		if (g->input[i]->name && strcmp(g->input[i]->name, name) == 0)
			return g->input[i];
	return NULL;
}

/* Element type and width (0 if unknown) of a graph input */
static md_status
input_type(const Onnx__ValueInfoProto *v, int32_t *elem, int64_t *width,
		   md_error *err)
{
	const Onnx__TypeProto__Tensor *t = v->type ? v->type->tensor_type : NULL;

	if (t == NULL || !t->has_elem_type)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "ONNX input \"%s\" is not a tensor", v->name);
	*elem = t->elem_type;
	*width = 0;
	if (t->shape && t->shape->n_dim == 2 && t->shape->dim[1]->has_dim_value)
		*width = t->shape->dim[1]->dim_value;
	else if (t->shape && t->shape->n_dim != 2)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "ONNX input \"%s\" is not a 2-d tensor [rows, features]",
					   v->name);
	return MD_OK;
}

/*
 * Follow tensor 'name' back through Identity and Cast nodes (and, if
 * gv->prep is to be filled, pre-processing nodes) to a graph input;
 * *cast_to is the type the last Cast made (or 0).
 */
static md_status
trace_column(graph_view *gv, const char *name, bool prep,
			 const Onnx__ValueInfoProto **in, int32_t *cast_to, md_error *err)
{
	ssize_t p;

	*cast_to = 0;
	for (size_t steps = 0; (p = producer(gv->g, name)) >= 0; steps++)
	{
		const Onnx__NodeProto *n = gv->g->node[p];
		int64_t to;

		if (steps >= MD_ONNX_MAX_PREP || n->n_input < 1 ||
			!(prep ? md_onnx_prep_node(gv->g, n) : is_op(n, "Identity") || is_op(n, "Cast")))
			return unsupported_op(n, err);
		if (is_op(n, "Cast"))
		{
			if (md_onnx_int(n, "to", 0, &to, err) != MD_OK)
				return MD_ERR_MODEL;
			if (*cast_to == 0)
				*cast_to = (int32_t) to;
		}
		if (prep)
			gv->prep[gv->n_prep++] = n;
		gv->used[p] = true;
		name = n->input[0];
	}
	if ((*in = graph_input(gv->g, name)) == NULL)
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "the ONNX estimator's input \"%s\" is not a graph "
					   "input",
					   name);
	/* graph order */
	for (size_t k = 0; k < gv->n_prep / 2; k++)
	{
		const Onnx__NodeProto *t = gv->prep[k];

		gv->prep[k] = gv->prep[gv->n_prep - 1 - k];
		gv->prep[gv->n_prep - 1 - k] = t;
	}
	return MD_OK;
}

static bool
real_type(int32_t t)
{
	return t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
		t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
}

/* Features the estimator reads when the input's shape does not say */
static md_status
estimator_width(const graph_view *gv, int64_t *width, md_error *err)
{
	const int64_t *f;
	size_t nf;
	md_status st;

	if (gv->linear)
		return md_onnx_linear_width(gv->est, width, err);
	st = md_onnx_ints(gv->est, "nodes_featureids", &f, &nf, err);
	*width = 0;
	for (size_t i = 0; i < nf; i++)
		*width = f[i] + 1 > *width ? f[i] + 1 : *width;
	return st;
}

/* X of the estimator: one tensor input, pre-processed or not */
static md_status
read_tensor_input(graph_view *gv, const char *x, const md_limits *limits,
				  md_builder *b, md_error *err)
{
	const Onnx__ValueInfoProto *in;
	int32_t cast_to;
	int32_t elem;
	int64_t width;
	md_status st = trace_column(gv, x, true, &in, &cast_to, err);

	if (st == MD_OK)
		st = input_type(in, &elem, &width, err);
	if (st == MD_OK && width <= 0)
		st = estimator_width(gv, &width, err);
	if (st != MD_OK)
		return st;
	/* another type is read only through a Cast, first */
	if (!real_type(elem) &&
		!(gv->n_prep > 0 && is_op(gv->prep[0], "Cast") && real_type(cast_to)))
		return md_fail(err, MD_ERR_UNSUPPORTED,
					   "the ONNX model's input is of element type %d; float "
					   "and double are supported",
					   elem);
	if (width <= 0 || width > limits->max_features)
		return md_fail_limit(err, "the ONNX model has", width, "features",
							 limits->max_features, "max_features");
	gv->in.n_features = (uint32_t) width;
	gv->in.is_double = elem == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
	return md_onnx_build_prep(gv->g, gv->prep, gv->n_prep,
							  gv->in.n_features, &gv->in.is_double, b, err);
}

/* X of the estimator: one tensor input, or a Concat of one-column inputs. */
static md_status
read_inputs(graph_view *gv, const md_limits *limits, md_builder *b,
			md_error *err)
{
	const char *x = gv->est->n_input > 0 ? gv->est->input[0] : "";
	ssize_t p = producer(gv->g, x);
	const Onnx__NodeProto *concat = p >= 0 ? gv->g->node[p] : NULL;
	const Onnx__ValueInfoProto *in;
	int32_t cast_to;
	int32_t elem;
	int64_t width;
	int64_t axis;
	md_status st;

	if (concat == NULL || !is_op(concat, "Concat"))
		return read_tensor_input(gv, x, limits, b, err);
	gv->used[p] = true;
	st = md_onnx_int(concat, "axis", 1, &axis, err);
	if (st != MD_OK)
		return st;
	if ((axis != 1 && axis != -1) || concat->n_input == 0 ||
		concat->n_input > limits->max_features)
		return unsupported_op(concat, err);
	gv->names = calloc(concat->n_input, sizeof(char *));
	if (gv->names == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading ONNX");
	gv->in.n_features = (uint32_t) concat->n_input;
	for (size_t k = 0; k < concat->n_input; k++)
	{
		st = trace_column(gv, concat->input[k], false, &in, &cast_to, err);
		if (st == MD_OK)
			st = input_type(in, &elem, &width, err);
		if (st != MD_OK)
			return st;
		if (width != 1)
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "ONNX input \"%s\" concatenated into the features "
						   "is not one column wide",
						   in->name);
		elem = cast_to ? cast_to : elem;
		if (k == 0)
			gv->in.is_double = elem == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
		if (!real_type(elem) ||
			gv->in.is_double != (elem == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE))
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "ONNX input \"%s\" is not cast to the features' "
						   "float type",
						   in->name);
		gv->names[k] = in->name;
	}
	return MD_OK;
}

/* Is tensor 'name' derived from the estimator's outputs? */
static bool
after_estimator(const graph_view *gv, const char *name, int depth)
{
	ssize_t p = producer(gv->g, name);

	if (p < 0 || depth > 64)
		return false;
	if (gv->g->node[p] == gv->est)
		return true;
	for (size_t k = 0; k < gv->g->node[p]->n_input; k++)
		if (after_estimator(gv, gv->g->node[p]->input[k], depth + 1))
			return true;
	return false;
}

/* Mul by an initializer that is a single 1.0 */
static bool
times_one(const graph_view *gv, const Onnx__NodeProto *n)
{
	for (size_t i = 0; n->n_input == 2 && i < gv->g->n_initializer; i++)
	{
		const Onnx__TensorProto *t = gv->g->initializer[i];
		float f;

		if (t->name == NULL || strcmp(t->name, n->input[1]) != 0)
			continue;
		if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
			return false;
		if (t->n_float_data == 1)
			return t->float_data[0] == 1.0f;
		if (!t->has_raw_data || t->raw_data.len != sizeof(f))
			return false;
		memcpy(&f, t->raw_data.data, sizeof(f));
		return f == 1.0f;
	}
	return false;
}

/* Operators that only carry data: around an estimator, nothing else is. */
static bool
carrier_op(const graph_view *gv, const Onnx__NodeProto *n)
{
	return (is_op(n, "ZipMap") && in_ml_domain(n)) ||
		is_op(n, "Identity") || is_op(n, "Cast") || is_op(n, "Reshape") ||
		is_op(n, "ArgMax") || (is_op(n, "Mul") && times_one(gv, n));
}

/* Nodes after the estimator may only pass its outputs on. */
static md_status
check_wrappers(graph_view *gv, md_error *err)
{
	for (size_t i = 0; i < gv->g->n_node; i++)
	{
		const Onnx__NodeProto *n = gv->g->node[i];

		if (gv->used[i] || n == gv->est)
			continue;
		if (!carrier_op(gv, n) || n->n_input == 0 ||
			!after_estimator(gv, n->input[0], 0))
			return unsupported_op(n, err);
	}
	return MD_OK;
}

static bool
is_estimator(const Onnx__NodeProto *n, bool *classifier, bool *linear)
{
	*linear = is_op(n, "LinearRegressor") || is_op(n, "LinearClassifier");
	*classifier = is_op(n, "TreeEnsembleClassifier") ||
		is_op(n, "LinearClassifier");
	return in_ml_domain(n) &&
		(*linear || *classifier || is_op(n, "TreeEnsembleRegressor") ||
		 is_op(n, "TreeEnsemble"));
}

/* The one estimator; any other computing node is refused. */
static md_status
find_estimator(graph_view *gv, md_error *err)
{
	for (size_t i = 0; i < gv->g->n_node; i++)
	{
		const Onnx__NodeProto *n = gv->g->node[i];
		bool v5 = is_op(n, "TreeEnsemble");
		bool classifier;
		bool linear;

		if (!is_estimator(n, &classifier, &linear))
			continue;
		/* opset 5 replaced the two tree ensembles by TreeEnsemble */
		if (!linear && v5 != (gv->ml_version >= 5))
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "ONNX %s does not exist in ai.onnx.ml opset %lld",
						   n->op_type, (long long) gv->ml_version);
		if (gv->est != NULL)
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "the ONNX graph has more than one estimator (%s "
						   "and %s)",
						   gv->est->op_type, n->op_type);
		gv->est = n;
		gv->classifier = classifier;
		gv->linear = linear;
		gv->used[i] = true;
	}
	if (gv->est != NULL)
		return MD_OK;
	for (size_t i = 0; i < gv->g->n_node; i++)
		if (!carrier_op(gv, gv->g->node[i]) &&
			!is_op(gv->g->node[i], "Concat"))
			return unsupported_op(gv->g->node[i], err);
	return md_fail(err, MD_ERR_UNSUPPORTED,
				   "the ONNX graph has no tree ensemble or linear model");
}

/* A Normalizer reading a linear model's scores (at most one) */
static md_status
find_normalizer(graph_view *gv, md_error *err)
{
	size_t scores = gv->classifier ? 1 : 0;

	if (!gv->linear || gv->est->n_output <= scores)
		return MD_OK;
	for (size_t i = 0; i < gv->g->n_node; i++)
	{
		const Onnx__NodeProto *n = gv->g->node[i];

		if (!is_op(n, "Normalizer") || !in_ml_domain(n) || n->n_input != 1 ||
			strcmp(n->input[0], gv->est->output[scores]) != 0)
			continue;
		if (gv->norm != NULL)
			return md_fail(err, MD_ERR_UNSUPPORTED, "the ONNX graph "
													"normalises its scores twice (node \"%s\")",
						   n->name ? n->name : "");
		gv->norm = n;
		gv->used[i] = true;
	}
	return MD_OK;
}

/*
 * ai.onnx.ml opsets 1 to 4 (TreeEnsembleRegressor/Classifier as opsets 1
 * and 3 define them) and 5 (TreeEnsemble).
 */
static md_status
check_opset(const Onnx__ModelProto *m, int64_t *ml_version, md_error *err)
{
	*ml_version = 1;
	for (size_t i = 0; i < m->n_opset_import; i++)
	{
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];

		if (!o->domain || strcmp(o->domain, ML_DOMAIN) != 0)
			continue;
		if (o->version < 1 || o->version > 5)
			return md_fail(err, MD_ERR_UNSUPPORTED,
						   "ONNX opset ai.onnx.ml version %lld: versions 1 "
						   "to 5 are supported",
						   (long long) o->version);
		*ml_version = o->version;
	}
	return MD_OK;
}

/* Class labels as strings: classlabels_strings, or the int64s in decimal */
static md_status
write_labels(const Onnx__NodeProto *n, const char *ints_name, md_builder *b,
			 uint32_t *count, const md_limits *limits, md_error *err)
{
	const int64_t *ints;
	const ProtobufCBinaryData *strs;
	size_t n_ints;
	size_t n_strs;
	size_t total;
	char **labels;
	md_status st;

	st = md_onnx_ints(n, ints_name, &ints, &n_ints, err);
	if (st == MD_OK)
		st = md_onnx_strings(n, "classlabels_strings", &strs, &n_strs, err);
	if (st != MD_OK)
		return st;
	total = n_ints + n_strs;
	if ((n_ints > 0) == (n_strs > 0) || total < 2)
		return md_fail(err, MD_ERR_MODEL,
					   "ONNX %s needs two or more labels in exactly one of "
					   "%s and classlabels_strings",
					   n->op_type, ints_name);
	if (total > limits->max_classes)
		return md_fail_limit(err, "the ONNX classifier has", total, "classes",
							 limits->max_classes, "max_classes");
	if ((labels = calloc(total, sizeof(char *))) == NULL)
		return md_fail(err, MD_ERR_NOMEM, "out of memory reading ONNX");
	for (size_t k = 0; k < total && st == MD_OK; k++)
	{
		size_t len = n_ints ? 24 : strs[k].len + 1;

		if ((labels[k] = malloc(len)) == NULL)
			st = md_fail(err, MD_ERR_NOMEM, "out of memory reading ONNX");
		else if (n_ints)
			snprintf(labels[k], len, "%lld", (long long) ints[k]);
		else if (strs[k].len == 0 ||
				 memchr(strs[k].data, '\0', strs[k].len) != NULL)
			st = md_fail(err, MD_ERR_MODEL, "an ONNX class label is empty "
											"or holds a NUL byte");
		else
		{
			memcpy(labels[k], strs[k].data, strs[k].len);
			labels[k][strs[k].len] = '\0';
		}
	}
	if (st == MD_OK)
		st = md_strtab_write(b, MD_SEC_CLASS_LABELS,
							 (const char *const *) labels, (uint32_t) total,
							 "class label", err);
	for (size_t k = 0; k < total; k++)
		free(labels[k]);
	free(labels);
	*count = (uint32_t) total;
	return st;
}

static md_status
build_estimator(graph_view *gv, uint32_t n_classes, const md_limits *limits,
				md_builder *b, uint32_t *n_outputs, md_error *err)
{
	if (gv->linear)
		return md_onnx_build_linear(gv->est, gv->norm, n_classes,
									gv->in.n_features, limits, b, n_outputs,
									err);
	return md_onnx_build_trees(gv->est, gv->classifier, n_classes, &gv->in,
							   limits, b, n_outputs, err);
}

static md_status
parse_graph(graph_view *gv, const md_limits *limits, md_builder *b,
			md_error *err)
{
	md_meta meta = {MD_FORMAT_ONNX, 0, MD_EST_OTREES, 0, 0, 0, {0, 0}};
	uint32_t n_classes = 0;
	md_status st = find_estimator(gv, err);

	if (st == MD_OK)
		st = find_normalizer(gv, err);
	if (st == MD_OK)
		st = read_inputs(gv, limits, b, err);
	if (st == MD_OK)
		st = check_wrappers(gv, err);
	if (st == MD_OK && gv->classifier)
		st = write_labels(gv->est, gv->linear ? "classlabels_ints" : "classlabels_int64s", b, &n_classes, limits, err);
	if (st == MD_OK)
		st = build_estimator(gv, n_classes, limits, b, &meta.n_outputs, err);
	if (st == MD_OK && gv->names != NULL)
		st = md_strtab_write(b, MD_SEC_FEATURE_NAMES, gv->names,
							 gv->in.n_features, "feature name", err);
	if (st != MD_OK)
		return st;
	meta.estimator = gv->linear ? MD_EST_OLINEAR : MD_EST_OTREES;
	meta.n_features = gv->in.n_features;
	md_builder_begin(b, MD_SEC_META);
	md_builder_put(b, &meta, sizeof(meta));
	md_builder_end(b);
	return MD_OK;
}

md_status
md_parse_onnx(const char *bytes, size_t len, const md_limits *limits,
			  md_builder *b, md_error *err)
{
	md_onnx onnx;
	graph_view gv;
	md_status st = md_onnx_decode(bytes, len, &onnx, err);

	if (st != MD_OK)
		return st;
	memset(&gv, 0, sizeof(gv));
	gv.g = onnx.model->graph;
	if (gv.g == NULL)
		st = md_fail(err, MD_ERR_MODEL, "the ONNX model has no graph");
	if (st == MD_OK)
		st = check_opset(onnx.model, &gv.ml_version, err);
	if (st == MD_OK &&
		(gv.used = calloc(gv.g->n_node ? gv.g->n_node : 1, 1)) == NULL)
		st = md_fail(err, MD_ERR_NOMEM, "out of memory reading ONNX");
	if (st == MD_OK)
		st = parse_graph(&gv, limits, b, err);
	free(gv.used);
	free(gv.names);
	md_onnx_free(&onnx);
	return st;
}
