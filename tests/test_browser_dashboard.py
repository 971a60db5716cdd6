"""The organizer's dashboard in a real Chromium: it fits a 1280-px screen without sideways
scrolling, becomes one card per member on a phone, and axe-core finds nothing serious."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.utils import timezone

from catalog.models import Resource
from mlpath.groups.models import Membership, StudyGroup
from mlpath.groups.plans import lay_out
from mlpath.progress.models import Progress
from mlpath.progress.path import current_plan_index

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "eleven members and a schedule"
axe = Axe()

# How wide the members table is against the panel it sits in, and whether the key columns'
# headers are inside the panel's visible box.
MEASURE = """() => {
  const scroller = document.querySelector('#member-table .table-scroll');
  const table = scroller.querySelector('table');
  const panel = document.querySelector('#member-table');
  const right = panel.getBoundingClientRect().right;
  const headers = [...table.querySelectorAll('thead th')]
    .map(th => [th.innerText.trim(), th.getBoundingClientRect().right <= right + 0.5]);
  return {table: table.scrollWidth, scroller: scroller.clientWidth, panel: panel.clientWidth, headers};
}"""


@pytest.fixture
def dashboard_url(live_server, shipped_catalog):
    ada = User.objects.create_user("ada", "ada@example.com", PASSPHRASE)
    group = StudyGroup.create(name="Tuesday linear algebra", description="", organizer=ada)
    resources = list(Resource.objects.filter(retired=False).order_by("stage__position", "title")[:6])
    for i in range(11):
        user = User.objects.create_user(f"member-with-a-long-name-{i:02}", password=PASSPHRASE)
        Membership.objects.create(group=group, user=user)
        for resource in resources[: i % 5]:
            Progress.change(user, resource, "done")
        if i % 3 == 0:
            Progress.change(user, resources[5], "in_progress")
    group.goal_kind, group.goal_slug = "resource", "mml-book"
    assert lay_out(
        group, current_plan_index()[1], start=timezone.localdate() - timezone.timedelta(days=14)
    ).milestones
    return f"{live_server.url}/groups/{group.slug}/dashboard/"


def signed_in(browser, live_server, **context):
    context = browser.new_context(**context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/")
    return context, page


def serious(page) -> list[str]:
    return [
        f"{v['id']} ({v['impact']})"
        for v in axe.run(page).response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_key_columns_fit_without_scrolling_sideways(browser, live_server, dashboard_url, width):
    context, page = signed_in(browser, live_server, viewport={"width": width, "height": 900})
    page.goto(dashboard_url)
    measured = page.evaluate(MEASURE)
    # The table is no wider than its scroller, which is no wider than the panel.
    assert measured["table"] <= measured["scroller"] <= measured["panel"], measured
    headers = dict(measured["headers"])
    for column in ("Member", "Overall", "On track", "Current unit", "Last activity"):
        assert headers[column], f"{column} is off-screen at {width} px: {measured}"
    # Every member's row says where they stand and links to their page.
    first = page.locator("#member-table tbody tr").first
    assert first.locator("[data-label='On track']").inner_text().strip()
    assert first.get_by_role("link").first.get_attribute("href").startswith("/groups/")
    assert serious(page) == []
    context.close()


def test_on_a_phone_each_member_is_a_card(browser, live_server, dashboard_url):
    context, page = signed_in(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(dashboard_url)
    cards = page.evaluate(
        """() => {
          const panel = document.querySelector('#member-table').getBoundingClientRect();
          return [...document.querySelectorAll('#member-table tbody tr')].slice(0, 3).map(tr => {
            const box = tr.getBoundingClientRect();
            const cell = tr.querySelector('td[data-label="On track"]');
            return {display: getComputedStyle(tr).display, left: box.left, right: box.right, top: box.top,
                    bottom: box.bottom, panelLeft: panel.left, panelRight: panel.right,
                    label: getComputedStyle(cell, '::before').content};
          });
        }"""
    )
    assert len(cards) == 3
    for card in cards:
        assert card["display"] == "block"
        assert card["left"] >= card["panelLeft"] - 0.5 and card["right"] <= card["panelRight"] + 0.5, card
        assert card["label"] == '"On track"'
    assert cards[0]["bottom"] <= cards[1]["top"]  # stacked, one under the other
    # Nothing on the page scrolls sideways, the per-resource counts included.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    counts = page.evaluate(
        "(() => { const s = document.querySelector('table.counts').parentElement;"
        " return [s.scrollWidth, s.clientWidth]; })()"
    )
    assert counts[0] <= counts[1], counts
    # The averages chart's labels are page text, not a shrunken picture.
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.averages-chart .bar-label')).fontSize)"
    )
    assert size >= 14
    assert serious(page) == []
    context.close()
