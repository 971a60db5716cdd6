"""Load the YAML catalog into the database: validate everything, then write once.

Nothing is written unless every file parses and validates. The write is a
single transaction that upserts by slug, retires rows that left the YAML, and
counts what it did. It works in bulk (a handful of queries per kind, whatever
the catalog's size), because the benchmark loads 5,000 resources.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone

from . import yamlfile
from .graph import find_cycles
from .merge import merge
from .models import CatalogRevision, Pillar, Prerequisite, Resource, Section, Source, Stage, Topic
from .schema import KIND_LABELS, KIND_ORDER, SCHEMA, Validated, validate
from .yamlfile import Problem

MODELS = {
    "sources": Source,
    "stages": Stage,
    "pillars": Pillar,
    "topics": Topic,
    "resources": Resource,
    "sections": Section,
}
# Many-to-many fields: (through model, column of the owner, column of the target).
THROUGH = {
    ("topics", "requires"): (Topic.requires.through, "from_topic_id", "to_topic_id"),
    ("resources", "topics"): (Resource.topics.through, "resource_id", "topic_id"),
    ("resources", "sources"): (Resource.sources.through, "resource_id", "source_id"),
    ("resources", "prerequisites"): (Prerequisite, "resource_id", "required_id"),
    ("resources", "assumes"): (Resource.assumes.through, "resource_id", "topic_id"),
    ("sections", "topics"): (Section.topics.through, "section_id", "topic_id"),
    ("sections", "assumes"): (Section.assumes.through, "section_id", "topic_id"),
}
# Self-references that must stay free of loops, once admin edits are merged in.
CYCLE_FREE = {"resources": "prerequisites", "topics": "requires"}
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "fixtures"


class CatalogError(Exception):
    """The catalog was refused; `problems` says why, each with file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0

    def __str__(self):
        return (
            f"{self.created} created, {self.updated} updated, "
            f"{self.retired} retired, {self.unchanged} unchanged"
        )


@dataclass
class Report:
    files: list[str]
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KIND_ORDER})
    notes: list[str] = field(default_factory=list)
    skipped: bool = False  # the files and the catalog were as the last load left them

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.counts.values():
            total.created += counts.created
            total.updated += counts.updated
            total.retired += counts.retired
            total.unchanged += counts.unchanged
        return total

    @property
    def changed(self) -> bool:
        total = self.total
        return bool(total.created or total.updated or total.retired)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def collect_files(paths) -> tuple[list[Path], list[Problem]]:
    files, problems = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                problems.append(Problem(_display(path), 0, "no .yaml files in this folder"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(raw), 0, "no such file or folder"))
    return files, problems


def read_catalog(paths) -> tuple[Validated, list[str]]:
    """Parse and validate; raise CatalogError listing every problem found."""
    files, problems = collect_files(paths)
    documents = []
    for path in files:
        name = _display(path)
        try:
            documents.append((name, yamlfile.read(path, name)))
        except yamlfile.YamlError as exc:
            problems.append(exc.problem)
    catalog = validate(documents)
    problems.extend(catalog.problems)
    if problems:
        raise CatalogError(sorted(set(problems)))
    return catalog, [name for name, _ in documents]


def load_catalog(paths=None, prefer_yaml: bool = False, force: bool = False) -> Report:
    """Validate, then write in one transaction. If the files are byte for byte those of
    the last load and nothing has touched the catalog since, there is nothing to do:
    return at once (every deploy reloads the catalog; most deploys do not change it).
    `force` checks every row anyway, e.g. after someone edited the tables with raw SQL."""
    paths = paths or [DEFAULT_PATH]
    digest = _digest(paths, prefer_yaml)
    if not force and digest and _unchanged_since_last_load(digest):
        files, _ = collect_files(paths)
        return Report(files=[_display(path) for path in files], skipped=True)
    catalog, names = read_catalog(paths)
    report = Report(files=names)
    with transaction.atomic():
        _Writer(catalog, report, prefer_yaml).write()
        state = CatalogRevision.objects.filter(pk=CatalogRevision.SINGLETON).first()
        token = CatalogRevision.bump() if report.changed or state is None else state.token
        CatalogRevision.objects.filter(pk=CatalogRevision.SINGLETON).update(
            loaded_digest=digest, loaded_token=token
        )
    return report


