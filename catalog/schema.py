"""The catalog's YAML format and its validation: pure functions, no database.

A catalog is any number of YAML files. Each file is a mapping whose keys are
among KIND_ORDER and whose values are lists of records. Together the files are
the whole catalog: references resolve only within them.

`validate()` checks everything it can before a single row is written and
returns every problem it finds, not just the first, each with its file and line.
"""

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .graph import find_cycles
from .yamlfile import LineDict, LineList, Problem, quoted

# \Z, not $: "$" also matches before a final newline, and "intro\n" is no slug.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# NUL and other control characters break PostgreSQL text columns and terminals;
# a lone surrogate cannot be encoded to store at all.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
# "Did you mean" compares a word with every slug; past this many unknown
# references the suggestions cost more than they help.
MAX_SUGGESTIONS = 50
_url_validator = URLValidator(schemes=["http", "https"])

KIND_LABELS = {
    "sources": "source",
    "stages": "stage",
    "pillars": "pillar",
    "topics": "topic",
    "resources": "resource",
    "sections": "section",
}
# Write order: everything a record refers to is written before it.
KIND_ORDER = tuple(KIND_LABELS)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text, line, slug, url, urls, position, hours, choice, ref, refs
    required: bool = False
    max_length: int = 0
    choices: tuple = ()  # (yaml value, stored value) pairs
    target: str = ""  # kind a ref points at

    @property
    def default(self):
        if self.type in ("refs", "urls"):
            return []
        if self.type == "ref":
            return None
        return ""


RESOURCE_KINDS = (
    ("video", "video"),
    ("video_series", "video_series"),
    ("course", "course"),
    ("book", "book"),
    ("article", "article"),
    ("interactive", "interactive"),
    ("lecture_series", "lecture_series"),
    ("project", "project"),
)
LEVELS = (("beginner", 1), ("intermediate", 2), ("advanced", 3))
COSTS = (("free", "free"), ("paid", "paid"))

SCHEMA: dict[str, tuple[Field, ...]] = {
    "sources": (
        Field("slug", "slug", required=True),
        Field("title", "line", required=True, max_length=200),
        Field("author", "line", max_length=200),
        Field("published", "line", max_length=100),
        Field("url", "url"),
        Field("document", "line", max_length=200),
        Field("summary", "text", max_length=5000),
    ),
    "stages": (
        Field("slug", "slug", required=True),
        Field("name", "line", required=True, max_length=100),
        Field("position", "position", required=True),
        Field("summary", "text", max_length=5000),
    ),
    "pillars": (
        Field("slug", "slug", required=True),
        Field("name", "line", required=True, max_length=100),
        Field("position", "position", required=True),
        Field("summary", "text", max_length=5000),
    ),
    "topics": (
        Field("slug", "slug", required=True),
        Field("name", "line", required=True, max_length=100),
        Field("pillar", "ref", target="pillars"),
        Field("requires", "refs", target="topics"),  # the topics it rests on
    ),
    "resources": (
        Field("slug", "slug", required=True),
        Field("title", "line", required=True, max_length=200),
        Field("url", "url"),  # left out when the seeds give no address
        Field("other_urls", "urls"),
        Field("creator", "line", required=True, max_length=200),
        Field("kind", "choice", required=True, choices=RESOURCE_KINDS),
        Field("level", "choice", required=True, choices=LEVELS),
        Field("cost", "choice", required=True, choices=COSTS),
        Field("hours", "hours", required=True),
        Field("stage", "ref", required=True, target="stages"),
        Field("pillar", "ref", target="pillars"),
        Field("topics", "refs", target="topics"),
        Field("sources", "refs", target="sources"),
        Field("prerequisites", "refs", target="resources"),
        Field("assumes", "refs", target="topics"),  # known before it; for a project, what it needs
        Field("summary", "text", required=True, max_length=5000),
    ),
    "sections": (
        Field("slug", "slug", required=True),
        Field("resource", "ref", required=True, target="resources"),
        Field("position", "position", required=True),
        Field("title", "line", required=True, max_length=200),
        Field("hours", "hours", required=True),
        Field("url", "url"),
        Field("topics", "refs", target="topics"),
        Field("assumes", "refs", target="topics"),
    ),
}

