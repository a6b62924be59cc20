/*-------------------------------------------------------------------------
 *
 * stats_file.c
 *	  The file of the serving statistics kept across a clean restart, as
 *	  pg_stat_statements keeps its own: writing it from the entries it is
 *	  shown, reading it back (and removing it) into a restore callback.
 *
 * The file, pg_stat/model_deploy.stat, is a header (magic number, format
 * version, the sizes of the structures, the number of entries), the
 * entries (a record, a flag, and if set the per-feature summaries and the
 * feature names), and a CRC-32C of all that.  It is written to a temporary
 * file and renamed into place durably.  Reading checks the CRC, the header
 * and every entry before taking any: a file that fails is reported in the
 * log and ignored, and the statistics start empty.  So does a start after
 * a crash: the file was removed when it was read, and the postmaster only
 * writes it on a normal exit.  When that happens is stats_persist.c's
 * decision; this file knows the format, not the shared table.
 *
 *-------------------------------------------------------------------------
 */
#include "md_stats.h"

#include <sys/stat.h>
#include <unistd.h>

#include "pgstat.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#define STATS_FILE PGSTAT_STAT_PERMANENT_DIRECTORY "/model_deploy.stat"
#define STATS_FILE_TMP STATS_FILE ".tmp"
#define STATS_MAGIC 0x4d445354 /* "MDST" */
#define STATS_FORMAT 1

/* Largest file read back (it is read whole). */
#define STATS_MAX_FILE_SIZE ((off_t) MaxAllocHugeSize)

typedef struct StatsFileHeader
{
	uint32 magic;
	uint32 format;
	uint32 record_size;
	uint32 value_size;
	uint32 bins;
	uint32 reserved;
	int64 entries;
} StatsFileHeader;

/* --- writing ------------------------------------------------------------ */

typedef struct Writer
{
	FILE *file;
	pg_crc32c crc;
	int64 entries;
	bool failed;
} Writer;

static void
put(Writer *w, const void *data, Size size)
{
	if (w->failed || size == 0)
		return;
	COMP_CRC32C(w->crc, data, size);
	if (fwrite(data, 1, size, w->file) != size)
		w->failed = true;
}

static void
put_entry(const MdStatsRecord *rec, const MdValueStats *features,
		  const char *names, void *arg)
{
	Writer *w = arg;
	int32 has_features = features != NULL;

	put(w, rec, sizeof(*rec));
	put(w, &has_features, sizeof(has_features));
	if (has_features)
	{
		put(w, features, sizeof(MdValueStats) * rec->n_features);
		put(w, names, rec->names_size);
	}
	w->entries++;
}

static void
count_entry(const MdStatsRecord *rec pg_attribute_unused(),
			const MdValueStats *features pg_attribute_unused(),
			const char *names pg_attribute_unused(), void *arg)
{
	(*(int64 *) arg)++;
}

/* Write the file with the entries 'walk' visits (stats_persist.c). */
void
md_stats_file_save(MdStatsWalker walk)
{
	StatsFileHeader h;
	Writer w;

	memset(&w, 0, sizeof(w));
	memset(&h, 0, sizeof(h));
	h.magic = STATS_MAGIC;
	h.format = STATS_FORMAT;
	h.record_size = sizeof(MdStatsRecord);
	h.value_size = sizeof(MdValueStats);
	h.bins = MD_STATS_BINS;
	walk(count_entry, &h.entries);

	w.file = AllocateFile(STATS_FILE_TMP, PG_BINARY_W);
	if (w.file == NULL)
	{
		ereport(LOG,
				errcode_for_file_access(),
				errmsg("could not write file \"%s\": %m", STATS_FILE_TMP));
		return;
	}
	INIT_CRC32C(w.crc);
	put(&w, &h, sizeof(h));
	walk(put_entry, &w);
	FIN_CRC32C(w.crc);
	if (!w.failed && fwrite(&w.crc, 1, sizeof(w.crc), w.file) != sizeof(w.crc))
		w.failed = true;
	if (FreeFile(w.file) != 0)
		w.failed = true;
	if (w.failed || w.entries != h.entries)
	{
		ereport(LOG,
				errcode_for_file_access(),
				errmsg("could not write file \"%s\"", STATS_FILE_TMP));
		unlink(STATS_FILE_TMP);
		return;
	}
	(void) durable_rename(STATS_FILE_TMP, STATS_FILE, LOG);
}

/* --- reading ------------------------------------------------------------ */

typedef struct Reader
{
	const char *p;
	const char *end;
} Reader;

static const void *
take(Reader *r, Size size)
{
	const char *at = r->p;

	if (size > (Size) (r->end - r->p))
		return NULL;
	r->p += size;
	return at;
}

/* Exactly n NUL-terminated names fill 'size' bytes. */
static bool
names_ok(const char *names, Size size, int32 n)
{
	int32 count = 0;

	if (size == 0 || names[size - 1] != '\0')
		return n == 0 && size == 0;
	for (Size i = 0; i < size; i++)
		count += names[i] == '\0';
	return count == n;
}