# The loader's own code is part of the digest: the same YAML read by a newer loader
# (a new field, a new rule) must be loaded again, not skipped.
_CODE = [Path(__file__).with_name(name) for name in ("loader.py", "schema.py", "merge.py", "yamlfile.py")]


def _digest(paths, prefer_yaml: bool) -> str:
    """SHA-256 over the loader's code and every file's name and bytes; "" if a file is unreadable
    (then the full load runs and reports the problem properly)."""
    files, problems = collect_files(paths)
    if problems:
        return ""
    digest = hashlib.sha256(b"prefer-yaml" if prefer_yaml else b"keep-admin-edits")
    try:
        for path in [*_CODE, *sorted(files)]:
            if path.stat().st_size > yamlfile.MAX_FILE_BYTES:
                return ""
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(path.read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()


def _unchanged_since_last_load(digest: str) -> bool:
    try:
        state = CatalogRevision.objects.filter(pk=CatalogRevision.SINGLETON).first()
    except DatabaseError:
        # No table yet (migrate has not run): validate as usual, so bad YAML is still
        # reported as such rather than as a database error.
        return False
    return state is not None and state.loaded_digest == digest and state.loaded_token == state.token


def _hours(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.1")))


class _Writer:
    def __init__(self, catalog: Validated, report: Report, prefer_yaml: bool):
        self.catalog = catalog
        self.report = report
        self.prefer_yaml = prefer_yaml
        self.ids: dict[str, dict[str, int]] = {}  # kind -> slug -> id
        self.slugs: dict[str, dict[int, str]] = {}  # kind -> id -> slug
        self.pairs: dict[tuple[str, str], dict[tuple[int, int], int]] = {}  # link -> row pk
        self.now = timezone.now()

    def write(self):
        for kind in KIND_ORDER:
            self._write_kind(kind)

    def _current_links(self, kind, rows) -> dict[str, dict[int, list[str]]]:
        links: dict[str, dict[int, list[str]]] = {}
        for spec in SCHEMA[kind]:
            if spec.type != "refs":
                continue
            through, owner, target = THROUGH[(kind, spec.name)]
            target_slugs = (
                {row.id: row.slug for row in rows.values()}
                if spec.target == kind
                else self.slugs[spec.target]
            )
            found = defaultdict(list)
            pairs = {}
            for pk, owner_id, target_id in through.objects.values_list("pk", owner, target):
                found[owner_id].append(target_slugs[target_id])
                pairs[(owner_id, target_id)] = pk
            self.pairs[(kind, spec.name)] = pairs
            links[spec.name] = {key: sorted(value) for key, value in found.items()}
        return links

    def _state(self, kind, row, links) -> dict:
        state = {}
        for spec in SCHEMA[kind]:
            if spec.type == "ref":
                state[spec.name] = self.slugs[spec.target].get(getattr(row, f"{spec.name}_id"))
            elif spec.type == "refs":
                state[spec.name] = links[spec.name].get(row.id, [])
            elif spec.type == "hours":
                state[spec.name] = _hours(getattr(row, spec.name))
            elif spec.type == "text":
                # Browsers send textarea line breaks as CRLF; that is not an edit.
                state[spec.name] = getattr(row, spec.name).replace("\r\n", "\n")
            else:
                state[spec.name] = getattr(row, spec.name)
        return state

    def _apply(self, kind, row, values):
        for spec in SCHEMA[kind]:
            value = values[spec.name]
            if spec.type == "ref":
                setattr(row, f"{spec.name}_id", self.ids[spec.target][value] if value else None)
            elif spec.type == "hours":
                setattr(row, spec.name, Decimal(value))
            elif spec.type != "refs":
                setattr(row, spec.name, value)

    def _write_kind(self, kind):
        model = MODELS[kind]
        label = KIND_LABELS[kind]
        counts = self.report.counts[kind]
        rows = {row.slug: row for row in model.objects.all()}
        links = self._current_links(kind, rows)
        fk_fields = [f"{s.name}_id" if s.type == "ref" else s.name for s in SCHEMA[kind] if s.type != "refs"]

        to_create, to_update, desired = [], [], {}
        for record in self.catalog.records[kind]:
            row = rows.get(record.slug)
            if row is None:
                row = model(fixture_state=record.values)
                self._apply(kind, row, record.values)
                to_create.append(row)
                desired[record.slug] = record.values
                counts.created += 1
                continue
            current = self._state(kind, row, links)
            merged = merge(row.fixture_state, current, record.values, self.prefer_yaml)
            if merged.kept:
                self.report.notes.append(
                    f"kept admin edit to {label} {record.slug!r}: {', '.join(merged.kept)} "
                    "(--prefer-yaml takes the YAML)"
                )
            if merged.overwritten:
                self.report.notes.append(
                    f"YAML replaced an admin edit to {label} {record.slug!r}: {', '.join(merged.overwritten)}"
                )
            desired[record.slug] = merged.values
            changed = merged.values != current or row.retired
            if changed or row.fixture_state != record.values:
                self._apply(kind, row, merged.values)
                row.fixture_state = record.values
                row.retired = False
                row.updated_at = self.now
                to_update.append(row)
            if changed:
                counts.updated += 1
            else:
                counts.unchanged += 1

        in_yaml = set(desired)
        admin_only = 0
        for slug, row in rows.items():
            if slug in in_yaml or row.retired:
                continue
            if row.fixture_state is None:
                admin_only += 1  # created in the admin, never in the YAML: not ours to retire
                continue
            row.retired = True
            row.updated_at = self.now
            to_update.append(row)
            counts.retired += 1
        if admin_only:
            self.report.notes.append(
                f"{admin_only} {label}(s) exist only in the database (added in the admin); left as they are"
            )

        if kind in CYCLE_FREE:
            self._check_cycles(rows, links, desired, CYCLE_FREE[kind])

        model.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            model.objects.bulk_update(
                to_update, [*fk_fields, "fixture_state", "retired", "updated_at"], batch_size=500
            )
        self.ids[kind] = dict(model.objects.values_list("slug", "id"))
        self.slugs[kind] = {pk: slug for slug, pk in self.ids[kind].items()}
        self._write_links(kind, links, desired)
        if kind == "resources":
            Resource.objects.recount_sources()

    def _check_cycles(self, rows, links, desired, field_name):
        """Admin edits kept by the merge could close a loop the YAML alone does not have."""
        requires = {
            slug: links[field_name].get(row.id, [])
            for slug, row in rows.items()
            if not row.retired and slug not in desired and row.fixture_state is None
        }
        requires.update({slug: values[field_name] for slug, values in desired.items()})
        cycles = find_cycles(requires)
        if cycles:
            raise CatalogError(
                [
                    Problem(
                        "(database)",
                        0,
                        f"{'topic requirement' if field_name == 'requires' else 'prerequisite'} cycle "
                        "once admin edits are kept: "
                        f"{' -> '.join(cycle)}; fix it in the admin or load with --prefer-yaml",
                        cycle[0],
                    )
                    for cycle in cycles
                ]
            )

    def _write_links(self, kind, links, desired):
        for spec in SCHEMA[kind]:
            if spec.type != "refs":
                continue
            through, owner, target = THROUGH[(kind, spec.name)]
            owner_ids, target_ids = self.ids[kind], self.ids[spec.target]
            want = {
                (owner_ids[slug], target_ids[dep])
                for slug, values in desired.items()
                for dep in values[spec.name]
            }
            touched = {owner_ids[slug] for slug in desired}
            # Links of rows that left the YAML stay: a retired row keeps its history.
            have = {pair: pk for pair, pk in self.pairs[(kind, spec.name)].items() if pair[0] in touched}
            stale = [pk for pair, pk in have.items() if pair not in want]
            for start in range(0, len(stale), 500):
                through.objects.filter(pk__in=stale[start : start + 500]).delete()
            through.objects.bulk_create(
                [through(**{owner: a, target: b}) for a, b in sorted(want - have.keys())],
                batch_size=500,
            )
