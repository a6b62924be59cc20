/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Which version of a model should score: reading the registry table,
 *	  and a per-backend cache of the answers kept fresh by invalidation.
 *
 * The registry (model_deploy.model_version) is an ordinary table.  Every
 * statement that changes it fires a trigger that queues a relcache
 * invalidation of the table; PostgreSQL delivers it to every backend, and
 * to hot standbys through the WAL, when (and only if) the transaction
 * commits, and to the changing backend itself at its next command.  Our
 * callback then bumps md_registry_epoch, and cached resolutions made under
 * an older epoch are looked up again.
 *
 * Lookups read the table with a fresh snapshot taken after pending
 * invalidations were accepted (md_catalog_scan).  Since a committing
 * transaction becomes visible before it sends its invalidations, such a
 * snapshot sees every change whose invalidation we have processed, so an
 * answer cached under the current epoch cannot be older than the epoch.
 * (Inside a parallel operation no new snapshot may be taken; we use the
 * active one and do not cache the answer beyond the statement.)
 *
 * The table is read directly (catalog.c), without SPI and without
 * permission checks: scoring is open to roles that may not read model
 * sources.
 *
 *-------------------------------------------------------------------------
 */
#include "md_catalog.h"
#include "md_registry.h"

#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/inval.h"

uint64 md_registry_epoch = 1;

/* OIDs of the registry table and the indexes we read it by. */
typedef struct RegistryRelids
{
	Oid relid;
	Oid pkey;		  /* (name, version) */
	Oid by_deploy_id; /* deploy_id */
} RegistryRelids;

/* looked up lazily, reset by any invalidation of the table */
static RegistryRelids registry_relids;

/* Cached resolutions: (name, version or 0 for active) -> version. */
typedef struct ResolutionKey
{
	char name[NAMEDATALEN];
	int32 version;
} ResolutionKey;

typedef struct Resolution
{
	bool found;
	MdVersionRef ref;
} Resolution;

static MdEpochCache resolutions;

static uint64
resolution_epoch(void)
{
	return md_registry_epoch;
}

static void
registry_invalidated(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == registry_relids.relid)
	{
		md_registry_epoch++;
		/* the extension may have been dropped and created again */
		memset(&registry_relids, 0, sizeof(registry_relids));
	}
}

void
md_registry_init(void)
{
	CacheRegisterRelcacheCallback(registry_invalidated, (Datum) 0);
	md_epoch_cache_init(&resolutions, "model_deploy resolutions",
						sizeof(ResolutionKey), sizeof(Resolution),
						resolution_epoch);
}

/* Refuse names the registry could never hold, before looking anything up */
void
md_check_model_name(const char *name, int len)
{
	if (len < 1 || len > MD_MAX_NAME_LEN)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_NAME),
				errmsg("model name must be 1 to %d bytes long, not %d",
					   MD_MAX_NAME_LEN, len));
	if (memchr(name, '\0', len) != NULL)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_NAME),
				errmsg("model name contains a NUL byte"));
}

/*
 * OIDs of the registry table and its indexes.  Returned by value: the
 * cached copy is reset by invalidations, which may arrive while we use
 * it (any lock acquisition accepts them).
 */
static RegistryRelids
lookup_registry_relids(void)
{
	RegistryRelids r;

	if (OidIsValid(registry_relids.by_deploy_id))
		return registry_relids;
	r.relid = md_catalog_relid(MD_REGISTRY_TABLE, false);
	r.pkey = md_catalog_relid(MD_REGISTRY_PKEY, false);
	r.by_deploy_id = md_catalog_relid(MD_REGISTRY_DEPLOY_ID_KEY, false);
	registry_relids = r;
	return r;
}

/* The registry table, for plans that depend on it (citus_pin.c). */
Oid
md_registry_relid(void)
{
	return lookup_registry_relids().relid;
}

/* The versions of 'name', all of them, in version order. */
static bool
scan_versions(const char *name, MdRowVisitor visit, void *arg)
{
	RegistryRelids r = lookup_registry_relids();

	return md_catalog_scan(r.relid, r.pkey, name, visit, arg);
}

/* The version whose deploy_id is 'deploy_id', if it is still there. */
static bool
fetch_version(int64 deploy_id, MdRowVisitor visit, void *arg)
{
	RegistryRelids r = lookup_registry_relids();

	return md_catalog_fetch(r.relid, r.by_deploy_id, "deploy_id", deploy_id,
							visit, arg);
}

/* A registry column that has a value in every row. */
static Datum
column(HeapTuple tuple, TupleDesc desc, const char *colname)
{
	return md_column(tuple, desc, MD_REGISTRY_TABLE, colname);
}

