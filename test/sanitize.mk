# test/sanitize.mk: sanitizer builds of the scoring core, included by the
# Makefile (which sets CORE_SRCS, CORE_HDRS, FUZZ_FORMATS and
# FUZZ_TEXT_FORMATS).
#
#   build/asan/test_*   the core unit tests under ASan + UBSan, run by
#                       test/suites/sanitizers
#   build/fuzz/         libFuzzer targets, their seeds and a list of them
#                       (build/fuzz/targets) that test/fuzz/run reads:
#                       `make fuzz FUZZ_SECONDS=N` runs every target N
#                       seconds, test/suites/fuzz runs each for a short time
#
# The core is compiled again for each (never the -O2 objects), so that all
# of our code is instrumented.  cJSON is Debian's shared library: not
# instrumented, so libFuzzer sees no coverage inside it, only in ours.

SAN_CC := $(shell command -v clang-14 2>/dev/null)
SAN_CFLAGS = -std=gnu11 -O1 -g -fno-omit-frame-pointer -ffp-contract=off \
	-Wall -Wextra -Wno-unused-parameter -Isrc/core -Ibuild/onnx \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = $(SAN_CFLAGS) -fsanitize=fuzzer-no-link
FUZZ_SECONDS ?= 60

ASAN_CORE_OBJS = $(CORE_SRCS:src/core/%.c=build/asan/core/%.o)
ASAN_TESTS = $(patsubst test/unit/%.c,build/asan/%,$(wildcard test/unit/test_*.c))
FUZZ_CORE_OBJS = $(CORE_SRCS:src/core/%.c=build/fuzz/core/%.o)
FUZZ_BINS = build/fuzz/fuzz_compile build/fuzz/fuzz_compile_struct \
	build/fuzz/fuzz_blob build/fuzz/fuzz_blob_fixed
FUZZ_HDRS = test/fuzz/harness.h $(CORE_HDRS)

# The seeds of a format: its small hand-made models (JSON, text for
# LightGBM, protobuf for ONNX) and the fixtures that are small enough to
# mutate quickly.
fuzz_small_seeds = $(wildcard test/fuzz/seeds/$(1)/*.json \
	test/fuzz/seeds/$(1)/*.txt test/fuzz/seeds/$(1)/*.onnx)
fuzz_json_seeds = $(call fuzz_small_seeds,$(1)) \
	$(shell find test/fixtures/$(1) -name '*.json' -size -64k 2>/dev/null)
FUZZ_JSON_SEEDS = $(foreach f,$(FUZZ_FORMATS),$(call fuzz_json_seeds,$(f)))

.PHONY: sanitize-build fuzz

ifneq ($(SAN_CC),)
test-build: sanitize-build
sanitize-build: $(ASAN_TESTS) $(FUZZ_BINS) build/fuzz/targets
else
sanitize-build:
	@echo "sanitize-build: clang-14 not found; sanitizer and fuzz builds skipped"
endif

build/asan/core/%.o: src/core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(SAN_CC) $(SAN_CFLAGS) -c $< -o $@

build/asan/test_%: test/unit/test_%.c $(wildcard test/unit/*.h) $(FUZZ_HDRS) $(ASAN_CORE_OBJS)
	$(SAN_CC) $(SAN_CFLAGS) $< $(ASAN_CORE_OBJS) $(TEST_LIBS) -lcjson -lprotobuf-c -lm -o $@

# the API test's threads and allocator counting (see the Makefile)
build/asan/test_api: TEST_LIBS = $(TEST_API_LIBS)

# the regression replay test shares the harness of the fuzz targets
build/test_fuzz_regress: test/fuzz/harness.h

build/fuzz/core/%.o: src/core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(SAN_CC) $(FUZZ_CFLAGS) -c $< -o $@

build/fuzz/fuzz_blob_fixed: test/fuzz/fuzz_blob.c $(FUZZ_HDRS) $(FUZZ_CORE_OBJS)
	$(SAN_CC) $(FUZZ_CFLAGS) -DFUZZ_FIX_HEADER=true -fsanitize=fuzzer $< \
		$(FUZZ_CORE_OBJS) -lcjson -lprotobuf-c -lm -o $@

build/fuzz/fuzz_%: test/fuzz/fuzz_%.c $(FUZZ_HDRS) $(FUZZ_CORE_OBJS)
	$(SAN_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_CORE_OBJS) \
		-lcjson -lprotobuf-c -lm -o $@

build/blob_seeds: test/fuzz/blob_seeds.c test/fuzz/harness.h build/libmdscore.a
	$(CC) $(CORE_CFLAGS) -Isrc/core $< build/libmdscore.a -lcjson -lprotobuf-c -lm -o $@

# Seeds and dictionaries in build/fuzz/seeds/, and the list of targets:
# "name binary seed-dir regression-dir dictionary" per line.  The
# tree-editing mutator re-parses every input, so its target starts from the
# small hand-made models only.  The UBJSON reader has its own target, the
# same fuzz_compile seeded with the small models saved as .ubj.
build/fuzz/targets: build/blob_seeds $(FUZZ_JSON_SEEDS) test/fuzz/json.dict \
		$(wildcard test/fuzz/seeds/xgboost-ubj/*.ubj) \
		$(wildcard test/fuzz/*.dict) Makefile test/sanitize.mk
	rm -rf build/fuzz/seeds && mkdir -p build/fuzz/seeds/blob
	@build/blob_seeds build/fuzz/seeds/blob $(FUZZ_JSON_SEEDS)
	rm -f $@.tmp
	@$(foreach f,$(FUZZ_FORMATS), \
		mkdir -p build/fuzz/seeds/$(f) build/fuzz/seeds/$(f)-small && \
		cp $(call fuzz_json_seeds,$(f)) build/fuzz/seeds/$(f)/ && \
		cp $(call fuzz_small_seeds,$(f)) build/fuzz/seeds/$(f)-small/ && \
		cat test/fuzz/json.dict $(wildcard test/fuzz/$(f).dict) \
			>build/fuzz/seeds/$(f).dict && \
		echo "compile-$(f) fuzz_compile seeds/$(f) compile seeds/$(f).dict" >>$@.tmp && \
		$(if $(filter $(f),$(FUZZ_TEXT_FORMATS)),, \
		echo "struct-$(f) fuzz_compile_struct seeds/$(f)-small compile seeds/$(f).dict" >>$@.tmp && ) ) true
	mkdir -p build/fuzz/seeds/xgboost-ubj
	cp test/fuzz/seeds/xgboost-ubj/*.ubj build/fuzz/seeds/xgboost-ubj/
	echo "compile-ubjson fuzz_compile seeds/xgboost-ubj compile -" >>$@.tmp
	echo "blob fuzz_blob seeds/blob blob -" >>$@.tmp
	echo "blob-fixed fuzz_blob_fixed seeds/blob blob-fixed -" >>$@.tmp
	mv $@.tmp $@

fuzz: sanitize-build
	test/fuzz/run build/fuzz $(FUZZ_SECONDS)
