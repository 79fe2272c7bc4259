"""The engine as a pytest plugin: page items, the site and the executed examples as
fixtures, background jobs, and the summary line.

Items of a page (all read the page's one run, `engine.pages.run`, once a process):
- `docs/<page>.md::page-in-reading-order`: the page's checks, then the page as one doctest;
- `docs/<page>.md::[CodeFence#N][line:L]` (pytest-markdown-docs, parsed by
  `engine.blocks.FenceParser`): how that python fence fared in the page's run.

A full run (`make test`) starts two jobs as it starts, which the tests then wait for: the
site build (whose hook executes the examples whose key changed) and the other-CPU run of
every page whose key changed (`python -m engine check --another-cpu`). The summary line
says how many units ran and how many were reused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from pytest_markdown_docs._runners import DefaultRunner, register_runner

from engine import notebooks, pages
from engine.blocks import FenceParser
from engine.cache import Store, digest, environment, run_started
from engine.census import summary
from engine.sandbox import ANOTHER_CPU, apply_environment
from engine.site import ROOT, build_command, build_site, page_sources

RUN_DIR = "ENGINE_RUN_DIR"  # the folder the background jobs write to, shared by workers
SITE_DIR = "SITE_BUILD_DIR"  # a site built already: $SITE_BUILD_DIR/site, and its log
_root: dict[str, Path] = {"path": ROOT}
_jobs: list[subprocess.Popen] = []


def pytest_configure(config: pytest.Config) -> None:
    # Inherited by xdist's workers and by every subprocess the tests start (builds, kernels).
    apply_environment()
    run_started()  # for ENGINE_REUSE=0: what this run stores counts, nothing from before
    _root["path"] = Path(config.rootpath)
    config.addinivalue_line("markers", "browser: drives Debian's chromium against the site")
    config.addinivalue_line(
        "markers",
        "reuse_pass(*globs): a pass is stored under the content of the files the globs name "
        "(and the environment), and not run again while they are unchanged",
    )


def _keyed_by_files(item: pytest.Item, globs: tuple[str, ...]) -> None:
    """Make a test's pass reusable: its key is its node id, the bytes of the files `globs`
    name (relative to the project) and `cache.environment()`; only a pass is stored."""
    run = item.runtest
    units = Store("tests")

    def runtest() -> None:
        files = sorted({path for pattern in globs for path in ROOT.glob(pattern) if path.is_file()})
        unit_key = digest(item.nodeid, *(str(f.relative_to(ROOT)) for f in files),
                          *(f.read_bytes() for f in files), *environment())  # fmt: skip
        if units.get(unit_key) is not None:
            item.user_properties.append(("engine", "self-test reused"))
            return
        run()
        units.put(unit_key, {"test": item.nodeid})
        item.user_properties.append(("engine", "self-test ran"))

    item.runtest = runtest


# The order in which tests are handed to the workers, by what they wait for: a test is
# queued behind the pages, and behind every test that waits for less than it does. The
# self-tests, which mostly wait for subprocesses, then run while the background build
# and other-CPU run still keep both cores busy, not after them.
WAITS_FOR = ("executed", "site", "on_another_cpu")


def _phase(item: pytest.Item) -> int:
    if item.path.suffix == ".md":
        return 0
    names = set(getattr(item, "fixturenames", ()))
    return 1 + max((i + 1 for i, name in enumerate(WAITS_FOR) if name in names), default=0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (mark := item.get_closest_marker("reuse_pass")) is not None:
            _keyed_by_files(item, mark.args)
    items.sort(key=_phase)  # stable: in collection order within a phase


@pytest.hookimpl(tryfirst=True)
def pytest_markdown_docs_markdown_it():
    return FenceParser(_root["path"])


# ---- page items -------------------------------------------------------------------------

_runs: dict[Path, pages.PageRun] = {}


def page_run(path: Path) -> pages.PageRun:
    """The page's one run in this process, shared by all of its items."""
    if path not in _runs:
        _runs[path] = pages.run(path)
    return _runs[path]


class PageFailure(Exception):
    pass


class PageItem(pytest.Item):
    """page-in-reading-order: the page's checks, then the page as one doctest."""

    def runtest(self) -> None:
        run = page_run(self.path)
        self.user_properties.append(("engine", "page reused" if run.reused else "page ran"))
        if run.failure is not None:
            raise PageFailure(run.failure.message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PageFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}::{self.name}"


