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
    r"\(tuned SVC (?P<svc>[\d.]+) %, logistic regression (?P<lr>[\d.]+) %\)"
)
SEED_ROW = re.compile(r"^ +(\d) +(\d+) +(\d+) +(\d+) +(\d+)$", re.MULTILINE)
EPOCHS = 8  # examples/digits_cnn.py's EPOCHS


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


def test_digits_cnn_matches_or_slightly_beats_the_tuned_svc_on_five_seeds(digits_text):
    """The page's claims, on every seed (measured on seeds 0-4 with 8 epochs: CNN 2-5 wrong
    of 450, tuned SVC 2-7, logistic regression 13-16; CNN's lead 0 to 5 images, ahead on 4
    of 5 seeds; kept epoch 7-8. With 12 epochs: CNN 2-4 wrong, kept epoch 10-12). A run that
    does not train (learning rate 0) gets hundreds wrong and fails."""
    rows = {int(seed): tuple(map(int, rest)) for seed, *rest in SEED_ROW.findall(digits_text)}
    assert sorted(rows) == [0, 1, 2, 3, 4], rows
    for seed, (kept_epoch, cnn, svc, lr) in rows.items():
        assert cnn <= 7, (seed, rows[seed])  # at least 98.4 % on every seed
        assert -2 <= svc - cnn <= 10, (seed, rows[seed])  # "matches or slightly beats"
        assert lr - cnn >= 6, (seed, rows[seed])  # beats logistic regression
        assert EPOCHS - 2 <= kept_epoch <= EPOCHS, (seed, rows[seed])  # "one of the last"
    # "ahead on most seeds, ... never more than one image behind". Measured never behind
    # (seed 4 level), but a level seed can lose an image to rounding on another CPU.
    assert sum(svc > cnn for _, cnn, svc, _ in rows.values()) >= 3, rows
    assert all(svc - cnn >= -1 for _, cnn, svc, _ in rows.values()), rows
    assert re.search(
        r"chosen on the validation set: C=\S+, gamma=\S+ \((\d+) of 12 settings share", digits_text
    )


def test_digits_cnn_shows_each_step_of_the_workflow(digits_text):
    assert "train 1144, validation 203, test 450 images" in digits_text
    assert "one batch: (64, 1, 8, 8) (64,)" in digits_text
    assert len(re.findall(r"epoch +\d+ +train loss [\d.]+ +val loss", digits_text)) == EPOCHS
    kept = re.search(r"kept the weights of epoch (\d+)", digits_text)
    assert kept
    assert EPOCHS - 2 <= int(kept[1]) <= EPOCHS
    # The figure's alt text: "validation accuracy above 0.98 from epoch 3" (measured 0.990-0.995)
    val_accuracies = [float(v) for v in re.findall(r"val accuracy ([\d.]+)", digits_text)]
    assert min(val_accuracies[2:]) > 0.98, val_accuracies
    gap = re.search(r"training accuracy ([\d.]+), validation accuracy ([\d.]+)", digits_text)
    assert float(gap[1]) - float(gap[2]) < 0.03  # "barely overfits"
    assert "reloaded model gives the same predictions: True" in digits_text
    assert re.search(r"\d+ of 450 test digits wrong", digits_text)


def test_companion_page_shows_what_the_chapters_claim(drawn_text):
    accuracy = {
        (problem, name): float(value)
        for problem, name, value in re.findall(
            r"(XOR|two moons) +(no activation|ReLU) +test accuracy ([\d.]+)", drawn_text
        )
    }
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


def _range(text: str, label: str) -> tuple[float, float]:
    found = re.search(
        re.escape(label).replace(" ", " +") + r" min ([-+\d.e]+) max ([-+\d.e]+)", text
    )
    assert found, f"the page must print the range of {label!r}"
    return float(found[1]), float(found[2])


