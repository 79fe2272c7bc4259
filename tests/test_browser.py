"""The built site in a real browser: Debian's chromium, driven by Playwright, on localhost.

Run by `make test`. Without /usr/bin/chromium (`apt-get install chromium`) these tests are
skipped with that reason, except where REQUIRE_BROWSER=1 (CI sets it), where they fail.
A failing test leaves screenshots of its pages in test-artifacts/.
"""

from __future__ import annotations

import doctest
import functools
import gzip
import http.server
import io
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import jupytext
import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from hooks.snippets import MARKER
from tests.test_census import DOCS, ROOT, page_url, shown_blocks, shown_text

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
# Without the background-networking flags chromium phones home, and this network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]  # fmt: skip


def page_urls() -> dict[str, Path | None]:
    """Every page of the site (URL path -> its source), known before the site is built."""
    urls: dict[str, Path | None] = {"404.html": None}
    for source in [*sorted(DOCS.rglob("*.md")), *sorted((ROOT / "examples").glob("*.py"))]:
        urls[page_url(source)] = source
    return urls


PAGES = page_urls()


# What a static host such as GitHub Pages compresses when the browser accepts gzip.
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".py", ".ipynb"}


@functools.cache
def gzipped(path: Path) -> bytes:
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)


class Host(http.server.SimpleHTTPRequestHandler):
    """Serves the site as its host does: text gzip-compressed, so that the bytes a first
    visit transfers are measured as a reader's browser receives them."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # which redirects /dir to /dir/
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.suffix in COMPRESSED and path.is_file()):
            return super().send_head()
        body = gzipped(path)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="session")
def base_url(site) -> Iterator[str]:
    handler = functools.partial(Host, directory=str(site.path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_context(browser, request):
    """Make browser contexts (a fresh profile each); screenshot their pages if the test fails."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"{name}-{c}-{p}.png", full_page=True)
    for context in contexts:
        context.close()


def test_the_site_has_exactly_the_pages_these_tests_visit(site):
    built = {
        p.relative_to(site.path).as_posix().removesuffix("index.html") for p in site.html_pages()
    }
    assert built == set(PAGES)
    assert set(CODE_CONTRAST_PAGES) <= built, "the pages that check code contrast are gone"


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
    page.goto(base_url + url, wait_until="networkidle")
    assert not errors, errors
    remote = [r for r in requests if urlsplit(r).hostname != "127.0.0.1"]
    assert not remote, remote
    weights = first_visit_bytes(finished)
    assert any(u.endswith("search_index.json") for u in weights), "the search index was not fetched"
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
