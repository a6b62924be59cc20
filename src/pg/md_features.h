/*-------------------------------------------------------------------------
 *
 * md_features.h
 *	  Features by name, and scoring into a column: declarations shared by
 *	  the row, jsonb, trigger and batch entry points.
 *
 *	 row / jsonb  --features.c-->  site->features  --target.c-->  column value
 *
 *-------------------------------------------------------------------------
 */
#ifndef MD_FEATURES_H
#define MD_FEATURES_H

#include "md_catalog.h"
#include "md_score.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/jsonb.h"
#include "utils/portal.h"
#include "utils/relcache.h"

/* features.c */

/*
 * How a value of one SQL type becomes a feature value.  Chosen once per
 * feature (column or array element type), applied per row.  The numeric
 * kinds are for numeric features; the text kinds (columns only) are for
 * categorical features, whose text becomes a category code.
 */
typedef enum MdValueKind
{
	MD_VALUE_FLOAT8,
	MD_VALUE_FLOAT4,
	MD_VALUE_NUMERIC,
	MD_VALUE_INT8,
	MD_VALUE_INT4,
	MD_VALUE_INT2,
	MD_VALUE_BOOL,
	MD_VALUE_TEXT,	/* text, character varying */
	MD_VALUE_BPCHAR /* character(n): trailing blanks ignored */
} MdValueKind;

extern bool md_value_kind(Oid type, MdValueKind *kind);
extern double md_value_double(MdValueKind kind, Datum value);

/* Where one model feature comes from in a row. */
typedef struct MdFeatureColumn
{
	int column; /* 0-based index into the row's values */
	MdValueKind kind;
} MdFeatureColumn;

/*
 * A model's features mapped to the columns of one row type: built once per
 * call site and row type, valid for the model version it was built for.
 */
typedef struct MdRowMap
{
	int64 deploy_id; /* the model version it maps */
	int natts;		 /* columns to deform: last feature's + 1 */
	int n_features;
	MdFeatureColumn features[FLEXIBLE_ARRAY_MEMBER];
} MdRowMap;

extern MdRowMap *md_row_map(MdCallSite *site, TupleDesc desc,
							MemoryContext mcxt);
extern void md_read_row(MdCallSite *site, const MdRowMap *map,
						const Datum *values, const bool *isnull);
extern void md_read_jsonb(MdCallSite *site, Jsonb *features);

/* query_rows.c */

#define MD_FEATURES_COLUMN "features"

/* The rows of a caller's query, and where their features are. */
typedef struct MdQueryRows
{
	Portal portal;
	TupleDesc desc;
	const char *what; /* "evaluation", "baseline": for messages */
	const char *model;
	int64 row_number; /* of the row being read, from 1 */
	int features_col; /* the array column, or 0: by name */
	Datum *values;	  /* by name: the row taken, deformed */
	bool *isnull;
	ArrayType *array; /* by array: the row taken's */
} MdQueryRows;

extern Portal md_rows_open(const char *query, const char *what,
						   const char *hint);
extern int md_rows_column(TupleDesc desc, const char *name, const char *what,
						  bool (*accepts)(Oid type), const char *wanted);
extern bool md_is_numeric_type(Oid type);
extern void md_rows_init(MdQueryRows *rows, Portal portal, const char *what,
						 const char *model);
extern void md_rows_scan(MdQueryRows *rows, MdRowVisitor visit, void *arg);
extern void md_rows_take(MdQueryRows *rows, HeapTuple tuple);
extern void md_rows_features(MdQueryRows *rows, MdCallSite *site,
							 MdRowMap **map, const double **x,
							 const float **x32);

/* predict_named.c */
extern void md_read_row_arg(MdCallSite *site, HeapTupleHeader row);
extern Datum md_score_features(MdCallSite *site, md_output kind);

/* predict_text.c */
extern void md_read_text_features(MdCallSite *site, text *features);

/* target.c */

/* What a column that receives scores gets from the model. */
typedef enum MdTargetKind
{
	MD_TARGET_FLOAT8, /* the prediction */
	MD_TARGET_FLOAT4,
	MD_TARGET_NUMERIC,
	MD_TARGET_INT8, /* the class index */
	MD_TARGET_INT4,
	MD_TARGET_INT2,
	MD_TARGET_PROBA, /* float8[] of class probabilities */
	MD_TARGET_TEXT,	 /* the class label */
	MD_TARGET_VARCHAR,
	MD_TARGET_BPCHAR
} MdTargetKind;

/* A table column that receives scores. */
typedef struct MdTarget
{
	AttrNumber attnum;
	MdTargetKind kind;
	Oid type;	   /* the column's type, perhaps a domain */
	Oid base_type; /* the type under any domains */
	int32 base_typmod;
	void *domain_cache; /* for domain_check() */
} MdTarget;

extern MdTargetKind md_target_kind(Oid base_type, const char *column);
extern void md_target_column(Relation rel, const char *column,
							 MdTarget *target);
extern void md_check_target_model(MdCallSite *site, MdTargetKind kind);
extern Datum md_score_target(MdCallSite *site, MdTargetKind kind,
							 int32 typmod);
extern Datum md_score_into_column(MdCallSite *site, MdTarget *target,
								  MemoryContext mcxt);

/* explain.c: a number as a JSON member, for evaluate.c too */
extern void md_append_json_member(StringInfo buf, const char *key,
								  double v);

#endif /* MD_FEATURES_H */
