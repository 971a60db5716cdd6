"""The real app under gunicorn, hammered with status changes: nothing lost, nothing locked.

Each test prepares its own database (a SQLite file, or a throwaway PostgreSQL database),
starts gunicorn with the production settings, drives it from many threads over HTTP, and
then reads the database back with plain SQL to check every write against what the clients
were told.
"""

import os
import random
import secrets
import sqlite3
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests import live as liveserver
from tests.conftest import IN_CI
from tests.live import STATUSES, Visitor

pytestmark = pytest.mark.live

NOT_STARTED = "not_started"


@dataclass
class Write:
    learner: str
    slug: str
    status: str
    http_status: int  # 0 when the request itself failed
    changed: bool  # the server said it changed something (or the writer knows it must have)
    problem: str = ""


def _read_back(database_url: str) -> tuple[list[tuple], list[tuple]]:
    """Progress rows as (learner, slug, status), and the history as (learner, slug, from, to)
    in the order the server accepted the changes."""
    progress = (
        "SELECT u.username, r.slug, p.status FROM progress_progress p "
        "JOIN auth_user u ON u.id = p.user_id JOIN catalog_resource r ON r.id = p.resource_id"
    )
    # The row lock is held while a change is logged, so for one pair id order is accepted order.
    history = (
        "SELECT u.username, r.slug, c.from_status, c.to_status FROM progress_statuschange c "
        "JOIN auth_user u ON u.id = c.user_id JOIN catalog_resource r ON r.id = c.resource_id ORDER BY c.id"
    )
    if database_url.startswith("sqlite:"):
        connection = sqlite3.connect(urlsplit(database_url).path)
        try:
            return connection.execute(progress).fetchall(), connection.execute(history).fetchall()
        finally:
            connection.close()
    with psycopg.connect(database_url) as connection:
        return connection.execute(progress).fetchall(), connection.execute(history).fetchall()


def _check_history(progress_rows, history_rows, writes: list[Write]) -> dict:
    """What must hold whatever the interleaving; returns the history per pair for further checks."""
    final = {(learner, slug): status for learner, slug, status in progress_rows}
    assert len(final) == len(progress_rows), "a learner has two progress rows for one resource"
    assert set(final) == {(w.learner, w.slug) for w in writes}, "progress rows for pairs nobody wrote"

    chains = defaultdict(list)
    for learner, slug, old, new in history_rows:
        chains[learner, slug].append((old, new))
    for pair, chain in chains.items():
        # Each change starts where the previous one ended: no change was made from a stale read.
        starts = [old for old, _ in chain]
        ends = [NOT_STARTED] + [new for _, new in chain[:-1]]
        assert starts == ends, f"{pair}: broken chain {chain}"
    for pair, status in final.items():
        last = chains[pair][-1][1] if chains.get(pair) else NOT_STARTED
        assert status == last, f"{pair}: progress says {status}, the last accepted change says {last}"

    accepted = Counter((w.learner, w.slug, w.status) for w in writes if w.changed)
    logged = Counter((learner, slug, new) for learner, slug, _, new in history_rows)
    assert logged == accepted, "the history differs from the changes the server accepted"
    assert len(history_rows) == sum(accepted.values())
    return chains


def _post_status(visitor: Visitor, slug: str, status: str, style: str) -> tuple[bool, str]:
    """One status POST in one of the ways a page sends it; (it changed, problem or "")."""
    path = f"/path/progress/{slug}/"
    if style == "control":  # the htmx control on a catalog page swaps itself
        response = visitor.post(path, {"status": status}, htmx=True, headers={"HX-Target": f"status-{slug}"})
        ok = response.status == 200 and f"status-badge status-{status}" in response.body
        return f'id="status-{slug}-undo"' in response.body, "" if ok else _describe(response)
    if style == "path":  # the buttons on the path page swap the recommendation and the bars
        response = visitor.post(path, {"status": status}, htmx=True, headers={"HX-Target": "next-resource"})
        return True, "" if response.status == 200 else _describe(response)
    response = visitor.post(path, {"status": status, "next": f"/catalog/{slug}/"})  # no JavaScript
    ok = response.status == 302 and response.location == f"/catalog/{slug}/"
    return True, "" if ok else _describe(response)


def _describe(response) -> str:
    return f"{response.status} {response.location} {response.body[:300]!r}"


# SQLite ------------------------------------------------------------------------------------

SQLITE_WRITERS = 16
SQLITE_SECONDS = 10


