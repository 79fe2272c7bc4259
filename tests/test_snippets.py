"""Snippet files (and the sections of examples): each section runs on its own, and each is
embedded on a page."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

from engine.cache import Store, digest, environment
from engine.sandbox import offline, scratch
from engine.snippets import INCLUDE, read_section, sections

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = sorted((ROOT / "snippets").glob("*.py"))
# Examples may hold sections too (the training loop `fit`): a page embeds them, and the
# program stays whole for those who download it.
EXAMPLES_WITH_SECTIONS = [p for p in sorted((ROOT / "examples").glob("*.py")) if sections(p)]


def embedded_specs() -> set[str]:
    return {
        match["spec"]
        for page in (ROOT / "docs").rglob("*.md")
        for match in INCLUDE.finditer(page.read_text(encoding="utf-8"))
    }


@pytest.mark.parametrize("path", SNIPPETS, ids=lambda p: p.name)
def test_snippet_file_is_its_sections_and_each_runs_on_its_own(path: Path):
    """Every line of code is in a section, and each section runs in a fresh namespace with
    warnings as errors: a reader may copy one embedded block alone. So the file runs too."""
    lines = path.read_text(encoding="utf-8").splitlines()
    inside = {
        number
        for section in sections(path).values()
        for number in range(
            section.first_line - 1, section.first_line + section.code.count("\n") + 1
        )
    }
    outside = "\n".join(line for n, line in enumerate(lines, 1) if n not in inside)
    body = ast.parse(outside).body
    assert all(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body
    ), f"{path.name}: code outside any section"
    run_each_section_alone(path)


def run_each_section_alone(path: Path) -> None:
    """Each section in a fresh namespace, warnings as errors; a pass is stored under the
    file's content key and not run again (engine/cache.py)."""
    store, key = Store("snippets"), digest(path.name, path.read_text("utf-8"), *environment())
    if store.get(key) is not None:
        return
    for section in sections(path).values():
        with warnings.catch_warnings(), offline(str(path)), scratch():
            warnings.simplefilter("error")
            exec(compile(section.padded, str(path), "exec"), {"__name__": "__main__"})
    store.put(key, {"file": path.name})


@pytest.mark.parametrize("path", EXAMPLES_WITH_SECTIONS, ids=lambda p: p.name)
def test_each_section_of_an_example_runs_on_its_own(path: Path):
    """A reader copies an embedded block alone, so it carries its own imports."""
    run_each_section_alone(path)


@pytest.mark.parametrize("path", SNIPPETS + EXAMPLES_WITH_SECTIONS, ids=lambda p: p.name)
def test_every_section_is_embedded_on_a_page(path: Path):
    relative = path.relative_to(ROOT).as_posix()
    unused = {f"{relative}:{name}" for name in sections(path)} - embedded_specs()
    assert not unused, f"sections embedded on no page: {sorted(unused)}"


def test_every_embed_names_an_existing_section():
    for spec in sorted(embedded_specs()):
        read_section(spec)  # raises LookupError naming the file and section


def test_one_snippet_file_per_page():
    """snippets/<page>.py belongs to the page named <page>.md."""
    pages = {page.stem for page in (ROOT / "docs").rglob("*.md")}
    strays = [path.name for path in SNIPPETS if path.stem not in pages]
    assert not strays, f"snippet files with no page of the same name: {strays}"


def test_read_section_names_the_file_and_section_it_cannot_find():
    with pytest.raises(LookupError, match=r"'snippets/tensors.py' has no section 'phtoo'"):
        read_section("snippets/tensors.py:phtoo")
    with pytest.raises(LookupError, match=r"snippet file 'snippets/tensor.py' does not exist"):
        read_section("snippets/tensor.py:photo")


def test_a_duplicate_section_name_is_refused_naming_both_lines(tmp_path):
    snippet = tmp_path / "snippets" / "demo.py"
    snippet.parent.mkdir()
    snippet.write_text(
        "# --8<-- [start:one]\nx = 1\n# --8<-- [end:one]\n"
        "# --8<-- [start:one]\ny = 2\n# --8<-- [end:one]\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ValueError, match=r"demo.py:4: duplicate section 'one' \(first started at line 1\)"
    ):
        sections(snippet)
