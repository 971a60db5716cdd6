"""Sections in the catalog YAML: each problem named with its file and line, nothing written."""

import pytest

from catalog.models import Resource, Section
from tests.test_loader import load, refused, write
from tests.test_schema import HEADER, problems, resource


def section(slug="intro-1", resource="intro", position=1, hours=3, topics="[vectors]", **extra) -> str:
    fields = {"resource": resource, "position": position, "title": f"Part {position}", "hours": hours}
    fields["topics"] = topics
    fields.update(extra)
    lines = [f"  - slug: {slug}"]
    lines += [f"    {key}: {value}" for key, value in fields.items() if value is not None]
    return "\n".join(lines) + "\n"


def catalog(*sections: str, **resource_fields) -> str:
    return HEADER + resource(**resource_fields) + ("sections:\n" + "".join(sections) if sections else "")


def test_it_accepts_sections_whose_hours_add_up():
    text = catalog(section("intro-1", hours=1), section("intro-2", position=2, hours=2))
    assert problems(text) == []


def test_it_names_a_duplicate_position_with_both_places():
    text = catalog(section("intro-1", hours=1), section("intro-2", position=1, hours=2))
    [message] = problems(text)
    assert message.startswith("cat.yaml:")
    assert "position 1 of 'intro' is taken by 'intro-1' (cat.yaml:" in message
    assert "[intro-2]" in message


def test_it_says_when_the_hours_do_not_add_up_to_the_resource():
    [message] = problems(catalog(section("intro-1", hours=1), section("intro-2", position=2, hours=1)))
    assert "the sections of 'intro' add up to 2.0 hours, but the resource says 3.0" in message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"resource": "nope"}, "resource: resource 'nope' does not exist"),
        ({"topics": "[vektors]"}, "topics: topic 'vektors' does not exist (did you mean 'vectors'?)"),
        ({"assumes": "[nothing]"}, "assumes: topic 'nothing' does not exist"),
        ({"topics": "[]"}, "a section must teach at least one topic"),
        ({"position": "first"}, "position must be a whole number, not text"),
        ({"url": "javascript:alert(1)"}, "is not a valid http(s) URL"),
        ({"chapter": 3}, "unknown section field 'chapter'"),
    ],
)
def test_it_refuses_a_broken_section_with_its_line(fields, expected):
    found = problems(catalog(section(**fields)))
    assert any(expected in message for message in found), found
    assert all(message.startswith("cat.yaml:") for message in found)


def test_a_resource_names_the_topics_it_assumes():
    assert problems(catalog(assumes="[vectors]")) == []
    [message] = problems(catalog(assumes="[vectorz]"))
    assert "assumes: topic 'vectorz' does not exist" in message


@pytest.mark.django_db
def test_it_loads_sections_and_retires_one_that_leaves_the_yaml(tmp_path):
    path = write(tmp_path, catalog(section("intro-1", hours=1), section("intro-2", position=2, hours=2)))
    load(path)
    intro = Resource.objects.get(slug="intro")
    assert list(intro.sections.values_list("position", "title", "retired")) == [
        (1, "Part 1", False),
        (2, "Part 2", False),
    ]
    assert list(Section.objects.get(slug="intro-1").topics.values_list("slug", flat=True)) == ["vectors"]
    write(tmp_path, catalog(section("intro-1", hours=3)))
    load(path)
    assert dict(Section.objects.values_list("slug", "retired")) == {"intro-1": False, "intro-2": True}


@pytest.mark.django_db
def test_a_refused_section_changes_nothing(tmp_path):
    path = write(tmp_path, catalog(section("intro-1", hours=3)))
    load(path)
    write(tmp_path, catalog(section("intro-1", hours=3, title="'Renamed'"), section("intro-2", position=1)))
    message = refused(path)
    assert "position 1 of 'intro' is taken" in message
    assert Section.objects.get(slug="intro-1").title == "Part 1"
    assert Section.objects.count() == 1
