"""Fixtures the tests share: a small project to build or run (for the self-tests), and the
browser that the browser tests drive against the built site. The site itself, the executed
examples and the page runs come from the engine's pytest plugin (engine/plugin.py)."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import logging
import os
import re
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test (screenshots)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ---- small projects for the self-tests -------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path):
    """`project(pages, nav, hooks)`: a site in tmp_path that inherits mkdocs.yml (theme,
    extensions, plugins) with its own pages and the named hooks; returns its config."""

    def make(files: dict[str, str], nav: list[str], hooks: list[str]) -> Path:
        write(tmp_path, files)
        (tmp_path / "requirements.txt").write_text("", encoding="utf-8")
        config = tmp_path / "mkdocs.yml"
        config.write_text(
            textwrap.dedent(f"""\
                INHERIT: {ROOT / "mkdocs.yml"}
                docs_dir: docs
                theme:
                  custom_dir: {ROOT / "overrides"}
                extra_css: []
                watch: []
                nav: {nav}
                hooks: {[str(ROOT / "hooks" / hook) for hook in hooks]}
                """),
            encoding="utf-8",
        )
        return config

    return make


@pytest.fixture
def build(tmp_path: Path):
    """`build(config)`: a strict build of a small project in this process (a second of work,
    not a subprocess's five); returns whether it passed and everything it logged."""

    def run(config: Path) -> tuple[bool, str]:
        from mkdocs.commands.build import build as mkdocs_build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException

        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))
        logger = logging.getLogger("mkdocs")
        logger.addHandler(handler)
        try:
            mkdocs_build(load_config(str(config), strict=True, site_dir=str(tmp_path / "site")))
            passed = True
        except MkDocsException as error:
            stream.write(f"{error}\n")
            passed = False
        finally:
            logger.removeHandler(handler)
        return passed, stream.getvalue()

    return run


# ---- the browser --------------------------------------------------------------------------
# A browser test's result is stored when it passes, under a key of everything it read
# (`BrowserResults`), and is not repeated under the same key; so chromium starts only when
# some test has to run.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_BINARY = Path("/usr/lib/chromium/chromium")  # what Debian's launcher script runs
ARTIFACTS = ROOT / "test-artifacts"
# Without the background-networking flags chromium phones home, and this network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]  # fmt: skip
TIMEOUT_MS = 15_000
INDEX = "search/search_index.json"  # Material's search fetches it as every page loads


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
    serve = functools.partial(server.serve_forever, poll_interval=0.05)  # quick to shut down
    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


class Browser:
    """Debian's chromium, launched when the first context is asked for (one a worker)."""

    def __init__(self) -> None:
        self.playwright = None
        self.browser = None

    def new_context(self, **options):
        if self.browser is None:
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        return context

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.playwright.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    started = Browser()
    yield started
    started.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", name)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


