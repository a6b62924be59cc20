/*-------------------------------------------------------------------------
 *
 * compile.c
 *	  mdscore compile: model JSON in, the compiled blob out, byte for byte
 *	  what model_deploy.export_compiled() returns for the same model.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Write the blob; a partial file is removed, so none is left to load. */
static bool
write_blob(const char *path, const void *blob, size_t len)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "wb");
	bool ok;

	if (f == NULL)
	{
		cli_error("could not create \"%s\": %s", path, strerror(errno));
		return false;
	}
	ok = fwrite(blob, 1, len, f) == len;
	ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
	if (!ok)
	{
		cli_error("could not write \"%s\": %s", path, strerror(errno));
		if (!to_stdout)
			unlink(path);
	}
	return ok;
}

int
cmd_compile(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	const char *output = NULL;
	md_format format = MD_FORMAT_AUTO;
	model_file mf;
	bool ok;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1)
	{
		if (c == 'o')
			output = optarg;
		else if (c == 'f' && md_format_from_name(optarg, &format) != MD_OK)
		{
			cli_error("unknown model format \"%s\"", optarg);
			cli_hint("Use auto, xgboost or native.");
			return EXIT_USAGE;
		}
		else if (c != 'f')
			return EXIT_USAGE;
	}
	if (argc - optind != 1 || output == NULL)
	{
		cli_error("compile takes one model file and -o OUTPUT");
		return EXIT_USAGE;
	}
	if (!model_file_load(&mf, argv[optind], format))
		return EXIT_BAD_INPUT;
	ok = write_blob(output, mf.blob, mf.blob_size);
	model_file_free(&mf);
	return ok ? 0 : EXIT_BAD_INPUT;
}
