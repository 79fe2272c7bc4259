"""What a stored result is keyed by (engine/cache.py): a change that can alter a run makes a
new key, so it runs again; a change that cannot (prose) keeps the key, so nothing runs."""

from __future__ import annotations

import time
from pathlib import Path

from engine import notebooks, pages

PROGRAM = """\
# %% [markdown]
# Some prose.

# %%
x = 1
print(x)
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_examples_key_follows_its_code_not_its_prose(tmp_path, monkeypatch):
    program = write(tmp_path / "examples" / "demo.py", PROGRAM)
    write(tmp_path / "requirements.txt", "torch==2.13.0\n")
    first = notebooks.key(program)
    write(program, PROGRAM.replace("Some prose.", "Other prose, longer."))
    assert notebooks.key(program) == first
    write(program, PROGRAM.replace("x = 1", "x = 2"))
    assert notebooks.key(program) != first
    write(program, PROGRAM)
    write(tmp_path / "requirements.txt", "torch==2.14.0\n")
    assert notebooks.key(program) != first
    write(tmp_path / "requirements.txt", "torch==2.13.0\n")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert notebooks.key(program) != first


def test_a_pages_key_follows_the_page_and_the_snippet_files_it_embeds(tmp_path, monkeypatch):
    snippet = write(
        tmp_path / "snippets" / "page.py", "# --8<-- [start:a]\ny = 1\n# --8<-- [end:a]\n"
    )
    page = write(tmp_path / "docs" / "page.md", '```python\n--8<-- "snippets/page.py:a"\n```\n')
    first = pages.key(page)
    write(snippet, snippet.read_text().replace("y = 1", "y = 2"))
    assert pages.key(page) != first
    second = pages.key(page)
    write(page, page.read_text() + "\nMore prose.\n")
    assert pages.key(page) != second  # a page's prose and code are one unit: it runs again
    third = pages.key(page)
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    assert pages.key(page) != third  # the other-CPU run has keys of its own


def test_only_a_pass_is_stored_and_engine_reuse_0_ignores_it(tmp_path, monkeypatch):
    """ENGINE_REUSE=0 ignores a pass stored before the run started, not one stored since."""
    good = write(tmp_path / "docs" / "good.md", "```pycon\n>>> 1 + 1\n2\n```\n")
    bad = write(tmp_path / "docs" / "bad.md", "```pycon\n>>> 1 + 1\n3\n```\n")
    assert not pages.run(good).reused
    assert pages.run(good).reused
    assert pages.run(bad).failure is not None
    assert not pages.run(bad).reused  # a failure is never stored: it runs every time
    monkeypatch.setenv("ENGINE_REUSE", "0")
    monkeypatch.setenv("ENGINE_RUN_STARTED", repr(time.time() + 60))  # a run started later
    assert not pages.run(good).reused
    monkeypatch.setenv("ENGINE_RUN_STARTED", repr(time.time() - 60))  # the pass is this run's
    assert pages.run(good).reused
