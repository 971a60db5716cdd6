"""Settings: the process's come from the environment, and bad values stop it loudly; the
learner's are the /path/settings/ page (the stage order, and what /path/welcome/ asks)."""

import re
import subprocess
import sys
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from catalog.models import CatalogRevision, Resource, Stage
from mlpath.progress.models import PathSettings
from mlpath.settings import env_bool, env_list
from tests.conftest import ROOT
from tests.factories import make_catalog


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("", None)])
def test_env_bool_understands_the_usual_words(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", None) is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG", False)


def test_env_list_refuses_an_empty_entry(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example,,b.example")
    with pytest.raises(ImproperlyConfigured, match="empty entry"):
        env_list("HOSTS", [])


def _settings_with(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import mlpath.settings as s; print(s.DATABASES['default']['ENGINE'])"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _django(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python with Django set up from the given environment only."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "mlpath.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_negative_proxy_count_is_an_error():
    result = _settings_with({"TRUSTED_PROXY_COUNT": "-1"})
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr


def test_debug_maybe_is_an_error_not_false():
    result = _settings_with({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_requires_a_secret_key():
    result = _settings_with({"DEBUG": "0", "ALLOWED_HOSTS": "mlpath.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_database_url_selects_postgresql():
    result = _settings_with({"DATABASE_URL": "postgres://u@db.example:5432/mlpath"})
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_sqlite_is_set_up_for_concurrent_writers():
    code = "import mlpath.settings as s; o = s.DATABASES['default']['OPTIONS']; print(o)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:////tmp/mlpath-options.sqlite3"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout
    assert "PRAGMA journal_mode=WAL" in result.stdout
    assert "'timeout': 20" in result.stdout


def test_sqlite_really_runs_in_wal_mode(tmp_path):
    result = _django(
        "from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])",
        DATABASE_URL=f"sqlite:///{tmp_path / 'wal.sqlite3'}",
    )
    assert result.stdout.strip() == "wal", result.stderr


def test_the_production_deploy_check_has_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "0",
            "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
            "ALLOWED_HOSTS": "mlpath.example",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_production_sends_the_security_headers(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert client.get("/healthz").status_code == 301  # plain HTTP goes to HTTPS
    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_without_redis_each_process_has_a_memory_cache_and_database_sessions():
    script = "import mlpath.settings as s; print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.contrib.sessions.backends.db",
    ]


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_redis_url_shares_one_cache_between_processes():
    """Two separate processes see each other's cache entries through REDIS_URL."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "mlpath.settings",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    setup = (
        "import django; django.setup(); "
        "from django.core.cache import cache; from django.conf import settings; "
    )

    def run(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", setup + code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run("cache.set('mlpath-test-key', 'shared', 30); print(settings.SESSION_ENGINE)") == (
        "django.contrib.sessions.backends.cached_db"
    )
    assert run("print(cache.get('mlpath-test-key')); cache.delete('mlpath-test-key')") == "shared"


CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";")}


def test_production_sends_the_content_security_policy(tmp_path):
    result = _django(
        "from django.test import Client; r = Client().get('/healthz', secure=True); "
        "print(r.status_code); print(r['Content-Security-Policy'])",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-key-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'csp.sqlite3'}",
    )
    status, header = result.stdout.split("\n")[:2]
    assert status == "200", result.stderr
    assert _directives(header) == _directives(CSP)


@pytest.mark.django_db
def test_development_sends_the_same_policy(client, settings):
    settings.DEBUG = True
    assert _directives(client.get("/healthz")["Content-Security-Policy"]) == _directives(CSP)


# The path settings page.

PATH_SETTINGS = reverse("progress:settings")
DEFAULT_ORDER = ["programming", "projects", "math"]
PASSPHRASE = "a long passphrase about eigenvectors and gradient descent"


@pytest.fixture
def alice(client, db):
    make_catalog(30)
    user = User.objects.create_user("alice", password=PASSPHRASE)
    client.force_login(user)
    return user


def path_settings(**overrides) -> dict:
    """What the settings form sends at its defaults."""
    return {"order": DEFAULT_ORDER, "goal_kind": "path", "hours_per_week": "6", "level": "1", **overrides}


def shown_order(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="order" value="([^"]+)">', html)


def test_the_order_is_a_list_that_cannot_repeat_a_stage(client, alice):
    html = client.get(PATH_SETTINGS).content.decode()
    assert shown_order(html) == DEFAULT_ORDER
    assert '<select name="order"' not in html
    assert 'aria-label="Move Mathematics up"' in html and 'aria-label="Move Programming down"' in html
    assert re.search(r'value="programming:up"[^>]*aria-label="Move Programming up" disabled', html)
    assert not PathSettings.objects.exists()


@pytest.mark.parametrize(
    ("move", "order", "focus"),
    [
        ("math:up", ["programming", "math", "projects"], "math:up"),
        ("programming:down", ["projects", "programming", "math"], "programming:down"),
        # At the top the Up button is gone, so the focus stays on the row's Down button.
        ("projects:up", ["projects", "programming", "math"], "projects:down"),
        ("programming:up", DEFAULT_ORDER, "programming:down"),  # already first: no change
        ("quantum:up", DEFAULT_ORDER, None),  # a hand-made request: ignored
        ("math:sideways", DEFAULT_ORDER, None),
    ],
)
def test_a_move_without_javascript_shows_the_new_order_and_saves_nothing(client, alice, move, order, focus):
    response = client.post(PATH_SETTINGS, path_settings(move=move, hours_per_week="9"))
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_order(html) == order
    focused = re.findall(r'value="([^"]+)" class="small secondary"\s+aria-label="[^"]+"[^>]*autofocus', html)
    assert focused == ([focus] if focus else [])
    assert 'name="hours_per_week" value="9"' in html  # the rest stays as typed, unsaved
    assert "<html" in html  # the whole page
    assert not PathSettings.objects.exists()


def test_a_move_with_htmx_returns_only_the_list(client, alice):
    data = path_settings(order=["math", "programming", "projects"], move="projects:up")
    response = client.post(PATH_SETTINGS, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<ol id="stage-order"') and html.endswith("</ol>")
    assert shown_order(html) == ["math", "projects", "programming"]
    assert re.search(r'aria-label="Move Projects up" autofocus', html)
    assert not PathSettings.objects.exists()


def test_a_move_shows_no_errors_for_what_is_not_finished(client, alice):
    html = client.post(PATH_SETTINGS, path_settings(move="math:up", hours_per_week="lots")).content.decode()
    assert "must be a number" not in html and 'aria-invalid="true"' not in html
    assert 'name="hours_per_week" value="lots"' in html


def test_moves_then_save_keep_the_order(client, alice):
    order = shown_order(client.post(PATH_SETTINGS, path_settings(move="math:up")).content.decode())
    order = shown_order(
        client.post(PATH_SETTINGS, path_settings(order=order, move="math:up")).content.decode()
    )
    assert order == ["math", "programming", "projects"]
    response = client.post(PATH_SETTINGS, path_settings(order=order))
    assert response.status_code == 302 and response["Location"] == reverse("progress:path")
    assert PathSettings.objects.get(user=alice).stage_order == order
    assert shown_order(client.get(PATH_SETTINGS).content.decode()) == order


def test_a_hand_made_repeated_stage_is_still_refused(client, alice):
    response = client.post(PATH_SETTINGS, path_settings(order=["math", "math", "projects"]))
    assert "Each stage can appear only once; repeated: Mathematics." in response.content.decode()
    assert not PathSettings.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"), [("7.25", "7.3"), ("7.24", "7.2"), ("0.45", "0.5"), ("100", "100.0")]
)
def test_hours_are_rounded_to_one_decimal_half_up(client, alice, typed, stored):
    assert client.post(PATH_SETTINGS, path_settings(hours_per_week=typed)).status_code == 302
    assert PathSettings.objects.get(user=alice).hours_per_week == Decimal(stored)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("0", "Hours per week must be greater than or equal to 0.5."),
        ("0.44", "Hours per week must be greater than or equal to 0.5."),
        ("-3", "Hours per week must be greater than or equal to 0.5."),
        ("100.1", "Hours per week must be less than or equal to 100."),
        ("1e9", "Hours per week must be less than or equal to 100."),
        ("lots", "Hours per week must be a number, such as 6 or 7.5."),
        ("NaN", "Hours per week must be a number, such as 6 or 7.5."),
        ("", "Enter the hours per week you can study, such as 6."),
    ],
)
def test_hours_out_of_range_are_refused_naming_the_field(client, alice, typed, error):
    response = client.post(PATH_SETTINGS, path_settings(hours_per_week=typed))
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert re.search(r'<input type="number" name="hours_per_week"[^>]*aria-invalid="true"', html)
    assert '<div class="field has-error">' in html  # the visible highlight
    assert not PathSettings.objects.exists()


def test_everything_the_welcome_page_asks_can_be_changed_here(client, alice):
    project = Resource.objects.create(
        slug="first-project",
        title="First project",
        creator="Someone",
        kind=Resource.Kind.PROJECT,
        level=1,
        cost="free",
        hours=Decimal(10),
        stage=Stage.objects.get(slug="projects"),
        summary="Build it.",
    )
    data = path_settings(
        goal_kind="project",
        goal_project=project.slug,
        known=["programming"],
        known_topics=["topic-2"],
        kinds=["courses"],
        free_only="on",
        level="2",
        hours_per_week="4.5",
    )
    assert client.post(PATH_SETTINGS, data).status_code == 302
    row = PathSettings.objects.get(user=alice)
    assert (row.goal_kind, row.goal_slug) == ("project", "first-project")
    assert (row.known_stages, row.known_topics) == (["programming"], ["topic-2"])
    assert row.preferred_kinds == ["course", "interactive", "article"]
    assert (row.free_only, row.level, row.hours_per_week) == (True, 2, Decimal("4.5"))
    html = client.get(PATH_SETTINGS).content.decode()
    assert '<option value="first-project" selected>First project</option>' in html
    assert re.search(r'<input type="radio" name="goal_kind" value="project"[^>]*checked', html)


def test_a_retired_goal_is_refused_here_too(client, alice):
    Resource.objects.filter(slug="resource-3").update(retired=True)
    CatalogRevision.bump()
    response = client.post(PATH_SETTINGS, path_settings(goal_kind="resource", goal_resource="resource-3"))
    assert response.status_code == 200
    assert (
        "“Resource 3” is no longer in the catalog; choose another book or course."
        in response.content.decode()
    )
    assert not PathSettings.objects.exists()


def test_a_form_without_the_new_fields_keeps_goal_and_level(client, alice):
    PathSettings.objects.create(user=alice, goal_kind="topic", goal_slug="topic-1", level=3)
    assert client.post(PATH_SETTINGS, {"order": DEFAULT_ORDER, "hours_per_week": "5"}).status_code == 302
    row = PathSettings.objects.get(user=alice)
    assert (row.goal_kind, row.goal_slug, row.level, row.hours_per_week) == (
        "topic",
        "topic-1",
        3,
        Decimal(5),
    )


def test_save_and_back_are_apart(client, alice):
    html = client.get(PATH_SETTINGS).content.decode()
    assert re.search(
        r'<div class="field-actions">\s*<button type="submit" class="primary">Save settings</button>', html
    )
    css = (ROOT / "static" / "css" / "mlpath.css").read_text()
    assert ".field-actions { display: flex; flex-wrap: wrap; }" in css  # so its gap applies


def test_a_learner_only_ever_changes_their_own_path_settings(client, alice):
    bob = User.objects.create_user("bob", password=PASSPHRASE)
    PathSettings.objects.create(user=bob, stage_order=DEFAULT_ORDER, hours_per_week=Decimal(3))
    data = path_settings(order=["math", "projects", "programming"], user=str(bob.pk), user_id=str(bob.pk))
    assert client.post(PATH_SETTINGS, data).status_code == 302
    assert PathSettings.objects.get(user=alice).stage_order == ["math", "projects", "programming"]
    assert (
        PathSettings.objects.get(user=bob).stage_order,
        PathSettings.objects.get(user=bob).hours_per_week,
    ) == (
        DEFAULT_ORDER,
        Decimal(3),
    )


@pytest.mark.parametrize("data", [None, {"move": "math:up", "order": DEFAULT_ORDER}])
def test_the_page_requires_sign_in(client, db, data):
    response = client.post(PATH_SETTINGS, data) if data else client.get(PATH_SETTINGS)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={PATH_SETTINGS}"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_page_refuses_other_methods(client, alice, method):
    assert getattr(client, method)(PATH_SETTINGS).status_code == 405


@pytest.mark.parametrize(("resources", "extra_topics"), [(30, 0), (400, 300)])
def test_the_settings_page_has_a_query_budget(
    client, db, django_assert_max_num_queries, resources, extra_topics
):
    from catalog.models import Pillar, Topic

    make_catalog(resources)
    pillar = Pillar.objects.first()
    Topic.objects.bulk_create(
        Topic(slug=f"extra-{i}", name=f"Extra {i}", pillar=pillar) for i in range(extra_topics)
    )
    CatalogRevision.bump()
    client.force_login(User.objects.create_user("alice"))
    client.get(PATH_SETTINGS)  # the first read after a catalog change fills the cache
    # Session, user, settings, catalog revision.
    with django_assert_max_num_queries(4):
        assert client.get(PATH_SETTINGS).status_code == 200
    with django_assert_max_num_queries(4):
        response = client.post(PATH_SETTINGS, path_settings(move="math:up"), headers={"HX-Request": "true"})
    assert shown_order(response.content.decode()) == ["programming", "math", "projects"]
