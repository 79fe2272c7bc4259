"""The measured page of the chapter "What deep learning is good for", as the build ran it
(never rerun here); its cells for "Machine learning vs deep learning" are checked by
tests/test_ml_vs_dl.py.

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


def table(text: str, header: str) -> list[list[float]]:
    """The rows of numbers printed under the one line that starts with `header`."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(header)]
    assert len(starts) == 1, f"expected one line starting {header!r}, found {len(starts)}"
    rows = []
    for line in lines[starts[0] + 1 :]:
        values = re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]\d+)?", line.replace("|", " "))
        if not values or not re.fullmatch(r"[\s\d.e+\-|]+", line):
            break
        rows.append([float(value) for value in values])
    return rows


def by_split(rows: list[list[float]]) -> list[list[float]]:
    """Rows that start with the split's seed: checks there are five, 0 to 4, and drops it."""
    assert [int(row[0]) for row in rows] == [0, 1, 2, 3, 4], rows
    return [row[1:] for row in rows]


def test_learning_beats_the_template_and_depth_adds_nothing_on_digits(text):
    rows = by_split(table(text, "split  template  network  logistic regression"))
    for template, net, logistic in rows:
        assert 0.25 < (1 - net) / (1 - template) < 0.65  # "30 to 60 % as many mistakes"
        assert logistic - template > 0.02
        assert net - logistic < 0.01  # logistic regression is never a point behind
    level = sum(logistic >= net - 0.005 for _, net, logistic in rows)
    assert level >= 3, "logistic regression ahead or level on most splits"


def test_tilted_digits_forgetting_replay_and_the_refitted_template(text):
    rows = by_split(table(text, "split  original  fine-tuned"))
    for row in rows:
        up, up_tuned, up_replay, up_t200, tilt, tilt_tuned, tilt_replay, scratch, t100, t200 = row
        assert up - tilt > 0.2
        assert tilt_tuned - tilt > 0.15
        assert tilt_replay - tilt > 0.15
        assert 0.06 < up - up_tuned < 0.16  # "8 to 14 points"
        assert 0 < up - up_replay < 0.05  # "1 to 4": less forgetting, not none
        assert tilt_tuned > scratch  # the old knowledge is a head start ...
        assert scratch > 0.6  # ... over a network that did learn from the 100 digits
        assert -0.03 < t100 - tilt_tuned < 0.08  # the refitted template adapts about as well
        assert tilt_tuned > 0.75  # floor: the fine-tuned network learned the tilted digits
        assert up_replay - up_t200 > 0.05
        assert tilt_replay - t200 > -0.01
        assert 0.9 < up_replay < 0.97
        assert 0.77 < up_t200 < 0.86


def test_clusters_come_from_training_and_learned_features_need_their_labels(text):
    rows = by_split(table(text, "split  raw    trained  untrained"))
    for sil_raw, sil_trained, sil_untrained, knn_raw, knn_trained, raw, on_30, leaky in rows:
        assert sil_trained - sil_raw > 0.1
        assert sil_raw - sil_untrained > 0.05  # the layers alone cluster worse than pixels
        assert knn_trained > 0.9
        assert knn_raw > knn_trained - 0.01
        assert on_30 > 0.55
        assert raw - on_30 > 0.03
        assert leaky - raw > 0.03  # features that saw all the labels look better: a leak


def test_saliency_beats_random_ink_but_only_ties_the_brightest_pixels(text):
    rows = by_split(table(text, "split  as drawn  salient  random ink  brightest"))
    for drawn, salient, random_ink, brightest, grad_x in rows:
        assert drawn > 0.9
        assert random_ink - salient > 0.15
        assert random_ink - brightest > 0.15  # the control without a network does as well ...
        assert abs(brightest - salient) < 0.15  # ... "level" with the saliency map
        assert grad_x < min(salient, brightest)  # gradient × input beats both


