"""The applications example, as its one run printed it (the engine's executed notebook,
shared with the build): the claims behind its measured numbers, with margins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.site import built_page

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def text(example_text) -> str:
    return example_text("applications_measured")


def number(text: str, pattern: str) -> float:
    found = re.findall(pattern, text)
    assert len(found) == 1, f"{pattern!r} found {len(found)} times"
    return float(found[0])


def test_kernels_match_scipy_and_blur_removes_detail(text):
    assert number(text, r"largest difference from scipy.ndimage.sobel: ([\d.e+-]+)") < 1e-5
    assert number(text, r"total variation of the blurred photo: ([\d.]+) x") < 0.3


def test_character_model_beats_bigrams_then_overfits(text):
    bigram = number(text, r"bigram counts: ([\d.]+) bits per character")
    kept = number(text, r"GRU at step 100: ([\d.]+) bits per character")
    last = number(text, r"GRU at step 250: ([\d.]+) bits per character")
    assert kept < bigram - 0.3
    assert last > kept + 0.3  # the validation curve turns up: overfitting


def test_speech_cnn_beats_the_mean_spectrum_and_a_linear_model_also_works(text):
    cnn = number(text, r"speech CNN ([\d.]+)")
    mean = number(text, r"logistic regression, mean spectrum ([\d.]+)")
    flat = number(text, r"logistic regression, whole spectrogram ([\d.]+)")
    assert cnn > 0.95
    assert mean < 0.8
    assert flat > 0.9  # a linear model on the whole spectrogram works too


def test_factorisation_beats_item_means_on_every_dataset(text):
    rows = re.findall(r"^ *(\d) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) +[\d.]+$", text, re.M)
    assert len(rows) == 10
    for _, global_rmse, item_rmse, mf_rmse, _ in rows:
        assert float(mf_rmse) < 0.95 * float(item_rmse) < float(global_rmse)


def test_cartpole_policies(text):
    assert number(text, r"random policy: ([\d.]+) of 100") < 0.05
    assert number(text, r"20 demonstrations with recovery: ([\d.]+)") > 0.95
    assert number(text, r"REINFORCE, seed 0: ([\d.]+)") > 0.9
    clean = re.search(r"2 clean demonstrations, 5 seeds: ([\d. ]+)", text)[1].split()
    assert len(clean) == 5
    assert min(float(rate) for rate in clean) < 0.95  # distribution shift


def test_four_figures(site):
    html = built_page(site.path, ROOT / "examples" / "applications_measured.py").read_text("utf-8")
    assert len(re.findall(r'<img alt="', html)) == 4
