"""Fuzzing load_catalog: whatever the YAML, it loads cleanly or is refused cleanly.

Every example writes a catalog folder and loads it over a catalog already in
the database. The loader must either refuse it with CatalogError, naming each
problem with its file (and its line, when the problem has one) and leaving the
database as it was, or accept it and store something sane that a second load
leaves alone. Any other exception, or a load slower than SLOW_SECONDS, is a bug.

Three properties, three sources of catalogs:
- the shipped fixtures, mutated (wrong types, missing keys, unknown references,
  cycles, duplicates, odd Unicode, huge strings, raw YAML, broken text and bytes);
- a small catalog generated valid, which must load, then an edited copy loaded
  over it (edits that keep it valid, which must load too, or the mutations above);
- the shipped fixtures beside one hostile file (alias and merge-key bombs, deep
  nesting, huge scalars and lists, random text, YAML-like soup and bytes).

Each runs 200 examples, the same ones every run (derandomized, for CI);
`make fuzz` runs 1,000 fresh ones each (LOADER_FUZZ_PROFILE=fuzz).
"""

import copy
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from catalog import loader
from catalog.loader import DEFAULT_PATH, MODELS, CatalogError, load_catalog, read_catalog
from catalog.models import Resource
from catalog.schema import CONTROL_RE, SCHEMA, SLUG_RE
from catalog.yamlfile import Problem
from tests.test_loader import snapshot

# Not "ci": Hypothesis has a built-in profile of that name which it loads by
# itself on CI machines, and the other property tests must keep theirs.
_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    # One catalog load per example is slow by Hypothesis's standards, the examples are
    # big on purpose, and the database fixture is shared because each example rolls back.
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
}
settings.register_profile("loader-ci", max_examples=200, derandomize=True, **_COMMON)
settings.register_profile("loader-fuzz", max_examples=1000, **_COMMON)
FUZZ = settings.get_profile(f"loader-{os.environ.get('LOADER_FUZZ_PROFILE', 'ci')}")

# Far above any honest load of these sizes, far below "catastrophic".
SLOW_SECONDS = 15
# Problems about a whole file rather than a place in it.
WHOLE_FILE = ("file is", "cannot read", "nested too deeply")
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")

pytestmark = pytest.mark.django_db


def _read_shipped() -> dict[str, object]:
    return {
        str(path.relative_to(DEFAULT_PATH)): yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(DEFAULT_PATH.rglob("*.yaml"))
    }


SHIPPED = _read_shipped()
REF_FIELDS = {
    kind: [spec for spec in specs if spec.type in ("ref", "refs")] for kind, specs in SCHEMA.items()
}
TEXT_FIELDS = {
    kind: [spec.name for spec in specs if spec.type in ("text", "line", "url")]
    for kind, specs in SCHEMA.items()
}
ALL_FIELDS = sorted({spec.name for specs in SCHEMA.values() for spec in specs})

# --- values ------------------------------------------------------------------------------

# Characters that have broken text handling somewhere: C0 and C1 controls, NUL,
# bidi overrides and marks, zero-width joiners, the BOM, Unicode line separators,
# noncharacters, lone surrogates, combining marks, emoji and the top code point.
ODD_CHARACTERS = (
    "\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80\x85\x9f\xa0\xad"
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u2028\u2029\u3000\ufeff\ufffc\ufffd\ufffe\uffff\ud800\udbff\udc00\udfff"
    "\u0301\u0336\u0345\u20dd\u0e47\ufdfd\U0001f600\U0001f469\U0001f52c\U0001f1eb\U0001f1f7"
    "\U000e0001\U0010fffd\U0010ffff"
)
odd_text = st.text(
    alphabet=st.one_of(st.sampled_from(ODD_CHARACTERS), st.characters()),
    max_size=30,
)
huge_text = st.builds(
    lambda piece, times: piece * times,
    st.text(alphabet=st.sampled_from("ab \u00e9\u202e\U0001f600\x00\n"), min_size=1, max_size=3),
    st.integers(1_000, 400_000),
)
slug_like = st.one_of(
    st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,5}){0,2}", fullmatch=True),
    st.sampled_from(["", "-", "a--b", "-a", "a-", "A", "a b", "a\n", "\na", "a_b", "é", "a" * 81, "a" * 80]),
    odd_text,
)
# Numbers at and just past every limit in the schema.
BOUNDARY_NUMBERS = [
    -1, 0, 1, 32767, 32768, 2**31, 2**63, -(2**63), 10**30,
    0.0, -0.0, 0.04, 0.05, 0.06, 0.1, 9999.9, 9999.94, 9999.95, 10000, 1e-300, 1e300,
    float("inf"), float("-inf"), float("nan"),
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.sampled_from(BOUNDARY_NUMBERS),
    st.dates(),
    st.datetimes(),
    odd_text,
    slug_like,
)
any_value = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(odd_text, st.sampled_from(ALL_FIELDS)), children, max_size=4),
        # Keys YAML allows but the catalog does not.
        st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), children, max_size=2),
    ),
    max_leaves=8,
)

