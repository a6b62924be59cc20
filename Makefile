# Makefile for model_deploy
#
#   make test    install what is missing (Debian 12, as root), build, install,
#                run every test suite on throwaway clusters
#   make demo    the same set-up, then the main job end to end
#   make bench   benchmarks against xgboost and PL/Python (not part of test)
#   make fuzz    every fuzz target for FUZZ_SECONDS (default 60) each
#
# The extension is built with PGXS; the scoring core (src/core) is also built
# on its own, without PostgreSQL, as libmdscore for the unit tests and the
# edge library.

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifeq ($(PGXS),)
# Nothing installed yet: bootstrap, then run the same target again.
.DEFAULT_GOAL := all
all install test demo bench installcheck:
	tools/install-prereqs
	$(MAKE) $@
else

EXTENSION = model_deploy
MODULE_big = model_deploy
DATA = model_deploy--0.1.sql
PGFILEDESC = "model_deploy - trained models as database objects"

CORE_SRCS := $(sort $(wildcard src/core/*.c))
PG_SRCS := $(sort $(wildcard src/pg/*.c))
OBJS = $(PG_SRCS:.c=.o) $(CORE_SRCS:.c=.o)

# Bit-identical margins need float arithmetic exactly as written: no fused
# multiply-add contraction.
PG_CPPFLAGS = -I$(srcdir)/src/core
PG_CFLAGS = -ffp-contract=off
SHLIB_LINK = -lcjson -lm

# For `make installcheck` run by hand; `make test` runs these through test/run
REGRESS = $(sort $(basename $(notdir $(wildcard $(srcdir)/sql/*.sql))))
REGRESS_OPTS = --temp-instance=./tmp_check --temp-config=$(srcdir)/test/model_deploy.conf
ISOLATION = $(sort $(basename $(notdir $(wildcard $(srcdir)/specs/*.spec))))
ISOLATION_OPTS = --temp-instance=./tmp_check_iso --temp-config=$(srcdir)/test/model_deploy.conf
TAP_TESTS = 1

# JIT bitcode of our functions is of no use and would need clang to build.
override with_llvm = no

include $(PGXS)

# The fast layout's scoring loop (16 trees stepped together) runs about
# 1.25x faster at -O3, which unrolls it and keeps every tree's position in a
# register (docs/sections/performance.md).  Generic x86-64 code: -march
# flags measured no faster here, and the library must run on any x86-64.
FAST_CFLAGS = -O3
src/core/forest_fast.o: override CFLAGS += $(FAST_CFLAGS)

# PGXS tracks no header dependencies; a stale object compiled against an
# older struct layout would be a memory-safety bug, so rebuild on any change.
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

# --- the scoring core on its own, and its unit tests ----------------------

CORE_CFLAGS = -std=gnu11 -O2 -g -fPIC -Wall -Wextra -Wno-unused-parameter \
	-ffp-contract=off
CORE_OBJS = $(CORE_SRCS:src/core/%.c=build/core/%.o)
CORE_HDRS := $(wildcard src/core/*.h)
UNIT_TESTS = $(patsubst test/unit/%.c,build/%,$(wildcard test/unit/test_*.c))

build/core/%.o: src/core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

build/core/forest_fast.o: CORE_CFLAGS += $(FAST_CFLAGS)

build/libmdscore.a: $(CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# The same core as a shared library, for test/suites/sklearn (ctypes).
build/libmdscore.so: $(CORE_OBJS)
	$(CC) -shared -o $@ $^ -lcjson -lm

build/test_%: test/unit/test_%.c $(wildcard test/unit/*.h) build/libmdscore.a
	$(CC) $(CORE_CFLAGS) -Isrc/core $< build/libmdscore.a -lcjson -lm -o $@

all: build/libmdscore.a build/libmdscore.so $(UNIT_TESTS)

# --- sanitizers and fuzzing (clang-14): test/sanitize.mk -----------------

# JSON model formats the fuzzers are seeded with: test/fuzz/seeds/<format>/,
# the small fixtures in test/fixtures/<format>/, test/fuzz/<format>.dict
FUZZ_FORMATS = xgboost
include test/sanitize.mk

clean: clean-build
clean-build:
	rm -rf build

# --- the two commands of the README ---------------------------------------

.PHONY: prereqs test demo bench clean-build

prereqs:
	tools/install-prereqs

test: prereqs
	$(MAKE) all
	$(MAKE) install
	PG_CONFIG=$(PG_CONFIG) test/run

demo: prereqs
	$(MAKE) all
	$(MAKE) install
	PG_CONFIG=$(PG_CONFIG) tools/demo

bench: prereqs
	$(MAKE) all
	$(MAKE) install
	PG_CONFIG=$(PG_CONFIG) bench/run

endif
