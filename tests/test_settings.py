"""Settings come from the environment, and bad values stop the process loudly."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from mlpath.settings import env_bool, env_list
from tests.conftest import ROOT


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
