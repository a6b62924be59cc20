/*-------------------------------------------------------------------------
 *
 * stats_baseline.c
 *	  The bins of a version's baseline, for the serving statistics: reading
 *	  the edges that set_baseline() (baseline.c) kept with the version.
 *
 * A pending entry (stats.c) reads them when it is created and again after
 * every registry change, so that a new baseline brings its new bins.  The
 * table is read directly (catalog.c), like the registry: serving must not
 * depend on the caller's right to read it.
 *
 *-------------------------------------------------------------------------
 */
#include "md_catalog.h"
#include "md_stats.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

/* Reading a version's baseline: what md_catalog_scan's visitor fills. */
typedef struct EdgesRead
{
	MdStatsPending *p;
	MdEdges *features; /* n_features, in the caller's context */
	bool *seen;		   /* positions 0..n_features */
	int64 id;
	const char *problem; /* why the baseline cannot be used */
} EdgesRead;

/* An edges array as MdEdges: 0 to MD_STATS_EDGES increasing numbers. */
static int
read_edges(ArrayType *a, MdEdges *edges)
{
	int n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	const double *v = (const double *) ARR_DATA_PTR(a);

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_HASNULL(a) || ARR_NDIM(a) > 1 ||
		n > MD_STATS_EDGES)
		return -1;
	for (int i = 0; i < n; i++)
	{
		if (isnan(v[i]) || (i > 0 && !(v[i] > v[i - 1])))
			return -1;
		edges->e[i] = v[i];
	}
	for (int i = n; i < MD_STATS_EDGES; i++)
		edges->e[i] = INFINITY;
	return n;
}

/* A column's value, or *isnull if it is NULL or absent. */
static Datum
attribute(HeapTuple tuple, TupleDesc desc, const char *colname, bool *isnull)
{
	Datum value = (Datum) 0;

	*isnull = !md_column_if_any(tuple, desc, colname, &value);
	return value;
}

static bool
visit_edges(HeapTuple tuple, TupleDesc desc, void *arg)
{
	EdgesRead *r = arg;
	bool n1,
		n2,
		n3,
		n4;
	int32 version = DatumGetInt32(attribute(tuple, desc, "version", &n1));
	int32 position = DatumGetInt32(attribute(tuple, desc, "position", &n2));
	int64 id = DatumGetInt64(attribute(tuple, desc, "baseline_id", &n3));
	Datum edges = attribute(tuple, desc, "edges", &n4);
	MdEdges e;
	int n;

	if (n1 || version != r->p->version)
		return false;
	if (n2 || n3 || n4 || position < 0 || position > r->p->n_features ||
		r->seen[position] || (r->id != 0 && id != r->id))
	{
		r->problem = "its rows do not match the model";
		return true;
	}
	n = read_edges(DatumGetArrayTypeP(edges), &e);
	if (n < 0)
	{
		r->problem = "its edges are not increasing numbers";
		return true;
	}
	r->id = id;
	r->seen[position] = true;
	if (position == MD_STATS_PREDICTION)
	{
		r->p->n_prediction_edges = n;
		r->p->prediction_edges = e;
	}
	else
		r->features[position - 1] = e;
	return false;
}

/*
 * Read the baseline of the pending entry's version, if it has one: set
 * its feature edges (allocated in 'mcxt') and prediction edges, and return
 * the baseline's id; 0 if it has none (nothing is changed then).  A
 * baseline that does not fit the model is reported and ignored: it must
 * never stop a model from serving.
 */
int64
md_baseline_edges(MdStatsPending *p, MemoryContext mcxt)
{
	Oid relid = md_catalog_relid(MD_BASELINE_FEATURES_TABLE, true);
	Oid pkey = md_catalog_relid(MD_BASELINE_FEATURES_PKEY, true);
	EdgesRead r;
	MdStatsPending copy = *p;

	if (!OidIsValid(relid) || !OidIsValid(pkey))
		return 0;
	memset(&r, 0, sizeof(r));
	r.p = &copy;
	r.features = MemoryContextAlloc(mcxt, sizeof(MdEdges) * Max(p->n_features, 1));
	r.seen = palloc0(sizeof(bool) * (p->n_features + 1));
	md_catalog_scan(relid, pkey, p->name, visit_edges, &r);
	for (int i = 0; r.problem == NULL && r.id != 0 && i <= p->n_features; i++)
		if (!r.seen[i])
			r.problem = "it lacks features of the model";
	pfree(r.seen);
	if (r.problem != NULL)
		ereport(WARNING,
				errmsg("ignoring the baseline of version %d of model \"%s\": "
					   "%s",
					   p->version, p->name, r.problem),
				errhint("Set it again with model_deploy.set_baseline()."));
	if (r.problem != NULL || r.id == 0)
	{
		pfree(r.features);
		return 0;
	}
	p->feature_edges = r.features;
	p->n_prediction_edges = copy.n_prediction_edges;
	p->prediction_edges = copy.prediction_edges;
	return r.id;
}
