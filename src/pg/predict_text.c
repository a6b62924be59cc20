/*-------------------------------------------------------------------------
 *
 * predict_text.c
 *	  SQL scoring functions that take the features as text: predict(),
 *	  predict_proba(), predict_raw() and predict_class() of (text, text),
 *	  and md_read_text_features(), which predict_pinned() and explain()
 *	  use too.
 *
 * They exist for untyped parameters.  A driver that lets the server infer
 * the type of $2 in "SELECT model_deploy.predict($1, $2)" (asyncpg, pgx,
 * node-postgres, JDBC's setString) sends an unknown-typed value; of all
 * the overloads, PostgreSQL's resolution then prefers the one whose
 * argument is of the string category, so the text overload is chosen
 * instead of "function is not unique".  The text is read as
 *
 *	 {1.5,2,NULL}        an array literal (as a float8[] would read it), or
 *	 [1.5, 2, null]      a JSON array: the same, one value per feature, or
 *	 {"age": 34, ...}    a JSON object: features by name, as the jsonb
 *						 overload reads them.
 *
 * Arrays are parsed here straight into the call site's feature buffer,
 * without building a float8[]; an object is parsed by jsonb_in.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include <math.h>

#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/float.h"

PG_FUNCTION_INFO_V1(md_predict_text);
PG_FUNCTION_INFO_V1(md_predict_proba_text);
PG_FUNCTION_INFO_V1(md_predict_raw_text);
PG_FUNCTION_INFO_V1(md_predict_class_text);

static const char *
skip_space(const char *p)
{
	while (scanner_isspace(*p))
		p++;
	return p;
}

static void
report_not_features(const MdCallSite *site, const char *what)
{
	ereport(ERROR,
			errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			errmsg("features of model \"%s\" given as text must be an array "
				   "literal or a JSON object: %s",
				   site->name, what),
			errhint("Pass {1.5,2,NULL} or [1.5, 2, null] (one value per "
					"feature, in the model's order) or "
					"{\"feature name\": value, ...}."));
}

/*
 * Whether the text after an opening brace 'p' starts a JSON object: a
 * quoted key followed by a colon.  An array literal's first element may be
 * quoted too ({"1.5","2"}), but is followed by a comma or the brace.
 */
static bool
is_json_object(const char *p)
{
	p = skip_space(p);
	if (*p != '"')
		return false;
	for (p++; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return *p == '"' && *skip_space(p + 1) == ':';
}

/* Whether 'p' is a NULL element (any case, JSON's null too). */
static bool
is_null_element(const char *p, char close)
{
	if (pg_strncasecmp(p, "null", 4) != 0)
		return false;
	p = skip_space(p + 4);
	return *p == ',' || *p == close;
}

/*
 * Read one element at 'p' (unquoted, or in double quotes) into *value;
 * returns the position after it.
 */
static const char *
read_element(const MdCallSite *site, const char *p, char close, int i,
			 double *value)
{
	bool quoted = *p == '"';
	bool bad = false;
	char *end = (char *) p;

	if (!quoted && is_null_element(p, close))
	{
		*value = NAN;
		return p + 4;
	}
	if (*p == '{' || *p == '[')
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("features must be a one-dimensional array"));
	*value = md_float8in_soft((char *) p + quoted, &end, p, &bad);
	if (quoted && !bad && *end == '"')
		end++;
	else if (quoted)
		bad = true;
	if (*skip_space(end) == '\0')
		report_not_features(site, "the array is not closed");
	if (bad || (*skip_space(end) != ',' && *skip_space(end) != close))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				errmsg("feature %d of model \"%s\" is not a number of "
					   "double precision's range: \"%.*s\"",
					   i + 1, site->name, (int) strcspn(p, ",]}"), p),
				errhint("Array elements are numbers or NULL (null in a "
						"JSON array), separated by commas."));
	return end;
}

/*
 * Read an array's elements, from after its opening brace or bracket 'p' up
 * to 'close', into the site's features; an ERROR unless there is exactly
 * one per feature.
 */
static void
read_array(MdCallSite *site, const char *p, char close)
{
	int n_features = (int) site->loaded->info.n_features;
	int n = 0;
	double scratch;

	p = skip_space(p);
	if (*p != close)
		for (;;)
		{
			double *value = n < n_features ? &site->features[n] : &scratch;

			p = skip_space(read_element(site, skip_space(p), close, n, value));
			n++;
			if (*p == close)
				break;
			p++; /* the comma read_element saw */
		}
	if (*skip_space(p + 1) != '\0')
		report_not_features(site, "text follows the end of the array");
	md_check_feature_count(site, n);
}

/* Read features given as text (see the header) into site->features. */
void
md_read_text_features(MdCallSite *site, text *features)
{
	char *s = text_to_cstring(features);
	const char *p = skip_space(s);

	if (*p == '{' && is_json_object(p + 1))
	{
		Datum object = DirectFunctionCall1(jsonb_in, CStringGetDatum(s));

		md_read_jsonb(site, DatumGetJsonbP(object));
	}
	else if (*p == '{')
		read_array(site, p + 1, '}');
	else if (*p == '[')
		read_array(site, p + 1, ']');
	else
		report_not_features(site, *p == '\0' ? "it is empty" : "it starts with neither \"{\" nor \"[\"");
	pfree(s);
}

static Datum
score_text(FunctionCallInfo fcinfo, md_output kind)
{
	MdCallSite *site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), 0);

	md_read_text_features(site, PG_GETARG_TEXT_PP(1));
	return md_score_features(site, kind);
}

Datum
md_predict_text(PG_FUNCTION_ARGS)
{
	return score_text(fcinfo, MD_OUTPUT_PREDICT);
}

Datum
md_predict_proba_text(PG_FUNCTION_ARGS)
{
	return score_text(fcinfo, MD_OUTPUT_PROBA);
}

Datum
md_predict_raw_text(PG_FUNCTION_ARGS)
{
	return score_text(fcinfo, MD_OUTPUT_RAW);
}

Datum
md_predict_class_text(PG_FUNCTION_ARGS)
{
	return score_text(fcinfo, MD_OUTPUT_CLASS);
}
