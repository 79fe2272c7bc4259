"""The built site in a real browser, as a reader uses it: search, copy buttons, the palette
toggle and phone-sized navigation (the browser and its fixtures: tests/conftest.py).

Without /usr/bin/chromium these tests are skipped, except where REQUIRE_BROWSER=1 (CI sets
it), where they fail. A failing test leaves screenshots of its pages in test-artifacts/.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import jupytext
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hooks.snippets import MARKER
from tests.test_browser import PAGES
from tests.test_census import ROOT, shown_blocks, shown_text

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
def test_search_lists_the_page_that_teaches_a_term(open_context, base_url, term, expected):
    page = open_context().new_page()
    page.goto(base_url, wait_until="networkidle")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(term, delay=30)  # Material searches as keys are typed
    # Results re-render after each key; a result for the whole term carries ?h=<term>.
    try:
        page.wait_for_function(FOUND, arg=[term, expected])
    except PlaywrightTimeout:
        links = page.locator(".md-search-result__item > a")
        pytest.fail(f"no result for {term!r} links to {expected}: {links.evaluate_all(HREFS)}")


FOUND = """([term, expected]) => [...document.querySelectorAll('.md-search-result__item > a')]
    .map(a => new URL(a.href))
    .some(u => u.searchParams.get('h') === term && u.pathname.endsWith('/' + expected))"""
HREFS = "links => links.map(a => a.getAttribute('href'))"
ANNOTATION = re.compile(r"# \(\d+\)!")  # Material copies the spaces before it


def expected_copies(source: Path) -> list[str]:
    """What each code block's copy button must give, from the page or program source."""
    if source.suffix == ".py":  # the notebook page leaves out snippet section markers
        cells = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        cells = ["\n".join(ln for ln in c.split("\n") if not MARKER.match(ln)) for c in cells]
        return [cell.rstrip("\n") for cell in cells]
    copies = []
    for _, block in shown_blocks(source):
        if block.lang == "pycon":
            examples = doctest.DocTestParser().get_examples(block.code)
            copies.append("\n".join(e.source.rstrip("\n") for e in examples))
        else:
            code = shown_text(block, ROOT) if block.include else block.code
            if ".annotate" in block.options:  # Material leaves the markers out of a copy
                code = ANNOTATION.sub("", code)
            copies.append(code)
    return [copy.rstrip("\n") for copy in copies]


# Copy every block as a reader would, in the page itself: select the content tab and open the
# collapsed blocks around it, click its copy button, read the clipboard.
COPY_ALL = """async selector => {
    const copies = [];
    for (const button of document.querySelectorAll(selector)) {
        await navigator.clipboard.writeText('');
        const block = button.closest('.tabbed-block');
        if (block) {
            const index = [...block.parentElement.children].indexOf(block);
            block.closest('.tabbed-set').querySelectorAll(':scope > input')[index].click();
        }
        for (let d = button.closest('details'); d; d = d.parentElement.closest('details')) {
            d.open = true;
        }
        button.click();
        await new Promise(resolve => setTimeout(resolve, 0));
        copies.push((await navigator.clipboard.readText()).replace(/\\n+$/, ''));
    }
    return copies;
}"""


@pytest.mark.parametrize("url", [url for url, source in PAGES.items() if source])
def test_every_code_block_copies_its_code_without_prompts_or_output(open_context, base_url, url):
    context = open_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(base_url + url, wait_until="load")
    notebook = PAGES[url].suffix == ".py"
    selector = "clipboard-copy" if notebook else "button.md-code__button[data-md-type='copy']"
    copied = page.evaluate(COPY_ALL, selector)
    expected = expected_copies(PAGES[url])
    assert len(copied) == len(expected), f"{len(copied)} copy buttons, {len(expected)} blocks"
    for number, (got, code) in enumerate(zip(copied, expected, strict=True), 1):
        assert got == code, f"copy button {number} of {len(copied)}"


def scheme(page) -> str:
    return page.locator("body").get_attribute("data-md-color-scheme")


def test_palette_follows_the_system_and_the_toggle_is_remembered(open_context, base_url):
    page = open_context(color_scheme="dark").new_page()
    page.goto(base_url, wait_until="networkidle")
    assert scheme(page) == "slate"  # automatic: follows the system's dark setting
    page.emulate_media(color_scheme="light")
    page.reload(wait_until="networkidle")
    assert scheme(page) == "default"
    toggle = page.locator("form[data-md-component='palette'] label:not([hidden])")
    toggle.click()  # automatic -> light
    toggle.click()  # light -> dark
    assert scheme(page) == "slate"
    page.reload(wait_until="networkidle")
    assert scheme(page) == "slate"  # remembered, though the system still says light
    page.goto(base_url + "pytorch/tensors/", wait_until="networkidle")
    assert scheme(page) == "slate"


def test_phone_navigation_and_table_of_contents(open_context, base_url):
    page = open_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    page.goto(base_url, wait_until="networkidle")
    primary = page.locator("nav.md-nav--primary")
    page.locator("label.md-header__button[for='__drawer']").click()
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
