import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls from such a thread unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

# The sandbox needs user namespaces that root in a container lacks; the rest stop
# Chromium from calling home on a machine with no internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_skipped_browser: list[str] = []


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _missing_browser_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs it)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests must run in CI: {reason}")
        _skipped_browser.append(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def pytest_terminal_summary(terminalreporter):
    if _skipped_browser:
        terminalreporter.write_line(f"Browser tests skipped: {_skipped_browser[0]}.", yellow=True, bold=True)


@pytest.fixture
def shipped_catalog(db):
    """The real catalog from fixtures/, loaded the way `make run` loads it."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_catalog", stdout=StringIO())


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    # Each process keeps the catalog index in memory, and the dashboards in the cache, keyed by
    # revisions. A test that rolls back can bring back a group id and revision number with
    # other rows behind them, so every test starts clean.
    from django.core.cache import cache

    from mlpath.progress.path import forget_catalog

    def forget():
        forget_catalog()
        cache.clear()

    forget()
    yield
    forget()
