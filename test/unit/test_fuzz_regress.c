/*-------------------------------------------------------------------------
 *
 * test_fuzz_regress.c
 *	  Replays the fuzzing regression corpus through the fuzz targets'
 *	  harness, without libFuzzer, on every test run.
 *
 * test/fuzz/regress/KIND/ holds inputs that once crashed a fuzz target
 * (or that probe a known-dangerous shape); KIND is the harness entry point
 * (compile, blob, blob-fixed).  Each input must be handled: compiled or
 * refused with a message as its name says (see outcome_ok), never a crash
 * or a failed invariant (which aborts this program, so the suite fails).
 * Under ASan and UBSan (build/asan/test_fuzz_regress) any memory error is
 * caught as well.
 *
 * Usage: test_fuzz_regress FIXTURE_DIR  (the regression corpus is found at
 * FIXTURE_DIR/../../fuzz/regress, as test/run lays the files out)
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>

#include "tap.h"
#include "../fuzz/harness.h"

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * What an input must come to, by its name: valid_* must be accepted,
 * libFuzzer's artifacts (crash-*, leak-*, timeout-*, oom-*) may go either
 * way once fixed, every other (hand-made) input must be refused.
 */
static bool
outcome_ok(const char *name, md_status st)
{
	static const char *const artifacts[] = {"crash-", "leak-", "timeout-", "oom-"};

	if (strncmp(name, "valid_", 6) == 0)
		return st == MD_OK;
	for (size_t i = 0; i < sizeof(artifacts) / sizeof(artifacts[0]); i++)
		if (strncmp(name, artifacts[i], strlen(artifacts[i])) == 0)
			return true;
	return st != MD_OK;
}

static void
replay_one(const char *kind, const char *dir, const char *name)
{
	char path[4096 + 512];
	unsigned char *data;
	size_t len = 0;
	md_error err;
	md_status st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	data = fuzz_read_file(path, &len);
	if (data == NULL)
	{
		tap_ok(0, "%s/%s cannot be read", kind, name);
		return;
	}
	if (strcmp(kind, "compile") == 0)
		st = fuzz_compile_one(data, len, &err);
	else
		st = fuzz_blob_one(data, len, strcmp(kind, "blob-fixed") == 0, &err);
	/* the harness aborts on a bug; here only the verdict is checked */
	tap_ok(outcome_ok(name, st), "%s/%s (%zu bytes) %s%s", kind, name, len,
		   st == MD_OK ? "accepted" : "refused: ",
		   st == MD_OK ? "" : err.message);
	free(data);
}

/* Replay every file of one kind; returns how many there were. */
static int
replay(const char *root, const char *kind)
{
	char dir[4096];
	struct dirent **names;
	int n;
	int files = 0;

	snprintf(dir, sizeof(dir), "%s/%s", root, kind);
	n = scandir(dir, &names, NULL, by_name);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++)
	{
		if (names[i]->d_name[0] != '.')
		{
			replay_one(kind, dir, names[i]->d_name);
			files++;
		}
		free(names[i]);
	}
	free(names);
	return files;
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = {"compile", "blob", "blob-fixed"};
	char root[2048];

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	snprintf(root, sizeof(root), "%s/../../fuzz/regress", argv[1]);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		tap_ok(replay(root, kinds[k]) > 0, "regression corpus %s/%s present",
			   root, kinds[k]);
	return tap_done();
}