def test_least_squares_is_exact_and_the_network_is_not(text):
    (rule_mse,) = numbers(text, rf"least squares: test MSE {NUMBER}")
    (net_mse,) = numbers(text, rf"network: +test MSE {NUMBER}")
    assert rule_mse < 1e-20
    assert net_mse > 1e-6
    rows = by_split(table(text, "split  least squares  network  linear layer"))
    for rule, net, linear, variance in rows:
        assert rule < 1e-20
        assert 1e-6 < net < 0.01 * variance  # close, but not exact
        assert 1e-3 < net < 0.02  # "a test MSE between 0.001 and 0.02"
        assert linear < 0.1  # the linear layer trained too ...
    linear = [row[2] for row in rows]
    assert min(linear) < 1e-6  # ... and lands anywhere: the steps, not the depth
    assert max(linear) > 0.02
    assert sum(lin > net for _, net, lin, _ in rows) >= 1  # "sometimes worse than the network"


def test_confident_mistakes_and_fgsm_beside_logistic_regression(text):
    found = re.findall(
        rf"\n *(\d) +(network|logistic) +(\d+) +{NUMBER} +{NUMBER} +(\d+) +{NUMBER}"
        rf" +(\d+) of (\d+)(?=\n)",
        text,
    )
    assert len(found) == 10
    share, rejected = {}, {}
    for seed, model, mistakes, right, wrong, sure, sure_share, low, n_right in found:
        share[seed, model] = float(sure_share)
        rejected[seed, model] = int(low) / int(n_right)
        assert int(sure) <= int(mistakes)
        if model == "network":
            assert float(right) - float(wrong) > 0.05
            assert 10 <= int(mistakes) <= 26  # a broken network makes hundreds
    for seed in "01234":
        assert 0.15 < share[seed, "network"] < 0.55  # "a fifth to a half"
        assert share[seed, "network"] - share[seed, "logistic"] > 0.05
        assert share[seed, "logistic"] < 0.15
        assert rejected[seed, "network"] < 0.1  # a 0.9 threshold rejects few right answers ...
        assert rejected[seed, "logistic"] > 0.15  # ... of the network's, many of logistic's
    flipped, by_noise = numbers(text, rf"\n *0\.10 +{NUMBER} +{NUMBER}")
    assert flipped > 0.4
    assert by_noise < 0.15
    for net, logistic, net_noise, logistic_noise in by_split(table(text, "ε = 0.1, split")):
        assert 0.57 < net < 0.8  # "59 to 78 %"
        assert 0.38 < logistic < 0.47  # "40 to 45 %"
        assert net > logistic
        assert net_noise < 0.1
        assert logistic_noise < 0.1


def test_with_100_digits_the_classic_models_and_a_linear_layer_lead(text):
    rows = by_split(table(text, "100 digits, split    SVM  logistic  network  linear layer"))
    for svm, logistic, net, linear in rows:
        assert net > 0.75  # floor: the network did learn
        assert svm - net > 0.02
        assert logistic >= net - 0.005
        assert abs(linear - logistic) < 0.03  # a linear layer trained like the network ...
        assert linear > net - 0.01  # ... is level with the network or ahead
    assert sum(linear > net for *_, net, linear in rows) >= 3


def test_learning_curves_tangle_and_never_cross_cleanly(text):
    rows = table(text, "    n  split  logistic     SVM     CNN")
    curves = {}
    for n, _seed, *scores in rows:
        for model, score in zip(("logistic", "SVM", "CNN"), scores, strict=True):
            curves.setdefault((model, int(n)), []).append(score)
    sizes = sorted({n for _, n in curves})
    assert sizes == [20, 50, 100, 300, 1347]
    assert all(len(scores) == 5 for scores in curves.values())
    for model in ("logistic", "SVM", "CNN"):  # every model learns: no broken curve
        assert min(curves[model, 1347]) > max(curves[model, 20])
    assert min(curves["CNN", 1347]) > 0.9
    assert min(curves["SVM", 1347]) > 0.97
    for n in (20, 50):  # the ranges overlap: each model is ahead on some split
        cnn, svm, logistic = curves["CNN", n], curves["SVM", n], curves["logistic", n]
        assert 0 < sum(c > s for c, s in zip(cnn, svm, strict=True)) < 5
        for other in (svm, cnn):
            assert min(logistic) <= max(other)
            assert min(other) <= max(logistic)
    for n in (300, 1347):  # the SVM leads the quickly trained CNN on every split
        assert all(s > c for c, s in zip(curves["CNN", n], curves["SVM", n], strict=True))
