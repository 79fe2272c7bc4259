"""The built site, shared by every test that checks it: one strict build per test run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

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
