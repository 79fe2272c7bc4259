"""Every page prints the same on another CPU: a contributor on an ARM laptop or an older x86
must pass the same tests (CONTRIBUTING.md, "The contract", 4).

Pages run again in a fresh process (`python -m engine check --another-cpu`) with
`ATEN_CPU_CAPABILITY=default`, PyTorch's kernels without SIMD, which sum and multiply in
another order than this CPU's fastest ones; with other seeds in the global random
generators and another hash seed (a printed set of strings changes order); and with the
clock a year and a day ahead (`date.today()` changes). An output that only this CPU, seed,
hash or day prints fails here and names its page and line. A full run starts that process
for every page as the session starts; a page whose key passed before is not run again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.site import DOCS

PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_prints_the_same_without_simd_with_other_seeds_and_another_day(
    on_another_cpu, page: Path, record_property
):
    passed, reused, message = on_another_cpu(page)
    record_property("engine", "cpu reused" if reused else "cpu ran")
    assert passed, (
        "run with ATEN_CPU_CAPABILITY=default (no SIMD kernels, as on another CPU), other "
        "seeds, another hash seed and another date, the page prints something else: show "
        "only what every CPU prints, and seed what is random on the page\n" + message
    )
