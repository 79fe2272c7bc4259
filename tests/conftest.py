"""The built site, shared by every test that checks it: one strict build per test run."""

from __future__ import annotations

import os
import subprocess
import sys
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


def build_site(config: Path, out: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
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
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Site:
    """The site built once per test run, whichever xdist worker asks first."""
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