class Contexts:
    """`open_context(**options)`: a browser context, a fresh profile each; `.urls`: every URL
    the test's contexts requested."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.made: list = []
        self.urls: list[str] = []

    def __call__(self, **options):
        context = self.browser.new_context(**options)
        context.on("request", lambda r: self.urls.append(r.url))
        self.made.append(context)
        return context


@pytest.fixture
def open_context(browser, request) -> Iterator[Contexts]:
    """Make browser contexts; screenshot their pages if the test fails."""
    contexts = Contexts(browser)
    yield contexts
    if failed(request):
        for c, context in enumerate(contexts.made):
            for p, page in enumerate(context.pages):
                screenshot(page, f"{request.node.name}-{c}-{p}")
    for context in contexts.made:
        context.close()


class Tab:
    """One tab that visits page after page, each as a reader's first visit: the HTTP cache is
    off (every response comes over the wire, to be weighed), and each document starts with
    empty storage. One tab, not a fresh context a page, because its renderer stays warm:
    axe takes about a quarter less time in a renderer that has run it before. It opens on
    first use, and may read and write the clipboard.

    `errors` and `urls` collect the console errors and the requests since the last visit."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.context = None
        self.opened = None
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.finished: list = []
        self.pending: set = set()

    @property
    def page(self):
        if self.opened is None:
            context = self.browser.new_context(permissions=["clipboard-read", "clipboard-write"])
            context.add_init_script("localStorage.clear(); sessionStorage.clear();")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            context.on("request", self._started)
            context.on("requestfinished", self._finished)
            context.on("requestfailed", lambda r: self.pending.discard(r))
            page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: self.errors.append(str(e)))
            self.context, self.opened = context, page
        return self.opened

    def _started(self, request) -> None:
        self.urls.append(request.url)
        self.pending.add(request)

    def _finished(self, request) -> None:
        self.pending.discard(request)
        self.finished.append(request)

    def visit(self, path: str) -> dict[str, list[int]]:
        """Load a page in the light palette; wait for the load event, the search index, the
        page's icon (which the browser fetches after the load) and anything else still in
        flight; return each response's [header bytes, body bytes] on the wire, by URL."""
        page = self.page
        for log in (self.errors, self.urls, self.finished, self.pending):
            log.clear()
        page.emulate_media(color_scheme="light")
        with self.context.expect_event("requestfinished", lambda r: r.url.endswith(INDEX)):
            page.goto(self.base_url + path, wait_until="load")
        icons = set(page.evaluate(ICONS))
        self._wait(lambda: not icons or icons & {r.url for r in self.finished}, f"icon {icons}")
        self._wait(lambda: not self.pending, "the requests in flight")
        sizes = {}
        for request in self.finished:
            size = request.sizes()
            sizes[request.url] = [size["responseHeadersSize"], size["responseBodySize"]]
        return sizes

    def _wait(self, done, what: str) -> None:
        for _ in range(TIMEOUT_MS // 10):
            if done():
                return
            self.page.wait_for_timeout(10)  # which lets the request events in
        pending = sorted(r.url for r in self.pending)
        raise TimeoutError(f"waited {TIMEOUT_MS} ms for {what}; in flight: {pending}")


ICONS = "[...document.querySelectorAll('link[rel~=icon]')].map(link => link.href)"


@pytest.fixture(scope="session")
def shared_tab(browser, base_url) -> Tab:
    return Tab(browser, base_url)


@pytest.fixture
def tab(shared_tab, request) -> Iterator[Tab]:
    """This worker's one `Tab`; a screenshot of it if the test fails."""
    yield shared_tab
    if failed(request) and shared_tab.opened is not None:
        screenshot(shared_tab.opened, request.node.name)


@functools.cache
def browser_identity() -> str:
    """The browser, without starting it: its launcher script and the size and time of the
    binary that runs it (a package upgrade changes them)."""
    parts = [CHROMIUM.read_bytes() if CHROMIUM.exists() else b""]
    if CHROMIUM_BINARY.exists():
        stat = CHROMIUM_BINARY.stat()
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    from engine.cache import digest

    return digest(*parts)


@functools.cache
def file_digest(path: Path) -> str:
    from engine.cache import digest

    return digest(path.read_bytes()) if path.is_file() else "missing"


class BrowserResults:
    """Browser tests that passed, stored by `engine.cache` under a key of everything they
    read: the test module's source and this part of conftest.py, the browser, the engine's
    environment, the test's own parts (a page's expected copies), and the bytes of every
    file of the site the test's browser requested.

    Which files a test requests is known only once it has run, so a test's key is found in
    two steps: `unit` (all but the files) names the list of files its last pass requested,
    and that list's bytes complete the key of the pass (`passed`, `reused`)."""

    def __init__(self, site, base_url: str, record_property, node) -> None:
        from engine.cache import Store

        self.site = site
        self.base_url = base_url
        self.record_property = record_property
        self.node = node
        self.store = Store("browser")

    def unit(self, *parts: str) -> str:
        from engine.cache import digest, environment

        return digest(
            self.node.nodeid,
            self.node.path.read_bytes(),
            browser_part(),
            browser_identity(),
            *environment(),
            *parts,
        )

    def files(self, urls: list[str], leave_out: tuple[str, ...] = ()) -> list[str]:
        """The site files that these URLs name (those on this host), as paths in the site."""
        from urllib.parse import unquote

        found = set()
        for url in urls:
            if not url.startswith(self.base_url):
                continue
            path = unquote(urlsplit(url).path).lstrip("/")
            if path == "" or path.endswith("/"):
                path += "index.html"
            if path not in leave_out:
                found.add(path)
        return sorted(found)

    def _key(self, unit: str, files: list[str]) -> str:
        from engine.cache import digest

        return digest(unit, *(f"{f}:{file_digest(self.site.path / f)}" for f in files))

    def reused(self, unit: str) -> dict | None:
        """The record of this unit's pass, if it passed under the same key; recorded on the
        test's report as ("engine", "browser reused") or ("engine", "browser ran")."""
        listed = self.store.get(unit)
        record = self.store.get(self._key(unit, listed["files"])) if listed else None
        self.record_property("engine", "browser ran" if record is None else "browser reused")
        return record

    def passed(self, unit: str, files: list[str], record: dict | None = None) -> None:
        self.store.put(self._key(unit, files), record or {})
        self.store.put(unit, {"files": files})


@functools.cache
def browser_part() -> str:
    """This part of conftest.py: how the site is served and the browser driven."""
    return Path(__file__).read_text(encoding="utf-8").partition("# ---- the browser ---")[2]


@pytest.fixture
def browser_results(request, site, base_url, record_property) -> BrowserResults:
    return BrowserResults(site, base_url, record_property, request.node)
