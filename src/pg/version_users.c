/*-------------------------------------------------------------------------
 *
 * version_users.c
 *	  What depends on one version of a model: the catalog's users of
 *	  predict_pinned() and its siblings.
 *
 * A generated column, a column default, a CHECK constraint or an index
 * expression that calls model_deploy.*_pinned('name', version, ...) stops
 * working (every insert or rebuild fails) once that version is dropped, and
 * PostgreSQL cannot know: the model is data, not a catalog object.  So
 * drop_version() and drop_model() ask here first and refuse with 2BP01,
 * naming the users, as DROP does for catalog objects.
 *
 * Only calls whose model name and version are constants are found; a
 * version computed from a column cannot be attributed to one version, and
 * scoring with a dropped version is an error anyway, never a wrong answer.
 *
 *-------------------------------------------------------------------------
 */
#include "md_pg.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_proc.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(md_version_users);

/* What a walk looks for: a model, and a version or every version (0). */
typedef struct PinnedSearch
{
	Oid schema;
	const char *name;
	int32 version;
} PinnedSearch;

/* Is funcid one of the extension's *_pinned() functions? */
static bool
is_pinned_function(Oid funcid, Oid schema)
{
	HeapTuple tup;
	bool result = false;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
		const char *fname = NameStr(proc->proname);
		size_t len = strlen(fname);

		result = proc->pronamespace == schema &&
			len > 7 && strcmp(fname + len - 7, "_pinned") == 0;
		ReleaseSysCache(tup);
	}
	return result;
}

/* The constant under casts that do not change the value, or NULL. */
static Const *
constant_arg(Node *arg)
{
	while (arg && IsA(arg, RelabelType))
		arg = (Node *) ((RelabelType *) arg)->arg;
	if (arg && IsA(arg, Const) && !((Const *) arg)->constisnull)
		return (Const *) arg;
	return NULL;
}

static bool
calls_pinned_walker(Node *node, PinnedSearch *search)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr))
	{
		FuncExpr *f = (FuncExpr *) node;

		if (list_length(f->args) >= 2 &&
			is_pinned_function(f->funcid, search->schema))
		{
			Const *name = constant_arg(linitial(f->args));
			Const *version = constant_arg(lsecond(f->args));

			if (name && version &&
				name->consttype == TEXTOID && version->consttype == INT4OID &&
				strcmp(TextDatumGetCString(name->constvalue), search->name) == 0 &&
				(search->version == 0 ||
				 DatumGetInt32(version->constvalue) == search->version))
				return true;
		}
	}
	return expression_tree_walker(node, calls_pinned_walker, (void *) search);
}

/* Does the stored expression (nodeToString text) call the version? */
static bool
expression_uses(Datum exprtext, PinnedSearch *search)
{
	Node *expr = stringToNode(TextDatumGetCString(exprtext));

	CHECK_FOR_INTERRUPTS();
	return calls_pinned_walker(expr, search);
}

/*
 * Scan a catalog for rows whose expression column uses the version and
 * append a description of each, made by describe().
 */
static void
scan_catalog(Oid catalog, AttrNumber exprcol, PinnedSearch *search,
			 char *(*describe)(HeapTuple tup), ArrayBuildState *out)
{
	Relation rel = table_open(catalog, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple tup;

	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool isnull;
		Datum expr = heap_getattr(tup, exprcol, RelationGetDescr(rel), &isnull);

		if (!isnull && expression_uses(expr, search))
			accumArrayResult(out, CStringGetTextDatum(describe(tup)), false,
							 TEXTOID, CurrentMemoryContext);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static char *
relation_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

static char *
describe_attrdef(HeapTuple tup)
{
	Form_pg_attrdef def = (Form_pg_attrdef) GETSTRUCT(tup);
	char generated = get_attgenerated(def->adrelid, def->adnum);

	return psprintf("%s %s of table %s",
					generated ? "generated column" : "default of column",
					quote_identifier(get_attname(def->adrelid, def->adnum, false)),
					relation_name(def->adrelid));
}

static char *
describe_index(HeapTuple tup)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);

	return psprintf("index %s", relation_name(idx->indexrelid));
}

static char *
describe_constraint(HeapTuple tup)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

	if (OidIsValid(con->conrelid))
		return psprintf("constraint %s of table %s",
						quote_identifier(NameStr(con->conname)),
						relation_name(con->conrelid));
	return psprintf("constraint %s of domain %s",
					quote_identifier(NameStr(con->conname)),
					format_type_be(con->contypid));
}

/*
 * _version_users(name text, version integer) RETURNS text[]
 *
 * The columns, constraints and indexes that score with this version (every
 * version when version is NULL), described for an error message.
 */
Datum
md_version_users(PG_FUNCTION_ARGS)
{
	PinnedSearch search;
	ArrayBuildState *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	search.schema = get_namespace_oid(MD_SCHEMA_NAME, false);
	search.name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	search.version = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1);

	out = initArrayResult(TEXTOID, CurrentMemoryContext, true);
	scan_catalog(AttrDefaultRelationId, Anum_pg_attrdef_adbin, &search,
				 describe_attrdef, out);
	scan_catalog(ConstraintRelationId, Anum_pg_constraint_conbin, &search,
				 describe_constraint, out);
	scan_catalog(IndexRelationId, Anum_pg_index_indexprs, &search,
				 describe_index, out);
	scan_catalog(IndexRelationId, Anum_pg_index_indpred, &search,
				 describe_index, out);
	PG_RETURN_DATUM(makeArrayResult(out, CurrentMemoryContext));
}
