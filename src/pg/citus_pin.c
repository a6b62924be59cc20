/*-------------------------------------------------------------------------
 *
 * citus_pin.c
 *	  One version per distributed statement: a Citus coordinator pins the
 *	  active version it resolves into the scoring calls Citus pushes down.
 *
 * The shard queries of a distributed SELECT run on the workers, each under
 * its own snapshot (Citus has no cluster-wide one).  A predict('m', ...)
 * that resolved the active version there would let an activate() that
 * commits while the statement runs split its shards between two versions.
 * So, on the coordinator, a planner hook that runs before Citus's (Citus
 * is preloaded first) rewrites every call of predict(), predict_proba(),
 * predict_raw() and predict_class() whose model name is a constant, in a
 * statement that reads a Citus table, into
 *
 *	  model_deploy_internal._predict_at(name, version, features, deploy_id)
 *
 * (or a sibling) with the version active when the statement is planned.
 * Citus deparses that into the shard queries, and each node scores exactly
 * that version or fails (pinned.c): a dropped version does not exist, and a
 * number reused by a later deploy is an error naming both deploy_ids.  The
 * targets are STABLE, like the calls they replace, so nothing else about
 * the statement changes (Citus still refuses them in distributed UPDATEs
 * with column references, where the IMMUTABLE *_pinned scorers serve).
 *
 * The plan then depends on the registry: the registry table's OID goes
 * into its relationOids, and the relcache invalidation that every registry
 * change sends (registry.c) makes a cached or prepared plan plan again
 * (plancache.c's PlanCacheRelCallback).
 *
 * The hook is installed only when Citus was loaded before us; without
 * Citus nothing here runs.  Whether this database has Citus, whether this
 * node is the coordinator and whether a table is Citus's are Citus's own
 * cached answers (CitusHasBeenLoaded(), IsCoordinator(), IsCitusTable()).
 *
 *-------------------------------------------------------------------------
 */
#include "md_registry.h"

#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

typedef bool (*CitusCheck)(void);
typedef bool (*CitusRelationCheck)(Oid relid);

/* A scoring function whose calls are pinned, and the one they become. */
typedef struct PinnedScorer
{
	Oid scorer; /* e.g. predict(text, float4[]) */
	Oid target; /* _predict_at(text, integer, anyarray, bigint) */
} PinnedScorer;

/* 4 outputs, 9 feature types each (6 arrays, record, jsonb, text) */
#define MAX_SCORERS 64

static const char *const scorer_names[] = {
	"predict", "predict_proba", "predict_raw", "predict_class"};

static planner_hook_type prev_planner_hook = NULL;

static CitusCheck citus_has_been_loaded = NULL;
static CitusCheck citus_is_coordinator = NULL;
static CitusRelationCheck citus_is_table = NULL;

/* The scorers of this database, until pg_proc changes. */
static bool scorers_valid = false;
static int n_scorers = 0;
static PinnedScorer scorers[MAX_SCORERS];

/* One statement's walk: what it reads, its calls, the versions it pinned. */
typedef struct PinWalk
{
	bool reads_citus_table;
	List *calls;   /* FuncExpr * of pinnable calls */
	List *targets; /* their targets' OIDs, in the same order */
	List *pins;	   /* MdVersionRef *, one per model name */
} PinWalk;

static void
scorers_invalidated(Datum arg pg_attribute_unused(),
					int cacheid pg_attribute_unused(),
					uint32 hashvalue pg_attribute_unused())
{
	scorers_valid = false;
}

/*
 * The target taking features of type 'features_type' like 'scorer' does:
 * model_deploy_internal._<scorer>_at(text, integer, <form>, bigint), where
 * <form> is anyarray for every array overload.
 */
static Oid
target_function(Oid internal_nsp, const char *scorer, Oid features_type)
{
	char name[NAMEDATALEN];
	Oid argtypes[4] = {TEXTOID, INT4OID, InvalidOid, INT8OID};

	if (features_type == RECORDOID || features_type == JSONBOID ||
		features_type == TEXTOID)
		argtypes[2] = features_type;
	else if (OidIsValid(get_element_type(features_type)))
		argtypes[2] = ANYARRAYOID;
	else
		return InvalidOid;
	snprintf(name, sizeof(name), "_%s_at", scorer);
	return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						   CStringGetDatum(name),
						   PointerGetDatum(buildoidvector(argtypes, 4)),
						   ObjectIdGetDatum(internal_nsp));
}

/* Every (name text, features) overload of 'scorer' in the extension's schema. */
static void
add_scorers(Oid schema, Oid internal_nsp, const char *scorer)
{
	CatCList *list = SearchSysCacheList1(PROCNAMEARGSNSP,
										 CStringGetDatum(scorer));

	for (int i = 0; i < list->n_members && n_scorers < MAX_SCORERS; i++)
	{
		HeapTuple tuple = &list->members[i]->tuple;
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);
		Oid target;

		if (proc->pronamespace != schema || proc->pronargs != 2 ||
			proc->proargtypes.values[0] != TEXTOID)
			continue;
		target = target_function(internal_nsp, scorer,
								 proc->proargtypes.values[1]);
		if (!OidIsValid(target))
			continue;
		scorers[n_scorers].scorer = proc->oid;
		scorers[n_scorers].target = target;
		n_scorers++;
	}
	ReleaseSysCacheList(list);
}

