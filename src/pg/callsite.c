/*-------------------------------------------------------------------------
 *
 * callsite.c
 *	  Per-call-site state of the scoring functions, kept in fn_extra.
 *
 * The first row a call site scores resolves the model and pins its compiled
 * copy; every later row only checks that the model name is the same and
 * that no registry invalidation arrived (two comparisons, no lookups, no
 * allocation).  The pin is released when the memory the call site lives in
 * is reset or deleted, normally at the end of the query, or on error.
 *
 *-------------------------------------------------------------------------
 */
#include "md_score.h"
#include "md_stats.h"

#include "utils/inval.h"
#include "utils/memutils.h"

/*
 * A serving call of the site's model begins: count it, and remember it
 * until its row is scored, so that an error in between counts as a failed
 * call.  Without tracking, the site keeps no statistics.
 */
static inline void
begin_serving_call(MdCallSite *site)
{
	MdStatsPending *p = site->stats;

	if (!md_track_stats || !md_stats_ready)
	{
		site->stats = NULL;
		return;
	}
	if (unlikely(p == NULL || site->stats_generation != md_stats_generation ||
				 p->deploy_id != site->loaded->deploy_id ||
				 p->epoch != md_registry_epoch))
	{
		site->stats = p = md_stats_attach(site->loaded);
		site->stats_generation = md_stats_generation;
	}
	if (unlikely(!p->dirty))
		md_stats_mark_dirty(p);
	p->counters.calls++;
	md_stats_inflight = p;
}

static void
release_pin(void *arg)
{
	MdCallSite *site = arg;

	if (site->loaded != NULL)
		md_store_release(site->loaded);
	site->loaded = NULL;
}

/* Replace 'old' scratch memory with 'size' new bytes of the call site's. */
static void *
scratch(MdCallSite *site, void *old, Size size)
{
	if (old != NULL)
		pfree(old);
	return MemoryContextAlloc(site->mcxt, size);
}

/*
 * (Re)bind a call site to the model its name and version resolve to.  The
 * site changes only once the new model is pinned, so an error (unknown
 * model, say) leaves it as it was.
 */
static void
bind_model(MdCallSite *site, const char *name, int len, int32 version)
{
	char cname[NAMEDATALEN];
	MdVersionRef ref;
	MdLoadedModel *loaded = site->loaded;
	const md_info *info;
	uint64 epoch;

	md_check_model_name(name, len);
	memcpy(cname, name, len);
	cname[len] = '\0';
	md_resolve(cname, version, &ref);
	/* scoring rights: once per binding, never per row */
	md_check_model_access(cname);
	/* as fresh as the resolution; compiling may see later changes */
	epoch = md_registry_epoch;

	if (loaded == NULL || loaded->deploy_id != ref.deploy_id)
	{
		loaded = md_store_acquire(&ref);
		release_pin(site);
		site->loaded = loaded;

		info = &loaded->info;
		site->workspace = scratch(site, site->workspace,
								  md_workspace_size(&loaded->model));
		site->features = scratch(site, site->features,
								 sizeof(double) * info->n_features);
		site->out = scratch(site, site->out, sizeof(double) * Max(info->n_outputs, Max(info->n_classes, 1)));
	}
	memcpy(site->name, cname, len + 1);
	site->name_len = len;
	site->version = version;
	site->epoch = epoch;
}

/*
 * The call site kept in *slot (a function's fn_extra, or any pointer that
 * lives as long as 'mcxt'), bound to the model 'name' (and 'version', or 0
 * for the active one).  The pin goes when 'mcxt' is reset or deleted.
 */
MdCallSite *
md_callsite_in(void **slot, MemoryContext mcxt, text *name, int32 version)
{
	MdCallSite *site = *slot;
	const char *name_data = VARDATA_ANY(name);
	int name_len = VARSIZE_ANY_EXHDR(name);

	if (site == NULL)
	{
		site = MemoryContextAllocZero(mcxt, sizeof(MdCallSite));
		site->mcxt = mcxt;
		site->release.func = release_pin;
		site->release.arg = site;
		MemoryContextRegisterResetCallback(mcxt, &site->release);
		*slot = site;
		/* a new query sees every change committed before it */
		AcceptInvalidationMessages();
	}
	else if (site->epoch == md_registry_epoch && site->version == version &&
			 site->name_len == name_len &&
			 memcmp(site->name, name_data, name_len) == 0)
		return site;

	bind_model(site, name_data, name_len, version);
	return site;
}

/*
 * The call site of this function call, bound to the model 'name' (and
 * 'version', or 0 for the active one), for a serving call: one that counts
 * in the serving statistics (begin_serving_call).  Call sites that score to
 * explain or evaluate use md_callsite_in().
 */
MdCallSite *
md_callsite(FunctionCallInfo fcinfo, text *name, int32 version)
{
	MdCallSite *site = md_callsite_in(&fcinfo->flinfo->fn_extra,
									  fcinfo->flinfo->fn_mcxt, name, version);

	begin_serving_call(site);
	return site;
}
