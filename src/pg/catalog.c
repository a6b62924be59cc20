/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The extension's own tables, read directly: finding one in the
 *	  model_deploy schema, scanning the rows of one model by its index or
 *	  fetching one row by a unique key, and reading a column by name.
 *
 * The registry, the ACLs and the baselines are read without SPI and
 * without permission checks: scoring is open to roles that may not read
 * model sources.  Their columns are looked up by name, since upgrade
 * scripts may add columns and so their numbers are not fixed.
 *
 *-------------------------------------------------------------------------
 */
#include "md_catalog.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* Every table scanned by name has the model name as its column 1. */
#define Anum_name 1

/*
 * The OID of the extension's relation 'relname' (a table or an index);
 * InvalidOid if it is missing and 'missing_ok', else an ERROR: the
 * extension is not installed in this database, or was damaged.
 */
Oid
md_catalog_relid(const char *relname, bool missing_ok)
{
	Oid nsp = get_namespace_oid(MD_SCHEMA_NAME, true);
	Oid relid = InvalidOid;

	if (OidIsValid(nsp))
		relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("relation %s.%s of extension model_deploy does not "
					   "exist",
					   MD_SCHEMA_NAME, relname),
				errhint("Run CREATE EXTENSION model_deploy in this database; "
						"if it is installed, recreate it with DROP EXTENSION "
						"model_deploy; CREATE EXTENSION model_deploy."));
	return relid;
}

/*
 * Call 'visit' on each row of the relation 'relid' that index 'indexid'
 * finds for 'key', until it returns true; returns whether one did.  No
 * permission checks.
 *
 * The snapshot is taken after pending invalidations were accepted (taking
 * the lock accepts them), as catalog lookups do; inside a parallel
 * operation no new snapshot may be taken, and the active one is used.
 */
static bool
scan_index(Oid relid, Oid indexid, ScanKey key, MdRowVisitor visit, void *arg)
{
	Relation rel;
	SysScanDesc scan;
	Snapshot snapshot;
	HeapTuple tuple;
	bool done = false;

	/* taking the lock also accepts pending invalidations */
	rel = table_open(relid, AccessShareLock);
	snapshot = RegisterSnapshot(IsInParallelMode() ? GetActiveSnapshot()
												   : GetLatestSnapshot());
	scan = systable_beginscan(rel, indexid, true, snapshot, 1, key);
	while (!done && HeapTupleIsValid(tuple = systable_getnext(scan)))
		done = visit(tuple, RelationGetDescr(rel), arg);
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return done;
}

/*
 * Scan the rows of one of the extension's tables whose first column, the
 * leading key of index 'indexid', equals 'name', as scan_index().
 */
bool
md_catalog_scan(Oid relid, Oid indexid, const char *name,
				MdRowVisitor visit, void *arg)
{
	ScanKeyData key;

	/* the name column is COLLATE "C", as ScanKeyInit assumes */
	ScanKeyInit(&key, Anum_name, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	return scan_index(relid, indexid, &key, visit, arg);
}

/*
 * The row of one of the extension's tables whose bigint column 'colname',
 * the key of the unique index 'indexid', equals 'value': 'visit' is called
 * on it, if there is one, as scan_index().
 */
bool
md_catalog_fetch(Oid relid, Oid indexid, const char *colname, int64 value,
				 MdRowVisitor visit, void *arg)
{
	AttrNumber attnum = get_attnum(relid, colname);
	ScanKeyData key;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("%s.%s has no column \"%s\"", MD_SCHEMA_NAME,
					   get_rel_name(relid), colname),
				errhint("Recreate the extension: DROP EXTENSION model_deploy; "
						"CREATE EXTENSION model_deploy."));
	ScanKeyInit(&key, attnum, BTEqualStrategyNumber, F_INT8EQ,
				Int64GetDatum(value));
	return scan_index(relid, indexid, &key, visit, arg);
}

/*
 * A column's value by name, or false if it is NULL or the table has no
 * such column.  (A dozen names compared per row.)
 */
bool
md_column_if_any(HeapTuple tuple, TupleDesc desc, const char *colname,
				 Datum *value)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool isnull;

		if (att->attisdropped || strcmp(NameStr(att->attname), colname) != 0)
			continue;
		*value = heap_getattr(tuple, i + 1, desc, &isnull);
		return !isnull;
	}
	return false;
}

/* A column that must have a value in every row of the table 'relname'. */
Datum
md_column(HeapTuple tuple, TupleDesc desc, const char *relname,
		  const char *colname)
{
	Datum d;

	if (md_column_if_any(tuple, desc, colname, &d))
		return d;
	ereport(ERROR,
			errcode(ERRCODE_DATA_CORRUPTED),
			errmsg("%s.%s has no value in column \"%s\"", MD_SCHEMA_NAME,
				   relname, colname));
	return (Datum) 0;
}
