"""The machinery fails loudly: each broken case is fed to it and the message must say where.

- a page block that raises, or shows the wrong output, fails with the page path and line;
- a misspelt snippet file or section fails the build naming the page, file and section;
- a link to a missing page or anchor fails the strict build;
- an example that raises fails the build; so does a figure without alt text.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import build_site

ROOT = Path(__file__).resolve().parents[1]


def run_pytest_on(page: Path) -> subprocess.CompletedProcess[str]:
    """Run this project's page tests on one page outside docs/, as `make test` would."""
    (page.parent / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "pytest", "-p", "tests.page_blocks", "--markdown-docs",
        "--markdown-docs-syntax=superfences", "-n", "0", "-p", "no:cacheprovider",
        "--rootdir", str(page.parent), "-c", str(page.parent / "pytest.ini"), str(page),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def write_page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "broken.md"
    page.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return page


def test_a_raising_fence_in_a_tab_fails_with_page_and_line(tmp_path):
    page = write_page(
        tmp_path,
        """\
        # Broken

        ```python
        numbers = [1, 2, 3]
        ```

        === "A tab"

            ```{.python continuation}
            total = sum(numbers)
            raise ValueError("broken in a tab")
            ```
        """,
    )
    result = run_pytest_on(page)
    out = result.stdout
    assert result.returncode == 1, out
    # pytest-markdown-docs collected the fence inside the tab, and points at page line 11
    assert "broken.md::[CodeFence#2][line:9]" in out
    assert f'File "{page}", line 11, in <module>\n    raise ValueError' in out
    # the page-in-reading-order test fails at the same block
    assert "UNEXPECTED EXCEPTION: ValueError('broken in a tab')" in out
    assert f"{page}:10: UnexpectedException" in out


def test_a_wrong_shown_output_fails_with_page_line_expected_and_got(tmp_path):
    page = write_page(
        tmp_path,
        """\
        # Broken

        Text.

        ```pycon
        >>> 1 + 1
        2
        >>> [1, 2, 3][-1]
        4
        ```
        """,
    )
    result = run_pytest_on(page)
    out = result.stdout
    assert result.returncode == 1, out
    assert f"{page}:8: DocTestFailure" in out
    assert "Expected:\n    4\nGot:\n    3" in out


def test_a_misspelt_section_inside_a_fence_fails_the_page_test_naming_it(tmp_path):
    page = write_page(
        tmp_path,
        """\
        ```python
        --8<-- "snippets/tensors.py:phtoo"
        ```
        """,
    )
    result = run_pytest_on(page)
    assert result.returncode == 1
    assert "snippet file 'snippets/tensors.py' has no section 'phtoo'" in result.stdout


def make_project(tmp_path: Path, pages: dict[str, str], nav: list[str], hooks: list[str]) -> Path:
    """A site that inherits mkdocs.yml (theme, extensions, plugins) with its own pages."""
    for name, text in pages.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
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


def test_a_misspelt_snippet_section_fails_the_build_naming_page_file_and_section(tmp_path):
    config = make_project(
        tmp_path,
        {
            "docs/index.md": """\
                # Home

                ```python
                --8<-- "snippets/demo.py:setpu"
                ```
                """,
            "snippets/demo.py": "# --8<-- [start:setup]\nx = 1\n# --8<-- [end:setup]\n",
        },
        nav=["index.md"],
        hooks=["snippets.py"],
    )
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "docs/index.md:4: snippet file 'snippets/demo.py' has no section 'setpu' "
        "(its sections: setup)" in result.stderr
    )


def test_a_missing_snippet_file_fails_the_build_naming_it(tmp_path):
    config = make_project(
        tmp_path,
        {"docs/index.md": '# Home\n\n```python\n--8<-- "snippets/nope.py:setup"\n```\n'},
        nav=["index.md"],
        hooks=["snippets.py"],
    )
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 1
    assert "docs/index.md:4: snippet file 'snippets/nope.py' does not exist" in result.stderr


def test_a_broken_link_or_anchor_fails_the_strict_build(tmp_path):
    config = make_project(
        tmp_path,
        {
            "docs/index.md": "# Home\n\n[A](other.md#nowhere) and [B](missing.md).\n",
            "docs/other.md": "# Other\n\n## Somewhere\n",
        },
        nav=["index.md", "other.md"],
        hooks=[],
    )
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 1
    assert "does not contain an anchor '#nowhere'" in result.stderr
    assert "contains a link 'missing.md', but the target is not found" in result.stderr


BROKEN_EXAMPLES = {
    "a cell that raises": (
        """\
        # %%
        print("this cell runs")

        # %%
        ratio = 1 / 0
        """,
        "ZeroDivisionError",
    ),
    "a figure without alt text": (
        """\
        # %%
        import matplotlib.pyplot as plt

        plt.plot([1, 2, 3])
        plt.show()
        """,
        "examples/broken.py: 1 figure(s) but 0 cell(s) with alt text",
    ),
}


@pytest.mark.parametrize(("program", "message"), BROKEN_EXAMPLES.values(), ids=BROKEN_EXAMPLES)
def test_a_broken_example_fails_the_build(tmp_path, program, message):
    config = make_project(
        tmp_path,
        {"docs/index.md": "# Home\n", "examples/broken.py": program},
        nav=["index.md", "examples/broken.py"],
        hooks=["examples.py"],
    )
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.py" in result.stderr
    assert message in result.stderr
