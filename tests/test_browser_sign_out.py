"""A shared computer in a real Chromium: after sign-out, Back shows nothing of the last user."""

import pytest
from django.contrib.auth.models import User

from mlpath.groups.models import StudyGroup
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "the library computer is not mine"
USERNAME = "quentin_q"
GROUP = "Thursday tensor circle"
SEARCH = "probability"

# Every key and value in both storages, so a failure says what was left behind.
STORAGE = """() => [sessionStorage, localStorage].flatMap(
  (store) => Object.keys(store).map((key) => [key, store.getItem(key)]))"""


@pytest.fixture
def own_page(browser):
    """A tab in a Chromium set up like a person's: with the back/forward cache, which
    Playwright switches off and which brings a whole page back on Back, as it was."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    page = chromium.new_page()
    page.set_default_timeout(10_000)
    yield page
    chromium.close()


@pytest.fixture
def organizer(db):
    user = User.objects.create_user(USERNAME, "q@example.com", PASSPHRASE)
    return StudyGroup.create(name=GROUP, description="Shared on the library's computers.", organizer=user)


def test_back_after_sign_out_shows_nothing_of_the_last_user(
    own_page, live_server, shipped_catalog, organizer
):
    page, base = own_page, live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/")
    page.goto(f"{base}/groups/{organizer.slug}/dashboard/")
    assert GROUP in page.content()
    page.goto(f"{base}/catalog/")
    # Two searches through htmx: the first push snapshots /catalog/, the second the first search.
    page.fill("#id_q", "linear")
    page.wait_for_url("**q=linear*")
    page.fill("#id_q", SEARCH)
    page.wait_for_url(f"**q={SEARCH}*")
    page.wait_for_load_state("networkidle")
    # htmx took no snapshot of the signed-in pages it left.
    assert "htmx-history-cache" not in dict(page.evaluate(STORAGE))
    # Whatever else a script may have kept must go with the sign-out as well.
    page.evaluate(f"() => [sessionStorage, localStorage].forEach((s) => s.setItem('kept', '{USERNAME}'))")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/")
    left = page.evaluate(STORAGE)
    assert "htmx-history-cache" not in dict(left), left
    assert not [key for key, value in left if SEARCH in value or USERNAME in value], left

    visited = []
    for _ in range(6):
        # A page from the back/forward cache fires no load event.
        page.go_back(wait_until="commit")
        page.wait_for_function(
            "() => document.readyState === 'complete' && document.querySelector('.account-nav')"
        )
        visited.append(page.url)
        shown = page.content()
        assert USERNAME not in shown, page.url
        assert GROUP not in shown, page.url
        # The previous user's controls (their statuses on the search results) are gone too.
        assert page.locator(".status-control").count() == 0, page.url
        assert page.get_by_role("button", name="Sign out").count() == 0, page.url
        # htmx may snapshot the anonymous page it leaves, but nothing of the last user.
        left = page.evaluate(STORAGE)
        assert not [key for key, value in left if USERNAME in value or GROUP in value], (page.url, left)
    # Back really went through the previous user's pages, down to the sign-in page.
    assert any(f"q={SEARCH}" in url for url in visited), visited
    assert any("/dashboard/" in url for url in visited), visited
    assert visited[-1].startswith(f"{base}/accounts/login/"), visited