/* Look up the scorers again after pg_proc changed (or the first time). */
static void
load_scorers(void)
{
	Oid schema = get_namespace_oid(MD_SCHEMA_NAME, true);
	Oid internal_nsp = get_namespace_oid(MD_INTERNAL_SCHEMA_NAME, true);

	n_scorers = 0;
	if (OidIsValid(schema) && OidIsValid(internal_nsp))
	{
		for (int i = 0; i < (int) lengthof(scorer_names); i++)
			add_scorers(schema, internal_nsp, scorer_names[i]);
	}
	scorers_valid = true;
}

/* The target of a call, if it is a pinnable one: a scorer, a constant name. */
static Oid
pinned_target(const FuncExpr *call)
{
	const Const *name;

	for (int i = 0; i < n_scorers; i++)
	{
		if (scorers[i].scorer != call->funcid)
			continue;
		name = linitial(call->args);
		if (!IsA(name, Const) || name->constisnull)
			return InvalidOid;
		return scorers[i].target;
	}
	return InvalidOid;
}

/*
 * Collect the pinnable calls of a statement, and whether it reads a Citus
 * table, in every subquery, CTE and sublink.
 */
static bool
pin_walker(Node *node, PinWalk *walk)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION && !walk->reads_citus_table &&
			citus_is_table(rte->relid))
			walk->reads_citus_table = true;
		return false; /* range_table_walker goes on inside it */
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, pin_walker, walk,
								 QTW_EXAMINE_RTES_BEFORE);
	if (IsA(node, FuncExpr))
	{
		Oid target = pinned_target((FuncExpr *) node);

		if (OidIsValid(target))
		{
			walk->calls = lappend(walk->calls, node);
			walk->targets = lappend_oid(walk->targets, target);
		}
	}
	return expression_tree_walker(node, pin_walker, walk);
}

/*
 * The version of 'name' this statement scores: resolved once per statement,
 * so that every call of the model in it is pinned alike.
 */
static const MdVersionRef *
statement_version(PinWalk *walk, const Const *name_arg)
{
	text *name = DatumGetTextPP(name_arg->constvalue);
	int len = VARSIZE_ANY_EXHDR(name);
	char *cname;
	MdVersionRef *ref;
	ListCell *lc;

	md_check_model_name(VARDATA_ANY(name), len);
	cname = text_to_cstring(name);
	foreach (lc, walk->pins)
	{
		ref = lfirst(lc);
		if (strcmp(ref->name, cname) == 0)
			return ref;
	}
	/* the registry as of now: every change committed before the statement */
	if (walk->pins == NIL)
		AcceptInvalidationMessages();
	ref = palloc(sizeof(MdVersionRef));
	md_resolve(cname, 0, ref);
	walk->pins = lappend(walk->pins, ref);
	return ref;
}

/* predict(name, features) -> _predict_at(name, version, features, deploy_id) */
static void
pin_call(PinWalk *walk, FuncExpr *call, Oid target)
{
	Const *name = linitial(call->args);
	const MdVersionRef *ref = statement_version(walk, name);

	call->funcid = target;
	call->args = list_make4(name,
							makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
									  Int32GetDatum(ref->version), false, true),
							lsecond(call->args),
							makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
									  Int64GetDatum(ref->deploy_id), false,
									  FLOAT8PASSBYVAL));
}

/* Is this a statement of a Citus coordinator whose scorers can be pinned? */
static bool
may_pin(void)
{
	if (citus_has_been_loaded == NULL)
	{
		citus_has_been_loaded = md_citus_function("CitusHasBeenLoaded");
		citus_is_coordinator = md_citus_function("IsCoordinator");
		citus_is_table = md_citus_function("IsCitusTable");
	}
	if (!citus_has_been_loaded() || !citus_is_coordinator())
		return false;
	if (!scorers_valid)
		load_scorers();
	return n_scorers > 0;
}

/* Pin the statement's scoring calls, if it reads a Citus table; any pinned? */
static bool
pin_statement(Query *parse)
{
	PinWalk walk = {0};
	ListCell *call,
		*target;

	pin_walker((Node *) parse, &walk);
	if (!walk.reads_citus_table)
		return false;
	forboth(call, walk.calls, target, walk.targets)
		pin_call(&walk, lfirst(call), lfirst_oid(target));
	return walk.calls != NIL;
}

static PlannedStmt *
pin_planner(Query *parse, const char *query_string, int cursor_options,
			ParamListInfo bound_params)
{
	bool pinned = may_pin() && pin_statement(parse);
	PlannedStmt *stmt;

	if (prev_planner_hook)
		stmt = prev_planner_hook(parse, query_string, cursor_options,
								 bound_params);
	else
		stmt = standard_planner(parse, query_string, cursor_options,
								bound_params);
	/* plan again when the registry changes */
	if (pinned)
		stmt->relationOids = lappend_oid(stmt->relationOids,
										 md_registry_relid());
	return stmt;
}

/* Install the planner hook if Citus is loaded (it defines citus.version). */
void
md_citus_pin_init(void)
{
	if (GetConfigOption("citus.version", true, false) == NULL)
		return;
	CacheRegisterSyscacheCallback(PROCOID, scorers_invalidated, (Datum) 0);
	prev_planner_hook = planner_hook;
	planner_hook = pin_planner;
}
