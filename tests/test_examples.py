"""Example pages: what the engine's one run of each example printed (its executed notebook,
shared with the build; never rerun here), and the page the build rendered from it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest
from PIL import Image

from engine.notebooks import programs, run_seconds
from engine.site import ROOT, built_page

EXAMPLES = programs(ROOT)


def page_of(site, program: Path) -> str:
    return built_page(site.path, program).read_text(encoding="utf-8")


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_ran_without_error_output(executed, program):
    notebook = executed(program.stem)
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert outputs, f"{program.name} shows no output at all"
    for output in outputs:
        assert output.output_type != "error", f"{program.name}: {output.get('ename')}"
        assert output.get("name") != "stderr", f"{program.name} wrote to stderr: {output.text}"


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_figures_are_compressed_files_with_alt_text(site, program):
    html = page_of(site, program)
    assert "data:image" not in html
    parser = Images()
    parser.feed(html)
    figures = [i for i in parser.images if (i.get("src") or "").endswith(".webp")]
    alts = [c.metadata["alt"] for c in jupytext.read(program).cells if "alt" in c.metadata]
    assert [f["alt"] for f in figures] == alts, f"{program.name}: figures and alt texts differ"
    for figure in figures:
        alt, src = figure["alt"] or "", figure["src"] or ""
        assert len(alt) > 20, f"{src}: alt text too short to describe a figure: {alt!r}"
        assert "No description" not in alt
        path = built_page(site.path, program).parent / src
        assert path.stat().st_size < 100_000, f"{src} is {path.stat().st_size} bytes"
        with Image.open(path) as image:
            assert image.size == (int(figure["width"] or 0), int(figure["height"] or 0))


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_page_offers_its_program_for_download(site, program):
    html = page_of(site, program)
    assert f'<a href="{program.name}" download' in html
    copy = built_page(site.path, program).parent / program.name
    assert copy.read_bytes() == program.read_bytes()


def test_image_tensors_shows_each_layout_and_the_batch(site, example_text):
    text = example_text("image_tensors")
    assert "shape (427, 640, 3), dtype torch.uint8, values 0..255" in text
    assert "channels first: (3, 427, 640) shares memory with photo: True" in text
    assert "same shape: True same values: False" in text  # reshape is not permute
    assert "resized: (1, 3, 224, 224)" in text
    assert "batch: (2, 3, 224, 224) torch.float32" in text
    # What the page says of the channel figure: the sky bright in every channel, brightest
    # in blue; the roof tiles red > green > blue; the trees dark in every channel.
    means = {
        name: tuple(int(v) for v in values)
        for name, *values in re.findall(
            r"(sky|roof tiles|trees): red +(\d+), green +(\d+), blue +(\d+)", text
        )
    }
    assert set(means) == {"sky", "roof tiles", "trees"}, text
    assert min(means["sky"]) > 200
    assert means["sky"][2] == max(means["sky"])
    red, green, blue = means["roof tiles"]
    assert red - 15 > green > blue + 15
    assert max(means["trees"]) < 80
    assert (
        len(re.findall(r'<img alt="', page_of(site, ROOT / "examples" / "image_tensors.py"))) == 5
    )


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_page_offers_the_notebook_it_ran_with_its_outputs(site, executed, program):
    """The .ipynb the download button gives: a valid notebook, the program's code cells as
    jupytext reads them, the outputs of the engine's run; its run time is the page's."""
    html = page_of(site, program)
    name = f"{program.stem}.ipynb"
    assert f'<a href="{name}" download' in html
    notebook = nbformat.read(built_page(site.path, program).parent / name, as_version=4)
    nbformat.validate(notebook)
    assert notebook == executed(program.stem)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    expected = [c.source for c in jupytext.read(program).cells if c.cell_type == "code"]
    assert [c.source for c in code] == expected
    assert [c.execution_count for c in code if c.source.strip()] == list(
        range(1, len([c for c in code if c.source.strip()]) + 1)
    )
    assert any(c.outputs for c in code), "the notebook has no outputs"
    line = re.search(r'<p class="tested-with">([^<]*)</p>', html)
    assert line, "no tested-with line on the page"
    assert f", in {run_seconds(notebook):.1f} s of execution on the build machine." in line[1]
