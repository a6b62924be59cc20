/*-------------------------------------------------------------------------
 *
 * fuzz_blob.c
 *	  libFuzzer target: arbitrary bytes as a compiled blob, opened with
 *	  MD_OPEN_VALIDATE and, if accepted, scored.
 *
 * Built twice: as fuzz_blob the bytes are taken as they are, so the
 * header checks and the checksum are what the fuzzer meets; as
 * fuzz_blob_fixed (FUZZ_FIX_HEADER) the header's length and checksum are
 * recomputed first, so mutations of valid blobs reach the section
 * validators, which are what stands between a hostile file and the
 * unchecked scoring loops.
 *
 *-------------------------------------------------------------------------
 */
#include "harness.h"

#ifndef FUZZ_FIX_HEADER
#define FUZZ_FIX_HEADER false
#endif

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	md_error	err;

	fuzz_blob_one(data, size, FUZZ_FIX_HEADER, &err);
	return 0;
}
