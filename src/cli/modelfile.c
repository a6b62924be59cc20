/*-------------------------------------------------------------------------
 *
 * modelfile.c
 *	  Loading a model file for mdscore: model text (JSON, or LightGBM's
 *	  text model), compiled on the spot, or a compiled blob (from "mdscore
 *	  compile" or export_compiled()).
 *
 * The two are told apart by content, not by name: model JSON is an object,
 * so its first non-blank byte is '{', a LightGBM model's first line is
 * "tree", and a blob starts with its magic number.  Anything else is handed to md_open(), whose refusal explains
 * what a compiled model should look like.  A blob read from a file is
 * untrusted and is opened with full validation.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * Read a whole file into malloc'd memory: malloc's alignment suits a blob
 * (md_open wants 8 bytes).  Grows as it reads, so pipes work too.
 */
static bool
read_whole_file(const char *path, void **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0,
		   n = 0;
	bool ok = true;

	if (f == NULL)
	{
		cli_error("could not open model file \"%s\": %s", path,
				  strerror(errno));
		return false;
	}
	while (ok)
	{
		size_t got;

		if (n == cap)
		{
			unsigned char *p = realloc(buf, cap ? cap * 2 : 65536);

			if (p == NULL)
			{
				cli_error("out of memory reading \"%s\"", path);
				ok = false;
				break;
			}
			buf = p;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ok && ferror(f))
	{
		cli_error("could not read model file \"%s\": %s", path,
				  strerror(errno));
		ok = false;
	}
	fclose(f);
	if (!ok)
	{
		free(buf);
		return false;
	}
	*data = buf;
	*len = n;
	return true;
}

/*
 * Model JSON (an object), LightGBM's text model (first line "tree"), or an
 * ONNX model (protobuf whose first field is ModelProto.ir_version, tag
 * byte 0x08; a compiled blob starts with "mdscore").
 */
static bool
is_model_text(const unsigned char *p, size_t len)
{
	size_t i = 0;

	if (len >= 1 && p[0] == 0x08)
		return true;
	if ((len >= 5 && memcmp(p, "tree\n", 5) == 0) ||
		(len >= 6 && memcmp(p, "tree\r\n", 6) == 0))
		return true;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i < len && p[i] == '{';
}

#ifndef MDSCORE_NO_JSON
static bool
compile_text(model_file *mf, const char *text, size_t len, md_format format)
{
	md_error err;

	if (md_compile(text, len, format, NULL, &mf->blob, &mf->blob_size,
				   &err) != MD_OK)
	{
		cli_report(mf->path, &err);
		return false;
	}
	mf->compiled_here = true;
	/* md_compile() validated it already */
	md_open(&mf->model, mf->blob, mf->blob_size, MD_OPEN_TRUSTED, &err);
	return true;
}
#else
static bool
compile_text(model_file *mf, const char *text, size_t len, md_format format)
{
	cli_error("%s: this mdscore reads compiled models only (it was built "
			  "without the JSON compiler)",
			  mf->path);
	cli_hint("Compile the model where mdscore has the compiler (\"mdscore "
			 "compile MODEL.json -o MODEL.mdb\"), or export it from the "
			 "database with model_deploy.export_compiled().");
	return false;
}
#endif

bool
model_file_load(model_file *mf, const char *path, md_format format)
{
	void *data;
	size_t len;
	md_error err;
	bool ok;

	memset(mf, 0, sizeof(*mf));
	mf->path = path;
	if (!read_whole_file(path, &data, &len))
		return false;
	mf->file_size = len;
	if (is_model_text(data, len))
	{
		ok = compile_text(mf, data, len, format);
		free(data);
		return ok;
	}
	if (md_open(&mf->model, data, len, MD_OPEN_VALIDATE, &err) != MD_OK)
	{
		cli_report(path, &err);
		free(data);
		return false;
	}
	mf->blob = data;
	mf->blob_size = len;
	return true;
}

void
model_file_free(model_file *mf)
{
#ifndef MDSCORE_NO_JSON
	if (mf->compiled_here)
	{
		md_blob_free(mf->blob);
		mf->blob = NULL;
	}
#endif
	free(mf->blob);
	mf->blob = NULL;
}