# Raw YAML, spliced into the dumped text in place of a value: things a dumper
# would never write but a person (or an attacker) might.
RAW_TOKENS = [
    # numbers and dates that match YAML's patterns but not Python's int(), float() or date()
    "9" * 5000, "-" + "9" * 4400, "0x" + "f" * 4000, "1" + ":59" * 2500, "0b_", "0x_", "0o17", "017",
    "1_000", "1:30", "+.5", "1.0e+400", ".nan", "-.inf", "~", "=", "<<", "yes", "NO", "On", "Null",
    "2020-13-45", "2020-02-30", "2020-01-01 25:00:00", "9999-12-31 23:59:60",
    "2020-01-01 10:00:00 +99:00", "2020-01-01t10:00:00.123456789Z",
    # explicit tags, safe and unsafe
    "!!int foo", "!!float foo", "!!bool maybe", "!!timestamp soon", "!!null something",
    "!!binary '!!!'", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [{a: 1}]", "!!pairs [[a, 1]]",
    "!!str [1]", "!!map [1]", "!!python/object/apply:os.system [echo hi]", "!!python/name:os.system",
    "!custom value", "! plain", "!<tag:example.com,2000:x> y",
    # anchors, aliases, merge keys and nesting
    "*undefined", "&anchor value", "{<<: {title: merged}}", "{<<: [{a: 1}, {b: 2}]}", "{<<: 5}",
    "[" * 40 + "]" * 40, "{a: " * 40 + "1" + "}" * 40,
    # broken syntax and escapes: surrogates, NUL, NEL, beyond U+10FFFF
    "[unclosed", "{unclosed: 1", '"unterminated', "'it''s'", "| ", "> ", "- a", "a: b: c", "? x",
    "@reserved", "`reserved", "%directive", "--- x", "... x",
    '"\\ud800"', '"\\udfff\\ud800"', '"\\ud83d\\ude00"', '"\\0"', '"\\x85\\u2028"', '"\\U0010FFFF"',
    '"\\U00110000"', '"bad \\q escape"', '"\\e\\a\\b"',
    # long scalars
    "'" + "x" * 100_000 + "'", "x" * 100_000,
]  # fmt: skip
PLACEHOLDER = "rawyaml{}placeholder"

# Whole lines to splice into a file between its own lines.
BAD_LINES = [
    "\t- slug: tabbed", "\tkey: value", "  - [unclosed", "  - {a: 1", "resources: [", "a: &x [1]", "b: *x",
    "resources: []", "stages: []", "stages:", "---", "...", "%YAML 1.1", "%YAML 2.0",
    "%TAG ! tag:example.com,2000:", "? complex", ": value", "- - - x", "x" * 2000 + ": 1",
    "summary: " + "y" * 200_000, "#" + "comment " * 10, "  <<: {slug: merged}", "key: 'unterminated",
    '"key": "\\uDEAD"', "\ufeffbom: mid-file", "\x00", "\x85", "\u2028", "\r", "", "   ",
]  # fmt: skip
# Bytes that are not UTF-8: a stray continuation byte, 0xFF, a truncated sequence,
# an encoded surrogate, a code point above U+10FFFF, an overlong NUL.
BAD_BYTES = [
    b"\x80",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\x80",
    b"\xfe\xff",
]


# --- writing a catalog folder ------------------------------------------------------------


@dataclass
class Raw:
    """File contents given as text or bytes, written as they are."""

    content: str | bytes


