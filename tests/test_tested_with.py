"""Every page with code says what its code was verified with, generated from the run
(hooks/tested_with.py), never typed."""

from __future__ import annotations

import importlib.metadata
import re
import sys

from engine.blocks import shown_blocks
from engine.site import DOCS, ROOT, build_site, built_page

LINE = re.compile(r'<p class="tested-with">([^<]*)</p>')
PYTHON = f"Python {sys.version_info[0]}.{sys.version_info[1]}"
INSTALLED = importlib.metadata.version("torch")
CPU = " (CPU)" if INSTALLED.endswith("+cpu") else ""


def test_every_page_with_code_says_what_it_was_run_with(site):
    torch = f"torch {INSTALLED.partition('+')[0]}"
    pages = [*sorted(DOCS.rglob("*.md")), *sorted((ROOT / "examples").glob("*.py"))]
    with_code = 0
    for source in pages:
        html = built_page(site.path, source).read_text(encoding="utf-8")
        lines = LINE.findall(html)
        runs = source.suffix == ".py" or any(
            block.lang in ("python", "pycon") for _, block in shown_blocks(source)
        )
        if not runs:
            assert not lines, f"{source.relative_to(ROOT)}: a tested-with line but no code"
            continue
        with_code += 1
        assert len(lines) == 1, f"{source.relative_to(ROOT)}: {len(lines)} tested-with lines"
        assert f"with {torch} and {PYTHON}" in lines[0], lines[0]
        not_run = sum("notest" in b.options for _, b in shown_blocks(source))
        assert ("marked “Not run here”" in lines[0]) == bool(not_run), lines[0]
    assert with_code >= 10


def test_the_line_says_the_torch_that_ran_not_the_pin(tmp_path, project):
    config = project(
        {
            "docs/index.md": "# Home\n\n```pycon\n>>> 1 + 1\n2\n\n```\n",
            "docs/other.md": "# No code\n",
        },
        nav=["index.md", "other.md"],
        hooks=["tested_with.py"],
    )
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\ntorch==2.12.1\n", "utf-8")
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert LINE.findall(home) == [
        f"Every code block on this page is run by the site's tests, with torch "
        f"{INSTALLED.partition('+')[0]} and {PYTHON}{CPU}."
    ]
    assert not LINE.findall((tmp_path / "site" / "other" / "index.html").read_text("utf-8"))
