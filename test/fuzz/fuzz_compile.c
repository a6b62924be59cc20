/*-------------------------------------------------------------------------
 *
 * fuzz_compile.c
 *	  libFuzzer target: arbitrary model text through md_compile() with
 *	  format detection, then everything a caller may do with the result.
 *
 * Seeded with the models of every format in FUZZ_FORMATS (see the
 * Makefile), so one binary serves all JSON formats.
 *
 *-------------------------------------------------------------------------
 */
#include "harness.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	md_error	err;

	fuzz_compile_one(data, size, &err);
	return 0;
}
