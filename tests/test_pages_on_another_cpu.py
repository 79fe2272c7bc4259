"""Every page prints the same on another CPU: a contributor on an ARM laptop or an older x86
must pass the same tests (DESIGN.md, contract 4).

All pages run again in one fresh process with `ATEN_CPU_CAPABILITY=default`, PyTorch's
kernels without SIMD, which sum and multiply in another order than this CPU's fastest ones,
and with other seeds in the global random generators. An output that only this CPU prints,
or that comes from a generator the page did not seed, fails here and names its page and line.
"""

from __future__ import annotations

from tests.page_blocks import check_on_another_cpu
from tests.test_census import DOCS


def test_every_page_prints_the_same_without_simd_and_with_other_seeds():
    pages = sorted(DOCS.rglob("*.md"))
    result = check_on_another_cpu(pages)
    assert result.returncode == 0, (
        "run with ATEN_CPU_CAPABILITY=default (no SIMD kernels, as on another CPU) and other "
        "seeds in the global random generators, a page prints something else: show only what "
        "every CPU prints, and seed what is random on the page (DESIGN.md, contract 4)\n"
        + result.stdout
        + result.stderr
    )
