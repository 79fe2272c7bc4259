"""The built site, shared by every test that checks it: one strict build per test run; and
the browser that the browser tests (tests/test_browser*.py) drive against it."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from filelock import FileLock
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Site:
    path: Path
    returncode: int
    log: str

    def html_pages(self) -> list[Path]:
        return sorted(self.path.rglob("*.html"))


def build_command(config: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    """`mkdocs build --strict`, executing every example (the notebook cache is off)."""
    env = {**os.environ, "NOTEBOOK_CACHE": "false", "NO_MKDOCS_2_WARNING": "1"}
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(config),
        "-d",
        str(out),
    ]
    return command, env


def build_site(config: Path, out: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command, env = build_command(config, out)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


# A full run (`make test`: pytest with its testpaths) starts the build as the session starts,
# so that it runs beside the page tests instead of holding up every test that needs the site.
BACKGROUND_BUILD = "SITE_BUILD_DIR"
_background: list[subprocess.Popen] = []


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers, which inherit the variable
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    shared = Path(tempfile.mkdtemp(prefix="site-build-"))
    os.environ[BACKGROUND_BUILD] = str(shared)
    command, env = build_command(ROOT / "mkdocs.yml", shared / "site")
    output = (shared / "site-build.out").open("w", encoding="utf-8")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    _background.append(process)

    def record() -> None:  # the log the `site` fixture reads: return code, then output
        returncode = process.wait()
        output.close()
        text = (shared / "site-build.out").read_text(encoding="utf-8")
        (shared / "site-build.tmp").write_text(f"{returncode}\n{text}", encoding="utf-8")
        (shared / "site-build.tmp").rename(shared / "site-build.log")

    threading.Thread(target=record, daemon=True).start()


def pytest_unconfigure(config: pytest.Config) -> None:
    for process in _background:
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(os.environ.pop(BACKGROUND_BUILD), ignore_errors=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Site:
    """The site built once per test run: in the background since the session started, or by
    whichever xdist worker asks first."""
    if background := os.environ.get(BACKGROUND_BUILD):
        shared = Path(background)
        while not (shared / "site-build.log").exists():
            time.sleep(0.1)
    else:
        shared = tmp_path_factory.getbasetemp()
        if worker_id != "master":
            shared = shared.parent  # one directory for all workers of this run
    out, log = shared / "site", shared / "site-build.log"
    with FileLock(str(shared / "site.lock")):
        if not log.exists():
            result = build_site(ROOT / "mkdocs.yml", out)
            log.write_text(f"{result.returncode}\n{result.stdout}{result.stderr}", encoding="utf-8")
    returncode, _, text = log.read_text(encoding="utf-8").partition("\n")
    built = Site(out, int(returncode), text)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.log}"
    return built


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test (screenshots)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


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
