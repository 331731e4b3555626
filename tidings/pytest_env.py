"""A pytest plugin (named in pyproject's addopts) that runs the suite as `make demo` runs the
site: DEBUG on unless the environment says otherwise. It must act before pytest-django loads
the settings, which happens before any conftest.py is read."""

import os

os.environ.setdefault("DEBUG", "true")
