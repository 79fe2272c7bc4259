"""The site as the build writes it: where each page's HTML lands, and the build command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.blocks import project_root

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def page_sources(root: Path = ROOT) -> list[Path]:
    """Every page of a project: its docs/*.md, then its examples/*.py."""
    return [*sorted((root / "docs").rglob("*.md")), *sorted((root / "examples").glob("*.py"))]


def page_url(source: Path) -> str:
    """The URL path, relative to the site root, of a page (docs/*.md) or an example."""
    if source.suffix == ".py":
        return f"examples/{source.stem}/"
    path = source.relative_to(project_root(source) / "docs").with_suffix("")
    if path.name == "index":
        path = path.parent
    return "" if path == Path(".") else f"{path.as_posix()}/"


def built_page(site: Path, source: Path) -> Path:
    return site / page_url(source) / "index.html"


def build_command(config: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    """`mkdocs build --strict` into `out`; it executes only the examples whose key changed."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
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
