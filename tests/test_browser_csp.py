"""Every main page, and htmx at work, in a real Chromium under the Content-Security-Policy."""

import pytest
from django.contrib.auth.models import User

from catalog.models import Resource
from mlpath.groups.models import StudyGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "inline scripts are not welcome here"

# Playwright adds this script itself, so the policy does not apply to it. It reports the
# violations the page raises, besides the "Refused to ..." lines in the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.reportViolation(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${location.pathname}`));
"""


@pytest.fixture
def watched(browser):
    """A page, and the list that collects every CSP violation and script error it sees."""
    context = browser.new_context()
    problems = []
    context.expose_function("reportViolation", lambda text: problems.append(f"event: {text}"))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_console(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page, problems
    context.close()


@pytest.fixture
def ada(db):
    user = User.objects.create_superuser("ada", "ada@example.com", PASSPHRASE)
    group = StudyGroup.create(name="Tuesday linear algebra", description="Chapter 2.", organizer=user)
    return user, group


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    policy = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in policy, (url, policy)


def sign_in(page, base):
    visit(page, f"{base}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/")


def test_every_main_page_loads_without_a_violation(watched, live_server, shipped_catalog, ada):
    page, problems = watched
    base = live_server.url
    slug = ada[1].slug
    for url in (
        "/",
        "/catalog/",
        "/catalog/seeing-theory/",
        "/accounts/signup/",
        "/accounts/password_reset/",
    ):
        visit(page, base + url)
    sign_in(page, base)
    for url in (
        "/path/",
        "/path/settings/",
        "/groups/",
        f"/groups/{slug}/",  # an organizer's view, with the invite link's copy script
        f"/groups/{slug}/dashboard/",
        "/accounts/password_change/",
    ):
        visit(page, base + url)
    assert problems == []


def test_the_copy_script_runs_under_the_policy(watched, live_server, shipped_catalog, ada):
    page, problems = watched
    sign_in(page, live_server.url)
    visit(page, f"{live_server.url}/groups/{ada[1].slug}/")
    # copy.js reveals the button; if the policy blocked the file, it would stay hidden.
    page.get_by_role("button", name="Copy link").wait_for()
    assert problems == []


def test_the_admin_works_under_the_policy(watched, live_server, shipped_catalog, ada):
    page, problems = watched
    base = live_server.url
    sign_in(page, base)
    resource = Resource.objects.get(slug="mml-book")
    for url in ("/admin/", "/admin/catalog/resource/", f"/admin/catalog/resource/{resource.pk}/change/"):
        visit(page, base + url)
    assert problems == []


def test_htmx_runs_under_the_policy(watched, live_server, shipped_catalog, ada):
    page, problems = watched
    base = live_server.url
    sign_in(page, base)
    page.evaluate("window.__sameDocument = true")  # a full page load would wipe this
    before = page.locator("#next-resource h2").inner_text()
    page.locator("#next-resource").get_by_role("button", name="I have done it").click()
    page.wait_for_function("t => document.querySelector('#next-resource h2').innerText !== t", arg=before)
    assert page.evaluate("window.__sameDocument") is True

    # The catalog filter marks the list with htmx's request class while it loads.
    visit(page, f"{base}/catalog/")
    page.evaluate("window.__sameDocument = true")
    page.select_option("#id_stage", "programming")
    page.wait_for_function("() => document.querySelectorAll('.resource-card').length === 2")
    assert page.evaluate("window.__sameDocument") is True
    assert problems == []