/* Visitor: does this row match the wanted version (0: the active one)? */
static bool
match_version(HeapTuple tuple, TupleDesc desc, void *arg)
{
	MdVersionRef *ref = arg;
	int32 version = DatumGetInt32(column(tuple, desc, "version"));

	if (ref->version == 0 ? !DatumGetBool(column(tuple, desc, "active"))
						  : version != ref->version)
		return false;
	ref->version = version;
	ref->deploy_id = DatumGetInt64(column(tuple, desc, "deploy_id"));
	return true;
}

/* Raise "model does not exist" (whole_model) or "version does not exist". */
static void
report_missing(const char *name, int32 version, bool whole_model)
{
	if (whole_model)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("model \"%s\" does not exist", name),
				errhint("Deploy it with model_deploy.deploy(), or see "
						"model_deploy.models for the deployed models."));
	ereport(ERROR,
			errcode(ERRCODE_UNDEFINED_OBJECT),
			errmsg("version %d of model \"%s\" does not exist", version, name),
			errhint("See model_deploy.versions for the versions that exist."));
}

/*
 * _missing(name text, version integer): raise the error of md_resolve() for
 * a model (version NULL) or a version that does not exist, so that the SQL
 * functions of the install script report it in the same words.
 */
PG_FUNCTION_INFO_V1(md_registry_missing);
Datum
md_registry_missing(PG_FUNCTION_ARGS)
{
	report_missing(text_to_cstring(PG_GETARG_TEXT_PP(0)),
				   PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1), PG_ARGISNULL(1));
	PG_RETURN_VOID();
}

/*
 * Resolve a model name and version (0: the active version) to the version
 * that scores, or raise ERRCODE_UNDEFINED_OBJECT.
 */
void
md_resolve(const char *name, int32 version, MdVersionRef *ref)
{
	ResolutionKey key;
	const Resolution *cached;
	Resolution r;
	uint64 epoch;

	memset(&key, 0, sizeof(key));
	strlcpy(key.name, name, sizeof(key.name));
	key.version = version;

	cached = md_epoch_cache_find(&resolutions, &key);
	if (cached != NULL)
	{
		if (!cached->found)
			report_missing(name, version, version == 0);
		*ref = cached->ref;
		return;
	}

	memset(ref, 0, sizeof(*ref));
	strlcpy(ref->name, name, sizeof(ref->name));
	ref->version = version;
	epoch = md_epoch_cache_begin(&resolutions);
	r.found = scan_versions(name, match_version, ref);
	r.ref = *ref;
	md_epoch_cache_store(&resolutions, &key, epoch, &r);
	if (!r.found)
		report_missing(name, version, version == 0);
}

/* Visitor: collect every version number into a List of int. */
static bool
collect_version(HeapTuple tuple, TupleDesc desc, void *arg)
{
	List **versions = arg;

	*versions = lappend_int(*versions,
							DatumGetInt32(column(tuple, desc, "version")));
	return false;
}

/* The versions of a model, ascending, or NIL if it has none. */
List *
md_registry_versions(const char *name)
{
	List *versions = NIL;

	scan_versions(name, collect_version, &versions);
	return versions;
}

/*
 * Visitor: copy out the source (text, or the bytes of a binary model: both
 * varlenas) and format of the version.
 */
typedef struct SourceRequest
{
	text *source;
	md_format format;
} SourceRequest;

static bool
copy_source(HeapTuple tuple, TupleDesc desc, void *arg)
{
	SourceRequest *req = arg;
	Datum source;
	char *format;

	/* model bytes (0.2's deploy(name, bytea)) have no source text */
	if (!md_column_if_any(tuple, desc, "source", &source))
		source = column(tuple, desc, "source_binary");
	req->source = (text *) PG_DETOAST_DATUM_COPY(source);
	format = TextDatumGetCString(column(tuple, desc, "format"));
	if (md_format_from_name(format, &req->format) != MD_OK)
		ereport(ERROR,
				errcode(ERRCODE_DATA_CORRUPTED),
				errmsg("model_deploy.model_version has unknown format \"%s\"",
					   format));
	return true;
}

/*
 * The exact source of a resolved version, in the caller's context: read by
 * its deploy_id (unique, never reused), not among the model's versions by
 * name.
 */
text *
md_registry_source(const MdVersionRef *ref, md_format *format)
{
	SourceRequest req = {NULL, MD_FORMAT_AUTO};

	if (!fetch_version(ref->deploy_id, copy_source, &req))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("version %d of model \"%s\" was dropped while in use",
					   ref->version, ref->name));
	*format = req.format;
	return req.source;
}

/*
 * Trigger on the registry tables (the versions and the model ACLs): queue
 * an invalidation of the versions table, whichever table changed, so that
 * every backend bumps its one registry epoch when this transaction commits.
 */
PG_FUNCTION_INFO_V1(md_registry_changed);
Datum
md_registry_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("model_deploy_internal._registry_changed() must be called as a "
					   "trigger"));
	CacheInvalidateRelcacheByRelid(lookup_registry_relids().relid);
	return PointerGetDatum(NULL);
}
