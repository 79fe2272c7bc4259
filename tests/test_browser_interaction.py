"""The built site in a real browser, as a reader uses it: search, the palette toggle and
phone-sized navigation (the browser and its fixtures: tests/conftest.py). What each copy
button copies is checked in tests/test_browser.py, in the one visit of its page.

A test's pass is stored under a key of every file of the site its browser requested, this
module's source, the browser and the engine's environment (`BrowserResults` in
tests/conftest.py), and is not repeated under the same key.

Without /usr/bin/chromium these tests are skipped, except where REQUIRE_BROWSER=1 (CI sets
it), where they fail. A failing test leaves screenshots of its pages in test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("rank", "pytorch/tensors/"),
        ("permute", "pytorch/tensors/"),
        ("broadcasting", "pytorch/tensors/"),
        ("channels", "examples/image_tensors/"),
    ],
)
def test_search_lists_the_page_that_teaches_a_term(tab, browser_results, term, expected):
    unit = browser_results.unit()
    if browser_results.reused(unit) is not None:
        return
    tab.visit("")  # which waits for the search index
    page = tab.page
    search = page.locator("input.md-search__input")
    search.click()
    # Material searches as keys are typed (on keyup), and once its index is ready, for what
    # the box holds then; typing at full speed found every term in 200 tries, 100 of them
    # with both cores busy.
    search.press_sequentially(term)
    # Results re-render after each key; a result for the whole term carries ?h=<term>.
    try:
        page.wait_for_function(FOUND, arg=[term, expected])
    except PlaywrightTimeout:
        links = page.locator(".md-search-result__item > a")
        pytest.fail(f"no result for {term!r} links to {expected}: {links.evaluate_all(HREFS)}")
    browser_results.passed(unit, browser_results.files(tab.urls))


FOUND = """([term, expected]) => [...document.querySelectorAll('.md-search-result__item > a')]
    .map(a => new URL(a.href))
    .some(u => u.searchParams.get('h') === term && u.pathname.endsWith('/' + expected))"""
HREFS = "links => links.map(a => a.getAttribute('href'))"


def expect_scheme(page, scheme: str) -> None:
    """The palette the page shows, once its scripts have applied it."""
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", scheme)


def test_palette_follows_the_system_and_the_toggle_is_remembered(
    open_context, browser_results, base_url
):
    unit = browser_results.unit()
    if browser_results.reused(unit) is not None:
        return
    page = open_context(color_scheme="dark").new_page()
    page.goto(base_url, wait_until="load")
    expect_scheme(page, "slate")  # automatic: follows the system's dark setting
    page.emulate_media(color_scheme="light")
    page.reload(wait_until="load")
    expect_scheme(page, "default")
    toggle = page.locator("form[data-md-component='palette'] label:not([hidden])")
    toggle.click()  # automatic -> light
    toggle.click()  # light -> dark
    expect_scheme(page, "slate")
    page.reload(wait_until="load")
    expect_scheme(page, "slate")  # remembered, though the system still says light
    page.goto(base_url + "pytorch/tensors/", wait_until="load")
    expect_scheme(page, "slate")
    browser_results.passed(unit, browser_results.files(open_context.urls))


def test_phone_navigation_and_table_of_contents(open_context, browser_results, base_url):
    unit = browser_results.unit()
    if browser_results.reused(unit) is not None:
        return
    page = open_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    page.goto(base_url, wait_until="load")
    primary = page.locator("nav.md-nav--primary")
    page.locator("label.md-header__button[for='__drawer']").click()
    primary.locator("label.md-nav__link", has_text="Foundations").click()  # a section's panel
    primary.get_by_role("link", name="Tensors", exact=True).click()
    page.wait_for_url(re.compile(r"/pytorch/tensors/$"))
    page.locator("label.md-header__button[for='__drawer']").click()
    primary.locator("label.md-nav__link--active[for='__toc']").click()
    primary.get_by_role("link", name="Broadcasting", exact=True).click()
    page.wait_for_url(re.compile(r"#broadcasting$"))
    heading = page.locator("h2#broadcasting")
    page.wait_for_function(
        "() => document.querySelector('h2#broadcasting').getBoundingClientRect().top < 200"
    )
    box = heading.bounding_box()
    assert box is not None
    assert 0 <= box["y"] < 844
    browser_results.passed(unit, browser_results.files(open_context.urls))
