/*-------------------------------------------------------------------------
 *
 * cli.h
 *	  Declarations shared by the files of the mdscore command.
 *
 * mdscore is built on the public API of libmdscore (mdscore.h) only, like
 * any program of a user's would be.  Built with -DMDSCORE_NO_JSON it reads
 * compiled models only and so needs neither md_compile() nor cJSON: that is
 * the variant an edge device runs (see "make mdscore-edge").
 *
 *-------------------------------------------------------------------------
 */
#ifndef MDSCORE_CLI_H
#define MDSCORE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "mdscore.h"

/* Exit statuses: bad input or model, and a command line we cannot use. */
#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2

#if defined(__GNUC__)
#define cli_printf_like(f, a) __attribute__((format(printf, f, a)))
#else
#define cli_printf_like(f, a)
#endif

/* mdscore.c: messages on stderr, prefixed "mdscore: " */
void cli_error(const char *fmt, ...) cli_printf_like(1, 2);
void cli_hint(const char *fmt, ...) cli_printf_like(1, 2);
void cli_report(const char *what, const md_error *err);

/* modelfile.c: a model file (JSON text or compiled blob), opened */
typedef struct model_file
{
	const char *path;
	size_t file_size;
	bool compiled_here; /* JSON text compiled by this process */
	void *blob;			/* owned; 8-byte aligned */
	size_t blob_size;
	md_model model;
} model_file;

bool model_file_load(model_file *mf, const char *path, md_format format);
void model_file_free(model_file *mf);

/* One subcommand each; argv[0] is the subcommand's name. */
int cmd_predict(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_info(int argc, char **argv);

#endif /* MDSCORE_CLI_H */
