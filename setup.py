"""The optional compiled kernels (pyproject.toml holds everything else).

``analyzer/backends/_hashed.c`` speeds up hashing n-grams and summing the linear heads of
``text_features`` (same results bit for bit). ``optional=True``: where no C compiler is
found the build goes on without it and the numpy code runs instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("analyzer.backends._hashed", ["analyzer/backends/_hashed.c"], optional=True,
                             extra_compile_args=["-O2", "-ffp-contract=off"])])