class PageFile(pytest.File):
    def collect(self):
        if pages.page_doctest(self.path).examples:
            yield PageItem.from_parent(self, name="page-in-reading-order")


_collected: set[str] = set()  # every item this process collected, deselected ones included


def pytest_itemcollected(item: pytest.Item) -> None:
    _collected.add(item.nodeid)


def collect_page_items(docs: Path, root: Path = ROOT) -> set[str]:
    """The node ids pytest collects from a project's docs folder, in a collection of its own
    (`root` is the project: ids are relative to it)."""
    command = [
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "engine.plugin",
        "-p", "no:cacheprovider", "--rootdir", str(root), "-c", str(ROOT / "pyproject.toml"),
        str(docs),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: nothing to run
    return {line for line in result.stdout.splitlines() if "::" in line}


def collected_ids(docs: Path) -> set[str]:
    """The node ids of the pages' items: as this session collected them, or, when it did not
    collect the pages (a test file run on its own), as a collection of `docs` finds them."""
    if any(nodeid.startswith("docs/") for nodeid in _collected):
        return set(_collected)
    return collect_page_items(docs)


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md":
        return PageFile.from_parent(parent, path=file_path)
    return None


def pytest_xdist_make_scheduler(config, log):
    """A page's items go to one worker, so the page runs once; every other test goes to
    whichever worker is free (xdist's scope scheduling, a page being a scope)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByPage(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path.endswith(".md") else nodeid

    return ByPage(config, log)


@register_runner()
class PageOrder(DefaultRunner):
    """A python fence's own test: how the fence fared in the page's one run, in which it
    ran after every block above it, in the page's one namespace."""

    def runtest(self, test, args, *, asyncio_runner=None) -> None:
        path = Path(test.source_path)
        failure = page_run(path).failure
        if failure is not None and failure.line == 0:  # about the whole page
            raise AssertionError(failure.message)
        if failure is None or failure.line - 1 > test.start_line:
            return
        if failure.line - 1 < test.start_line:
            raise RuntimeError(
                f"{failure.message.split(chr(10))[0]}\n(so the fence at {path}:"
                f"{test.start_line + 1} never ran; that line's test shows why)"
            )
        if failure.error is not None:
            raise failure.error
        raise AssertionError(failure.message)


# ---- background jobs: the site build and the other-CPU run -------------------------------


def _full_run(config: pytest.Config) -> bool:
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS


def _start(command: list[str], log: Path, env: dict[str, str]) -> None:
    """Run a command in the background; write its return code, then its output, to `log`
    once it ends (tests wait for that file)."""
    output = log.with_name(log.name + ".out")
    with output.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stream, stderr=stream
        )
    _jobs.append(process)

    def record() -> None:
        code = process.wait()
        text = output.read_text(encoding="utf-8")
        temporary = log.with_name(log.name + ".tmp")
        temporary.write_text(f"{code}\n{text}", encoding="utf-8")
        temporary.rename(log)

    threading.Thread(target=record, daemon=True).start()


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers, which inherit the variable
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not _full_run(config) or os.environ.get(RUN_DIR):
        return
    if config.option.collectonly:
        return
    shared = Path(tempfile.mkdtemp(prefix="engine-run-"))
    os.environ[RUN_DIR] = str(shared)
    if not os.environ.get(SITE_DIR):
        os.environ[SITE_DIR] = str(shared)
        command, env = build_command(ROOT / "mkdocs.yml", shared / "site")
        _start(command, shared / "site-build.log", env)
    stale = [p for p in page_sources(ROOT) if p.suffix == ".md" and _another_cpu_stale(p)]
    (shared / "another-cpu.json").write_text(json.dumps([str(p) for p in stale]), "utf-8")
    if stale:
        command = [sys.executable, "-m", "engine", "check", "--another-cpu", "--report"]
        _start(
            [*command, str(shared / "another-cpu"), *map(str, stale)],
            shared / "cpu.log",
            {**os.environ},
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    for process in _jobs:
        if process.poll() is None:
            process.kill()
            process.wait()
    if _jobs:
        shutil.rmtree(os.environ.pop(RUN_DIR), ignore_errors=True)


def _wait_for(path: Path, what: str, seconds: float = 900) -> str:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.1)
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Site:
    path: Path
    returncode: int
    log: str

    def html_pages(self) -> list[Path]:
        return sorted(self.path.rglob("*.html"))


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Site:
    """The site built once per test run: in the background since the session started, or by
    whichever xdist worker asks first."""
    if prebuilt := os.environ.get(SITE_DIR):
        shared = Path(prebuilt)
        text = _wait_for(shared / "site-build.log", "the site build")
    else:
        shared = tmp_path_factory.getbasetemp()
        if worker_id != "master":
            shared = shared.parent  # one directory for all workers of this run
        log = shared / "site-build.log"
        with FileLock(str(shared / "site.lock")):
            if not log.exists():
                result = build_site(ROOT / "mkdocs.yml", shared / "site")
                log.write_text(f"{result.returncode}\n{result.stdout}{result.stderr}", "utf-8")
        text = log.read_text(encoding="utf-8")
    returncode, _, output = text.partition("\n")
    built = Site(shared / "site", int(returncode), output)
    assert built.returncode == 0, f"mkdocs build --strict failed:\n{built.log}"
    return built


