/*
 * score.c: score one row with a compiled model, using libmdscore.
 *
 *   cc score.c $(pkg-config --cflags --libs mdscore) -o score
 *   ./score model.mdb 5.1 3.5 '' 0.2      (features in model order; '' = missing)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <mdscore.h>

int
main(int argc, char **argv)
{
	FILE	   *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	void	   *blob = malloc(1 << 24);	/* malloc'd: aligned as md_open wants */
	size_t		len = f ? fread(blob, 1, 1 << 24, f) : 0;
	md_model	model;
	md_info		info;
	md_error	err;
	double		prediction;

	if (md_open(&model, blob, len, MD_OPEN_VALIDATE, &err) != MD_OK)
		return fprintf(stderr, "score: %s\n", err.message), 1;
	md_get_info(&model, &info);

	double	   *x = malloc(sizeof(double) * info.n_features);

	for (uint32_t i = 0; i < info.n_features; i++)
		x[i] = (int) i + 2 < argc && argv[i + 2][0] ? atof(argv[i + 2]) : NAN;
	md_predict(&model, x, 1, &prediction, malloc(md_workspace_size(&model)));
	printf("%s: %.17g\n", info.objective, prediction);
	return 0;
}
