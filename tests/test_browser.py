"""Each page of the built site in a real browser: Debian's chromium, driven by Playwright,
on localhost (the browser and its fixtures: tests/conftest.py). One load a page: console
errors, requests leaving localhost, the weight of a first visit, titles, alt text, and axe
in both palettes. tests/test_browser_interaction.py uses the site as a reader does.

Run by `make test`. Without /usr/bin/chromium (`apt-get install chromium`) these tests are
skipped with that reason, except where REQUIRE_BROWSER=1 (CI sets it), where they fail.
A failing test leaves screenshots of its pages in test-artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from tests.test_census import DOCS, ROOT, page_url

pytestmark = pytest.mark.browser


def page_urls() -> dict[str, Path | None]:
    """Every page of the site (URL path -> its source), known before the site is built."""
    urls: dict[str, Path | None] = {"404.html": None}
    for source in [*sorted(DOCS.rglob("*.md")), *sorted((ROOT / "examples").glob("*.py"))]:
        urls[page_url(source)] = source
    return urls


PAGES = page_urls()


def test_the_site_has_exactly_the_pages_these_tests_visit(site):
    built = {
        p.relative_to(site.path).as_posix().removesuffix("index.html") for p in site.html_pages()
    }
    assert built == set(PAGES)
    assert set(CODE_CONTRAST_PAGES) <= built, "the pages that check code contrast are gone"


# Code and notebook output take their colours from the theme, the same on every page, and
# they are most of what axe's colour-contrast rule measures (2 s of a 2.5 s run). Their
# contrast is checked on the pages below, which show every kind of block (pycon, python,
# annotations, tabs, solutions; notebook cells and outputs); the other pages check the
# contrast of everything else, and every other rule everywhere.
CODE_CONTRAST_PAGES = {"pytorch/tensors/", "examples/image_tensors/"}
CODE = {"exclude": [[".highlight"], [".jp-OutputArea"]]}
COLOUR_RULES = ["color-contrast", "link-in-text-block"]  # the rules a palette can change
AXE_RUN = "([context, options]) => axe.run(context ?? document, options)"


def serious_violations(page, context: dict | None, options: dict) -> list[str]:
    options = {"resultTypes": ["violations"], **options}
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in page.evaluate(AXE_RUN, [context, options])["violations"]
        if v["impact"] in ("serious", "critical")
    ]


FIRST_VISIT_BYTES = 400_000
# The lines of a page's title: a title that wraps leaves no word alone on its last line.
TITLE_LINES = """() => {
    const range = document.createRange();
    const title = document.querySelector('article h1');  // its text, not its ¶ link
    range.selectNodeContents([...title.childNodes].find(n => n.nodeType === Node.TEXT_NODE));
    const lines = new Map();
    for (const r of range.getClientRects()) {
        const top = Math.round(r.top);
        lines.set(top, (lines.get(top) ?? 0) + r.width);
    }
    return [...lines.values()];
}"""


def first_visit_bytes(finished: list) -> dict[str, int]:
    """Bytes each response of a load took on the wire (headers and compressed body)."""
    weights: dict[str, int] = {}
    for request in finished:
        sizes = request.sizes()
        weights[request.url] = sizes["responseHeadersSize"] + sizes["responseBodySize"]
    return weights


@pytest.mark.parametrize("url", PAGES)
def test_page_loads_cleanly_and_has_no_serious_accessibility_violations_in_either_palette(
    open_context, base_url, url
):
    """One load a page, in a fresh profile (nothing cached): no console errors, no request
    leaving localhost, at most 400 KB transferred, alt text on every image, a title without
    a lone word on its last line; then axe in the light palette and, the system switched to
    dark, in the dark one.

    The weight counts every response the load fetched before the network went idle: the
    HTML, CSS, JavaScript, images, and the search index that Material's search fetches at
    load. Text is served gzip-compressed, as the site's host serves it (`Host`)."""
    context = open_context(color_scheme="light")
    requests, errors, finished = [], [], []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfinished", lambda r: finished.append(r))
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Material's search worker fetches the index after the page loads: wait for it too.
    index = "search/search_index.json"
    with context.expect_event("requestfinished", lambda r: r.url.endswith(index)):
        page.goto(base_url + url, wait_until="networkidle")
    assert not errors, errors
    remote = [r for r in requests if urlsplit(r).hostname != "127.0.0.1"]
    assert not remote, remote
    weights = first_visit_bytes(finished)
    assert any(u.endswith(index) for u in weights), "the search index is not counted"
    heaviest = sorted(weights.items(), key=lambda item: -item[1])[:5]
    assert sum(weights.values()) <= FIRST_VISIT_BYTES, (
        f"a first visit transfers {sum(weights.values())} bytes; heaviest: {heaviest}"
    )
    if url != "404.html":
        lines = page.evaluate(TITLE_LINES)
        assert lines[-1] >= lines[0] / 3, f"the title's last line is a lone word: {lines}"
    for img in page.locator("img").all():
        alt = (img.get_attribute("alt") or "").strip()
        assert alt, img.evaluate("e => e.outerHTML")
        assert "No description" not in alt, alt

    page.evaluate(AXE_SCRIPT)
    contrast = CODE if url not in CODE_CONTRAST_PAGES else None
    found = {}
    for color_scheme, expected in (("light", "default"), ("dark", "slate")):
        page.emulate_media(color_scheme=color_scheme)  # the palette follows the system
        page.wait_for_function(f"document.body.dataset.mdColorScheme === '{expected}'")
        found[color_scheme] = serious_violations(page, contrast, {"runOnly": COLOUR_RULES})
    rules = {rule: {"enabled": False} for rule in COLOUR_RULES}
    found["either"] = serious_violations(page, None, {"rules": rules})
    assert found == {"light": [], "dark": [], "either": []}