MAX_POSITION = 32767
MAX_HOURS = Decimal("9999.9")


@dataclass
class Record:
    kind: str
    slug: str
    values: dict  # field name -> stored value; refs hold slugs
    file: str
    line: int
    lines: dict = field(default_factory=dict)  # field name -> line


@dataclass
class Validated:
    """What `validate` makes of the YAML files: their records by kind, and every problem."""

    records: dict[str, list[Record]]
    problems: list[Problem]

    def by_slug(self, kind: str) -> dict[str, Record]:
        return {record.slug: record for record in self.records[kind]}


def _type_name(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _bad_character(text: str) -> str:
    found = CONTROL_RE.search(text)
    if not found:
        return ""
    kind = "a lone surrogate" if "\ud800" <= found.group() <= "\udfff" else "a control character"
    return f"contains {kind} (U+{ord(found.group()):04X})"


def _suggest(word: str, options) -> str:
    match = difflib.get_close_matches(str(word), sorted(options), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _clean_text(value, spec: Field, single_line: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {_type_name(value)}; put it in quotes")
    text = value.strip()
    if single_line and ("\n" in text or "\r" in text):
        raise ValueError("must fit on one line")
    if _bad_character(text):
        raise ValueError(_bad_character(text))
    if spec.max_length and len(text) > spec.max_length:
        raise ValueError(f"is {len(text)} characters long; the limit is {spec.max_length}")
    return text


def _clean_slug(value) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > 80:
        shown = value if isinstance(value, str) and len(value) <= 90 else _type_name(value)
        raise ValueError(
            f"{shown!r} is not a slug: use 1-80 lowercase letters, digits and single hyphens"
            if isinstance(value, str)
            else f"must be a slug, not {shown}"
        )
    return value


def _clean_url(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a URL, not {_type_name(value)}")
    url = value.strip()
    if len(url) > 500:
        raise ValueError(f"is {len(url)} characters long; the limit is 500")
    # Django's URLValidator lets NUL and most other control characters through.
    if _bad_character(url):
        raise ValueError(_bad_character(url))
    try:
        _url_validator(url)
    except ValidationError:
        raise ValueError(f"{url!r} is not a valid http(s) URL") from None
    return url


def _clean_value(value, spec: Field):
    """Turn one YAML value into its stored form, or raise ValueError with the reason."""
    if spec.type in ("text", "line"):
        return _clean_text(value, spec, single_line=spec.type == "line")
    if spec.type in ("slug", "ref"):
        return _clean_slug(value)
    if spec.type == "url":
        return _clean_url(value)
    if spec.type in ("refs", "urls"):
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {_type_name(value)}")
        clean = _clean_slug if spec.type == "refs" else _clean_url
        items = []
        for position, item in enumerate(value, start=1):
            try:
                items.append(clean(item))
            except ValueError as exc:
                raise ValueError(f"item {position}: {exc}") from None
        repeated = sorted(item for item, count in Counter(items).items() if count > 1)
        if repeated:
            raise ValueError(f"lists {', '.join(map(repr, repeated))} more than once")
        return sorted(items) if spec.type == "refs" else items
    if spec.type == "position":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number, not {_type_name(value)}")
        if not 0 <= value <= MAX_POSITION:
            raise ValueError(f"must be between 0 and {MAX_POSITION}")
        return value
    if spec.type == "hours":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number of hours, not {_type_name(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number of hours")
        try:
            hours = Decimal(str(value)).quantize(Decimal("0.1"))
        except InvalidOperation:
            raise ValueError(f"must be between 0.1 and {MAX_HOURS}") from None
        if not Decimal("0.1") <= hours <= MAX_HOURS:
            raise ValueError(f"must be between 0.1 and {MAX_HOURS}")
        return str(hours)
    if spec.type == "choice":
        allowed = dict(spec.choices)
        if not isinstance(value, str) or value not in allowed:
            shown = quoted(value) if isinstance(value, (str, int, float)) else _type_name(value)
            hint = _suggest(value, allowed) if isinstance(value, str) else ""
            raise ValueError(f"must be one of {', '.join(allowed)}; got {shown}{hint}")
        return allowed[value]
    raise AssertionError(f"unknown field type {spec.type}")


def _validate_record(kind: str, raw, filename: str, line: int, problems: list) -> Record | None:
    label = KIND_LABELS[kind]
    if not isinstance(raw, LineDict):
        problems.append(
            Problem(filename, line, f"each {label} must be a mapping of fields, not {_type_name(raw)}")
        )
        return None
    slug = raw.get("slug") if isinstance(raw.get("slug"), str) else ""
    shown_slug = slug if not slug or (SLUG_RE.match(slug) and len(slug) <= 80) else quoted(slug)
    specs = {spec.name: spec for spec in SCHEMA[kind]}
    values = {}
    for key in raw:
        if key not in specs:
            problems.append(
                Problem(
                    filename,
                    raw.line_of(key),
                    f"unknown {label} field {key[:80]!r}{_suggest(key, specs)}",
                    shown_slug,
                )
            )
    for spec in SCHEMA[kind]:
        values[spec.name] = spec.default
        if spec.name not in raw or raw[spec.name] is None:
            if spec.required:
                problems.append(Problem(filename, raw.line, f"{label} is missing {spec.name!r}", shown_slug))
            continue
        try:
            values[spec.name] = _clean_value(raw[spec.name], spec)
        except ValueError as exc:
            problems.append(Problem(filename, raw.line_of(spec.name), f"{spec.name} {exc}", shown_slug))
            continue
        if spec.required and values[spec.name] == "":
            problems.append(Problem(filename, raw.line_of(spec.name), f"{spec.name} is empty", shown_slug))
    if not values["slug"]:
        return None  # nothing can refer to it, so there is nothing more to check
    # A record with problems is still kept, so that references to it do not
    # raise a second, misleading "does not exist"; nothing is written anyway.
    lines = {key: raw.line_of(key) for key in raw}
    return Record(kind, values["slug"], values, filename, raw.line, lines)


def validate(documents: list[tuple[str, object]]) -> Validated:
    """Validate parsed YAML documents, given as (file name, parsed data) pairs."""
    problems: list[Problem] = []
    records: dict[str, list[Record]] = {kind: [] for kind in KIND_ORDER}
    for filename, data in documents:
        if data is None:
            continue  # an empty file is allowed: it adds nothing
        if not isinstance(data, LineDict):
            problems.append(
                Problem(
                    filename,
                    getattr(data, "line", 1),
                    f"the file must be a mapping with keys {', '.join(KIND_ORDER)}; found {_type_name(data)}",
                )
            )
            continue
        for key, items in data.items():
            if key not in records:
                problems.append(
                    Problem(
                        filename,
                        data.line_of(key),
                        f"unknown section {key[:80]!r}{_suggest(key, KIND_ORDER)}; "
                        f"expected one of {', '.join(KIND_ORDER)}",
                    )
                )
                continue
            if not isinstance(items, LineList):
                problems.append(
                    Problem(
                        filename,
                        data.line_of(key),
                        f"{key} must be a list of {KIND_LABELS[key]}s, not {_type_name(items)}",
                    )
                )
                continue
            for index, raw in enumerate(items):
                record = _validate_record(key, raw, filename, items.line_of(index), problems)
                if record:
                    records[key].append(record)

    _check_duplicates(records, problems)
    _check_references(records, problems)
    _check_prerequisites(records, problems)
    _check_topic_requirements(records, problems)
    _check_sections(records, problems)
    return Validated(records, sorted(set(problems)))


def _check_duplicates(records, problems):
    for kind, items in records.items():
        first: dict[str, Record] = {}
        unique = []
        for record in items:
            if record.slug in first:
                seen = first[record.slug]
                problems.append(
                    Problem(
                        record.file,
                        record.line,
                        f"duplicate {KIND_LABELS[kind]} slug; first defined at {seen.file}:{seen.line}",
                        record.slug,
                    )
                )
            else:
                first[record.slug] = record
                unique.append(record)
        records[kind] = unique


def _check_references(records, problems):
    known = {kind: {record.slug for record in items} for kind, items in records.items()}
    unknown = 0
    for kind, items in records.items():
        for record in items:
            for spec in SCHEMA[kind]:
                if spec.type not in ("ref", "refs"):
                    continue
                value = record.values[spec.name]
                targets = value if spec.type == "refs" else ([value] if value else [])
                for target in targets:
                    if target not in known[spec.target]:
                        label = KIND_LABELS[spec.target]
                        unknown += 1
                        hint = _suggest(target, known[spec.target]) if unknown <= MAX_SUGGESTIONS else ""
                        problems.append(
                            Problem(
                                record.file,
                                record.lines.get(spec.name, record.line),
                                f"{spec.name}: {label} {target!r} does not exist{hint}",
                                record.slug,
                            )
                        )


def _self_references(records: dict, field_name: str, what: str, problems: list) -> dict[str, list[str]]:
    """{slug: the slugs it names in `field_name`} for these records (a dict by slug), with a
    problem for each loop: one of them would leave every record in it waiting for another."""
    requires = {
        slug: [dep for dep in record.values[field_name] if dep in records] for slug, record in records.items()
    }
    for cycle in find_cycles(requires):
        record = records[cycle[0]]
        line = record.lines.get(field_name, record.line)
        problems.append(Problem(record.file, line, f"{what} cycle: {' -> '.join(cycle)}", record.slug))
    return requires


def _check_topic_requirements(records, problems):
    """What a topic rests on must form a DAG."""
    _self_references(
        {record.slug: record for record in records["topics"]}, "requires", "topic requirement", problems
    )


def _check_prerequisites(records, problems):
    resources = {record.slug: record for record in records["resources"]}
    stage_position = {
        record.slug: record.values["position"]
        for record in records["stages"]
        if isinstance(record.values["position"], int)
    }
    requires = _self_references(resources, "prerequisites", "prerequisite", problems)
    # A prerequisite from a later stage would leave the default path with no way forward.
    for slug, deps in requires.items():
        record = resources[slug]
        own = stage_position.get(record.values["stage"])
        for dep in deps:
            dep_stage = resources[dep].values["stage"]
            theirs = stage_position.get(dep_stage)
            if own is not None and theirs is not None and theirs > own:
                problems.append(
                    Problem(
                        record.file,
                        record.lines.get("prerequisites", record.line),
                        f"prerequisite {dep!r} is in stage {dep_stage!r}, which comes after "
                        f"this resource's stage {record.values['stage']!r}",
                        slug,
                    )
                )


def _check_sections(records, problems):
    """Within a resource, one section per position, and the sections' hours add up to the
    resource's: a plan that counts a book by its chapters must count the same hours."""
    resources = {record.slug: record for record in records["resources"]}
    by_resource: dict[str, list[Record]] = {}
    for record in records["sections"]:
        if record.values["resource"] in resources:
            by_resource.setdefault(record.values["resource"], []).append(record)
        if not record.values["topics"]:
            problems.append(
                Problem(record.file, record.line, "a section must teach at least one topic", record.slug)
            )
    for slug, sections in by_resource.items():
        first: dict[int, Record] = {}
        for record in sections:
            position = record.values["position"]
            if position == "":
                continue
            if position in first:
                seen = first[position]
                problems.append(
                    Problem(
                        record.file,
                        record.lines.get("position", record.line),
                        f"position {position} of {slug!r} is taken by {seen.slug!r} "
                        f"({seen.file}:{seen.line})",
                        record.slug,
                    )
                )
            else:
                first[position] = record
        hours = [record.values["hours"] for record in sections]
        total = resources[slug].values["hours"]
        if "" in hours or total == "":
            continue  # already reported as a bad or missing number
        summed = sum(Decimal(value) for value in hours)
        if summed != Decimal(total):
            record = min(sections, key=lambda r: (r.file, r.line))
            problems.append(
                Problem(
                    record.file,
                    record.line,
                    f"the sections of {slug!r} add up to {summed} hours, but the resource says {total}",
                    record.slug,
                )
            )
