"""Each page of the built site in a real browser: Debian's chromium, driven by Playwright,
on localhost (the browser and its fixtures: tests/conftest.py). One visit a page checks
all that a page must do: no console errors, no request leaving localhost, the weight of a
first visit, titles, alt text, axe in both palettes, and what each copy button copies.
tests/test_browser_interaction.py uses the site as a reader does.

A page's pass is stored under a key of its built HTML, every file of the site it fetched,
its expected copies, this module's source, the browser and the engine's environment
(`BrowserResults` in tests/conftest.py), and is not repeated under the same key. The search
index is left out of that key, because every prose edit changes it: a reused pass weighs
its first visit again with the index as it is served now (and the search tests, whose keys
hold the index, run again).

Run by `make test`. Without /usr/bin/chromium (`apt-get install chromium`) these tests are
skipped with that reason, except where REQUIRE_BROWSER=1 (CI sets it), where they fail.
A failing test leaves a screenshot of its page in test-artifacts/.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import jupytext
import pytest
from axe_playwright_python.base import AXE_SCRIPT

from engine.paste import page_copies
from engine.site import page_sources, page_url
from engine.snippets import MARKER

pytestmark = pytest.mark.browser

# Every page of the site (URL path -> its source), known before the site is built.
PAGES: dict[str, Path | None] = {"404.html": None, **{page_url(s): s for s in page_sources()}}
INDEX = "search/search_index.json"  # Material's search fetches it as every page loads


def test_the_site_has_exactly_the_pages_these_tests_visit(site):
    built = {
        p.relative_to(site.path).as_posix().removesuffix("index.html") for p in site.html_pages()
    }
    assert built == set(PAGES)


# ---- axe ---------------------------------------------------------------------------------

# Axe's colour rules are most of its time (2 s of a 2.5 s run on a long page), and they
# measure every element with text, although the theme gives thousands of elements the same
# few styles. What decides an element's contrast is its colour, size, weight, opacity and
# text shadow, the backgrounds behind it and, for a link, the colour and underline of the
# text around it. STYLE_SAMPLE marks one visible element for each distinct combination of
# these on the page, in the palette it is in, and the colour rules measure the marked
# elements (with what they contain): every style a page shows, code included, is measured.
STYLE_SAMPLE = """() => {
    const clear = c => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
    const style = new Map();
    const css = e => style.get(e) ?? style.set(e, getComputedStyle(e)).get(e);
    const behind = e => {  // the backgrounds, up to the first opaque colour
        const chain = [];
        for (let n = e; n; n = n.parentElement) {
            const s = css(n);
            if (s.backgroundImage !== 'none') chain.push(s.backgroundImage);
            if (!clear(s.backgroundColor)) chain.push(s.backgroundColor);
            if (s.backgroundColor.startsWith('rgb(')) break;
        }
        return chain.join(' over ');
    };
    const opacity = e => e ? +css(e).opacity * opacity(e.parentElement) : 1;
    for (const e of document.querySelectorAll('[data-contrast-sample]')) {
        delete e.dataset.contrastSample;  // the last palette's sample
    }
    const seen = new Set();
    let texts = 0;
    for (const e of document.body.querySelectorAll('*')) {
        if (![...e.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.data.trim())) continue;
        texts++;
        if (!e.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
        const s = css(e), around = e.parentElement ? css(e.parentElement) : s;
        const key = [s.color, s.fontSize, s.fontWeight, s.textShadow, s.textDecorationLine,
                     around.color, opacity(e), behind(e)].join('|');
        if (!seen.has(key)) {
            seen.add(key);
            e.dataset.contrastSample = '';
        }
    }
    return [seen.size, texts];
}"""
COLOUR_RULES = ["color-contrast", "link-in-text-block"]  # the rules a palette can change
AXE_RUN = "options => axe.run(document, options)"


def serious_violations(page, options: dict) -> list[str]:
    options = {"resultTypes": ["violations"], **options}
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in page.evaluate(AXE_RUN, options)["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# The colour rules measure only the sample and what it contains: axe.configure changes the
# selector of a rule it has, so that one run in the light palette checks every rule.
SAMPLE_ONLY = """() => axe.configure({rules: [
    {id: 'color-contrast', selector: '[data-contrast-sample], [data-contrast-sample] *'},
    {id: 'link-in-text-block',
     selector: ':is([data-contrast-sample], [data-contrast-sample] *):is(a[href], [role=link])'},
]})"""


def axe_in_both_palettes(page) -> dict[str, list[str]]:
    """Every rule in the light palette the page loaded in; then, the system switched to dark,
    the colour rules again in the dark palette. The colour rules measure one element per
    style (STYLE_SAMPLE), every other rule the whole page."""
    page.evaluate(AXE_SCRIPT)
    page.evaluate(SAMPLE_ONLY)
    found = {}
    for color_scheme, expected in (("light", "default"), ("dark", "slate")):
        if color_scheme == "dark":
            page.emulate_media(color_scheme="dark")  # the palette follows the system
        page.wait_for_function(f"document.body.dataset.mdColorScheme === '{expected}'")
        styles, texts = page.evaluate(STYLE_SAMPLE)
        assert 0 < styles < texts, f"{styles} styles among {texts} elements with text"
        rules = {} if color_scheme == "light" else {"runOnly": COLOUR_RULES}
        found[color_scheme] = serious_violations(page, rules)
    return found


# ---- what a page shows -------------------------------------------------------------------

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
# Every image (open shadow roots included) without a real description.
UNDESCRIBED_IMAGES = """() => {
    const images = [];
    const walk = root => {
        for (const element of root.querySelectorAll('*')) {
            if (element.tagName === 'IMG') images.push(element);
            if (element.shadowRoot) walk(element.shadowRoot);
        }
    };
    walk(document);
    return images.filter(img => {
        const alt = (img.getAttribute('alt') ?? '').trim();
        return !alt || alt.includes('No description');
    }).map(img => img.outerHTML);
}"""


# ---- copy buttons ------------------------------------------------------------------------


def expected_copies(source: Path) -> list[str]:
    """What each code block's copy button must give: a chapter's copy texts
    (engine/paste.py), a notebook cell's code without snippet section markers."""
    if source.suffix == ".py":
        cells = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        cells = ["\n".join(ln for ln in c.split("\n") if not MARKER.match(ln)) for c in cells]
        return [cell.rstrip("\n") for cell in cells]
    return [text.rstrip("\n") for _, _, text in page_copies(source)]


# Copy every block as a reader would, in the page itself: select the content tab and open the
# collapsed blocks around it, click its copy button, read the clipboard. The copy lands
# asynchronously, so each read waits until the clipboard holds something (every block has
# code), up to 10 s: under load a fixed wait read an empty clipboard.
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
        let copied = '';
        for (const start = Date.now(); !copied && Date.now() - start < 10000; ) {
            await new Promise(resolve => setTimeout(resolve, 5));
            copied = await navigator.clipboard.readText();
        }
        copies.push(copied.replace(/\\n+$/, ''));
    }
    return copies;
}"""


def copy_every_block(page, source: Path) -> list[str]:
    notebook = source.suffix == ".py"
    selector = "clipboard-copy" if notebook else "button.md-code__button[data-md-type='copy']"
    return page.evaluate(COPY_ALL, selector)


# ---- one visit a page ----------------------------------------------------------------------


def visit(tab, url: str) -> dict:
    """What a page does in the browser, in one load in the `tab` (a first visit: nothing
    cached, empty storage): its weight, title lines, undescribed images, axe's findings and
    what its copy buttons copy (after axe: copying opens blocks and switches tabs); then the
    console errors and remote requests of all of that."""
    sizes = tab.visit(url)
    page = tab.page
    seen: dict = {
        "weights": {u.removeprefix(tab.base_url): h + b for u, (h, b) in sizes.items()},
        "index": sizes.get(tab.base_url + INDEX),  # [header bytes, body bytes]
        "title": page.evaluate(TITLE_LINES) if url != "404.html" else None,
        "images": page.evaluate(UNDESCRIBED_IMAGES),
        "axe": axe_in_both_palettes(page),
        "copies": copy_every_block(page, PAGES[url]) if PAGES[url] else None,
    }
    seen["errors"] = list(tab.errors)
    seen["remote"] = [u for u in tab.urls if urlsplit(u).hostname != "127.0.0.1"]
    return seen


def served_index_weight(base_url: str, index: list[int]) -> int:
    """What the search index weighs on the wire now, from the header bytes a stored visit
    measured (their Content-Length may have changed its number of digits) and the body the
    host serves now."""
    request = urllib.request.Request(base_url + INDEX, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        body = len(response.read())
    headers, measured = index
    return headers - len(str(measured)) + len(str(body)) + body


def problems(seen: dict, expected: list[str] | None) -> list[str]:
    found = []
    if seen["errors"]:
        found.append(f"console errors: {seen['errors']}")
    if seen["remote"]:
        found.append(f"requests leaving localhost: {seen['remote']}")
    weights = seen["weights"]
    if INDEX not in weights:
        found.append(f"the search index is not counted: {sorted(weights)}")
    if sum(weights.values()) > FIRST_VISIT_BYTES:
        heaviest = sorted(weights.items(), key=lambda item: -item[1])[:5]
        found.append(
            f"a first visit transfers {sum(weights.values())} bytes, more than "
            f"{FIRST_VISIT_BYTES}; heaviest: {heaviest}"
        )
    lines = seen["title"]
    if lines is not None and lines[-1] < lines[0] / 3:
        found.append(f"the title's last line is a lone word: {lines}")
    found += [f"an image without a description: {image}" for image in seen["images"]]
    for palette, violations in seen["axe"].items():
        found += [f"axe ({palette} palette): {violation}" for violation in violations]
    copied = seen["copies"]
    if expected is None:
        return found
    if len(copied) != len(expected):
        found.append(f"{len(copied)} copy buttons, {len(expected)} blocks")
        return found
    for number, (got, code) in enumerate(zip(copied, expected, strict=True), 1):
        if got != code:
            found.append(
                f"copy button {number} of {len(copied)} copies\n{got}\n"
                f"---- instead of the block's code ----\n{code}\n----"
            )
    return found


@pytest.mark.parametrize("url", PAGES, ids=lambda url: url or "index")  # the home page is ""
def test_page_loads_cleanly_copies_its_code_and_has_no_serious_accessibility_violations(
    tab, browser_results, base_url, url
):
    """One load a page, in a first visit (nothing cached): no console errors, no request
    leaving localhost, at most 400 KB transferred, alt text on every image, a title without
    a lone word on its last line; axe in the light palette and, the system switched to dark,
    in the dark one; every copy button copies its block's code, without prompts or output.

    The weight counts every response of the load: the HTML, CSS, JavaScript, images, and
    the search index that Material's search fetches at load. Text is served gzip-compressed,
    as the site's host serves it (`Host`)."""
    source = PAGES[url]
    expected = expected_copies(source) if source else None
    unit = browser_results.unit(json.dumps(expected))
    seen = browser_results.reused(unit)
    reused = seen is not None
    if reused:  # the index as it is served now, in place of the one it was stored with
        seen["weights"][INDEX] = served_index_weight(base_url, seen["index"])
    else:
        seen = visit(tab, url)
    found = problems(seen, expected)
    if found:
        pytest.fail(f"/{url}:\n" + "\n".join(found), pytrace=False)
    if not reused:
        browser_results.passed(unit, browser_results.files(tab.urls, leave_out=(INDEX,)), seen)
