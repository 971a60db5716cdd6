"""A study group in a real Chromium: create, invite, join, progress, dashboard, CSV, refusal."""

import csv
import io
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "we learn linear algebra together"


def sign_up(page, base, username, next_url=""):
    page.goto(f"{base}/accounts/signup/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_label("Password confirmation").fill(PASSPHRASE)
    page.get_by_role("button", name="Create account").click()


def test_an_organizer_sees_a_new_members_progress(browser, live_server, shipped_catalog):
    base = live_server.url
    organizer = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = organizer.new_page()
    page.set_default_timeout(10_000)

    # 1. The organizer creates a group and copies the invite link.
    sign_up(page, base, "olga")
    page.wait_for_url("**/path/welcome/")
    page.get_by_role("link", name="Skip for now", exact=True).click()
    page.wait_for_url("**/path/")
    page.get_by_role("link", name="Groups").click()
    page.get_by_label("Name").fill("Tuesday linear algebra")
    page.get_by_role("button", name="Create the group").click()
    page.wait_for_url("**/groups/tuesday-linear-algebra/")
    page.get_by_role("button", name="Copy link").click()
    page.get_by_text("Copied to the clipboard.").wait_for()
    invite = page.evaluate("navigator.clipboard.readText()")
    assert invite == page.locator("#invite-link").input_value()
    assert invite.startswith(f"{base}/groups/join/")

    # 2. A second learner follows the link, signs up on the way, joins, and marks two resources done.
    member = browser.new_context()
    other = member.new_page()
    other.set_default_timeout(10_000)
    other.goto(invite)
    other.get_by_role("link", name="Sign up to join").click()
    other.get_by_label("Username").fill("mia")
    other.get_by_label("Password", exact=True).fill(PASSPHRASE)
    other.get_by_label("Password confirmation").fill(PASSPHRASE)
    other.get_by_role("button", name="Create account").click()
    other.wait_for_url(invite)  # the invite wins over the welcome page
    other.get_by_role("button", name="Join").click()
    other.wait_for_url("**/groups/tuesday-linear-algebra/")
    other.goto(f"{base}/path/")
    for _ in range(2):
        before = other.locator("#next-resource h2").inner_text()
        other.locator("#next-resource").get_by_role("button", name="I have done it").click()
        other.wait_for_function(
            "t => document.querySelector('#next-resource h2').innerText !== t", arg=before
        )

    # 3. The organizer's dashboard shows it, and so does the CSV.
    page.get_by_role("link", name="Open the dashboard").click()
    page.wait_for_url("**/dashboard/")
    row = page.locator("#member-table tr", has=page.get_by_role("rowheader", name="mia"))
    assert "Learn Python: Full Course for Beginners" in row.inner_text()
    assert "(next)" in row.inner_text()
    assert page.locator("table.counts").get_by_role("row", name="Learn Python").count() == 1
    page.get_by_role("link", name="Overall").click()  # sorted in place, URL follows
    page.wait_for_url("**sort=overall*")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    mia = next(r for r in rows if r["member"] == "mia")
    assert int(mia["overall"]) > 0
    assert mia["stuck"] == "no"

    # 4. The member is refused the dashboard.
    response = other.goto(page.url)
    assert response.status == 403
    assert "not allowed" in other.locator("main").inner_text().lower()
    organizer.close()
    member.close()
