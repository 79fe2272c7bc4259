"""The course order: the navigation is the path a learner takes, and no chapter uses a concept
before the chapter that teaches it, unless it links there. The home page shows that path.

`CONCEPTS` names each concept a chapter teaches and others use, how a use reads (in the
page's prose and code, and the snippet sections it embeds), and where it is taught. A use
in a chapter that comes before the teaching one must link to the teaching page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from markdown.extensions.toc import slugify

from engine.site import DOCS, ROOT
from engine.snippets import INCLUDE, read_section


class _Loader(yaml.SafeLoader):
    """mkdocs.yml with its !ENV and !relative tags read as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def nav_pages() -> list[str]:
    """Every page of the navigation, in order (docs-relative paths)."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)

    def walk(items) -> list[str]:
        found = []
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            found += walk(value) if isinstance(value, list) else [value]
        return found

    return walk(config["nav"])


CHAPTERS = [page for page in nav_pages() if page.count("/") == 1 and page.endswith(".md")]
CHAPTERS.remove("contributing.md") if "contributing.md" in CHAPTERS else None

T, NN, G = "pytorch/tensors.md", "deep-learning/neural-networks.md", "pytorch/gpus-and-tpus.md"
MF = "pytorch/making-it-fast.md"
WP, TL, A = (
    "pytorch/what-is-pytorch.md",
    "deep-learning/types-of-learning.md",
    "deep-learning/applications.md",
)
# (concept, how a use reads, the page and heading that teach it)
CONCEPTS = [
    ("tensors and autograd", r"requires_grad|no_grad", f"{T}#gradients-three-pitfalls"),
    ("the (N, C, H, W) layout", r"N, C, H, W|N×C×H×W", f"{T}#images-as-tensors"),
    ("bfloat16", r"bfloat16", f"{T}#data-types"),
    ("layers and modules", r"nn\.Linear|nn\.Module|nn\.Sequential", f"{NN}#layers-as-code"),
    ("a loss", r"\bloss\b", f"{NN}#training"),
    ("optimisers", r"\boptimi[sz]er|torch\.optim", f"{NN}#gradient-descent-written-out"),
    ("convolution", r"\bconvolution|Conv[123]d", f"{NN}#convolutional-networks-cnns"),
    ("GPUs", r"\bGPUs?\b|\bCUDA\b", f"{G}#what-a-gpu-is"),
    ("TPUs", r"\bTPUs?\b", f"{G}#what-a-tpu-is"),
    ("DataLoader", r"\bDataLoader\b", f"{WP}#preprocess-data-dataset-dataloader-and-transforms"),
    ("state_dict", r"\bstate_dict\b", f"{WP}#deploy-save-the-weights"),
    ("pretrained networks", r"\bpretrained\b", f"{TL}#transfer-learning"),
    ("embeddings", r"nn\.Embedding", f"{A}#text-as-tensors"),
    ("spectrograms", r"\bspectrograms?\b", f"{A}#audio-as-tensors-and-synthesis"),
    ("torch.compile", r"torch\.compile", f"{MF}#compiling-a-model-torchcompile"),
    ("mixed precision", r"autocast|GradScaler", f"{MF}#mixed-precision"),
]


def page_text(page: str) -> str:
    """A chapter as a reader sees it: its Markdown and the snippet sections it embeds."""
    text = (DOCS / page).read_text(encoding="utf-8")
    sections = [read_section(m["spec"], ROOT).code for m in INCLUDE.finditer(text)]
    return "\n".join([text, *sections])


def where(page: str, offset: int) -> str:
    """`page:line` of an offset in `page_text(page)`, or the page's embedded sections."""
    text = (DOCS / page).read_text(encoding="utf-8")
    if offset < len(text):
        return f"{page}:{text.count(chr(10), 0, offset) + 1}"
    return f"{page} (in a snippet section it embeds)"


def links_to(page: str, target: str) -> bool:
    """Whether `page` links to the page `target` (a docs-relative path)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    relative = Path(os.path.relpath(DOCS / target, (DOCS / page).parent)).as_posix()
    return re.search(rf"\]\({re.escape(relative)}(#[\w-]+)?\)", text) is not None


def test_every_outline_section_keeps_its_chapter_in_the_navigation():
    assert sorted(CHAPTERS) == sorted(p.relative_to(DOCS).as_posix() for p in DOCS.glob("*/*.md"))


@pytest.mark.parametrize(("concept", "use", "taught"), CONCEPTS, ids=[c[0] for c in CONCEPTS])
def test_no_chapter_uses_a_concept_before_its_chapter_without_linking_there(concept, use, taught):
    teacher, anchor = taught.split("#")
    headings = re.findall(r"^#{2,4} (.+)$", (DOCS / teacher).read_text(encoding="utf-8"), re.M)
    assert anchor in {slugify(h, "-") for h in headings}, f"{teacher} has no heading #{anchor}"
    assert re.search(use, page_text(teacher)), f"{teacher} no longer mentions {concept}"
    early = CHAPTERS[: CHAPTERS.index(teacher)]
    unlinked = [
        f"{where(page, m.start())}: uses {concept} ({m[0]!r}) before {teacher}, which teaches "
        "it, and does not link there"
        for page in early
        if (m := re.search(use, page_text(page))) and not links_to(page, teacher)
    ]
    assert not unlinked, "\n".join(unlinked)


def test_the_home_page_lists_every_page_in_the_navigation_order():
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    table = home[home.index("## What you will learn") : home.index("## Run the code yourself")]
    listed = re.findall(r"^\| \[[^\]]+\]\(([^)]+)\)", table, re.M)
    assert listed == [p for p in nav_pages() if p not in ("index.md", "contributing.md")]
