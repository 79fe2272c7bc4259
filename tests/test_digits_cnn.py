"""The digits CNN example and its companion page, as their one run printed it (the engine's
executed notebooks, shared with the build).

The claims behind the numbers are asserted with margins; the training time is reported on
the page, not asserted.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from engine.snippets import read_section

RESULT = re.compile(
    r"test accuracy (?P<cnn>[\d.]+) % after (?P<seconds>[\d.]+) s of training "
    r"\(SVC (?P<svc>[\d.]+) %, logistic regression (?P<lr>[\d.]+) %\)"
)


@pytest.fixture(scope="module")
def digits_text(example_text) -> str:
    return example_text("digits_cnn")


@pytest.fixture(scope="module")
def drawn_text(example_text) -> str:
    return example_text("neural_networks_drawn")


def test_digits_cnn_reaches_the_floor_and_matches_the_svc(digits_text):
    results = list(RESULT.finditer(digits_text))
    assert len(results) == 1, "the page must print its result line exactly once"
    numbers = {name: float(value) for name, value in results[0].groupdict().items()}
    assert numbers["cnn"] >= 98.5, numbers
    assert numbers["cnn"] >= numbers["svc"] - 1.0, numbers
    assert numbers["cnn"] > numbers["lr"], numbers


def test_digits_cnn_shows_each_step_of_the_workflow(digits_text):
    assert "train 1144, validation 203, test 450 images" in digits_text
    assert "one batch: (64, 1, 8, 8) (64,)" in digits_text
    assert len(re.findall(r"epoch +\d+ +train loss [\d.]+ +val loss", digits_text)) == 12
    assert "reloaded model gives the same predictions: True" in digits_text
    assert re.search(r"\d+ of 450 test digits wrong", digits_text)


def test_companion_page_shows_what_the_chapters_claim(drawn_text):
    accuracy = {
        (problem, name): float(value)
        for problem, name, value in re.findall(
            r"(XOR|two moons) +(no activation|ReLU) +test accuracy ([\d.]+)", drawn_text
        )
    }
    assert accuracy["XOR", "no activation"] <= 0.75
    flat = re.search(
        r"loss ([\d.]+), probability of class 1 between ([\d.]+) and ([\d.]+)", drawn_text
    )
    assert abs(float(flat[1]) - 0.6931) < 0.001  # ln 2: the best a linear model does on XOR
    assert 0.49 < float(flat[2]) <= float(flat[3]) < 0.51, flat[0]
    assert accuracy["XOR", "ReLU"] == 1.0
    assert accuracy["two moons", "ReLU"] - accuracy["two moons", "no activation"] > 0.05
    token = float(re.search(r"token accuracy ([\d.]+)", drawn_text)[1])
    assert token > 0.99
    errors = dict(re.findall(r"(autoencoder|PCA) +(0\.\d{4})", drawn_text))
    assert float(errors["autoencoder"]) < 0.85 * float(errors["PCA"])


def test_fit_refuses_a_loader_that_is_used_up_after_one_epoch():
    """`fit` reads its loader once per epoch: a generator gives nothing the second time,
    and fit says so instead of dividing by zero."""
    namespace: dict = {}
    exec(read_section("examples/digits_cnn.py:fit").code, namespace)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(torch.ones(4, 2), torch.zeros(4, dtype=torch.long))]
    history = namespace["fit"](model, batches, optimizer, epochs=2)
    assert [record["epoch"] for record in history] == [1, 2]
    with pytest.raises(ValueError, match="epoch 1 got no batches"):
        namespace["fit"](model, [], optimizer, epochs=1)
    with pytest.raises(
        ValueError, match="epoch 2 got no batches: train_loader is empty, or is a generator"
    ):
        namespace["fit"](model, iter(batches), optimizer, epochs=2)