def _keep_changing(visitor, learner, slugs, deadline, seed) -> list[Write]:
    """One learner's writer: always a status other than the current one, so every write is a change."""
    rng = random.Random(seed)
    current = dict.fromkeys(slugs, NOT_STARTED)
    writes = []
    styles = ("control", "path", "plain")
    while time.monotonic() < deadline:
        slug = rng.choice(slugs)
        status = rng.choice([s for s in STATUSES if s != current[slug]])
        style = styles[len(writes) % len(styles)]
        try:
            changed, problem = _post_status(visitor, slug, status, style)
        except OSError as exc:
            changed, problem = False, f"{type(exc).__name__}: {exc}"
        if problem:
            writes.append(Write(learner, slug, status, 0, False, f"{style}: {problem}"))
            continue
        writes.append(Write(learner, slug, status, 200, True))
        assert changed, f"{learner} {slug} -> {status} ({style}) was not a change"
        current[slug] = status
    return writes


def test_sqlite_under_gunicorn_loses_nothing_and_never_locks(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    learners = liveserver.prepare(url, learners=SQLITE_WRITERS)
    slugs = learners.slugs[:6]  # few resources, so the same rows are written again and again
    with (
        liveserver.serve(url, workers=2, threads=8, log_dir=tmp_path) as server,
        ThreadPoolExecutor(SQLITE_WRITERS) as pool,
    ):
        visitors = [Visitor(server.url) for _ in learners.usernames]
        list(pool.map(lambda v, name: v.login(name, learners.password), visitors, learners.usernames))
        started = time.monotonic()
        deadline = started + SQLITE_SECONDS
        results = pool.map(
            lambda i: _keep_changing(visitors[i], learners.usernames[i], slugs, deadline, seed=i),
            range(SQLITE_WRITERS),
        )
        writes = [write for per_writer in results for write in per_writer]
        elapsed = time.monotonic() - started
        problems, log = server.problems(), server.log()

    failed = [w for w in writes if w.http_status != 200]
    assert failed == [], f"{len(failed)} of {len(writes)} writes failed, e.g. {failed[:3]}\n{log[-4000:]}"
    assert problems == [], f"the server logged errors (log in {tmp_path}):\n" + "\n".join(problems[:10])
    progress_rows, history_rows = _read_back(url)
    chains = _check_history(progress_rows, history_rows, writes)
    # Each learner wrote its pairs one after another, so the client knows the exact order too.
    for learner, slug in chains:
        mine = [w.status for w in writes if (w.learner, w.slug) == (learner, slug)]
        assert [new for _, new in chains[learner, slug]] == mine
    print(f"\nSQLite: {len(writes)} status changes by {SQLITE_WRITERS} writers in {elapsed:.1f} s, 0 errors")


# PostgreSQL --------------------------------------------------------------------------------

PG_LEARNERS = 50
PG_RESOURCES = 20
OWNED_PAIRS = 250  # two changes each, one after the other, one on each server
CONTENDED_PAIRS = 100  # five simultaneous writes each, across both servers
CONTENDERS = 5
PG_CLIENT_THREADS = 48


def _maintenance_url() -> str:
    """Where to create the throwaway database: MLPATH_TEST_POSTGRES_URL, else the server
    DATABASE_URL points at, else the local default."""
    explicit = os.environ.get("MLPATH_TEST_POSTGRES_URL", "").strip()
    if explicit:
        return explicit
    current = urlsplit(os.environ.get("DATABASE_URL", ""))
    if current.scheme in {"postgres", "postgresql", "pgsql"}:
        return urlunsplit(("postgres", current.netloc, "/postgres", current.query, ""))
    return "postgres://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for this test only, dropped afterwards."""
    maintenance = _maintenance_url()
    try:
        admin = psycopg.connect(maintenance, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        host = urlsplit(maintenance).hostname
        detail = " ".join(str(exc).split())
        reason = f"PostgreSQL is not reachable at {host} (set MLPATH_TEST_POSTGRES_URL): {detail}"
        if IN_CI:
            pytest.fail(f"the PostgreSQL concurrency test must run in CI: {reason}")
        pytest.skip(reason)
    name = f"mlpath_live_{secrets.token_hex(4)}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(maintenance)
    try:
        yield urlunsplit(("postgres", parts.netloc, f"/{name}", parts.query, ""))
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


@dataclass
class Task:
    """Writes to one pair that one thread sends one after another: (server index, status)."""

    learner: str
    slug: str
    steps: list[tuple[int, str]]


def _plan(learners: list[str], slugs: list[str], rng: random.Random) -> tuple[list[Task], set, set]:
    pairs = [(learner, slug) for learner in learners for slug in slugs]
    rng.shuffle(pairs)
    owned, contended = pairs[:OWNED_PAIRS], pairs[OWNED_PAIRS : OWNED_PAIRS + CONTENDED_PAIRS]
    units = []
    for i, (learner, slug) in enumerate(owned):
        first = rng.choice(STATUSES[1:])
        second = rng.choice([s for s in STATUSES if s != first])
        units.append([Task(learner, slug, [(i % 2, first), ((i + 1) % 2, second)])])
    for learner, slug in contended:
        # Side by side in the queue, so free threads pick them up together; the first of
        # them race to create the progress row.
        units.append([Task(learner, slug, [(k % 2, rng.choice(STATUSES))]) for k in range(CONTENDERS)])
    rng.shuffle(units)
    return [task for unit in units for task in unit], set(owned), set(contended)


def _carry_out(task: Task, servers: list[str], cookies: dict[str, dict]) -> list[Write]:
    writes = []
    for server, status in task.steps:
        visitor = Visitor(servers[server], cookies[task.learner])
        try:
            changed, problem = _post_status(visitor, task.slug, status, "control")
        except OSError as exc:
            changed, problem = False, f"{type(exc).__name__}: {exc}"
        writes.append(Write(task.learner, task.slug, status, 0 if problem else 200, changed, problem))
    return writes


def _signed_in_cookies(server: str, session_key: str, slug: str) -> dict[str, str]:
    """The session made by prepare(), plus the CSRF cookie a first page view hands out."""
    visitor = Visitor(server, {"sessionid": session_key})
    response = visitor.get(f"/catalog/{slug}/")
    assert response.status == 200 and f'id="status-{slug}"' in response.body, "the session did not sign in"
    return visitor.cookies


def test_postgresql_two_servers_keep_one_consistent_history(postgres_url, tmp_path):
    learners = liveserver.prepare(postgres_url, learners=PG_LEARNERS, sessions=True)
    slugs = learners.slugs[:PG_RESOURCES]
    tasks, owned, contended = _plan(learners.usernames, slugs, random.Random(5))
    with ExitStack() as stack:
        first = stack.enter_context(liveserver.serve(postgres_url, threads=8, log_dir=tmp_path))
        second = stack.enter_context(liveserver.serve(postgres_url, threads=8, log_dir=tmp_path))
        servers = [first.url, second.url]
        pool = stack.enter_context(ThreadPoolExecutor(PG_CLIENT_THREADS))
        names = learners.usernames
        jars = pool.map(
            lambda i: _signed_in_cookies(servers[i % 2], learners.sessions[names[i]], slugs[0]),
            range(len(names)),
        )
        cookies = dict(zip(names, jars, strict=True))
        started = time.monotonic()
        writes = [w for done in pool.map(lambda t: _carry_out(t, servers, cookies), tasks) for w in done]
        elapsed = time.monotonic() - started
        problems, log = first.problems() + second.problems(), first.log()[-3000:] + second.log()[-3000:]

    failed = [w for w in writes if w.http_status != 200]
    assert failed == [], f"{len(failed)} of {len(writes)} writes failed, e.g. {failed[:3]}\n{log}"
    assert problems == [], f"a server logged errors (logs in {tmp_path}):\n" + "\n".join(problems[:10])
    progress_rows, history_rows = _read_back(postgres_url)
    chains = _check_history(progress_rows, history_rows, writes)

    # Owned pairs: the client knows the order, and the second write was sent to the other server.
    for learner, slug in owned:
        mine = [w for w in writes if (w.learner, w.slug) == (learner, slug)]
        assert all(w.changed for w in mine), f"{learner} {slug}: a change from a fresh status was a no-op"
        assert [new for _, new in chains[learner, slug]] == [w.status for w in mine]
    # Contended pairs: the server's order is the history's order, checked above; the count of
    # changes equals the responses that said "changed" (the rest found the status already set).
    changed = sum(w.changed for w in writes)
    no_ops = sum(not w.changed for w in writes)
    assert len(writes) == OWNED_PAIRS * 2 + CONTENDED_PAIRS * CONTENDERS
    print(
        f"\nPostgreSQL: {len(writes)} status POSTs over 2 servers in {elapsed:.1f} s: "
        f"{changed} changes, {no_ops} no-ops (status already set), 0 errors; "
        f"{len(contended)} pairs written by {CONTENDERS} threads at once"
    )
