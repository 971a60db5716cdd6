"""Who wins between the YAML and an admin edit, as a table."""

import pytest

from catalog.merge import merge


@pytest.mark.parametrize(
    ("base", "current", "incoming", "prefer_yaml", "value", "kept", "overwritten"),
    [
        # Nothing changed anywhere.
        ("a", "a", "a", False, "a", [], []),
        # The YAML changed, the admin did not: the YAML wins.
        ("a", "a", "b", False, "b", [], []),
        # The admin changed, the YAML did not: the admin edit is kept.
        ("a", "x", "a", False, "x", ["title"], []),
        # Both changed, differently: the YAML wins and says so.
        ("a", "x", "b", False, "b", [], ["title"]),
        # Both changed to the same value: nothing to report.
        ("a", "b", "b", False, "b", [], []),
        # --prefer-yaml throws an admin edit away on purpose.
        ("a", "x", "a", True, "a", [], ["title"]),
        # A row created in the admin that the YAML now describes: the YAML wins, loudly.
        (None, "x", "a", False, "a", [], ["title"]),
    ],
)
def test_it_merges_one_field(base, current, incoming, prefer_yaml, value, kept, overwritten):
    result = merge(
        None if base is None else {"title": base}, {"title": current}, {"title": incoming}, prefer_yaml
    )
    assert result.values == {"title": value}
    assert result.kept == kept
    assert result.overwritten == overwritten
