"""The catalog's filters in a real Chromium: the list changes in place and the URL follows."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_changing_a_filter_swaps_the_list_and_pushes_the_url(page, live_server, shipped_catalog):
    page.goto(f"{live_server.url}/catalog/")
    assert page.locator(".resource-card").count() == 25
    # A full page load would wipe this marker; an htmx swap keeps it.
    page.evaluate("window.__sameDocument = true")

    page.select_option("#id_stage", "programming")
    page.wait_for_url("**/catalog/?*stage=programming*")
    # Waits take a function, not a bare expression: Playwright re-polls an expression with
    # eval(), which the Content-Security-Policy forbids.
    page.wait_for_function("() => document.querySelectorAll('.resource-card').length === 2")

    assert page.evaluate("window.__sameDocument") is True
    assert "Learn Python: Full Course for Beginners" in page.locator("#results").inner_text()

    page.fill("#id_q", "intermediate")
    page.wait_for_url("**q=intermediate*")
    page.wait_for_function("() => document.querySelectorAll('.resource-card').length === 1")
    assert page.evaluate("window.__sameDocument") is True

    # The pushed URL is bookmarkable: loading it afresh shows the same list.
    page.goto(page.url)
    assert page.locator(".resource-card").count() == 1
    assert page.locator("#id_stage").input_value() == "programming"


def test_the_filters_work_with_javascript_off(browser, live_server, shipped_catalog):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/catalog/")
    page.select_option("#id_pillar", "probability")
    page.click("button[type=submit]")
    page.wait_for_url("**pillar=probability*")
    assert page.locator(".resource-card").count() == 3
    context.close()


def test_a_resource_page_is_reachable_by_keyboard(page, live_server, shipped_catalog):
    page.goto(f"{live_server.url}/catalog/?q=seeing")
    link = page.get_by_role("link", name="Seeing Theory")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/catalog/seeing-theory/")
    assert page.get_by_role("heading", level=1).inner_text() == "Seeing Theory"
    assert (
        page.get_by_role("link", name="Open the resource")
        .get_attribute("href")
        .startswith("https://seeing-theory.brown.edu/")
    )
