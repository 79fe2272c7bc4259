"""Search finds each chapter by the terms its issue promised readers would search for.

The browser test (tests/test_browser_interaction.py) types a few terms into the real search
box; this checks every promised term cheaply in the built search index: some indexed section
of the expected page contains the term.
"""

from __future__ import annotations

import json

import pytest

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
