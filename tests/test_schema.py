"""Validation of catalog YAML, without a database: every kind of bad input, named precisely."""

import textwrap

import pytest

from catalog import schema, yamlfile

HEADER = """\
stages:
  - {slug: programming, name: Programming, position: 1}
  - {slug: math, name: Mathematics, position: 3}
pillars:
  - {slug: linear-algebra, name: Linear algebra, position: 1}
topics:
  - {slug: vectors, name: Vectors, pillar: linear-algebra}
sources:
  - {slug: thread, title: A thread}
resources:
"""


def resource(slug="intro", **overrides) -> str:
    fields = {
        "slug": slug,
        "title": "Intro",
        "url": "https://example.com/intro",
        "creator": "Someone",
        "kind": "course",
        "level": "beginner",
        "cost": "free",
        "hours": 3,
        "stage": "math",
        "pillar": "linear-algebra",
        "topics": "[vectors]",
        "sources": "[thread]",
        "summary": "A short course in our own words.",
    }
    fields.update(overrides)
    lines = [f"  - slug: {fields.pop('slug')}"]
    lines += [f"    {key}: {value}" for key, value in fields.items() if value is not None]
    return "\n".join(lines) + "\n"


def problems(text: str, filename="cat.yaml") -> list[str]:
    try:
        data = yamlfile.parse(text, filename)
    except yamlfile.YamlError as exc:
        return [str(exc.problem)]
    return [str(problem) for problem in schema.validate([(filename, data)]).problems]


def test_it_accepts_a_valid_catalog():
    catalog = schema.validate([("cat.yaml", yamlfile.parse(HEADER + resource(), "cat.yaml"))])
    assert catalog.problems == []
    [record] = catalog.records["resources"]
    assert record.values["level"] == 1
    assert record.values["hours"] == "3.0"
    assert record.values["topics"] == ["vectors"]


def test_it_reports_yaml_syntax_with_the_line():
    text = HEADER + resource() + "  - slug: [unclosed\n"
    [message] = problems(text)
    assert message == (
        "cat.yaml:24: YAML syntax: did not find expected ',' or ']' at the end of the file "
        "(while parsing a flow sequence)"
    )


def test_it_reports_a_missing_required_field():
    [message] = problems(HEADER + resource(title=None))
    assert message == "cat.yaml:11: [intro] resource is missing 'title'"


def test_it_reports_a_wrong_type_on_the_fields_line():
    [message] = problems(HEADER + resource(hours="lots"))
    assert message == "cat.yaml:18: [intro] hours must be a number of hours, not text"


def test_it_reports_an_unknown_choice_with_a_suggestion():
    [message] = problems(HEADER + resource(kind="boook"))
    assert "kind must be one of video, video_series, course, book" in message
    assert "did you mean 'book'?" in message


def test_it_reports_a_bad_url():
    [message] = problems(HEADER + resource(url="ftp://example.com/x"))
    assert message == "cat.yaml:13: [intro] url 'ftp://example.com/x' is not a valid http(s) URL"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://example.com/x"])
def test_it_refuses_an_address_that_is_not_http_in_other_urls(url):
    [message] = problems(HEADER + resource(other_urls=f'["https://example.com/ok", "{url}"]'))
    assert message == f"cat.yaml:24: [intro] other_urls item 2: {url!r} is not a valid http(s) URL"


def test_it_reports_an_unknown_field():
    [message] = problems(HEADER + resource(titel="Typo"))
    assert "unknown resource field 'titel' (did you mean 'title'?)" in message


def test_it_reports_duplicate_slugs_with_both_places():
    [message] = problems(HEADER + resource() + resource())
    assert message == "cat.yaml:24: [intro] duplicate resource slug; first defined at cat.yaml:11"


def test_it_reports_duplicate_slugs_across_files():
    first = yamlfile.parse(HEADER + resource(), "a.yaml")
    second = yamlfile.parse("resources:\n" + resource(), "b.yaml")
    [problem] = schema.validate([("a.yaml", first), ("b.yaml", second)]).problems
    assert str(problem) == "b.yaml:2: [intro] duplicate resource slug; first defined at a.yaml:11"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("stage", "maths", "stage: stage 'maths' does not exist (did you mean 'math'?)"),
        ("pillar", "calculus", "pillar: pillar 'calculus' does not exist"),
        ("topics", "[vectors, tensors]", "topics: topic 'tensors' does not exist"),
        ("sources", "[blog]", "sources: source 'blog' does not exist"),
        ("prerequisites", "[nothing-here]", "prerequisites: resource 'nothing-here' does not exist"),
    ],
)
def test_it_reports_unknown_references(field, value, expected):
    [message] = problems(HEADER + resource(**{field: value}))
    assert message.endswith(expected)
    assert message.startswith("cat.yaml:")


