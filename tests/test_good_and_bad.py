"""The measured page of the chapters "What deep learning is good for" and "ML vs DL", as the
build ran it (never rerun here).

Each claim the chapters make is asserted with a margin on the build's own numbers; times are
printed on the page, never asserted.
"""

from __future__ import annotations

import re

import pytest

NUMBER = r"([\d.]+(?:e[-+]\d+)?)"


@pytest.fixture(scope="module")
def text(example_text) -> str:
    return example_text("good_and_bad_measured")


def numbers(text: str, pattern: str) -> list[float]:
    matches = re.findall(pattern, text)
    assert len(matches) == 1, f"expected the line {pattern!r} once, found {len(matches)}"
    found = matches[0]
    return [float(value) for value in (found if isinstance(found, tuple) else (found,))]


def test_network_beats_the_template_rule(text):
    template, net = numbers(text, rf"template accuracy {NUMBER}, network {NUMBER}")
    assert net - template > 0.02


def test_tilted_digits_fine_tuning_forgetting_and_replay(text):
    upright, tilted = numbers(text, rf"original +{NUMBER} +{NUMBER}")
    tuned_upright, tuned_tilted = numbers(text, rf"fine-tuned on 100 +{NUMBER} +{NUMBER}")
    replay_upright, replay_tilted = numbers(text, rf"with 100 replayed +{NUMBER} +{NUMBER}")
    assert upright - tilted > 0.2
    assert tuned_tilted - tilted > 0.15
    assert replay_tilted - tilted > 0.15
    assert upright - tuned_upright > 0.04
    assert replay_upright - tuned_upright > 0.03


def test_learned_features_cluster_better_but_knn_shows_no_gap(text):
    raw = numbers(text, rf"raw pixels +{NUMBER} +{NUMBER} +{NUMBER}")
    learned = numbers(text, rf"network features +{NUMBER} +{NUMBER} +{NUMBER}")
    assert learned[0] - raw[0] > 0.1  # silhouette
    assert raw[1] >= learned[1] - 0.01  # 5-NN with all labels: no gain from the features
    assert learned[2] - raw[2] > 0.02  # 1-NN with 3 labels per digit


def test_saliency_finds_the_pixels_that_matter(text):
    drawn, salient, random_ink = numbers(
        text,
        rf"as drawn {NUMBER}, 8 salient pixels blanked {NUMBER}, "
        rf"8 random ink pixels blanked {NUMBER}",
    )
    assert drawn > 0.9
    assert random_ink - salient > 0.15


def test_least_squares_is_exact_and_the_network_is_not(text):
    (rule_mse,) = numbers(text, rf"least squares: test MSE {NUMBER}")
    (net_mse,) = numbers(text, rf"network: +test MSE {NUMBER}")
    assert rule_mse < 1e-20
    assert net_mse > 1e-6


def test_mistakes_are_less_confident_and_fgsm_beats_noise(text):
    right, wrong = numbers(text, rf"mean confidence: right {NUMBER}, wrong {NUMBER}")
    assert right - wrong > 0.1
    flipped, by_noise = numbers(text, rf"\n *0\.10 +{NUMBER} +{NUMBER}")
    assert flipped > 0.4
    assert by_noise < 0.15


def test_learning_curves_do_not_cross(text):
    rows = re.findall(
        rf"\n *(\d+) +{NUMBER} +{NUMBER}(?=\n)", text.rsplit("n     SVM  network", 1)[1]
    )
    sizes = [int(n) for n, _, _ in rows]
    assert sizes[:6] == [20, 50, 100, 200, 500, 1347]
    for _, svm, net in rows[:6]:
        assert float(svm) >= float(net)
    assert "sizes where the network is ahead: none" in text


def test_tables_are_a_tie_and_the_network_needs_scaling(text):
    (boosting,) = numbers(text, rf"breast cancer +gradient boosting +{NUMBER}")
    (scaled,) = numbers(text, rf"breast cancer +network, standardised +{NUMBER}")
    (raw,) = numbers(text, rf"breast cancer +network, raw columns +{NUMBER}")
    assert abs(scaled - boosting) < 0.03
    assert scaled - raw > 0.02


def test_cnn_needs_the_spatial_structure(text):
    accuracy = {
        (pixels, model): float(value)
        for pixels, model, value in re.findall(
            rf"(in place|shuffled) +(CNN|logistic regression|SVM) +{NUMBER}", text
        )
    }
    assert len(accuracy) == 6
    cnn = accuracy["in place", "CNN"]
    assert cnn - accuracy["in place", "SVM"] > 0.25
    assert cnn - accuracy["in place", "logistic regression"] > 0.25
    assert cnn - accuracy["shuffled", "CNN"] > 0.25
    assert abs(accuracy["shuffled", "SVM"] - accuracy["in place", "SVM"]) < 0.01
