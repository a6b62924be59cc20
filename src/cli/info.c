/*-------------------------------------------------------------------------
 *
 * info.c
 *	  mdscore info: what a model file holds and what it predicts.
 *
 *-------------------------------------------------------------------------
 */
#include "cli.h"

static const char *
task_name(md_task task)
{
	switch (task)
	{
		case MD_TASK_REGRESSION:
			return "regression";
		case MD_TASK_BINARY:
			return "binary classification";
		case MD_TASK_MULTICLASS:
			return "multi-class classification";
		case MD_TASK_RANKING:
			return "ranking";
		case MD_TASK_CLUSTER:
			return "clustering";
	}
	return "unknown";
}

static void
print_outputs(const md_model *model)
{
	printf("outputs:        predict %u, --proba %u, --raw %u (values per "
		   "row)\n",
		   md_output_width(model, MD_OUTPUT_PREDICT),
		   md_output_width(model, MD_OUTPUT_PROBA),
		   md_output_width(model, MD_OUTPUT_RAW));
}

/* The number of classes, and their labels if the model has any. */
static void
print_classes(const md_model *model, uint32_t n)
{
	printf("classes:        %u", n);
	for (uint32_t k = 0; k < n && md_class_label(model, k) != NULL; k++)
		printf("%s \"%s\"", k ? "," : ":", md_class_label(model, k));
	putchar('\n');
}

/* A categorical feature's categories, in code order (0, 1, ...). */
static void
print_categories(const md_model *model, uint32_t f)
{
	uint32_t n = md_category_count(model, f);

	if (n == 0)
	{
		printf("  categorical, by CatBoost's hash of the value");
		return;
	}
	printf("  categorical, %u categor%s:", n, n == 1 ? "y" : "ies");
	for (uint32_t k = 0; k < n; k++)
		printf("%s \"%s\"", k ? "," : "", md_category_name(model, f, k));
}

static void
print_features(const md_model *model, uint32_t n)
{
	if (!md_has_feature_names(model))
	{
		printf("features:       %u, unnamed (input columns are taken in "
			   "order)\n",
			   n);
		return;
	}
	printf("features:       %u\n", n);
	for (uint32_t f = 0; f < n; f++)
	{
		printf("  %5u  %s", f, md_feature_name(model, f));
		if (md_feature_kind_of(model, f) == MD_FEATURE_CATEGORICAL)
			print_categories(model, f);
		putchar('\n');
	}
}

int
cmd_info(int argc, char **argv)
{
	model_file mf;
	md_info info;

	if (argc != 2 || argv[1][0] == '-')
	{
		cli_error("info takes one model file");
		return EXIT_USAGE;
	}
	if (!model_file_load(&mf, argv[1], MD_FORMAT_AUTO))
		return EXIT_BAD_INPUT;
	md_get_info(&mf.model, &info);
	printf("file:           %s (%s, %zu bytes)\n", mf.path,
		   !mf.compiled_here					   ? "compiled model"
			   : info.format == MD_FORMAT_LIGHTGBM ? "model text"
			   : info.format == MD_FORMAT_ONNX	   ? "ONNX model"
												   : "model JSON",
		   mf.file_size);
	printf("format:         %s\n", md_format_name(info.format));
	printf("objective:      %s (%s)\n", info.objective, task_name(info.task));
	printf("booster:        %s\n", info.booster);
	printf("trees:          %u\n", info.n_trees);
	printf("nodes:          %llu\n", (unsigned long long) info.n_nodes);
	printf("max depth:      %u\n", info.max_depth);
	print_classes(&mf.model, info.n_classes);
	print_outputs(&mf.model);
	printf("compiled size:  %zu bytes\n", info.blob_size);
	print_features(&mf.model, info.n_features);
	model_file_free(&mf);
	return 0;
}
