/*-------------------------------------------------------------------------
 *
 * mdscore.c
 *	  The mdscore command: scoring CSV with a model on a machine without a
 *	  database, with the same core and the same results as model_deploy.
 *
 *	  mdscore predict [--proba | --raw | --class] [--keep] [--header] MODEL
 *					  [INPUT.csv]
 *	  mdscore compile [--format F] MODEL.json -o MODEL.mdb
 *	  mdscore info MODEL
 *
 * This file dispatches to the subcommands and words the messages; exit
 * status 0 is success, 1 bad input or a bad model, 2 a bad command line.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"mdscore " MDSCORE_VERSION " - score data with a model_deploy model, without a database\n"
	"\n"
	"Usage:\n"
	"  mdscore predict [--proba | --raw | --class] [--keep] [--header] MODEL\n"
	"                  [INPUT.csv]\n"
	"      Score CSV rows (from INPUT.csv or standard input) and write one\n"
	"      prediction per row.  The first line names the columns; they are\n"
	"      matched to the model's features by name, in any order.  An empty\n"
	"      field or NaN is a missing value.  A categorical feature's column\n"
	"      holds category names (an empty field is missing).\n"
	"        --proba   class probabilities, one column per class\n"
	"        --raw     raw margins, one column per output\n"
	"        --class   the class label (a classifier's), or its number\n"
	"        --keep    copy the columns that are not features to the output\n"
	"                  (otherwise they are an error), before the predictions\n"
	"        --header  write a header line (implied by --keep)\n"
	"  mdscore compile [--format auto|xgboost|native|lightgbm|catboost|onnx] MODEL\n"
	"                  -o MODEL.mdb\n"
	"      Compile model text into the blob that model_deploy scores with.\n"
	"  mdscore info MODEL\n"
	"      Describe a model: format, objective, trees, features, size.\n"
	"\n"
	"MODEL is model JSON (XGBoost's Booster.save_model), a LightGBM text model\n"
	"(Booster.save_model), an ONNX model (tree ensembles) or a compiled model\n"
	"(mdscore compile, or model_deploy.export_compiled() in the database).\n";

static void
message(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("mdscore: ", fmt, ap);
	va_end(ap);
}

void
cli_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("mdscore: hint: ", fmt, ap);
	va_end(ap);
}

/* A library error about 'what' (a file name, usually), with its hint. */
void
cli_report(const char *what, const md_error *err)
{
	cli_error("%s: %s", what, err->message);
	if (err->hint[0] != '\0')
		cli_hint("%s", err->hint);
}

int
main(int argc, char **argv)
{
	static const struct
	{
		const char *name;
		int (*run)(int argc, char **argv);
	} commands[] = {
		{"predict", cmd_predict},
		{"compile", cmd_compile},
		{"info", cmd_info},
	};

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0))
	{
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0)
	{
		printf("mdscore %s\n", md_version());
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
		{
			/* getopt_long() names argv[0] in its messages */
			char name[32];

			snprintf(name, sizeof(name), "mdscore %s", commands[i].name);
			argv[1] = name;
			return commands[i].run(argc - 1, argv + 1);
		}

	if (argc >= 2)
		cli_error("unknown command \"%s\"", argv[1]);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}
