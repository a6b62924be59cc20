/*-------------------------------------------------------------------------
 *
 * blob_seeds.c
 *	  Compile model files into blobs that seed the blob fuzzers.
 *
 * Usage: blob_seeds OUTDIR MODEL.json...  writes OUTDIR/<name>.blob for
 * each model that compiles (the others are skipped: some seeds of the
 * compile fuzzer are invalid on purpose).
 *
 *-------------------------------------------------------------------------
 */
#include <libgen.h>

#include "harness.h"

int
main(int argc, char **argv)
{
	int			written = 0;

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s OUTDIR MODEL.json...\n", argv[0]);
		return 2;
	}
	for (int i = 2; i < argc; i++)
	{
		size_t		len = 0,
					blob_len;
		unsigned char *text = fuzz_read_file(argv[i], &len);
		char		out[4096];
		void	   *blob;
		md_error	err;
		FILE	   *f;

		if (text == NULL)
		{
			perror(argv[i]);
			return 1;
		}
		if (md_compile((const char *) text, len, MD_FORMAT_AUTO, NULL, &blob, &blob_len,
					   &err) == MD_OK)
		{
			snprintf(out, sizeof(out), "%s/%s.blob", argv[1], basename(argv[i]));
			f = fopen(out, "wb");
			if (f == NULL || fwrite(blob, 1, blob_len, f) != blob_len ||
				fclose(f) != 0)
			{
				perror(out);
				return 1;
			}
			md_blob_free(blob);
			written++;
		}
		free(text);
	}
	printf("blob_seeds: %d blobs in %s\n", written, argv[1]);
	return written > 0 ? 0 : 1;
}
