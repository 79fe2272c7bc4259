"""Example notebooks, as the build executed and rendered them (the tests do not rerun them)."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from PIL import Image

from hooks.examples import run_seconds
from tests.test_census import built_page

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def page_of(site, program: Path) -> str:
    return built_page(site.path, program).read_text(encoding="utf-8")


def text_of(html: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_page_has_no_error_output(site, program):
    html = page_of(site, program)
    assert "jp-OutputArea-output" in html, "the example shows no output at all"
    for marker in ('data-mime-type="application/vnd.jupyter.stderr"', "Traceback (most recent"):
        assert marker not in html, f"{program.name}: the built page shows {marker}"


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_figures_are_compressed_files_with_alt_text(site, program):
    html = page_of(site, program)
    assert "data:image" not in html
    figures = re.findall(
        r'<img alt="([^"]+)" src="([^"]+\.webp)" width="(\d+)" height="(\d+)"', html
    )
    for alt, src, width, height in figures:
        assert len(alt) > 20, f"{src}: alt text too short to describe a figure: {alt!r}"
        assert "No description" not in alt
        path = built_page(site.path, program).parent / src
        assert path.stat().st_size < 100_000, f"{src} is {path.stat().st_size} bytes"
        with Image.open(path) as image:
            assert image.size == (int(width), int(height))


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_page_offers_its_program_for_download(site, program):
    html = page_of(site, program)
    assert f'<a href="{program.name}" download' in html
    copy = built_page(site.path, program).parent / program.name
    assert copy.read_bytes() == program.read_bytes()


def test_image_tensors_shows_each_layout_and_the_batch(site):
    html = page_of(site, ROOT / "examples" / "image_tensors.py")
    text = text_of(html)
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
    assert len(re.findall(r'<img alt="', html)) == 5


@pytest.mark.parametrize("program", EXAMPLES, ids=lambda p: p.name)
def test_example_page_offers_the_notebook_it_ran_with_its_outputs(site, program):
    """The .ipynb the download button gives: a valid notebook, the program's code cells as
    jupytext reads them, the outputs of the build's run; its run time is the page's."""
    html = page_of(site, program)
    name = f"{program.stem}.ipynb"
    assert f'<a href="{name}" download' in html
    notebook = nbformat.read(built_page(site.path, program).parent / name, as_version=4)
    nbformat.validate(notebook)
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
