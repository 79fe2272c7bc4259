"""The machinery fails loudly: each broken case is fed to it and the message must say where.
And the reverse: a page that uses every form Material renders passes, so nobody is pushed
toward a workaround.

- a page block that raises, or shows the wrong output, fails with the page path and line,
  inside any container Material renders (tabs in each form, admonitions, md_in_html);
- an output that doctest would not check fails: a directive, text after a blank line, line
  breaks other than Python's, an output only this CPU prints, a page run without a fixed
  hash seed; so does a warning, and an empty snippet section;
- the census fails, naming the page and line, on a block it parsed differently from the
  built page, and on a notest fence whose reason a reader cannot see;
- a misspelt snippet file or section fails the build naming the page, file and section;
  so do a page named .markdown and a fenced block in a notebook's Markdown cell;
- a link to a missing page or anchor fails the strict build;
- an example that raises fails the build naming its line; so does a figure without alt text.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import build_site
from tests.page_blocks import check_on_another_cpu
from tests.test_census import census, collect_page_tests, compare_blocks

ROOT = Path(__file__).resolve().parents[1]
DEMO_SNIPPET = """\
\"\"\"Code for the test pages.\"\"\"

# --8<-- [start:one]
import math

value = math.sqrt(16)
# --8<-- [end:one]
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def run_pytest_on(*pages: Path, root: Path | None = None, hash_seed: str | None = "0"):
    """Run this project's page tests on pages of another project, as `make test` would."""
    root = root or pages[0].parent
    (root / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONHASHSEED"}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    command = [
        sys.executable, "-m", "pytest", "-p", "tests.page_blocks", "--markdown-docs",
        "--markdown-docs-syntax=superfences", "-n", "0", "-p", "no:cacheprovider",
        "--rootdir", str(root), "-c", str(root / "pytest.ini"), *map(str, pages),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def write_page(tmp_path: Path, text: str) -> Path:
    write(tmp_path, {"broken.md": text, "snippets/demo.py": DEMO_SNIPPET})
    return tmp_path / "broken.md"


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
        --8<-- "snippets/demo.py:eno"
        ```
        """,
    )
    result = run_pytest_on(page)
    assert result.returncode == 1
    assert "snippet file 'snippets/demo.py' has no section 'eno' (its sections: one)" in (
        result.stdout
    )


def make_project(tmp_path: Path, pages: dict[str, str], nav: list[str], hooks: list[str]) -> Path:
    """A site that inherits mkdocs.yml (theme, extensions, plugins) with its own pages."""
    write(tmp_path, pages)
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
        "examples/broken.py:5: this cell raised ZeroDivisionError: division by zero",
    ),
    "a fenced code block in a Markdown cell": (
        """\
        # %% [markdown]
        # Run this:
        #
        # ```python
        # print("never run")
        # ```

        # %%
        print("this cell runs")
        """,
        "examples/broken.py:4: a fenced code block in a Markdown cell is shown as code",
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
    assert message in result.stderr


# ---- outputs shown but not checked, and code that hides in Material's containers --------

BROKEN_PAGES = {
    "a doctest directive": (
        """\
        ```pycon
        >>> 1 + 1  # doctest: +SKIP
        3
        ```
        """,
        "broken.md:2: doctest directives are not allowed on pages",
    ),
    "text after a blank line": (
        """\
        ```pycon
        >>> 1 + 1
        2

        stale = "never checked"
        ```
        """,
        "broken.md:4: a blank line in a pycon block ends the output above it",
    ),
    "an output with other line breaks": (
        """\
        ```pycon
        >>> list(range(3))
        [0,
         1, 2]
        ```
        """,
        "broken.md:2: DocTestFailure",
    ),
    "a warning from page code": (
        """\
        ```python
        import warnings

        warnings.warn("this API is going away", UserWarning, stacklevel=1)
        ```
        """,
        "UserWarning: this API is going away",
    ),
    "an empty snippet section": (
        """\
        ```python
        --8<-- "snippets/demo.py:empty"
        ```
        """,
        "section 'empty' has no code",
    ),
}


@pytest.mark.parametrize(("text", "message"), BROKEN_PAGES.values(), ids=BROKEN_PAGES)
def test_an_unchecked_output_or_a_warning_fails_the_page_test(tmp_path, text, message):
    page = write_page(tmp_path, text)
    snippet = tmp_path / "snippets" / "demo.py"
    snippet.write_text(
        snippet.read_text() + "\n# --8<-- [start:empty]\n# nothing\n# --8<-- [end:empty]\n"
    )
    result = run_pytest_on(page)
    assert result.returncode == 1, result.stdout
    assert message in result.stdout


CONTAINERS = {
    "===+ tab": '===+ "Tab"\n\n    ```python\n    {code}\n    ```\n',
    "===! tab": '===! "Tab"\n\n    ```python\n    {code}\n    ```\n',
    "!!!note without a space": "!!!note\n    ```python\n    {code}\n    ```\n",
    "???+ details": '???+ note "Open"\n    ```python\n    {code}\n    ```\n',
    "tab-indented admonition": "!!! note\n\t```python\n\t{code}\n\t```\n",
    "annotated fence": "```{{.python .annotate}}\n{code}  # (1)!\n```\n\n1. A note.\n",
    "fence with an id and a class": "```{{.python #here .no-copy}}\n{code}\n```\n",
    "md_in_html block": "<div markdown>\n\n```python\n{code}\n```\n\n</div>\n",
}


@pytest.mark.parametrize("container", CONTAINERS.values(), ids=CONTAINERS)
def test_a_raising_fence_in_any_container_fails_with_page_and_line(tmp_path, container):
    text = "# Broken\n\n" + container.format(code='raise ValueError("hidden")')
    page = tmp_path / "broken.md"
    page.write_text(text, encoding="utf-8")
    line = text.split("\n").index(next(ln for ln in text.split("\n") if "raise" in ln)) + 1
    result = run_pytest_on(page)
    assert result.returncode == 1, result.stdout
    assert "2 failed" in result.stdout  # the fence's own item and the page's
    assert f'File "{page}", line {line}' in result.stdout


def test_a_page_prints_the_same_after_any_page_and_fails_if_it_does_not_seed(tmp_path):
    shown = """\
        ```pycon
        >>> import random
        >>> round(random.random(), 6)
        0.844422
        ```
        """
    seeded = shown.replace(">>> round", ">>> random.seed(0)\n        >>> round")
    write(
        tmp_path,
        {
            "a.md": "```pycon\n>>> import random\n>>> random.seed(5)\n```\n",
            "b.md": seeded,
            "unseeded.md": shown,
        },
    )
    pages = [tmp_path / name for name in ("a.md", "b.md", "unseeded.md")]
    for order in (pages, pages[::-1]):
        # the same outputs in the page tests, whatever ran before
        assert run_pytest_on(*order, root=tmp_path).returncode == 0
    # with other seeds, the page that did not seed prints something else
    assert check_on_another_cpu(pages[:2]).returncode == 0
    result = check_on_another_cpu(pages)
    assert result.returncode == 1
    assert f"{pages[2]}: 1 of 2 examples failed" in result.stdout


def test_a_page_run_without_a_fixed_hash_seed_fails_saying_how_to_run_it(tmp_path):
    page = write_page(tmp_path, '```pycon\n>>> {"b", "a"} == {"a", "b"}\nTrue\n```\n')
    assert run_pytest_on(page).returncode == 0
    result = run_pytest_on(page, hash_seed=None)
    assert result.returncode == 1
    assert "page tests need PYTHONHASHSEED=0" in result.stdout


def test_an_output_that_only_this_cpu_prints_fails_the_page_test(tmp_path):
    code = "import torch; torch.manual_seed(0); print(torch.randn(10000).sum().item())"
    printed = {
        capability: subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "ATEN_CPU_CAPABILITY": capability},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for capability in ("", "default")
    }
    if printed[""] == printed["default"]:
        pytest.skip("this CPU's fastest kernels sum in the same order as the default ones")
    page = write_page(
        tmp_path,
        f"""\
        ```pycon
        >>> import torch
        >>> _ = torch.manual_seed(0)
        >>> torch.randn(10000).sum().item()
        {printed[""]}
        ```
        """,
    )
    assert run_pytest_on(page).returncode == 0  # on this CPU
    result = check_on_another_cpu([page])
    assert result.returncode == 1
    assert f"{page}: 1 of 3 examples failed" in result.stdout


# ---- the census: block by block, and reasons a reader can see ---------------------------


def test_the_census_names_the_block_it_parsed_differently_from_the_built_page(tmp_path):
    page = tmp_path / "docs" / "page.md"
    write(tmp_path, {"docs/page.md": "```python\nfirst = 1\n```\n\n```python\nsecond = 2\n```\n"})
    # The same number of blocks, but the second one shown is not the second one parsed.
    html = "".join(
        f'<div class="language-python highlight"><pre><span></span><code>{code}\n</code></pre>'
        "</div>"
        for code in ("first = 1", "hidden = 3")
    )
    with pytest.raises(AssertionError, match=r"docs/page.md:5: the census parsed a python"):
        compare_blocks(page, html, tmp_path)
    with pytest.raises(AssertionError, match=r"docs/page.md: the built page shows a python"):
        compare_blocks(page, html.replace("hidden = 3", "second = 2") * 2, tmp_path)


def build_and_census(tmp_path: Path, pages: dict[str, str], nav: list[str]) -> str:
    config = make_project(tmp_path, pages, nav, hooks=["snippets.py", "pycon.py", "examples.py"])
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return census(tmp_path, tmp_path / "site", collect_page_tests(tmp_path / "docs", tmp_path))


def test_a_notest_reason_hidden_in_a_comment_fails_the_census(tmp_path):
    page = """\
        # Home

        <!-- Not run here, because it needs a TPU. -->

        ```{.python notest}
        import torch_xla
        ```
        """
    with pytest.raises(AssertionError, match=r"docs/index.md:5: notest fence without its own"):
        build_and_census(tmp_path, {"docs/index.md": page}, ["index.md"])


def test_a_page_named_markdown_fails_the_build(tmp_path):
    config = make_project(
        tmp_path,
        {"docs/index.md": "# Home\n", "docs/other.markdown": "# Other\n"},
        nav=["index.md", "other.markdown"],
        hooks=["snippets.py"],
    )
    result = build_site(config, tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 1
    assert "docs/other.markdown: name the page .md; only .md pages are tested" in result.stderr


# ---- correct pages pass: every form Material renders, run and counted ---------------------

# One line of output that reaches the notebook as two stream messages.
SPLIT_PRINT = """\
import sys
import time

print("printed in", end="")
sys.stdout.flush()
time.sleep(0.3)
print(" two parts")
"""

CORRECT_PAGE = """\
    # A part

    Fences in every container Material renders, all run in page order.

    ```pycon
    >>> from_pycon = "pycon"
    ```

    ```python
    from_fence = from_pycon.upper()  # a python fence sees what a pycon block defined
    ```

    ===+ "First tab"

        ```python
        tab_plus = 1
        ```

    ===! "Another set"

        ```python
        tab_bang = 2
        ```

    !!!note
        ```python
        note = 3
        ```

    ???+ tip "Open"
    \t```python
    \ttab_indented = 4
    \t```

    ```{.python .annotate}
    annotated = 5  # (1)!
    ```

    1. Code annotations are good teaching.

    ```{.python #with-id .no-copy}
    with_id = 6
    ```

    <div markdown>

    ```python
    in_html = 7
    ```

    </div>

    <!--
    ```python
    raise SystemExit("a commented-out block is not shown, so it is not run or counted")
    ```
    -->

    ```python
    --8<-- 'snippets/demo.py:one'
    ```

    ```python
    --8<-- "snippets/whole.py"
    ```

    Not run here, because it needs a TPU and this is a test page.

    ```{.python notest}
    import torch_xla
    ```

    ```pycon
    >>> from_fence, tab_plus, tab_bang, note, tab_indented, annotated, with_id, in_html
    ('PYCON', 1, 2, 3, 4, 5, 6, 7)
    >>> value, whole
    (4.0, 'whole')
    ```
    """


def test_a_page_using_every_form_material_renders_passes_the_tests_and_the_census(tmp_path):
    pages = {
        "docs/index.md": "# Home\n",
        "docs/part/index.md": CORRECT_PAGE,
        "docs/examples/notes.md": "# Named like a folder\n\n```pycon\n>>> 2 * 3\n6\n```\n",
        "snippets/demo.py": DEMO_SNIPPET,
        "snippets/whole.py": '"""A whole file."""\n\n# --8<-- [start:it]\nwhole = "whole"\n'
        "# --8<-- [end:it]\n",
        "examples/demo.py": "# %%\nx = 1\n\n# %%\n\n# %%\nprint(x)\n\n# %%\n" + SPLIT_PRINT,
    }
    summary = build_and_census(
        tmp_path, pages, ["index.md", "part/index.md", "examples/notes.md", "examples/demo.py"]
    )
    assert "census: 13 of 14 page code blocks exercised (13 executed, 0 shell/text" in summary
    assert "0 shown outputs unchecked; 3 of 3 notebook cells executed; 1 not runnable" in summary
    # a text the kernel sent in two messages is shown as printed, in one piece
    notebook = (tmp_path / "site" / "examples" / "demo" / "index.html").read_text("utf-8")
    assert "<pre>printed in two parts\n</pre>" in notebook
    assert "1 x not run: it needs a TPU and this is a test page" in summary
    result = run_pytest_on(tmp_path / "docs", root=tmp_path)
    assert result.returncode == 0, result.stdout
    # 10 fences, and the page test of each page with code
    assert "12 passed" in result.stdout
