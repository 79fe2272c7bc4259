"""Search finds each chapter by the terms its issue promised readers would search for, and
an example page by its prose, not by its code or one machine's printed output.

The browser test (tests/test_browser_interaction.py) types a few terms into the real search
box; this checks every promised term cheaply in the built search index: some indexed section
of the expected page contains the term.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from engine import notebooks
from engine.site import ROOT

PROGRAMS = sorted((ROOT / "examples").glob("*.py"))

TERMS = {
    "backpropagation": "deep-learning/neural-networks/",
    "activation": "deep-learning/neural-networks/",
    "ReLU": "deep-learning/neural-networks/",
    "transformer": "deep-learning/neural-networks/",
    "self-supervised": "deep-learning/types-of-learning/",
    "transfer learning": "deep-learning/types-of-learning/",
    "ONNX": "pytorch/what-is-pytorch/",
    "TorchScript": "pytorch/what-is-pytorch/",
    "TPU": "pytorch/gpus-and-tpus/",
    "GFLOP": "pytorch/gpus-and-tpus/",
    "DistributedDataParallel": "pytorch/distributed/",
    "GradScaler": "pytorch/making-it-fast/",
    "graph break": "pytorch/making-it-fast/",
    "explainability": "deep-learning/good-and-bad/",
    "adversarial": "deep-learning/good-and-bad/",
    "learning curve": "deep-learning/good-and-bad/",
    "structured data": "deep-learning/ml-vs-dl/",
    "spectrogram": "deep-learning/applications/",
    "embedding": "deep-learning/applications/",
    "recommendation": "deep-learning/applications/",
    "policy": "deep-learning/applications/",
}


@pytest.fixture(scope="module")
def index(site) -> list[dict]:
    return json.loads((site.path / "search" / "search_index.json").read_text("utf-8"))["docs"]


@pytest.mark.parametrize(("term", "page"), TERMS.items(), ids=TERMS)
def test_the_search_index_has_the_term_on_its_page(index, term, page):
    sections = [doc for doc in index if doc["location"].split("#")[0] == page]
    assert sections, f"no page {page} in the search index"
    text = " ".join(f"{doc['title']} {doc['text']}" for doc in sections).lower()
    assert term.lower() in text, f"searching {term!r} would not find {page}"


def plain(text: str) -> str:
    """Text as the index holds it, or Markdown, reduced to lower-case words."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", html.unescape(re.sub(r"<[^>]+>", " ", text)))
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_an_example_page_is_indexed_by_its_prose_not_its_code_or_output(
    index, example_text, program
):
    page = f"examples/{program.stem}/"
    indexed = plain(
        " ".join(d["title"] + " " + d["text"] for d in index if d["location"].startswith(page))
    )
    cells = notebooks.read(program).cells
    prose = [plain(c.source) for c in cells if c.cell_type == "markdown"]
    missing = [words[:60] for words in prose if " ".join(words.split()[:8]) not in indexed]
    assert not missing, f"{page}: prose not in the search index: {missing}"
    code = [line.strip() for c in cells if c.cell_type == "code" for line in c.source.splitlines()]
    printed = example_text(program.stem).splitlines()
    leaked = [line for line in code + printed if len(plain(line)) > 30 and plain(line) in indexed]
    assert not leaked, f"{page}: code or printed output in the search index: {leaked[:3]}"
