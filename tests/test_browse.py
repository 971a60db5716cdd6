"""catalog/browse.py: how the catalog page arranges resources. No database."""

from types import SimpleNamespace

from catalog.browse import PillarGroup


def test_cards_sit_one_level_below_the_heading_above_them():
    assert PillarGroup(pillar=None).card_heading_level == 3  # under the stage's h2
    assert PillarGroup(pillar=SimpleNamespace(name="Probability")).card_heading_level == 4
