"""The shell and text blocks of the pages: the commands and pins they quote are real.

The census counts these blocks as checked here: every `bash` block holds `make` commands
that the Makefile defines and README.md gives, and every `text` block is a requirements line
whose pins are exactly those in requirements.txt.
"""

from __future__ import annotations

import re

from engine.blocks import shown_blocks
from engine.site import DOCS, ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.MULTILINE)


def blocks_of(lang: str):
    for page in sorted(DOCS.rglob("*.md")):
        for source, block in shown_blocks(page):
            if block.lang == lang:
                yield source, block


def test_bash_blocks_run_make_targets_that_exist_and_match_readme():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    seen = 0
    for source, block in blocks_of("bash"):
        for line in block.code.splitlines():
            where = f"{source.relative_to(ROOT)}:{block.line}"
            command = r"make [a-z][\w-]*( [A-Z]+=[\w./-]+)*"
            assert re.fullmatch(command, line), f"{where}: not a make command: {line}"
            assert line.split()[1] in targets, f"{where}: the Makefile has no target for {line}"
            assert f"\n{line}\n" in readme, f"{where}: README.md does not give `{line}`"
            seen += 1
    assert seen >= 2, "the home page should give the set-up commands"


def test_text_blocks_are_requirement_lines_pinned_as_in_requirements_txt():
    locked = {
        name.lower(): version
        for name, version in PIN.findall((ROOT / "requirements.txt").read_text(encoding="utf-8"))
    }
    blocks = list(blocks_of("text"))
    assert blocks, "the home page should give a requirements line to paste"
    for source, block in blocks:
        pins = block.code.split()
        assert pins, f"{source.relative_to(ROOT)}:{block.line}: empty requirements line"
        for pin in pins:
            name, _, version = pin.partition("==")
            assert locked.get(name.lower()) == version, (
                f"{source.relative_to(ROOT)}:{block.line}: {pin}, but requirements.txt pins "
                f"{name}=={locked.get(name.lower())}"
            )
