"""Builds the optional compiled scans (nlp/_scan.pyx); everything else is in pyproject.toml.

The extension is optional: where Cython or a C compiler is missing, the install succeeds and
``nlp.scan`` runs its plain-Python references (same results, slower).
"""

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # no Cython: no extension
    ext_modules = []
else:
    ext_modules = cythonize(
        [Extension("nlp._scan", ["nlp/_scan.pyx"])],
        compiler_directives={"language_level": "3"},
        quiet=True,
    )
    for extension in ext_modules:
        extension.optional = True  # a failed compile warns; cythonize drops the flag itself

setup(ext_modules=ext_modules)
