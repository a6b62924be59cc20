# Makefile for model_deploy
#
#   make test    install what is missing (Debian 12, as root), build, install,
#                run every test suite on throwaway clusters
#   make demo    the same set-up, then the main job end to end
#   make bench   benchmarks against xgboost and PL/Python (not part of test)
#   make soak    the concurrency soak test alone, for 30 minutes
#   make fuzz    every fuzz target for FUZZ_SECONDS (default 60) each
#   make mdscore-edge   the mdscore command for a device: static, -Os,
#                reading compiled models only (docs/edge.md)
#
# The extension is built with PGXS; the scoring core (src/core) is also built
# on its own, without PostgreSQL, as libmdscore for the unit tests and the
# edge library.

PG_CONFIG ?= pg_config
# Debian's /usr/bin/pg_config answers even without the server headers: PGXS
# is there only if its makefile is.
PGXS := $(wildcard $(shell $(PG_CONFIG) --pgxs 2>/dev/null))

ifeq ($(PGXS),)
# Nothing installed yet: bootstrap, then run the same target again.  The
# targets are phony here too, or a folder named like one (test/) would make
# `make test` "up to date" on a bare machine.
.DEFAULT_GOAL := all
.PHONY: all install test demo bench soak installcheck fuzz
all install test demo bench soak installcheck fuzz:
	tools/install-prereqs
	$(MAKE) $@
else