static bool
record_ok(const MdStatsRecord *rec)
{
	return rec->key.pad == 0 && rec->name[NAMEDATALEN - 1] == '\0' &&
		rec->name[0] != '\0' && rec->version > 0 && rec->n_features >= 0 &&
		rec->names_size >= 0 && rec->n_prediction_edges >= 0 &&
		rec->n_prediction_edges <= MD_STATS_EDGES && rec->baseline_id >= 0;
}

/*
 * Walk the entries after the header; with 'restore', add them to shared
 * memory.  Returns NULL, or what is wrong with the file.
 */
static const char *
walk_entries(Reader r, int64 entries, MdStatsRestorer restore,
			 int64 *dropped)
{
	for (int64 i = 0; i < entries; i++)
	{
		const MdStatsRecord *rec = take(&r, sizeof(MdStatsRecord));
		const int32 *has_features;
		const MdValueStats *features = NULL;
		const char *names = NULL;

		if (rec == NULL || !record_ok(rec))
			return "an invalid entry";
		has_features = take(&r, sizeof(int32));
		if (has_features == NULL || (*has_features != 0 && *has_features != 1))
			return "an invalid entry";
		if (*has_features)
		{
			if ((Size) rec->n_features > (Size) (r.end - r.p) / sizeof(MdValueStats))
				return "a truncated entry";
			features = take(&r, sizeof(MdValueStats) * rec->n_features);
			names = take(&r, rec->names_size);
			if (features == NULL || names == NULL ||
				!names_ok(names, rec->names_size, rec->n_features))
				return "an invalid entry";
		}
		if (restore != NULL && !restore(rec, features, names))
			(*dropped)++;
	}
	return r.p == r.end ? NULL : "trailing bytes";
}

/* What is wrong with the file's bytes, or NULL; restores if nothing is. */
static const char *
restore_from(const char *data, Size size, MdStatsRestorer restore,
			 int64 *restored, int64 *dropped)
{
	StatsFileHeader h;
	pg_crc32c crc;
	pg_crc32c stored;
	Reader r;
	const char *problem;

	if (size < sizeof(h) + sizeof(crc))
		return "it is truncated";
	memcpy(&stored, data + size - sizeof(crc), sizeof(crc));
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, data, size - sizeof(crc));
	FIN_CRC32C(crc);
	memcpy(&h, data, sizeof(h));
	if (h.magic != STATS_MAGIC)
		return "it is not a model_deploy statistics file";
	if (h.format != STATS_FORMAT || h.record_size != sizeof(MdStatsRecord) ||
		h.value_size != sizeof(MdValueStats) || h.bins != MD_STATS_BINS)
		return "it was written by another version of model_deploy";
	if (!EQ_CRC32C(crc, stored))
		return "its checksum does not match";
	if (h.entries < 0)
		return "an invalid header";

	r.p = data + sizeof(h);
	r.end = data + size - sizeof(crc);
	/* every entry is checked before any is taken */
	problem = walk_entries(r, h.entries, NULL, dropped);
	if (problem != NULL)
		return problem;
	(void) walk_entries(r, h.entries, restore, dropped);
	*restored = h.entries - *dropped;
	return NULL;
}

/*
 * In the postmaster, at start: give each entry of the last clean shutdown
 * to 'restore', then remove the file so that a crash cannot bring it back.
 */
void
md_stats_file_load(MdStatsRestorer restore)
{
	FILE *file;
	struct stat st;
	char *data;
	const char *problem = NULL;
	int64 restored = 0;
	int64 dropped = 0;

	file = AllocateFile(STATS_FILE, PG_BINARY_R);
	if (file == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					errcode_for_file_access(),
					errmsg("could not read file \"%s\": %m", STATS_FILE));
		return;
	}
	if (fstat(fileno(file), &st) != 0 || st.st_size > STATS_MAX_FILE_SIZE)
		problem = "it cannot be read whole";
	else
	{
		data = palloc_extended(Max(st.st_size, 1),
							   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (data == NULL)
			problem = "it does not fit in memory";
		else if (fread(data, 1, st.st_size, file) != (size_t) st.st_size)
			problem = "it could not be read";
		else
			problem = restore_from(data, st.st_size, restore, &restored,
								   &dropped);
		if (data != NULL)
			pfree(data);
	}
	FreeFile(file);
	unlink(STATS_FILE);

	if (problem != NULL)
		ereport(LOG,
				errmsg("model_deploy: ignoring the saved serving statistics "
					   "in \"%s\": %s",
					   STATS_FILE, problem));
	else if (dropped > 0)
		ereport(LOG,
				errmsg("model_deploy: restored the serving statistics of %lld "
					   "model versions; %lld more did not fit in "
					   "model_deploy.stats_max",
					   (long long) restored, (long long) dropped));
}
