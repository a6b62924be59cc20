"""Build of the _mdscore extension: the scoring core (src/core) compiled in.

The core's C sources are compiled into the extension, so the wheel carries
its own copy of libmdscore; it links Debian's libcjson (package libcjson1,
headers in libcjson-dev) for compiling model text.  In a clone of the
repository the sources are read from ../src/core; an sdist carries a copy
in core/ (made by the sdist command below), so wheels build from it too.
"""
import glob
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_CORE = os.path.join(HERE, "..", "src", "core")
SDIST_CORE = "core"
CORE = "../src/core" if os.path.isdir(REPO_CORE) else SDIST_CORE


class SdistWithCore(sdist):
    """An sdist that carries the core's sources in core/."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        dest = os.path.join(base_dir, SDIST_CORE)
        os.makedirs(dest, exist_ok=True)
        for f in glob.glob(os.path.join(REPO_CORE, "*.[ch]")):
            shutil.copy(f, dest)


core_sources = sorted(glob.glob(os.path.join(CORE, "*.c")))
if not core_sources:
    raise SystemExit("model_deploy: the scoring core's sources are missing "
                     "(expected ../src/core in a clone of the repository)")

setup(
    cmdclass={"sdist": SdistWithCore},
    ext_modules=[Extension(
        "model_deploy._mdscore",
        sources=["csrc/module.c", "csrc/rows.c"] + core_sources,
        include_dirs=[CORE, "csrc"],
        depends=glob.glob(os.path.join(CORE, "*.h")) + ["csrc/md_py.h"],
        # No fused multiply-add: results identical to the database's, bit
        # for bit.  -O3 for the fast tree layout's loop (as the Makefile).
        extra_compile_args=["-std=gnu11", "-O3", "-ffp-contract=off",
                            "-Wno-unused-parameter"],
        libraries=["cjson", "m"],
        extra_link_args=["-pthread"],
    )],
)
