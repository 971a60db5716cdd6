"""load_catalog: validate first, write once, never lose a learner's history."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Pillar, Prerequisite, Resource, Section, Source, Stage, Topic
from tests.test_schema import HEADER, resource

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def load(*paths, prefer_yaml=False, force=False) -> str:
    from io import StringIO

    out = StringIO()
    args = [str(path) for path in paths]
    call_command("load_catalog", *args, prefer_yaml=prefer_yaml, force=force, stdout=out, stderr=out)
    return out.getvalue()


def refused(*paths) -> str:
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError, match="the database was not changed") as info:
        call_command("load_catalog", *[str(p) for p in paths], stdout=StringIO(), stderr=err)
    return err.getvalue() + str(info.value)


def snapshot():
    """Everything the loader could touch, so 'unchanged' means unchanged."""
    tables = [Source, Stage, Pillar, Topic, Resource, Section]
    rows = {model.__name__: sorted(model.objects.values_list()) for model in tables}
    rows["links"] = sorted(Prerequisite.objects.values_list("resource_id", "required_id"))
    rows["topics"] = sorted(Resource.topics.through.objects.values_list("resource_id", "topic_id"))
    rows["sources"] = sorted(Resource.sources.through.objects.values_list("resource_id", "source_id"))
    rows["section_topics"] = sorted(Section.topics.through.objects.values_list("section_id", "topic_id"))
    return rows


def write(tmp_path, text, name="catalog.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shipped():
    load()
    return snapshot()


def test_the_shipped_fixtures_load_cleanly():
    output = load()
    assert "resources  25 created, 0 updated, 0 retired, 0 unchanged" in output
    assert Resource.objects.active().count() == 25
    assert Resource.objects.filter(kind=Resource.Kind.PROJECT, stage__slug="projects").count() == 3
    assert Prerequisite.objects.count() > 15


def test_a_second_load_of_the_same_files_returns_at_once_and_says_so(shipped, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        output = load()
    assert "unchanged since the last load, and so is the catalog: nothing to do" in output
    assert snapshot() == shipped


def test_a_forced_reload_compares_every_row_and_changes_nothing(shipped):
    output = load(force=True)
    assert "0 created, 0 updated, 0 retired, 422 unchanged (nothing to do)" in output
    assert snapshot() == shipped


def test_an_admin_edit_since_the_last_load_means_a_full_reload(tmp_path):
    loaded_then_edited_in_admin(tmp_path)
    assert "nothing to do (--force" not in load(tmp_path)


def test_a_changed_file_is_loaded_even_if_only_one_byte_differs(tmp_path):
    write(tmp_path, HEADER + resource("a"))
    load(tmp_path)
    write(tmp_path, HEADER + resource("a", summary="A short course in our own words!"))
    assert "1 updated" in load(tmp_path)
    assert Resource.objects.get(slug="a").summary == "A short course in our own words!"


BROKEN = {
    "bad syntax": (HEADER + resource() + "    title: [oops\n", "YAML syntax"),
    "unknown prerequisite": (
        HEADER + resource(prerequisites="[ghost]"),
        "[intro] prerequisites: resource 'ghost' does not exist",
    ),
    "cycle": (
        HEADER + resource("a", prerequisites="[b]") + resource("b", prerequisites="[a]"),
        "[a] prerequisite cycle: a -> b -> a",
    ),
    "duplicate slug": (HEADER + resource() + resource(), "duplicate resource slug"),
    "missing field": (HEADER + resource(creator=None), "resource is missing 'creator'"),
    "bad url": (HEADER + resource(url="not a url"), "url 'not a url' is not a valid http(s) URL"),
    "bad enumeration": (HEADER + resource(cost="cheap"), "cost must be one of free, paid"),
    "wrong type": (HEADER + resource(topics="7"), "topics must be a list, not a number"),
    "unknown stage": (HEADER + resource(stage="later"), "stage: stage 'later' does not exist"),
    "unknown pillar": (HEADER + resource(pillar="geometry"), "pillar: pillar 'geometry' does not exist"),
    "unknown topic": (HEADER + resource(topics="[tensors]"), "topics: topic 'tensors' does not exist"),
    "unknown source": (HEADER + resource(sources="[a-blog]"), "sources: source 'a-blog' does not exist"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_it_refuses_broken_fixtures_and_changes_nothing(case, tmp_path, shipped):
    text, expected = BROKEN[case]
    path = write(tmp_path, text)
    message = refused(path)
    assert expected in message
    assert f"{path}:" in message  # file and line
    assert snapshot() == shipped


def test_it_reports_every_problem_in_every_file(tmp_path, shipped):
    first = write(tmp_path, HEADER + resource(hours="x"), "a.yaml")
    second = write(tmp_path, "resources:\n" + resource("b", stage="nowhere"), "b.yaml")
    message = refused(first, second)
    assert f"{first}:18: [intro] hours" in message
    assert f"{second}:10: [b] stage: stage 'nowhere' does not exist" in message
    assert "2 problems" in message
    assert snapshot() == shipped


def test_it_refuses_a_missing_path(tmp_path):
    message = refused(tmp_path / "nope.yaml")
    assert "nope.yaml: no such file or folder" in message


def test_it_refuses_a_folder_without_yaml(tmp_path):
    assert "no .yaml files in this folder" in refused(tmp_path)


def test_it_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("stages: []\n# caf\xe9\n".encode("latin-1"))
    assert f"{path}:2: file is not valid UTF-8" in refused(path)


def test_it_retires_instead_of_deleting(tmp_path):
    write(tmp_path, HEADER + resource("a") + resource("b", prerequisites="[a]"))
    load(tmp_path)
    write(tmp_path, HEADER + resource("b"))
    output = load(tmp_path)
    assert "resources  0 created, 1 updated, 1 retired, 0 unchanged" in output
    retired = Resource.objects.get(slug="a")
    assert retired.retired
    assert list(Resource.objects.active().values_list("slug", flat=True)) == ["b"]


def test_a_retired_resource_comes_back_when_it_returns_to_the_yaml(tmp_path):
    write(tmp_path, HEADER + resource("a") + resource("b"))
    load(tmp_path)
    write(tmp_path, HEADER + resource("b"))
    load(tmp_path)
    write(tmp_path, HEADER + resource("a") + resource("b"))
    output = load(tmp_path)
    assert "resources  0 created, 1 updated, 0 retired, 1 unchanged" in output
    assert not Resource.objects.get(slug="a").retired


def test_it_updates_a_changed_field_and_its_links(tmp_path):
    write(tmp_path, HEADER + resource("a") + resource("b", prerequisites="[a]"))
    load(tmp_path)
    write(tmp_path, HEADER + resource("a", title="New title", topics="[]") + resource("b"))
    output = load(tmp_path)
    assert "resources  0 created, 2 updated, 0 retired, 0 unchanged" in output
    a = Resource.objects.get(slug="a")
    assert a.title == "New title"
    assert a.topics.count() == 0
    assert Prerequisite.objects.count() == 0


def loaded_then_edited_in_admin(tmp_path):
    """Resource 'a' loaded from YAML, then its summary changed as the admin would."""
    write(tmp_path, HEADER + resource("a"))
    load(tmp_path)
    edited = Resource.objects.get(slug="a")
    edited.summary = "Fixed in the admin."
    edited.save()


def test_an_admin_edit_survives_a_reload(tmp_path):
    loaded_then_edited_in_admin(tmp_path)
    output = load(tmp_path)
    assert "kept admin edit to resource 'a': summary" in output
    assert Resource.objects.get(slug="a").summary == "Fixed in the admin."


def test_a_yaml_edit_to_the_same_field_wins_and_says_so(tmp_path):
    loaded_then_edited_in_admin(tmp_path)
    write(tmp_path, HEADER + resource("a", summary="Fixed in the YAML."))
    output = load(tmp_path)
    assert "YAML replaced an admin edit to resource 'a': summary" in output
    assert Resource.objects.get(slug="a").summary == "Fixed in the YAML."


def test_prefer_yaml_discards_admin_edits(tmp_path):
    loaded_then_edited_in_admin(tmp_path)
    load(tmp_path, prefer_yaml=True)
    assert Resource.objects.get(slug="a").summary == "A short course in our own words."


def test_a_resource_added_in_the_admin_is_not_retired(tmp_path):
    write(tmp_path, HEADER + resource("a"))
    load(tmp_path)
    a = Resource.objects.get(slug="a")
    a.pk = None
    a.slug = "added-by-staff"
    a.fixture_state = None
    a.save()
    output = load(tmp_path)
    assert "1 resource(s) exist only in the database" in output
    assert not Resource.objects.get(slug="added-by-staff").retired


def test_a_cycle_made_by_admin_edits_is_refused(tmp_path):
    write(tmp_path, HEADER + resource("a") + resource("b", prerequisites="[a]"))
    load(tmp_path)
    a, b = Resource.objects.get(slug="a"), Resource.objects.get(slug="b")
    Prerequisite.objects.create(resource=a, required=b)  # an admin edit the YAML lacks
    before = snapshot()
    message = refused(tmp_path)
    assert "prerequisite cycle once admin edits are kept: a -> b -> a" in message
    assert snapshot() == before


def test_the_command_prints_no_traceback(tmp_path):
    path = write(tmp_path, HEADER + resource(prerequisites="[ghost]"))
    result = subprocess.run(
        [sys.executable, "manage.py", "load_catalog", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "resource 'ghost' does not exist" in result.stderr
    assert "catalog refused: 1 problem; the database was not changed" in result.stderr


# Found by fuzzing (tests/test_fuzz_loader.py). Each input once crashed the process,
# raised something other than a refusal, hung, wrote what it should not, or named
# the wrong line.


def test_it_refuses_deep_nesting_instead_of_crashing(tmp_path, shipped):
    # libyaml's own composer recursed in C and killed the process with SIGSEGV.
    path = write(tmp_path, "stages: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert f"{path}:1: YAML syntax: nested more than 20 levels deep" in refused(path)
    assert snapshot() == shipped


def test_it_refuses_a_merge_key_bomb_before_expanding_it(tmp_path):
    # Each "<<" merged the level below twice: 700 bytes grew to 500 MB before any check.
    levels = [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, 40)]
    path = write(tmp_path, "\n".join(["m0: &m0 {k: v}", *levels, "<<: *m39"]) + "\n")
    assert f"{path}:2: YAML syntax: anchors and aliases (*name) are not allowed" in refused(path)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("9" * 5000, "a number 5000 characters long; put it in quotes"),
        ("0x" + "f" * 4000, "a number 4002 characters long; put it in quotes"),
        ("0x_", "'0x_' is not a valid number; put it in quotes"),
        ("2020-13-45", "'2020-13-45' is not a valid date; put it in quotes"),
        ("2020-01-01 10:00:00 +99:00", "'2020-01-01 10:00:00 +99:00' is not a valid date"),
        ("!!bool maybe", "tags such as '!!bool' are not allowed"),
        ("!!timestamp soon", "tags such as '!!timestamp' are not allowed"),
    ],
)
def test_it_refuses_values_python_cannot_build(hours, expected, tmp_path, shipped):
    path = write(tmp_path, HEADER + resource(hours=hours))
    assert f"{path}:18: YAML syntax: {expected}" in refused(path)
    assert snapshot() == shipped


def test_it_refuses_a_slug_that_ends_in_a_newline(tmp_path, shipped):
    # "$" matched before the final newline, so "intro\n" was stored and its page could not be linked.
    path = write(tmp_path, HEADER + resource(slug='"intro\\n"'))
    assert f"{path}:11: ['intro\\n'] slug 'intro\\n' is not a slug" in refused(path)
    assert snapshot() == shipped


@pytest.mark.parametrize("url", ['"https://example.com/a\\0b"', '"https://example.com/\\e[31m"'])
def test_it_refuses_a_url_with_a_control_character(url, tmp_path, shipped):
    # URLValidator lets these through; PostgreSQL then refused the NUL mid-write.
    path = write(tmp_path, HEADER + resource(url=url))
    assert f"{path}:13: [intro] url contains a control character" in refused(path)
    assert snapshot() == shipped


def test_a_long_list_of_references_is_checked_quickly(tmp_path):
    # The duplicate check was quadratic: 60,000 references took about 40 seconds.
    ghosts = ", ".join(f"g{i}" for i in range(60_000))
    path = write(tmp_path, HEADER + resource(prerequisites=f"[{ghosts}, g0]"))
    started = time.monotonic()
    message = refused(path)
    assert time.monotonic() - started < 10
    assert "prerequisites lists 'g0' more than once" in message


def test_many_unknown_references_are_reported_quickly(tmp_path):
    # "Did you mean" compared every unknown slug with every resource: quadratic.
    resources = "".join(resource(f"r{i}", prerequisites=f"[ghost-{i}]") for i in range(4000))
    path = write(tmp_path, HEADER + resources)
    started = time.monotonic()
    message = refused(path)
    assert time.monotonic() - started < 10
    assert "4000 problems" in message


def test_an_error_at_the_end_of_a_file_names_its_last_line(tmp_path):
    # libyaml counts a line after the final newline; the file has no such line.
    path = write(tmp_path, HEADER + resource(summary="[unclosed"))
    assert f"{path}:23: YAML syntax: did not find expected ',' or ']' at the end of the file" in refused(path)


def test_line_numbers_count_lines_as_an_editor_does(tmp_path):
    # YAML also breaks lines at U+2028, which editors show inside a line.
    path = write(tmp_path, HEADER + resource(title='"Intro\u2028part two"', hours="lots"))
    assert f"{path}:18: [intro] hours must be a number of hours" in refused(path)


def test_a_nul_byte_is_reported_with_its_line(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"stages: []\n# \x00\n")
    assert f"{path}:2: YAML syntax: character U+0000 is not allowed in YAML" in refused(path)


def test_messages_quote_the_input_so_it_cannot_garble_them(tmp_path):
    # A raw slug printed a bidi override and a line break; a bad choice echoed all of itself.
    path = write(tmp_path, HEADER + resource(slug='"evil\\u202e\\nslug"', kind="k" * 100_000))
    message = refused(path)
    assert "['evil\\u202e\\nslug']" in message
    assert "\u202e" not in message
    assert "got 'kkkkk" in message
    assert "k" * 100 not in message


def test_each_resource_stores_how_many_seeds_recommend_it(tmp_path):
    load()
    linked = Resource.sources.through.objects.values("resource_id")
    for row in Resource.objects.all():
        assert row.source_count == linked.filter(resource_id=row.pk).count(), row.slug
    assert Resource.objects.get(slug="mml-book").source_count >= 2
    # A reload that takes a source away, or gives one, moves the count with it.
    header = HEADER.replace(
        "  - {slug: thread, title: A thread}",
        "  - {slug: thread, title: A thread}\n  - {slug: post, title: A post}",
    )
    load(write(tmp_path, header + resource(sources="[thread, post]")))
    assert Resource.objects.get(slug="intro").source_count == 2
    load(write(tmp_path, header + resource(sources="[post]")))
    assert Resource.objects.get(slug="intro").source_count == 1


def test_the_shipped_topics_rest_on_others_without_a_loop():
    load()
    from catalog.graph import find_cycles

    edges = Topic.requires.through.objects.values_list("from_topic__slug", "to_topic__slug")
    requires: dict[str, list[str]] = {}
    for topic, required in edges:
        requires.setdefault(topic, []).append(required)
    assert find_cycles(requires) == []
    assert requires["eigenvalues"] == ["linear-transformations"]
    # Every math topic but the base one names what it rests on.
    math = Topic.objects.exclude(pillar=None).exclude(slug="algebra").values_list("slug", flat=True)
    assert [slug for slug in math if slug not in requires] == []


def test_a_topic_loop_made_by_admin_edits_is_refused(tmp_path):
    header = HEADER.replace(
        "  - {slug: vectors, name: Vectors, pillar: linear-algebra}",
        "  - {slug: vectors, name: Vectors, pillar: linear-algebra}\n"
        "  - {slug: matrices, name: Matrices, requires: [vectors]}",
    )
    write(tmp_path, header + resource())
    load(tmp_path)
    Topic.objects.get(slug="vectors").requires.add(Topic.objects.get(slug="matrices"))  # in the admin
    before = snapshot()
    message = refused(tmp_path)
    assert "topic requirement cycle once admin edits are kept: matrices -> vectors -> matrices" in message
    assert snapshot() == before
