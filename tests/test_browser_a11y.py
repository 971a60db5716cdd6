"""axe-core on every page in a real Chromium: anonymous and signed in, light and dark.

A page may have no serious or critical violation. Moderate and minor ones are listed in
the failure message, to read, and do not fail the test, except for the rules named in
ALSO_REQUIRED. axe-core comes inside axe-playwright-python, so nothing is fetched.
"""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.utils import timezone

from catalog.models import Resource
from mlpath.groups.models import Membership, StudyGroup
from mlpath.groups.plans import lay_out
from mlpath.progress.models import Progress, TopicReview
from mlpath.progress.path import current_plan_index

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "contrast ratios of four and a half"
BLOCKING = {"serious", "critical"}
# Moderate rules that these pages must pass as well.
ALSO_REQUIRED = {"/catalog/": {"heading-order"}}

ANONYMOUS = [
    "/",
    "/catalog/",
    "/catalog/seeing-theory/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password_reset/",
    "/no-such-page/",
]
SIGNED_IN = [
    "/",
    "/catalog/",
    "/catalog/seeing-theory/",
    "/path/",
    "/path/map/",
    "/path/activity/",
    "/path/review/",
    "/path/calendar/",
    "/path/settings/",
    "/path/reset/",
    "/groups/",
    "/groups/new/",
    "/groups/{group}/",
    "/groups/{group}/dashboard/",
    "/groups/{group}/goal/",
    "/groups/{group}/schedule/",
    "/groups/{group}/schedule/{milestone}/",
    "/groups/{group}/members/{member}/",
    "/groups/{group}/leave/",
    "/groups/{group}/delete/",
    "/groups/join/{invite}/",
    "/accounts/password_change/",
    "/accounts/delete/",
    "/no-such-page/",
]

axe = Axe()


@pytest.fixture
def addresses(shipped_catalog) -> dict:
    """An organizer whose group has a member with progress, and another group's invite."""
    ada = User.objects.create_user("ada", "ada@example.com", PASSPHRASE)
    group = StudyGroup.create(name="Tuesday linear algebra", description="Chapter 2.", organizer=ada)
    mia = User.objects.create_user("mia", "mia@example.com", PASSPHRASE)
    Membership.objects.create(group=group, user=mia)
    for user in (ada, mia):
        Progress.change(user, Resource.objects.get(slug="seeing-theory"), "done")
    # Due yesterday, so the review page shows its rating buttons.
    TopicReview.objects.filter(user=ada).update(due=timezone.now() - timedelta(days=1))
    other = StudyGroup.create(name="Night owls", description="", organizer=mia)
    # A schedule, with its next milestone shown on the path (Ada is a member of Night owls).
    for owner in (group, other):
        owner.goal_kind, owner.goal_slug = "topic", "eigenvalues"
        laid = lay_out(owner, current_plan_index()[1], start=timezone.localdate())
    Membership.objects.create(group=other, user=ada)
    assert laid.milestones
    return {
        "group": group.slug,
        "invite": other.invite_code,
        "member": mia.pk,
        "milestone": group.milestones.first().pk,
    }


def sign_in(page, base):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/")


def describe(url: str, violation: dict) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
    more = f" (+{len(violation['nodes']) - 3} more)" if len(violation["nodes"]) > 3 else ""
    return f"{url} {violation['id']} ({violation['impact']}, {len(violation['nodes'])}x): {targets}{more}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("role", ["anonymous", "signed-in"])
def test_no_page_has_a_serious_accessibility_violation(browser, live_server, addresses, role, scheme):
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    if role == "signed-in":
        sign_in(page, live_server.url)
    failing, to_read = [], []
    for url in ANONYMOUS if role == "anonymous" else SIGNED_IN:
        url = url.format(**addresses)
        response = page.goto(live_server.url + url)
        assert response.status == (404 if url == "/no-such-page/" else 200), url
        for violation in axe.run(page).response["violations"]:
            required = violation["impact"] in BLOCKING or violation["id"] in ALSO_REQUIRED.get(url, ())
            (failing if required else to_read).append(describe(url, violation))
    context.close()
    assert not failing, "\n".join(
        [f"axe-core, {role}, {scheme} scheme:", *failing, "", "Also worth a look:", *to_read]
    )
