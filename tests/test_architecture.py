"""Imports flow one way: catalog <- mlpath.progress <- mlpath.groups."""

import ast

import pytest

from tests.conftest import ROOT

FORBIDDEN = {
    "catalog": ("mlpath",),
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