def test_companion_page_measures_the_new_claims_over_five_seeds(drawn_text):
    """Margins held on seeds 0-4 (and a broken run fails them): a learning rate that
    trains, one that crawls, one that diverges; vanishing gradients; the baselines beside
    the MLP and the GRU; position embeddings."""
    rates = {
        float(lr): (float(first), float(last))
        for lr, first, last in re.findall(
            r"learning rate +([\d.]+): loss ([\d.]+) -> ([\d.]+)", drawn_text
        )
    }
    assert rates[0.5][1] < 0.3, rates  # trains
    assert rates[0.005][1] > 0.55, rates  # crawls
    assert rates[50.0][1] > rates[50.0][0], rates  # diverges
    # Exercise 5 over ten initialisations (measured: lr 2 ends 0.090-0.128, lr 5 0.098-0.329,
    # lr 20 peaks at 37-2341 times its first loss and ends below it on 2 of 10).
    assert _range(drawn_text, "learning rate 2.0, 10 seeds: final loss")[1] < 0.3
    assert _range(drawn_text, "learning rate 5.0, 10 seeds: final loss")[1] < 0.35
    assert _range(drawn_text, "learning rate 20.0, 10 seeds: highest / first loss")[0] > 10
    settled = re.search(
        r"learning rate 20\.0: final loss below the first on (\d+) of 10", drawn_text
    )
    assert settled, "the page must count the seeds where lr 20 settles"
    assert int(settled[1]) >= 1, "the page says lr 20 sometimes settles"
    # Batch size (measured: one batch for 10 steps is 0.132-0.243 above batches of 20 for
    # 200 steps; at 200 steps each, the full batch ends 0.004-0.038 lower).
    steps = _range(drawn_text, "one batch, 10 steps, minus batches of 20, 200 steps:")
    assert steps[0] > 0.1, steps
    noise = _range(drawn_text, "batches of 20 minus one batch, both 200 steps:")
    assert 0 < noise[0] <= noise[1] < 0.1, noise
    assert _range(drawn_text, "sigmoid, default init first/last hidden layer:")[1] < 1e-10
    assert _range(drawn_text, "sigmoid, Xavier init first/last hidden layer:")[1] < 1e-8
    assert _range(drawn_text, "ReLU, default init first/last hidden layer:")[1] < 1e-4
    low, high = _range(drawn_text, "ReLU, He init first/last hidden layer:")
    assert 0.05 < low <= high < 20
    assert _range(drawn_text, "digits, 5 splits: MLP")[0] > 0.93
    assert _range(drawn_text, "digits, 5 splits: logistic regression")[0] > 0.93
    gap = _range(drawn_text, "digits, 5 splits: MLP minus logistic regression")
    assert max(abs(gap[0]), abs(gap[1])) < 0.03, gap  # "within 3 points"
    # The strongest simple baselines (measured: 1-NN 0.982-0.991, SVC 0.987-0.989).
    assert _range(drawn_text, "digits, 5 splits: 1-NN")[0] > 0.97
    assert _range(drawn_text, "digits, 5 splits: SVC")[0] > 0.97
    assert "1-NN beats the MLP on 5 of 5 splits" in drawn_text
    # Frozen batches (measured -0.036 to +0.009): "up to about 4 points, at most 1 gained".
    frozen = _range(drawn_text, "digits, 5 splits: MLP with frozen batches minus MLP")
    assert -0.06 < frozen[0] < 0, frozen
    assert frozen[1] < 0.02, frozen
    # GRU, 10 epochs: 0.068-0.116 (20 epochs: 0.031-0.064); least squares 0.019-0.022.
    # The win is the budget's, as the pages say: on the same 5 seeds, 40 epochs give the GRU
    # 0.020-0.037 (ahead of least squares on seed 1), 80 epochs 0.013-0.024 (ahead on 0, 1, 4).
    assert _range(drawn_text, "GRU error / last-value error")[1] < 0.25
    assert _range(drawn_text, "least squares error / last-value error")[1] < 0.1
    assert "least squares beats the GRU on 5 of 5 seeds" in drawn_text
    assert _range(drawn_text, "with position embeddings: token accuracy")[0] > 0.99
    low, high = _range(drawn_text, "without position embeddings: token accuracy")
    assert 0.25 < low <= high < 0.4, (low, high)  # "about a third" (measured 0.304-0.323)


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