def test_it_names_a_prerequisite_cycle():
    text = HEADER + resource("a", prerequisites="[b]") + resource("b", prerequisites="[a]")
    [message] = problems(text)
    assert message == "cat.yaml:24: [a] prerequisite cycle: a -> b -> a"


def test_it_names_a_self_prerequisite_as_a_cycle():
    [message] = problems(HEADER + resource("a", prerequisites="[a]"))
    assert message.endswith("prerequisite cycle: a -> a")


def test_it_refuses_a_prerequisite_from_a_later_stage():
    text = HEADER + resource("early", stage="programming", prerequisites="[late]") + resource("late")
    [message] = problems(text)
    assert "prerequisite 'late' is in stage 'math', which comes after this resource's stage" in message


def test_it_reports_every_problem_not_just_the_first():
    text = HEADER + resource("a", hours=-1, url="nope") + resource("b", stage="nowhere")
    found = problems(text)
    assert len(found) == 3
    assert any("hours must be between 0.1" in p for p in found)
    assert any("url 'nope'" in p for p in found)
    assert any("stage 'nowhere'" in p for p in found)


def test_it_does_not_cascade_a_broken_record_into_missing_references():
    text = HEADER + resource("a", hours="x") + resource("b", prerequisites="[a]")
    [message] = problems(text)
    assert "hours" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just a list\n", "the file must be a mapping"),
        ("resource:\n  - {}\n", "unknown section 'resource' (did you mean 'resources'?)"),
        ("resources: {slug: x}\n", "resources must be a list of resources, not a mapping"),
        ("resources:\n  - just text\n", "each resource must be a mapping of fields, not text"),
        ("a: &x [1]\nb: *x\n", "anchors and aliases (*name) are not allowed"),
        ("resources: []\nresources: []\n", "duplicate key 'resources'"),
        ("? [a, b]\n: 1\n", "keys must be text"),
    ],
)
def test_it_explains_a_malformed_file(text, expected):
    [message] = problems(text)
    assert expected in message


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"slug": "Not A Slug"}, "is not a slug"),
        ({"title": '"' + "x" * 201 + '"'}, "title is 201 characters long; the limit is 200"),
        ({"title": '"bad\\u0000null"'}, "title contains a control character"),
        ({"title": '"two\\nlines"'}, "title must fit on one line"),
        ({"hours": ".nan"}, "hours must be a finite number of hours"),
        ({"hours": "0.01"}, "hours must be between 0.1 and 9999.9"),
        ({"hours": "true"}, "hours must be a number of hours, not true/false"),
        ({"topics": "[vectors, vectors]"}, "topics lists 'vectors' more than once"),
        ({"topics": "vectors"}, "topics must be a list, not text"),
        ({"summary": '""'}, "summary is empty"),
        ({"level": "expert"}, "level must be one of beginner, intermediate, advanced"),
    ],
)
def test_it_rejects_bad_values(override, expected):
    found = problems(HEADER + resource(**override))
    assert any(expected in message for message in found), found


def test_it_accepts_unicode_text():
    text = HEADER + resource(title='"Lineare Algebra für Anfänger — 線形代数"')
    assert problems(text) == []


def test_an_empty_file_adds_nothing():
    assert problems("") == []


def test_problem_text_is_stable():
    problem = yamlfile.Problem("f.yaml", 3, "bad", "slug")
    assert str(problem) == "f.yaml:3: [slug] bad"
    assert textwrap.dedent(str(yamlfile.Problem("f.yaml", 0, "gone"))) == "f.yaml: gone"


TOPICS_WITH = """\
stages:
  - {slug: math, name: Mathematics, position: 3}
topics:
  - {slug: vectors, name: Vectors}
  - {slug: matrices, name: Matrices, requires: [vectors]}
  - {slug: eigen, name: Eigenvalues, requires: [matrices]}
"""


def test_a_topic_names_the_topics_it_rests_on():
    assert problems(TOPICS_WITH) == []


def test_it_names_a_topic_requirement_cycle_with_its_file_and_line():
    text = TOPICS_WITH.replace(
        "{slug: vectors, name: Vectors}", "{slug: vectors, name: Vectors, requires: [eigen]}"
    )
    [message] = problems(text)
    assert message == "cat.yaml:6: [eigen] topic requirement cycle: eigen -> matrices -> vectors -> eigen"


def test_it_refuses_an_unknown_topic_requirement():
    [message] = problems(TOPICS_WITH.replace("requires: [vectors]", "requires: [tensors]"))
    assert message.startswith("cat.yaml:5:") and message.endswith("requires: topic 'tensors' does not exist")
