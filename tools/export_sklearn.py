#!/usr/bin/env python3
"""tools/export_sklearn.py: the scikit-learn exporter from a clone, without
installing the Python package.  The one copy of the exporter is
python/model_deploy/export_sklearn.py (installed, it is
`model-deploy export sklearn` and model_deploy.export_sklearn); this file
loads that module by its path and runs it, or stands for it when imported
(`from export_sklearn import export`, as the sklearn suite does).
"""
import importlib.util
import os
import sys

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                     "python", "model_deploy", "export_sklearn.py")
_spec = importlib.util.spec_from_file_location("export_sklearn", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

if __name__ == "__main__":
    sys.exit(_module.main())
sys.modules[__name__] = _module
