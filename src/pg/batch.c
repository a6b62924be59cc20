/*-------------------------------------------------------------------------
 *
 * batch.c
 *	  C helpers of the batch job model_deploy.score_table(), a PL/pgSQL
 *	  procedure of the install script: its preconditions, checked before
 *	  any work is done, and the scorer its chunked UPDATEs call.
 *
 *-------------------------------------------------------------------------
 */
#include "md_features.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(md_score_table_check);
PG_FUNCTION_INFO_V1(md_score_into);

/* score_table() commits after every chunk: only a top-level CALL can. */
static void
require_nonatomic(void)
{
	/* the current SPI connection is score_table()'s own */
	if (!SPI_inside_nonatomic_context())
		ereport(ERROR,
				errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				errmsg("model_deploy.score_table() cannot run inside a "
					   "transaction block"),
				errdetail("It commits after every chunk of rows."),
				errhint("Run CALL model_deploy.score_table(...) as a "
						"statement of its own: not inside BEGIN ... COMMIT, "
						"a function, or a multi-statement query string."));
}

static Relation
open_table(Oid relid)
{
	Relation rel = try_relation_open(relid, AccessShareLock);

	if (rel == NULL)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_TABLE),
				errmsg("relation with OID %u does not exist", relid));
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is a partitioned table",
					   RelationGetRelationName(rel)),
				errhint("Score each partition: CALL model_deploy.score_table() "
						"once per row of pg_partition_tree('%s') that is a "
						"leaf.",
						RelationGetRelationName(rel)));
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("\"%s\" is not a table", RelationGetRelationName(rel)),
				errhint("model_deploy.score_table() updates the rows of a "
						"table in place."));
	return rel;
}

/*
 * _score_table_check(relation, model, target): everything score_table()
 * needs, checked before it counts the rows of a perhaps huge table.
 * Returns the model's active version, which the whole job scores with.
 */
Datum
md_score_table_check(PG_FUNCTION_ARGS)
{
	Relation rel;
	MdTarget target;
	AclResult acl;
	MdCallSite *site;

	require_nonatomic();
	rel = open_table(PG_GETARG_OID(0));
	md_target_column(rel, text_to_cstring(PG_GETARG_TEXT_PP(2)), &target);
	/* the table's privilege, or else the column's */
	acl = pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_UPDATE);
	if (acl != ACLCHECK_OK)
		acl = pg_attribute_aclcheck(RelationGetRelid(rel), target.attnum,
									GetUserId(), ACL_UPDATE);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(rel));

	/* a check, not a serving call: the statistics do not count it */
	site = md_callsite_in(&fcinfo->flinfo->fn_extra, fcinfo->flinfo->fn_mcxt,
						  PG_GETARG_TEXT_PP(1), 0);
	md_row_map(site, RelationGetDescr(rel), CurrentMemoryContext);
	md_check_target_model(site, target.kind);
	relation_close(rel, NoLock);
	PG_RETURN_INT32(site->loaded->version);
}

/*
 * _score_into(model, version, row, target): the score of a row by that
 * version of the model, as a value of the target column's type (the type
 * of 'target', which is only read for it).
 */
Datum
md_score_into(PG_FUNCTION_ARGS)
{
	MdCallSite *site;
	Oid type;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	site = md_callsite(fcinfo, PG_GETARG_TEXT_PP(0), PG_GETARG_INT32(1));
	type = get_fn_expr_rettype(fcinfo->flinfo);
	md_read_row_arg(site, PG_GETARG_HEAPTUPLEHEADER(2));
	PG_RETURN_DATUM(md_score_target(site, md_target_kind(type, "target"), -1));
}