@pytest.fixture(scope="session")
def executed():
    """`executed("digits_cnn")`: that example's executed notebook (run now if its key has
    none; the build and the workers share one execution)."""

    def notebook(name: str):
        return notebooks.executed(ROOT / "examples" / f"{name}.py")

    return notebook


@pytest.fixture(scope="session")
def example_text(executed):
    """`example_text("digits_cnn")`: everything that example's cells printed, as it ran."""

    def text(name: str) -> str:
        return notebooks.outputs_text(executed(name))

    return text


# ---- the other-CPU run -------------------------------------------------------------------


def another_cpu_key(page: Path) -> str:
    saved = {name: os.environ.get(name) for name in ANOTHER_CPU}
    os.environ.update(ANOTHER_CPU)
    try:
        return pages.key(page)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _another_cpu_stale(page: Path) -> bool:
    return pages.store(page).get(another_cpu_key(page)) is None


@pytest.fixture(scope="session")
def on_another_cpu():
    """`on_another_cpu(page)`: (passed, reused, message) of the page's run in a fresh process
    with ATEN_CPU_CAPABILITY=default, other seeds and a later date."""

    def result(page: Path) -> tuple[bool, bool, str]:
        shared = Path(os.environ[RUN_DIR]) if os.environ.get(RUN_DIR) else None
        listed = shared / "another-cpu.json" if shared else None
        if listed is not None and listed.exists() and str(page) in json.loads(listed.read_text()):
            report = shared / "another-cpu" / pages.report_name(page)  # the background run's
            deadline = time.monotonic() + 900
            while not report.exists() and not (shared / "cpu.log").exists():
                if time.monotonic() > deadline:
                    return False, False, f"waited 900 s for the other-CPU run of {page}"
                time.sleep(0.1)
        elif not _another_cpu_stale(page):
            return True, True, ""
        else:  # no background run covers it: run this page now
            folder = Path(tempfile.mkdtemp(prefix="engine-cpu-"))
            command = [sys.executable, "-m", "engine", "check", "--another-cpu", "--report"]
            subprocess.run(
                [*command, str(folder), str(page)], cwd=ROOT, capture_output=True, check=False
            )
            report = folder / pages.report_name(page)
        if not report.exists():
            log = (shared / "cpu.log").read_text("utf-8") if shared else ""
            return False, False, f"the other-CPU run did not report on {page}:\n{log}"
        found = json.loads(report.read_text(encoding="utf-8"))
        return found["passed"], False, found["message"]

    return result


# ---- the summary line --------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter) -> None:
    counts: Counter[str] = Counter()
    census: list[dict] = []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        if report.when != "call":
            continue
        for name, value in getattr(report, "user_properties", []):
            if name == "engine":
                counts[value] += 1
            elif name == "census":
                census.append(json.loads(value))
    if census:
        terminalreporter.write_line(summary(census))
    if counts:
        units = [
            ("page", "pages"),
            ("cpu", "pages on another CPU"),
            ("browser", "browser checks"),
            ("self-test", "self-tests"),
        ]
        parts = [
            f"{label} {counts[f'{unit} ran']} ran, {counts[f'{unit} reused']} reused"
            for unit, label in units
            if counts[f"{unit} ran"] or counts[f"{unit} reused"]
        ]
        terminalreporter.write_line("engine: " + "; ".join(parts))
    log = Path(os.environ.get(SITE_DIR, "/nonexistent"), "site-build.log")
    if log.exists():  # what the build executed: the examples whose key changed
        for line in log.read_text(encoding="utf-8").splitlines():
            if "executed examples/" in line or "examples: " in line:
                terminalreporter.write_line("build: " + line.split(" -  ", 1)[-1].strip())
