"""Census: every code block a reader sees is exercised by this test suite (engine/census.py
says how each kind of block counts). One test a page and one an example, so that
`pytest -k <page>` checks one page; the run prints the summary line of them all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.census import example_census, page_census
from engine.notebooks import programs
from engine.plugin import collected_ids
from engine.site import DOCS, ROOT

PAGES = sorted(DOCS.rglob("*.md"))


@pytest.fixture(scope="module")
def collected() -> set[str]:
    """The node ids of the pages' items (every xdist worker collects every item)."""
    return collected_ids(DOCS)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_block_on_the_page_is_exercised(site, collected, page: Path, record_property):
    record_property("census", json.dumps(page_census(page, site.path, collected)))


@pytest.mark.parametrize("program", programs(ROOT), ids=lambda p: p.name)
def test_every_cell_of_the_example_is_executed(site, program: Path, record_property):
    record_property("census", json.dumps(example_census(program, site.path)))