EXTENSION = model_deploy
MODULE_big = model_deploy
DATA = $(wildcard model_deploy--*.sql)
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
# (the tests live under test/: sql, expected, specs, t, and perl for the
# TAP tests' modules)
REGRESS = $(sort $(basename $(notdir $(wildcard $(srcdir)/test/sql/*.sql))))
REGRESS_OPTS = --inputdir=$(srcdir)/test --temp-instance=./tmp_check \
	--temp-config=$(srcdir)/test/model_deploy.conf
ISOLATION = $(sort $(basename $(notdir $(wildcard $(srcdir)/test/specs/*.spec))))
ISOLATION_OPTS = --inputdir=$(srcdir)/test --temp-instance=./tmp_check_iso \
	--temp-config=$(srcdir)/test/model_deploy.conf
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
PROVE_FLAGS = -I $(srcdir)/test/perl

# JIT bitcode of our functions is of no use and would need clang to build.
override with_llvm = no

include $(PGXS)

# The fast layout's scoring loop (16 trees stepped together) runs about
# 1.25x faster at -O3, which unrolls it and keeps every tree's position in a
# register (docs/performance.md).  Generic x86-64 code: -march
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

build/test_%: test/unit/test_%.c $(wildcard test/unit/*.h) build/libmdscore.a
	$(CC) $(CORE_CFLAGS) -Isrc/core $< build/libmdscore.a $(TEST_LIBS) -lcjson -lm -o $@

# test_api runs threads, and counts the library's calls to the allocator
# (there must be none while scoring).
TEST_API_LIBS = -pthread \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
build/test_api: TEST_LIBS = $(TEST_API_LIBS)

all: build/libmdscore.a
test-build: $(UNIT_TESTS)

# --- libmdscore as a shared library, and the mdscore command --------------

MDSCORE_MAJOR := $(shell sed -n 's/^\#define MDSCORE_VERSION_MAJOR //p' src/core/mdscore.h)
MDSCORE_VERSION := $(shell sed -n 's/^\#define MDSCORE_VERSION "\(.*\)"/\1/p' src/core/mdscore.h)
MDSCORE_SONAME = libmdscore.so.$(MDSCORE_MAJOR)
MDSCORE_SO = build/libmdscore.so.$(MDSCORE_VERSION)

# The shared library exports the functions mdscore.h declares, nothing else
# of the core.
build/libmdscore.map: src/core/mdscore.h
	@mkdir -p $(@D)
	{ echo '{ global:'; grep -oE '\bmd_[a-z0-9_]+\(' $< | sort -u | \
	  sed 's/($$/;/'; echo 'local: *; };'; } > $@

$(MDSCORE_SO): $(CORE_OBJS) build/libmdscore.map
	$(CC) -shared -Wl,-soname,$(MDSCORE_SONAME) -Wl,--no-undefined \
	  -Wl,--version-script=build/libmdscore.map -o $@ $(CORE_OBJS) -lcjson -lm
build/$(MDSCORE_SONAME) build/libmdscore.so: $(MDSCORE_SO)
	ln -sf $(notdir $<) $@

CLI_SRCS := $(sort $(wildcard src/cli/*.c))
CLI_HDRS := $(wildcard src/cli/*.h)

build/cli/%.o: src/cli/%.c $(CLI_HDRS) src/core/mdscore.h
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -Isrc/core -c $< -o $@

# mdscore carries libmdscore inside (no run-time search for the .so)
build/mdscore: $(CLI_SRCS:src/cli/%.c=build/cli/%.o) build/libmdscore.a
	$(CC) $(CORE_CFLAGS) -o $@ $^ -lcjson -lm

# The README's C example, built against the shared library as a user's
# program would be, and run by test/suites/cli.
build/example_score: docs/examples/score.c build/$(MDSCORE_SONAME) build/libmdscore.so
	$(CC) $(CORE_CFLAGS) -Isrc/core $< -Lbuild -lmdscore \
	  -Wl,-rpath,'$$ORIGIN' -o $@

# mdscore with AddressSanitizer and UBSan, for test/suites/cli
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all
build/mdscore-asan: $(CLI_SRCS) $(CLI_HDRS) $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(SANITIZE) -Isrc/core $(CLI_SRCS) $(CORE_SRCS) \
	  -lcjson -lm -o $@

all: build/libmdscore.so build/$(MDSCORE_SONAME) build/mdscore
test-build: build/mdscore-asan build/example_score

# Edge builds (make mdscore-edge): mdscore linked statically, optimised for
# size, reading compiled models only -- without the JSON compiler it needs
# no cJSON, of which Debian ships no static library.  CJSON_A=path/to/
# libcjson.a builds the full command statically instead.  EDGE_DIR and
# EDGE_OPT choose where and how (bench/edge_footprint compares -Os, -O2).
EDGE_DIR ?= build/edge
EDGE_OPT ?= -Os
EDGE_CFLAGS = $(filter-out -O% -g -fPIC,$(CORE_CFLAGS)) $(EDGE_OPT)
EDGE_CLI_DEFS = $(if $(CJSON_A),,-DMDSCORE_NO_JSON)

$(EDGE_DIR)/core/%.o: src/core/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EDGE_CFLAGS) -c $< -o $@
$(EDGE_DIR)/cli/%.o: src/cli/%.c $(CLI_HDRS) src/core/mdscore.h
	@mkdir -p $(@D)
	$(CC) $(EDGE_CFLAGS) $(EDGE_CLI_DEFS) -Isrc/core -c $< -o $@
$(EDGE_DIR)/libmdscore.a: $(CORE_SRCS:src/core/%.c=$(EDGE_DIR)/core/%.o)
	rm -f $@
	$(AR) rcs $@ $^
$(EDGE_DIR)/mdscore: $(CLI_SRCS:src/cli/%.c=$(EDGE_DIR)/cli/%.o) $(EDGE_DIR)/libmdscore.a
	$(CC) $(EDGE_CFLAGS) -static -o $@ $^ $(CJSON_A) -lm

mdscore-edge: $(EDGE_DIR)/mdscore

# make install: PGXS installs the extension; this installs the command, the
# library and its header under PREFIX (DESTDIR is honoured).
PREFIX ?= /usr/local
MDSCORE_LIBDIR = $(DESTDIR)$(PREFIX)/lib

install: install-mdscore
uninstall: uninstall-mdscore

build/mdscore.pc: Makefile src/core/mdscore.h
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
	  'includedir=$${prefix}/include' '' 'Name: mdscore' \
	  'Description: model_deploy scoring core' 'Version: $(MDSCORE_VERSION)' \
	  'Libs: -L$${libdir} -lmdscore' 'Libs.private: -lcjson -lm' \
	  'Cflags: -I$${includedir}' > $@

install-mdscore: build/mdscore build/libmdscore.a $(MDSCORE_SO) build/mdscore.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
	  $(MDSCORE_LIBDIR)/pkgconfig
	install -m 755 build/mdscore $(DESTDIR)$(PREFIX)/bin/mdscore
	install -m 644 src/core/mdscore.h $(DESTDIR)$(PREFIX)/include/mdscore.h
	install -m 644 build/libmdscore.a $(MDSCORE_LIBDIR)/libmdscore.a
	install -m 755 $(MDSCORE_SO) $(MDSCORE_LIBDIR)/$(notdir $(MDSCORE_SO))
	ln -sf $(notdir $(MDSCORE_SO)) $(MDSCORE_LIBDIR)/$(MDSCORE_SONAME)
	ln -sf $(MDSCORE_SONAME) $(MDSCORE_LIBDIR)/libmdscore.so
	install -m 644 build/mdscore.pc $(MDSCORE_LIBDIR)/pkgconfig/mdscore.pc

uninstall-mdscore:
	rm -f $(DESTDIR)$(PREFIX)/bin/mdscore \
	  $(DESTDIR)$(PREFIX)/include/mdscore.h \
	  $(MDSCORE_LIBDIR)/libmdscore.a $(MDSCORE_LIBDIR)/libmdscore.so* \
	  $(MDSCORE_LIBDIR)/pkgconfig/mdscore.pc

# --- sanitizers and fuzzing (clang-14): test/sanitize.mk -----------------

# Model formats the fuzzers are seeded with: test/fuzz/seeds/<format>/,
# the small fixtures in test/fixtures/<format>/, test/fuzz/<format>.dict.
# The text formats (not JSON) get no JSON tree-editing target.
FUZZ_FORMATS = xgboost lightgbm catboost
FUZZ_TEXT_FORMATS = lightgbm
include test/sanitize.mk

clean: clean-build
clean-build:
	rm -rf build

# --- the two commands of the README ---------------------------------------

.PHONY: prereqs test test-build demo bench soak clean-build mdscore-edge install-mdscore \
	uninstall-mdscore

prereqs:
	tools/install-prereqs

# What only the tests need: unit tests, sanitizer and fuzz builds, the
# README's C example.  Plain `make` builds the extension, libmdscore and
# mdscore.
test: prereqs
	$(MAKE) all test-build
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

# The concurrency soak alone, for 30 minutes (MD_SOAK_SECONDS); make test
# runs it for 60 s among the TAP tests.
MD_SOAK_SECONDS ?= 1800
soak: prereqs
	$(MAKE) all
	$(MAKE) install
	MD_SOAK_SECONDS=$(MD_SOAK_SECONDS) PG_CONFIG=$(PG_CONFIG) test/run soak

endif
