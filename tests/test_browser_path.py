"""A learner's path in a real Chromium: sign up, follow the recommendation, come back later."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSPHRASE = "matrices before breakfast, gradients after lunch"


def sign_up(page, base, username):
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSPHRASE)
    page.get_by_label("Password confirmation").fill(PASSPHRASE)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/path/")


def next_title(page) -> str:
    return page.locator("#next-resource h2").inner_text()


def bar(page, block: str, slug: str) -> int:
    return int(page.locator(f"#{block} progress[aria-labelledby$='-label-{slug}']").get_attribute("value"))


def test_a_new_learner_follows_the_recommendation_from_programming_to_math(
    page, live_server, shipped_catalog
):
    sign_up(page, live_server.url, "ada")
    assert next_title(page) == "Learn Python: Full Course for Beginners"
    assert "Programming is the first stage" in page.locator("#next-resource .why").inner_text()
    page.evaluate("window.__sameDocument = true")  # a full page load would wipe this

    seen_stages = []
    for _ in range(6):
        eyebrow = page.locator("#next-resource .eyebrow").text_content()
        seen_stages.append(eyebrow.split("·")[-1].strip())
        before = next_title(page)
        page.locator("#next-resource").get_by_role("button", name="Mark done").click()
        page.wait_for_function(
            "title => document.querySelector('#next-resource h2').innerText !== title", arg=before
        )
        assert page.evaluate("window.__sameDocument") is True
        # Keyboard users keep their place: focus returns to the new "Mark done".
        assert page.evaluate("document.activeElement.id") == "next-done"
    eyebrow = page.locator("#next-resource .eyebrow").text_content()
    seen_stages.append(eyebrow.split("·")[-1].strip())

    assert seen_stages[:2] == ["Programming", "Programming"]
    assert seen_stages[2:5] == ["Projects"] * 3
    assert seen_stages[5:] == ["Mathematics", "Mathematics"]
    # The bars moved without a reload: both early stages are full, the math has begun.
    assert bar(page, "stage-bars", "programming") == 100
    assert bar(page, "stage-bars", "projects") == 100
    assert bar(page, "pillar-bars", "linear-algebra") > 0
    assert "You marked" in page.locator("#next-resource").inner_text()
    where_we_were = next_title(page)

    # Sign out, sign in again: everything is as it was left.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/path/")
    page.wait_for_url("**/accounts/login/?next=/path/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/path/")
    assert next_title(page) == where_we_were
    assert bar(page, "stage-bars", "projects") == 100


def test_undo_brings_the_previous_recommendation_back(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "grace")
    first = next_title(page)
    page.locator("#next-resource").get_by_role("button", name="Skip").click()
    page.wait_for_function("t => document.querySelector('#next-resource h2').innerText !== t", arg=first)
    page.locator("#next-resource").get_by_role("button", name="Undo").click()
    page.wait_for_function("t => document.querySelector('#next-resource h2').innerText === t", arg=first)
    assert bar(page, "stage-bars", "programming") == 0


def test_math_first_gets_a_math_recommendation_straight_away(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "emmy")
    page.get_by_role("link", name="Set your order").click()
    page.wait_for_url("**/path/settings/")
    for step, stage in enumerate(["math", "programming", "projects", "deep-learning"], start=1):
        page.get_by_label(f"Step {step}", exact=True).select_option(stage)
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/path/")
    assert "Mathematics" in page.locator("#next-resource .eyebrow").text_content()
    assert next_title(page) == "Essence of Linear Algebra"
    assert "Mathematics is the first stage of your path" in page.locator("#next-resource .why").inner_text()


def test_a_catalog_card_marks_progress_in_place(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "hedy")
    page.goto(f"{live_server.url}/catalog/?q=seeing")
    page.evaluate("window.__sameDocument = true")
    card = page.locator("#status-seeing-theory")
    card.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "() => document.querySelector('#status-seeing-theory .status-badge').innerText === 'In progress'"
    )
    assert page.evaluate("window.__sameDocument") is True
    page.goto(f"{live_server.url}/path/")
    assert "Seeing Theory" in page.locator("#in-progress").inner_text()


def test_only_the_latest_card_keeps_its_undo_and_undo_puts_it_back(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "karen")
    page.goto(f"{live_server.url}/catalog/?pillar=probability")
    theory, islr = page.locator("#status-seeing-theory"), page.locator("#status-islr")
    theory.get_by_role("button", name="Start").click()
    theory.get_by_role("button", name="Undo").wait_for()
    islr.get_by_role("button", name="Mark done").click()
    islr.get_by_role("button", name="Undo").wait_for()
    assert theory.get_by_role("button", name="Undo").count() == 0  # gone without a reload
    islr.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "() => document.querySelector('#status-islr .status-badge').innerText === 'Not started'"
    )
    assert theory.locator(".status-badge").inner_text() == "In progress"


def test_a_refused_click_says_so_instead_of_doing_nothing(page, live_server, shipped_catalog):
    sign_up(page, live_server.url, "alan")
    before = next_title(page)
    # Simulate a stale page: the security token is gone from the page and the cookie jar.
    page.evaluate(
        """() => {
        document.body.setAttribute('hx-headers', '{}');
        document.querySelectorAll('input[name=csrfmiddlewaretoken]').forEach(i => i.value = 'stale');
    }"""
    )
    page.context.clear_cookies(name="csrftoken")
    page.locator("#next-resource").get_by_role("button", name="Mark done").click()
    page.locator("#htmx-error").get_by_text("Please reload the page").wait_for()
    assert next_title(page) == before
