"""The measured claims of the chapter "Machine learning vs deep learning", read from its
example page (good_and_bad_measured) as the build ran it: every claim is asserted with a
margin that held on each of the 5 seeds tried, and that a broken experiment would fail.
Times (processor time) are compared with each other, and with the loose bounds the chapter's
words give."""

from __future__ import annotations

import re

import pytest

NUMBER = r"([\d.]+)"


@pytest.fixture(scope="module")
def text(example_text) -> str:
    return example_text("good_and_bad_measured")


def row(text: str, pattern: str) -> list[float]:
    """The numbers of the one line that matches `pattern`, followed by whitespace-separated
    numbers."""
    matches = re.findall(pattern + r"((?: +[\d.]+)+) *\n", text)
    assert len(matches) == 1, f"expected the line {pattern!r} once, found {len(matches)}"
    return [float(value) for value in matches[0].split()]


@pytest.fixture(scope="module")
def tables(text) -> dict[str, dict[str, float]]:
    names = ["gradient boosting", "logistic regression", "logistic regression, raw"]
    names += ["network, standardised", "network, raw columns"]
    found = {}
    for name in names:
        mean, low, high, seconds = row(text, rf"breast cancer +{re.escape(name)}")
        assert low <= mean <= high
        found[name] = {"mean": mean, "min": low, "max": high, "seconds": seconds}
    return found


def test_tables_repeated_cross_validation_is_close_to_a_tie(tables):
    boosting, logistic, network = (
        tables[name]
        for name in ["gradient boosting", "logistic regression", "network, standardised"]
    )
    for model in (boosting, logistic, network):
        assert model["min"] > 0.94  # every repeat: a broken model would fall towards 0.63
    means = [model["mean"] for model in (boosting, logistic, network)]
    assert max(means) - min(means) < 0.04  # the chapter's "close to a tie"
    # "gradient boosting is behind the other two, by one to three points on average"
    assert 0.005 < logistic["mean"] - boosting["mean"] < 0.03
    assert 0.005 < network["mean"] - boosting["mean"] < 0.03


def test_tables_logistic_regression_is_a_little_ahead_of_the_network_on_every_shuffle(text):
    lines = re.findall(r"logistic regression minus network, per shuffle:((?: +[-+][\d.]+)+)", text)
    assert len(lines) == 1
    gaps = [float(gap) for gap in lines[0].split()]
    assert len(gaps) == 5
    assert all(0 < gap < 0.02 for gap in gaps)  # "on every shuffle, by less than two points"


def test_tables_network_and_logistic_regression_need_standardised_columns(tables):
    for scaled_name, raw_name in [
        ("network, standardised", "network, raw columns"),
        ("logistic regression", "logistic regression, raw"),
    ]:
        scaled, raw = tables[scaled_name], tables[raw_name]
        assert scaled["mean"] - raw["mean"] > 0.02
        assert scaled["min"] > raw["max"]  # on every repeat
    assert 0.92 < tables["logistic regression, raw"]["mean"] < 0.96  # "to about 0.94"


def test_tables_logistic_regression_fits_fastest(tables):
    """The fits are timed in processor time, which counts no time spent waiting for a core:
    gradient boosting 0.23 s and logistic regression 3 ms a fit here, and 0.27-0.28 s and
    4-5 ms beside six busy loops on 2 cores (on the wall clock, 0.92-1.05 s there)."""
    seconds = {name: model["seconds"] for name, model in tables.items()}
    assert seconds["logistic regression"] < seconds["gradient boosting"]
    assert seconds["logistic regression"] < seconds["network, standardised"]
    assert seconds["logistic regression"] < 0.05  # "in milliseconds"
    assert max(seconds.values()) < 2.0  # "about a second or less": 8 times the 0.23 s here


@pytest.fixture(scope="module")
def shapes(text) -> dict[tuple[str, str], tuple[float, float, float]]:
    table = text.split("(test accuracy, 5 seeds)", 1)[1]
    found = {
        (pixels, name): (float(mean), float(low), float(high))
        for pixels, name, mean, low, high in re.findall(
            rf"\n(in place|shuffled) +(\S.*?\S) +{NUMBER} +{NUMBER} +{NUMBER}(?=\n|$)", table
        )
    }
    assert len(found) == 11, sorted(found)
    return found


def test_hand_made_template_features_solve_the_shapes(shapes):
    _, low, _ = shapes["in place", "template features + LR"]
    assert low > 0.99  # every seed
    _, _, svm_high = shapes["in place", "SVM"]
    _, _, lr_high = shapes["in place", "logistic regression"]
    assert low - max(svm_high, lr_high) > 0.3
    _, svm_low, _ = shapes["in place", "SVM"]
    assert svm_low > 0.5  # "0.52 to 0.59": near chance on every seed
    assert svm_high < 0.6


def test_plain_mlp_fits_its_training_images_and_stays_near_chance(shapes):
    _, train_low, _ = shapes["in place", "plain MLP, training images"]
    _, test_low, test_high = shapes["in place", "plain MLP"]
    assert train_low > 0.85  # it is not undertrained
    assert test_high < 0.65  # "near chance on every seed"
    assert test_low > 0.4


def test_cnn_learns_the_shapes_and_needs_the_spatial_structure(shapes):
    _, cnn_low, _ = shapes["in place", "CNN"]
    _, _, mlp_high = shapes["in place", "plain MLP"]
    assert cnn_low > 0.95  # "close to" the template features, on every seed
    assert cnn_low - mlp_high > 0.25
    for model in ("CNN", "template features + LR"):
        _, _, shuffled_high = shapes["shuffled", model]
        assert shuffled_high < 0.6  # the shuffle breaks both: they rely on neighbours
    for model in ("logistic regression", "SVM"):  # the same models in any column order
        assert abs(shapes["shuffled", model][0] - shapes["in place", model][0]) < 0.01


def test_cnn_without_its_global_max_falls_far_behind(shapes):
    """Exercise 4: Flatten + Linear in place of the global max."""
    _, flat_low, flat_high = shapes["in place", "CNN, flatten + linear"]
    _, cnn_low, _ = shapes["in place", "CNN"]
    assert flat_low > 0.45  # the chapter's "0.51 to 0.71"
    assert flat_high < 0.8
    assert cnn_low - flat_high > 0.2


def test_pixel_shuffle_costs_the_digits_cnn_only_a_few_points(text):
    table = text.split("digits CNN  in place  shuffled  drop", 1)[1]
    splits = re.findall(rf"\nsplit \d +{NUMBER} +{NUMBER} +{NUMBER}", table)
    assert len(splits) == 5
    for in_place, shuffled, drop in (map(float, split) for split in splits):
        assert in_place > 0.92  # a trained CNN, not a broken one
        assert 0.89 < shuffled < 0.96  # "shuffled, it still scores 0.91 to 0.94"
        assert 0 < drop < 0.07  # "a few points (1 to 6)", far from the shapes' drop
