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

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
# Without the background-networking flags chromium phones home, and this network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]  # fmt: skip


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
