/*-------------------------------------------------------------------------
 *
 * fault.c
 *	  md_check_row() of native models: why one refuses a row, in words that name
 *	  the feature and its value.
 *
 * Scoring only records a refusal (md_fault) and moves on to the next row;
 * the message is written here, on the error path, so the hot path never
 * formats text.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "native.h"

static const char *const encoder_hint =
	"The model's encoder was fitted with handle_unknown='error'; fit it with "
	"handle_unknown='ignore' (one-hot) or 'use_encoded_value' (ordinal) to "
	"score unknown categories.";

/* An encoder met a category it does not know. */
static md_status
unknown_category(const md_model *m, const md_fault *f, const char *name,
				 md_error *err)
{
	const md_prep_op *op = f->op;
	double v = f->value;

	if (isnan(v))
		md_fail(err, MD_ERR_INPUT,
				"feature \"%s\" is missing (NULL or NaN), and its encoder "
				"was fitted without missing values",
				name);
	else if (!(op->flags & MD_OPF_CODES))
		md_fail(err, MD_ERR_INPUT,
				"feature \"%s\": %.17g is not one of the categories its "
				"encoder was fitted with",
				name, v);
	else if (v >= 0 && v < op->n_codes && v == (double) (uint32_t) v)
		md_fail(err, MD_ERR_INPUT,
				"feature \"%s\": category \"%s\" is unknown to the model's "
				"encoder",
				name, md_category_name(m, f->feature, (uint32_t) v));
	else if (v == MD_UNKNOWN_CATEGORY)
		md_fail(err, MD_ERR_INPUT,
				"feature \"%s\" has an unknown category (code -1)", name);
	else
		md_fail(err, MD_ERR_INPUT,
				"feature \"%s\": %.17g is not a category code (the feature "
				"has %u categories, codes 0 to %u)",
				name, v, op->n_codes,
				op->n_codes - 1);
	md_hint(err, "%s", encoder_hint);
	return MD_ERR_INPUT;
}

static md_status
describe(const md_model *m, const md_fault *f, md_error *err)
{
	const char *name = md_feature_name(m, f->feature);

	switch (f->kind)
	{
		case MD_FAULT_INFINITE:
			md_fail(err, MD_ERR_INPUT, "feature \"%s\" is %s", name,
					f->value > 0 ? "infinity" : "-infinity");
			md_hint(err, "Pass a finite number, or NULL for a missing value.");
			return MD_ERR_INPUT;
		case MD_FAULT_UNKNOWN:
			return unknown_category(m, f, name, err);
		case MD_FAULT_MISSING:
			md_fail(err, MD_ERR_INPUT,
					"feature \"%s\" is missing (NULL or NaN), and the model "
					"does not impute it",
					name);
			md_hint(err, "Pass a value, or train the model with an imputer "
						 "for this feature.");
			return MD_ERR_INPUT;
		case MD_FAULT_RANGE:
			md_fail(err, MD_ERR_INPUT,
					"feature \"%s\" is too large for the model (%g after "
					"preprocessing)",
					name, f->value);
			return MD_ERR_INPUT;
		case MD_FAULT_NONE:
			break;
	}
	return MD_OK;
}

md_status
md_native_check_row(const md_model *m, const double *x, void *workspace,
					md_error *err)
{
	md_fault fault = {MD_FAULT_NONE, 0, 0, NULL};

	if (md_native_inputs(m, x, workspace, &fault) != NULL)
		return MD_OK;
	return describe(m, &fault, err);
}
