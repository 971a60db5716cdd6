"""Imports flow one way: catalog <- mlpath.progress <- mlpath.groups, and mlpath.accounts
stands alone. The shipped package never imports the tooling under tests/."""

import ast
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "catalog": ("mlpath", "tests"),
    "mlpath": ("tests", "locust", "gevent"),
    "mlpath/accounts": ("catalog", "mlpath.progress", "mlpath.groups"),
    "mlpath/progress": ("mlpath.groups",),
}


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN.items())
def test_imports_flow_one_way(package, forbidden):
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / package).rglob("*.py")
        for module in imported_modules(path)
        if module.startswith(forbidden)
    ]
    assert offenders == []


def test_importing_the_app_loads_none_of_the_tooling():
    """The bench and load test live under tests/: serving the app must not pull in locust
    or gevent (which patches the standard library as it loads)."""
    code = (
        "import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'mlpath.settings'; django.setup(); "
        "import mlpath.urls, mlpath.wsgi; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent', 'tests')))"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
