/*-------------------------------------------------------------------------
 *
 * acl.c
 *	  Per-model scoring rights: may the current role score this model?
 *
 * model_deploy.model_acl holds one row per restricted model: the roles that
 * may score it (grant_model/revoke_model in the install script maintain
 * it).  A model without a row is open to every role that may execute the
 * scoring functions; a model with a row may be scored only by superusers
 * and by roles that have the privileges of one of its roles (membership
 * with INHERIT, as for table privileges).  An empty list means superusers
 * only.
 *
 * The check runs when a call site binds its model (callsite.c), so once
 * per call site and never per row: like a table's permissions, which the
 * executor checks once at the start of a query, a decision holds for the
 * rest of the query.  Decisions are also cached per backend, keyed by model
 * and role, until the registry epoch moves (the ACL table fires the same
 * invalidation trigger as the versions table) or a role or membership
 * changes (syscache callbacks on pg_authid and pg_auth_members).
 *
 *-------------------------------------------------------------------------
 */
#include "md_catalog.h"
#include "md_registry.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

typedef struct AclKey
{
	char name[NAMEDATALEN];
	Oid role;
} AclKey;

/* Cached decisions: (model, role) -> allowed. */
static MdEpochCache decisions;

/* Bumped by every change of a role or a role membership. */
static uint64 auth_epoch = 1;

/*
 * A decision holds while neither the registry nor the roles change: both
 * counters only grow, so their sum moves whenever either does.
 */
static uint64
decision_epoch(void)
{
	return md_registry_epoch + auth_epoch;
}

static void
auth_changed(Datum arg pg_attribute_unused(),
			 int cacheid pg_attribute_unused(),
			 uint32 hashvalue pg_attribute_unused())
{
	auth_epoch++;
}

static void
acl_init(void)
{
	CacheRegisterSyscacheCallback(AUTHOID, auth_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, auth_changed, (Datum) 0);
	md_epoch_cache_init(&decisions, "model_deploy scoring rights",
						sizeof(AclKey), sizeof(bool), decision_epoch);
}

typedef struct AclRequest
{
	Oid role;
	AttrNumber roles_attnum;
	bool restricted;
	bool allowed;
} AclRequest;

/* Visitor: the model's ACL row; is the role, or one it inherits, listed? */
static bool
match_acl(HeapTuple tuple, TupleDesc desc, void *arg)
{
	AclRequest *req = arg;
	bool isnull;
	Datum d = heap_getattr(tuple, req->roles_attnum, desc, &isnull);
	Datum *roles;
	int n;

	req->restricted = true;
	if (isnull)
		return true;
	deconstruct_array(DatumGetArrayTypeP(d), REGROLEOID, sizeof(Oid), true,
					  TYPALIGN_INT, &roles, NULL, &n);
	for (int i = 0; i < n && !req->allowed; i++)
		req->allowed = has_privs_of_role(req->role, DatumGetObjectId(roles[i]));
	return true;
}

/* Read the ACL of 'name' and decide for 'role'. */
static bool
acl_allows(const char *name, Oid role)
{
	AclRequest req = {role, InvalidAttrNumber, false, false};
	Oid relid = md_catalog_relid(MD_ACL_TABLE, false);
	Oid pkey = md_catalog_relid(MD_ACL_PKEY, false);

	req.roles_attnum = get_attnum(relid, "roles");
	if (req.roles_attnum == InvalidAttrNumber)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_COLUMN),
				errmsg("%s.%s has no column \"roles\"", MD_SCHEMA_NAME,
					   MD_ACL_TABLE),
				errhint("Recreate the extension: DROP EXTENSION model_deploy; "
						"CREATE EXTENSION model_deploy."));
	md_catalog_scan(relid, pkey, name, match_acl, &req);
	return !req.restricted || req.allowed;
}

/*
 * Raise ERRCODE_INSUFFICIENT_PRIVILEGE unless the current role may score
 * the model 'name'.
 */
void
md_check_model_access(const char *name)
{
	Oid role = GetUserId();
	AclKey key;
	const bool *cached;
	bool allowed;
	uint64 epoch;

	if (decisions.entries == NULL)
		acl_init();
	memset(&key, 0, sizeof(key));
	strlcpy(key.name, name, sizeof(key.name));
	key.role = role;

	cached = md_epoch_cache_find(&decisions, &key);
	if (cached != NULL)
		allowed = *cached;
	else
	{
		epoch = md_epoch_cache_begin(&decisions);
		allowed = superuser_arg(role) || acl_allows(name, role);
		md_epoch_cache_store(&decisions, &key, epoch, &allowed);
	}
	if (!allowed)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to score model \"%s\"", name),
				errhint("A model administrator can allow it with "
						"model_deploy.grant_model(%s, %s).",
						quote_literal_cstr(name),
						quote_literal_cstr(GetUserNameFromId(role, false))));
}