def _dump(document, raw_tokens: list[str]) -> str:
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    for index, token in enumerate(raw_tokens):
        text = text.replace(PLACEHOLDER.format(index), token)
    return text


def write_folder(folder: Path, files: dict[str, object], raw_tokens: list[str]) -> list[Path]:
    paths = []
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.content if isinstance(content, Raw) else _dump(content, raw_tokens)
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- mutations ---------------------------------------------------------------------------


def _records(files, kind=None):
    """(file name, section, index) of every record that is still a mapping."""
    found = []
    for name, document in files.items():
        if not isinstance(document, dict):
            continue
        for section, items in document.items():
            if (kind is None or section == kind) and isinstance(items, list):
                found += [(name, section, i) for i, item in enumerate(items) if isinstance(item, dict)]
    return found


def _pick_record(draw, files, kind=None):
    found = _records(files, kind)
    if not found:
        return None
    name, section, index = draw(st.sampled_from(found))
    return section, files[name][section][index]


def drop_field(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked and picked[1]:
        del picked[1][draw(st.sampled_from(sorted(picked[1], key=str)))]


def retype_field(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked:
        section, record = picked
        names = [spec.name for spec in SCHEMA.get(section, ())] or ALL_FIELDS
        record[draw(st.sampled_from(names))] = draw(any_value)


def unknown_reference(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked and REF_FIELDS.get(picked[0]):
        spec = draw(st.sampled_from(REF_FIELDS[picked[0]]))
        ghost = draw(slug_like)
        if spec.type == "refs":
            current = picked[1].get(spec.name)
            picked[1][spec.name] = [*(current if isinstance(current, list) else []), ghost]
        else:
            picked[1][spec.name] = ghost


def unknown_field(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked:
        picked[1][draw(st.one_of(odd_text, st.sampled_from(["titel", "slugs", "Title", "prerequisite"])))] = (
            draw(any_value)
        )


def duplicate_record(draw, files, raw):
    picked = _pick_record(draw, files)
    if not picked:
        return
    section, record = picked
    target = draw(st.sampled_from(sorted(files)))
    if isinstance(files[target], dict):
        items = files[target].setdefault(section, [])
        if isinstance(items, list):
            items.insert(draw(st.integers(0, len(items))), copy.deepcopy(record))


def prerequisite_cycle(draw, files, raw):
    found = _records(files, "resources")
    if not found:
        return
    chain = draw(st.lists(st.sampled_from(found), min_size=1, max_size=5, unique=True))
    records = [files[name][section][index] for name, section, index in chain]
    for record, required in zip(records, records[1:] + records[:1], strict=True):
        current = record.get("prerequisites")
        record["prerequisites"] = [*(current if isinstance(current, list) else []), required.get("slug")]


def rename_slug(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked:
        picked[1]["slug"] = draw(slug_like)


def drop_record(draw, files, raw):
    found = _records(files)
    if found:
        name, section, index = draw(st.sampled_from(found))
        del files[name][section][index]


def break_section(draw, files, raw):
    name = draw(st.sampled_from(sorted(files)))
    document = files[name]
    if isinstance(document, dict) and document:
        section = draw(st.sampled_from(sorted(document)))
        if draw(st.booleans()):
            document[section] = draw(any_value)
        else:
            document[draw(st.one_of(odd_text, st.sampled_from(["resource", "Stages", "topic"])))] = (
                document.pop(section)
            )


def break_file(draw, files, raw):
    files[draw(st.sampled_from(sorted(files)))] = draw(any_value)


def odd_text_in_a_field(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked and TEXT_FIELDS.get(picked[0]):
        section, record = picked
        name = draw(st.sampled_from(TEXT_FIELDS[section]))
        current = record.get(name) if isinstance(record.get(name), str) else ""
        at = draw(st.integers(0, len(current)))
        record[name] = current[:at] + draw(st.one_of(odd_text, huge_text)) + current[at:]


def boundary_number(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked:
        name = draw(st.sampled_from(["position", "hours", "level", "slug", "title"]))
        picked[1][name] = draw(st.sampled_from(BOUNDARY_NUMBERS))


def raw_yaml_value(draw, files, raw):
    picked = _pick_record(draw, files)
    if picked:
        section, record = picked
        names = [spec.name for spec in SCHEMA.get(section, ())] or ALL_FIELDS
        raw.append(draw(st.sampled_from(RAW_TOKENS)))
        record[draw(st.sampled_from(names))] = PLACEHOLDER.format(len(raw) - 1)


STRUCTURAL = [
    drop_field,
    retype_field,
    unknown_reference,
    unknown_field,
    duplicate_record,
    prerequisite_cycle,
    rename_slug,
    drop_record,
    break_section,
    break_file,
    odd_text_in_a_field,
    boundary_number,
    raw_yaml_value,
]


def mutate_text(draw, text: str) -> object:
    """One textual or byte-level change to a dumped file."""
    lines = text.split("\n")
    at = draw(st.integers(0, len(lines)))
    how = draw(
        st.sampled_from(["insert", "delete", "duplicate", "tab", "truncate", "char", "bytes", "encode"])
    )
    if how == "insert":
        lines.insert(at, draw(st.one_of(st.sampled_from(BAD_LINES), odd_text)))
    elif how == "delete" and at < len(lines):
        del lines[at]
    elif how == "duplicate" and at < len(lines):
        lines.insert(at, lines[at])
    elif how == "tab" and at < len(lines):
        lines[at] = "\t" + lines[at].lstrip(" ")
    elif how == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif how == "char":
        offset = draw(st.integers(0, len(text)))
        return text[:offset] + draw(st.sampled_from(ODD_CHARACTERS)) + text[offset:]
    elif how == "bytes":
        data = text.encode("utf-8", "surrogatepass")
        offset = draw(st.integers(0, len(data)))
        return Raw(data[:offset] + draw(st.sampled_from(BAD_BYTES)) + data[offset:])
    elif how == "encode":
        encoding = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "latin-1", "utf-8-sig", "cp1252"]))
        return Raw(text.encode(encoding, "replace"))
    return "\n".join(lines)


def apply_mutations(draw, files: dict[str, object]) -> list[str]:
    """Mutate `files` in place; return the raw YAML tokens their placeholders stand for."""
    raw_tokens: list[str] = []
    for mutation in draw(st.lists(st.sampled_from(STRUCTURAL), min_size=1, max_size=4)):
        mutation(draw, files, raw_tokens)
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(sorted(files)))
        changed = mutate_text(draw, _dump(files[name], raw_tokens))
        files[name] = changed if isinstance(changed, Raw) else Raw(changed)
    return raw_tokens


# --- hostile files -----------------------------------------------------------------------


def billion_laughs(depth: int, width: int) -> str:
    lines = ['l0: &l0 "lol"']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n"


def merge_key_bomb(depth: int) -> str:
    # Each level merges the one below twice: 2**depth keys if the merge were expanded.
    lines = ["m0: &m0 {k: v}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, depth + 1)]
    return "\n".join([*lines, f"<<: *m{depth}"]) + "\n"


def inline_merge_bomb(depth: int) -> str:
    opening = "".join(f"&a{i} {{<<: [" for i in range(depth, 0, -1))
    closing = "".join(f", *a{i}]}}" for i in range(1, depth + 1))
    return f"x: {{<<: {opening}{{k: v}}{closing}}}\n"


def deep_nesting(depth: int, style: str) -> str:
    if style == "flow-list":
        return "stages: " + "[" * depth + "]" * depth + "\n"
    if style == "flow-map":
        return "stages: " + "{a: " * depth + "1" + "}" * depth + "\n"
    if style == "block-list":  # the indentation grows with the depth: keep the file small
        return "stages:\n" + "".join("  " * i + "-\n" for i in range(min(depth, 1000)))
    if style == "compact-list":
        return "stages:\n" + "- " * depth + "x\n"
    return "stages: " + "[" * depth + "\n"  # never closed


yamlish = st.lists(
    st.sampled_from(
        [
            *("\n", "\n  ", "  ", "- ", ": ", ", ", "[", "]", "{", "}", "'", '"', "#", "? ", "| ", "> "),
            *("&a ", "*a ", "!!str ", "!!int ", "<<: ", "---\n", "...\n", "%YAML 1.2\n", "\t"),
            *("stages", "resources", "slug", "title", "x", "1", "-1", "1.5", ".inf", "~", "yes", "\x00"),
            *("\\", "\\u0000", "\ufeff", "\u202e", "\U0001f600", "\x85"),
        ]
    ),
    max_size=150,
).map("".join)

hostile_files = st.one_of(
    st.builds(billion_laughs, st.integers(1, 40), st.integers(2, 12)),
    st.builds(merge_key_bomb, st.integers(1, 40)),
    st.builds(inline_merge_bomb, st.integers(1, 40)),
    st.builds(
        deep_nesting,
        st.integers(1, 200_000),
        st.sampled_from(["flow-list", "flow-map", "block-list", "compact-list", "open"]),
    ),
    st.builds(
        lambda n: "stages:\n  - {slug: s, name: " + "n" * n + ", position: 1}\n", st.integers(90, 1_000_000)
    ),
    st.builds(lambda n: "resources:\n  - {slug: r, kind: " + "k" * n + "}\n", st.integers(1, 1_000_000)),
    st.builds(lambda n: "".join(f"key{i}: {i}\n" for i in range(n)), st.integers(1, 20_000)),
    st.builds(
        lambda n: (
            "resources:\n  - {slug: r, prerequisites: [" + ", ".join(f"g{i}" for i in range(n)) + "]}\n"
        ),
        st.integers(1, 20_000),
    ),
    st.builds(
        lambda n: "resources:\n  - {slug: r, prerequisites: [" + ", ".join(["g"] * n) + "]}\n",
        st.integers(2, 20_000),
    ),
    st.sampled_from(RAW_TOKENS).map(lambda token: f"stages: {token}\n"),
    st.sampled_from(RAW_TOKENS),
    st.sampled_from(BAD_LINES),
    yamlish,
    st.text(max_size=500),
    st.binary(max_size=500).map(Raw),
    st.just(""),
    st.just(Raw(b"")),
    st.just(Raw(b"\xef\xbb\xbf")),
)
# Names the loader must print faithfully; all of them end in .yaml or .yml.
EXTRA_NAMES = [
    "extra.yaml",
    "zz.yml",
    "sub/dir/x.yaml",
    "with space.yaml",
    "ünïcödé-\u202e.yaml",
    ".hidden.yaml",
]


# --- a small catalog that is valid by construction ---------------------------------------

slugs = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
# Printable text, odd but allowed: no controls, no surrogates, no line separators.
fine_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        st.sampled_from("\u200e\u200f\u202e\u200d\u0301\U0001f600\U0001f469\ufeff\u00a0 "),
    ),
    min_size=1,
    max_size=60,
).filter(lambda text: text.strip() != "")
fine_urls = st.one_of(
    st.from_regex(r"https?://example\.(com|org)/[a-z0-9/._~-]{0,30}", fullmatch=True),
    st.sampled_from(["https://例え.テスト/パス", "http://[::1]:8000/x", "https://a.example/?q=1#frag"]),
)


def subsets(items):
    return st.lists(st.sampled_from(items), unique=True) if items else st.just([])


@st.composite
def valid_catalogs(draw):
    def ordered(kind):
        chosen = draw(st.lists(slugs, min_size=1 if kind == "stages" else 0, max_size=3, unique=True))
        return [
            {
                "slug": s,
                "name": draw(fine_text),
                "position": draw(st.integers(0, 32767)),
                "summary": draw(fine_text),
            }
            for s in chosen
        ]

    stages, pillars = ordered("stages"), ordered("pillars")
    pillar_slugs = [pillar["slug"] for pillar in pillars]
    topics = [
        {"slug": s, "name": draw(fine_text), "pillar": draw(st.sampled_from([None, *pillar_slugs]))}
        for s in draw(st.lists(slugs, max_size=4, unique=True))
    ]
    sources = [
        {"slug": s, "title": draw(fine_text), "url": draw(fine_urls)}
        for s in draw(st.lists(slugs, max_size=2, unique=True))
    ]
    position = {stage["slug"]: stage["position"] for stage in stages}
    resources = []
    for s in draw(st.lists(slugs, min_size=1, max_size=8, unique=True)):
        stage = draw(st.sampled_from(sorted(position)))
        # Earlier resources only, from this stage or an earlier one: no cycles, no way back.
        allowed = sorted(r["slug"] for r in resources if position[r["stage"]] <= position[stage])
        resources.append(
            {
                "slug": s,
                "title": draw(fine_text),
                "url": draw(fine_urls),
                "other_urls": draw(st.lists(fine_urls, max_size=2, unique=True)),
                "creator": draw(fine_text),
                "kind": draw(st.sampled_from(["video", "course", "book", "project"])),
                "level": draw(st.sampled_from(["beginner", "intermediate", "advanced"])),
                "cost": draw(st.sampled_from(["free", "paid"])),
                "hours": draw(st.one_of(st.integers(1, 9999), st.integers(1, 99_999).map(lambda n: n / 10))),
                "stage": stage,
                "pillar": draw(st.sampled_from([None, *pillar_slugs])),
                "topics": draw(subsets([topic["slug"] for topic in topics])),
                "sources": draw(subsets([source["slug"] for source in sources])),
                "prerequisites": draw(subsets(allowed)),
                "summary": draw(fine_text),
            }
        )
    files = {"taxonomy.yaml": {"stages": stages, "pillars": pillars, "topics": topics}}
    if sources:
        files["sources.yaml"] = {"sources": sources}
    # Spread the resources over files, so duplicates and references cross files.
    split = draw(st.integers(0, len(resources)))
    files["resources/a.yaml"] = {"resources": resources[:split]}
    files["resources/b.yaml"] = {"resources": resources[split:]}
    return files


def _resources(files) -> list[dict]:
    return [files[name][section][index] for name, section, index in _records(files, "resources")]


def _unrequired(files) -> list[dict]:
    required = {slug for record in _resources(files) for slug in record["prerequisites"]}
    return [record for record in _resources(files) if record["slug"] not in required]


def _one_of(draw, records):
    return draw(st.sampled_from(records)) if records else {}


def retitle(draw, files):
    _, record = _pick_record(draw, files)
    record["title" if "title" in record else "name"] = draw(fine_text)


def new_hours(draw, files):
    if record := _one_of(draw, _resources(files)):
        record["hours"] = draw(st.integers(1, 99_999).map(lambda n: n / 10))


def new_level(draw, files):
    if record := _one_of(draw, _resources(files)):
        record["level"] = draw(st.sampled_from(["beginner", "advanced"]))


def retire_one(draw, files):
    gone = _one_of(draw, _unrequired(files))
    for name, section, index in _records(files, "resources"):
        if files[name][section][index] is gone:
            del files[name][section][index]
            return


def rename_one(draw, files):
    taken = {record["slug"] for record in _resources(files)}
    if record := _one_of(draw, _unrequired(files)):
        record["slug"] = draw(slugs.filter(lambda slug: slug not in taken))


# Edits that keep a generated catalog valid: the update, create and retire paths.
VALID_EDITS = [retitle, new_hours, new_level, retire_one, rename_one]


# --- the checks ---------------------------------------------------------------------------


def _lines_in(path: Path) -> int:
    """Lines as an editor counts them: a final line break does not start another."""
    text = path.read_bytes().decode("utf-8", "replace")
    return max(1, len(LINE_BREAK_RE.findall(text)) + (0 if text.endswith(("\n", "\r")) else 1))


def assert_names_every_problem(error: CatalogError, paths: list[Path]):
    assert error.problems, "a refusal without a single problem"
    ours = {path.resolve(): path for path in paths}
    lines = {path: _lines_in(path) for path in paths}
    for problem in error.problems:
        text = str(problem)
        assert problem.message.strip(), f"an empty message: {text!r}"
        # One printable line each: no raw line breaks, controls or bidi overrides from the input.
        assert problem.message.isprintable() and problem.slug.isprintable(), f"unescaped input in {text!r}"
        assert len(problem.message) < 1000, f"a message {len(problem.message)} characters long"
        path = ours.get(Path(problem.file).resolve())
        assert path is not None, f"{text!r} names no file of the catalog"
        assert text.startswith(problem.file)
        if problem.line == 0:
            assert problem.message.startswith(WHOLE_FILE), f"no line number in {text!r}"
        else:
            assert 1 <= problem.line <= lines[path], f"line {problem.line} is not in {path.name}: {text!r}"


def assert_loaded_sanely(folder: Path):
    catalog, _ = read_catalog([folder])
    for kind, model in MODELS.items():
        expected = {record.slug for record in catalog.records[kind]}
        assert set(model.objects.active().values_list("slug", flat=True)) == expected
        for row in model.objects.active():
            assert SLUG_RE.fullmatch(row.slug), f"{kind} slug {row.slug!r} was stored"
            for name in TEXT_FIELDS[kind]:
                assert not CONTROL_RE.search(getattr(row, name)), f"a control character in {kind} {name}"
    for slug in Resource.objects.active().values_list("slug", flat=True):
        reverse("catalog:detail", args=[slug])
    again = load_catalog([folder])
    assert not again.changed, f"a second load of the same YAML changed something: {again.total}"


def timed_load(folder: Path) -> tuple[CatalogError | None, float]:
    """Load `folder`; return the refusal, if any, and the seconds it took."""
    started = time.monotonic()
    try:
        load_catalog([folder])
    except CatalogError as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def check_load(folder: Path, paths: list[Path], must_load=False):
    """Load `folder` over what is loaded, check the outcome, then put the database back."""
    before = snapshot()
    with transaction.atomic():
        error, elapsed = timed_load(folder)
        event("refused" if error else "loaded")  # shown by --hypothesis-show-statistics
        if error:
            assert not must_load, f"a valid catalog was refused:\n{error}"
            assert_names_every_problem(error, paths)
            assert snapshot() == before, "a refused catalog changed the database"
        else:
            assert_loaded_sanely(folder)
        # Undo an accepted load too, so every example starts from the same database.
        transaction.set_rollback(True)
    assert elapsed < SLOW_SECONDS, f"the load took {elapsed:.1f} s"
    assert snapshot() == before


@pytest.fixture
def shipped(db):
    # Over a loaded catalog, "the database did not change" means something.
    load_catalog()


@pytest.fixture
def folders(tmp_path):
    def make():
        return Path(tempfile.mkdtemp(dir=tmp_path))

    return make


@FUZZ
@given(data=st.data())
def test_a_mutated_shipped_catalog_loads_or_is_refused_cleanly(data, shipped, folders):
    files = copy.deepcopy(SHIPPED)
    raw_tokens = apply_mutations(data.draw, files)
    folder = folders()
    check_load(folder, write_folder(folder, files, raw_tokens))


@FUZZ
@given(files=valid_catalogs(), data=st.data())
def test_a_generated_catalog_loads_and_an_edited_copy_loads_over_it_or_is_refused_cleanly(
    files, data, db, folders
):
    with transaction.atomic():
        original = folders()
        write_folder(original, files, [])
        load_catalog([original])  # valid by construction, so CatalogError here is a failure
        assert_loaded_sanely(original)
        edited = copy.deepcopy(files)
        valid_only = data.draw(st.booleans(), label="valid edits only")
        if valid_only:
            for edit in data.draw(st.lists(st.sampled_from(VALID_EDITS), min_size=1, max_size=4)):
                edit(data.draw, edited)
            raw_tokens = []
        else:
            raw_tokens = apply_mutations(data.draw, edited)
        folder = folders()
        check_load(folder, write_folder(folder, edited, raw_tokens), must_load=valid_only)
        transaction.set_rollback(True)


@FUZZ
@given(content=hostile_files, name=st.sampled_from(EXTRA_NAMES))
def test_a_hostile_file_beside_the_catalog_never_crashes_the_loader(content, name, shipped, folders):
    files = {**copy.deepcopy(SHIPPED), name: content if isinstance(content, Raw) else Raw(content)}
    folder = folders()
    check_load(folder, write_folder(folder, files, []))


def test_the_snapshot_sees_a_load_and_a_refusal_undoes_a_partial_write(shipped, folders, monkeypatch):
    """What check_load relies on: the snapshot notices writes, and the loader's savepoint undoes them."""
    files = copy.deepcopy(SHIPPED)
    files["resources/calculus.yaml"]["resources"][0]["title"] = "Retitled"
    folder = folders()
    write_folder(folder, files, [])
    before = snapshot()
    write_kind = loader._Writer._write_kind

    def write_then_refuse(writer, kind):
        write_kind(writer, kind)
        if kind == "resources":
            raise CatalogError([Problem("(test)", 0, "refused after writing")])

    monkeypatch.setattr(loader._Writer, "_write_kind", write_then_refuse)
    with pytest.raises(CatalogError):
        load_catalog([folder])
    assert snapshot() == before
    monkeypatch.undo()
    load_catalog([folder])
    assert snapshot() != before
