# %% [markdown]
# # Deep learning's strengths and limits, measured
#
# The figures and exact numbers for two chapters:
# [What deep learning is good for, and what it is not](../../deep-learning/good-and-bad/) and
# [Machine learning vs deep learning](../../deep-learning/ml-vs-dl/). The chapters explain
# each experiment and show its result as a claim that holds on any machine. This page runs
# the same experiments on the same data, with the same models and seeds, and prints what came
# out. The strengths-and-limits experiments run on five splits of the digits (random seeds
# 0 to 4: each sets the split, the initial weights and the batch order), with each split's
# result and the range, because one split can mislead; the figures use split 0, the chapters' own.
# Every number here was measured when the site was built, on the build machine's CPU; on
# another machine the last digits differ.
#
# Run it as a notebook, or as a plain script with `python good_and_bad_measured.py`.

# %%
import copy
import functools
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from torch import nn

torch.set_num_threads(1)  # small models train fastest on one thread (and on a shared CPU)

# %% [markdown]
# ## The data, the network and a training function
#
# The digits with a quarter kept aside for testing (stratified, seed 0), and the chapters'
# network: 64 pixels, hidden layers of 32 and 16, ten scores. `train` is a compact form of the
# site's `fit` loop: Adam, batches of 64 in a seeded shuffled order, reshuffled every epoch.
# `split(seed)` draws another stratified split, and `trained(seed)` trains the network and
# logistic regression (one linear layer, trained the same way) on it, once.

# %%
digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).flatten(1)  # (1797, 64)
labels = torch.tensor(digits.target)
train_x, test_x, train_y, test_y = train_test_split(
    images, labels, test_size=0.25, stratify=labels, random_state=0
)


def digit_mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10)
    )


def train(model, x, y, epochs, batch_size=64, lr=1e-2, loss_fn=F.cross_entropy, seed=0):
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        # The batches of DataLoader(TensorDataset(x, y), batch_size, shuffle=True,
        # generator=order), each read with one indexing operation, without the loader's
        # cost per batch. Each epoch the loader (PyTorch 2.13's DataLoader) draws a seed for
        # its workers and two shuffled orders, and uses the first: drawn here too, so the
        # batches are the same. A later PyTorch may draw differently.
        torch.empty((), dtype=torch.int64).random_(generator=order)
        batches = torch.randperm(len(x), generator=order).split(batch_size)
        torch.randperm(len(x), generator=order)
        for batch in batches:
            loss = loss_fn(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def accuracy(model, x, y):
    with torch.inference_mode():
        return (model(x).argmax(1) == y).float().mean().item()


SEEDS = range(5)


def split(seed: int):
    """train_x, test_x, train_y, test_y of split `seed` (split 0 is the chapters' split)."""
    return train_test_split(images, labels, test_size=0.25, stratify=labels, random_state=seed)


def logistic_regression(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(64, 10)  # softmax of a linear function of the pixels


@functools.cache
def trained(seed: int) -> tuple[nn.Module, nn.Module]:
    """The network and logistic regression, trained the same way on split `seed`."""
    x, _, y, _ = split(seed)
    return (
        train(digit_mlp(seed), x, y, epochs=30, seed=seed),
        train(logistic_regression(seed), x, y, epochs=30, seed=seed),
    )


def span(values) -> str:
    return f"{min(values):.3f} to {max(values):.3f}"


train(digit_mlp(), train_x[:64], train_y[:64], 1)  # warm-up: the first Adam step loads code
print(f"train {len(train_x)}, test {len(test_x)} digits")

# %% [markdown]
# ## Long lists of rules: a template against a network, and logistic regression
#
# The template rule is the average image of each digit; a new image gets the label of the
# closest average (a nearest-centroid classifier). These ten images are the rule's whole
# knowledge. The control beside the network is logistic regression trained the same way: it
# tells whether the gain over the template comes from the network's hidden layers or from
# training weights to tell the classes apart (the template only averages each class). Test
# accuracy on each split, then the range.


# %% alt="The ten class-mean templates, blurry average images of the digits 0 to 9"
def class_means(x, y):
    return torch.stack([x[y == d].mean(0) for d in range(10)])


def nearest_mean_accuracy(means, x, y):
    return (torch.cdist(x, means).argmin(1) == y).float().mean().item()


rules = []
print("split  template  network  logistic regression")
for seed in SEEDS:
    x_tr, x_te, y_tr, y_te = split(seed)
    net_s, lr_s = trained(seed)
    rules.append(
        (
            nearest_mean_accuracy(class_means(x_tr, y_tr), x_te, y_te),
            accuracy(net_s, x_te, y_te),
            accuracy(lr_s, x_te, y_te),
        )
    )
    print(f"{seed:5d}  {rules[-1][0]:8.3f}  {rules[-1][1]:7.3f}  {rules[-1][2]:19.3f}")
template_s, net_s, lr_s = zip(*rules, strict=True)
print(f"range: template {span(template_s)}, network {span(net_s)}, logistic {span(lr_s)}")
errors = [(1 - n) / (1 - t) for t, n in zip(template_s, net_s, strict=True)]
print(f"network's mistakes as a share of the template's: {span(errors)}")
ties = sum(lr >= n - 0.005 for n, lr in zip(net_s, lr_s, strict=True))
print(f"logistic regression within half a point of the network or ahead: {ties} of 5 splits")
net, linear = trained(0)  # split 0, the chapters' split, for the rest of the page
means = class_means(train_x, train_y)
fig, axes = plt.subplots(1, 10, figsize=(8, 1.1))
for digit, ax in enumerate(axes):
    ax.imshow(means[digit].reshape(8, 8).numpy(), cmap="gray_r")
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## A changing environment: digits tilted by 25°
#
# Accuracy on upright and tilted test digits: for the original network, after fine-tuning on
# 100 tilted training digits, and after fine-tuning on those plus 100 upright ones (replay).
# Two controls: the same network trained from scratch on the 100 tilted digits (what the old
# knowledge buys), and the template, itself learned from examples: refitted on the same 100
# tilted digits, and on the same 200 digits as replay.


# %%
def rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    angle = np.radians(degrees)
    theta = torch.tensor(
        [[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0]],
        dtype=torch.float32,
    ).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, [len(x), 1, 8, 8], align_corners=False)
    return F.grid_sample(x.reshape(-1, 1, 8, 8), grid, align_corners=False).flatten(1)


def shift_experiment(seed: int) -> dict[str, tuple[float, float]]:
    """(upright, tilted) test accuracy of each model on split `seed`."""
    x_tr, x_te, y_tr, y_te = split(seed)
    tilted = rotate(x_te, 25.0)
    new_x, new_y = rotate(x_tr[:100], 25.0), y_tr[:100]
    both_x, both_y = torch.cat([new_x, x_tr[100:200]]), torch.cat([new_y, y_tr[100:200]])
    original = trained(seed)[0]
    tuned = train(copy.deepcopy(original), new_x, new_y, 30, batch_size=100, seed=seed)
    replayed = train(copy.deepcopy(original), both_x, both_y, 30, batch_size=200, seed=seed)
    scratch = train(digit_mlp(seed), new_x, new_y, 30, batch_size=100, seed=seed)
    found = {}
    models = [("original", original), ("fine-tuned", tuned), ("replay", replayed)]
    for name, model in [*models, ("from scratch", scratch)]:
        found[name] = accuracy(model, x_te, y_te), accuracy(model, tilted, y_te)
    for name, x, y in [
        ("template", x_tr, y_tr),
        ("template 100", new_x, new_y),
        ("template 200", both_x, both_y),
    ]:
        means = class_means(x, y)
        found[name] = tuple(nearest_mean_accuracy(means, t, y_te) for t in (x_te, tilted))
    return found


shifts = {seed: shift_experiment(seed) for seed in SEEDS}
print("split 0: model               upright  tilted 25°")
for name, (upright, tilted) in shifts[0].items():
    print(f"{name:<28} {upright:7.3f}  {tilted:10.3f}")
print()
print("       upright:                          tilted 25°:")
print("split  original  fine-tuned  replay  template 200  original  fine-tuned  replay", end="")
print("  from scratch  template 100  template 200")
for seed, found in shifts.items():
    upright = [found[k][0] for k in ("original", "fine-tuned", "replay", "template 200")]
    tilted = [found[k][1] for k in ("original", "fine-tuned", "replay", "from scratch")]
    tilted += [found["template 100"][1], found["template 200"][1]]
    print(f"{seed:5d}", *(f"{v:.3f}" for v in upright + tilted), sep="  ")

# %% [markdown]
# ## Insights: learned features against raw pixels
#
# How well the classes separate, on the test digits, in three feature spaces: the raw pixels,
# the trained network's last hidden layer (16 numbers), and the same layer of the same network
# before training (the control: the layers without what training put in them). Measures:
#
# - the silhouette score (from -1 to 1: 1 is perfect clusters, 0 overlapping, below 0 closer
#   to another class than to its own);
# - a 5-nearest-neighbour classifier fitted on all the training digits;
# - a 1-nearest-neighbour classifier that knows only 3 labelled digits of each class. Its
#   fair learned features come from a network trained on those 30 labels alone. The trained
#   network's features are shown too, marked as leaking: that network saw all 1,347 labels.


# %%
def hidden(model, x):
    with torch.inference_mode():
        return model[:4](x)  # up to and including the second ReLU


def feature_experiment(seed: int) -> list[float]:
    x_tr, x_te, y_tr, y_te = split(seed)
    rng = np.random.default_rng(seed)
    few = [rng.choice(np.flatnonzero(y_tr == d), 3, replace=False) for d in range(10)]
    few = np.concatenate(few)
    spaces = {
        "raw": lambda x: x,
        "trained": lambda x: hidden(trained(seed)[0], x),
        "untrained": lambda x: hidden(digit_mlp(seed), x),
    }
    found = [silhouette_score(f(x_te).numpy(), y_te.numpy()) for f in spaces.values()]
    for f in (spaces["raw"], spaces["trained"]):
        knn = KNeighborsClassifier(5).fit(f(x_tr).numpy(), y_tr.numpy())
        found.append(knn.score(f(x_te).numpy(), y_te.numpy()))
    on_30 = train(digit_mlp(seed), x_tr[few], y_tr[few], epochs=100, batch_size=30, seed=seed)
    for f in (spaces["raw"], lambda x: hidden(on_30, x), spaces["trained"]):
        one_nn = KNeighborsClassifier(1).fit(f(x_tr[few]).numpy(), y_tr[few].numpy())
        found.append(one_nn.score(f(x_te).numpy(), y_te.numpy()))
    return found


print("       silhouette                   5-NN, all labels   1-NN, 3 labels a digit")
print("split  raw    trained  untrained    raw    trained     raw    on 30   trained (leaks)")
features_by_seed = {seed: feature_experiment(seed) for seed in SEEDS}
for seed, found in features_by_seed.items():
    print(f"{seed:5d}", *(f"{v:.3f}" for v in found), sep="  ")

# %% [markdown]
# The same test digits projected to two dimensions (principal component analysis), from the
# raw pixels and from the network's features, coloured by digit.

# %% alt="Test digits in 2-D, coloured by class: raw pixels overlap, network features cluster"
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (name, features) in zip(
    axes, [("raw pixels", test_x), ("network features", hidden(net, test_x))], strict=True
):
    points = PCA(n_components=2).fit_transform(features.numpy())
    scatter = ax.scatter(points[:, 0], points[:, 1], c=test_y.numpy(), cmap="tab10", s=8)
    ax.set(title=name, xticks=[], yticks=[])
fig.colorbar(scatter, ax=axes, ticks=range(10), label="digit")
plt.show()

# %% [markdown]
# ## Explainability: saliency maps
#
# The saliency of a pixel is the size of the gradient of log p(true digit) with respect to
# it. The test: blank the 8 ink pixels with the highest saliency, and see how much the
# network's probability for the true digit falls (mean over the test digits it gets right).
# Two controls need no network: 8 ink pixels chosen at random, and the 8 brightest pixels
# (ties broken at random). A second map, gradient × input (the saliency times the pixel's
# value), shows whether a better map exists.


# %%
def saliency_map(model, x, y):
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.log_softmax(model(x), 1).gather(1, y[:, None]).sum(), x)
    return grad.abs()


def p_true(model, x, y):
    with torch.inference_mode():
        return model(x).softmax(1).gather(1, y[:, None]).mean().item()


def saliency_experiment(seed: int) -> tuple[float, ...]:
    _, x_te, _, y_te = split(seed)
    model = trained(seed)[0]
    with torch.no_grad():
        right = model(x_te).argmax(1) == y_te
    x, y = x_te[right], y_te[right]
    ink = x > 0
    sal = saliency_map(model, x, y)
    chance = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed))
    choices = [sal * ink, chance * ink, x + chance / 100, sal * x]  # the 8 largest of each
    blanked = [x.clone().scatter_(1, c.topk(8, dim=1).indices, 0.0) for c in choices]
    return tuple(p_true(model, images, y) for images in (x, *blanked))


print("p(true digit) with 8 pixels blanked:")
print("split  as drawn  salient  random ink  brightest  gradient × input")
for seed in SEEDS:
    drawn, salient, random_ink, brightest, grad_x = saliency_experiment(seed)
    row = (drawn, salient, random_ink, brightest, grad_x)
    print(f"{seed:5d}", *(f"{v:{w}.3f}" for v, w in zip(row, (8, 7, 10, 9, 16), strict=True)))
with torch.no_grad():
    right = net(test_x).argmax(1) == test_y
x_right, y_right = test_x[right], test_y[right]
saliency = saliency_map(net, x_right, y_right)

# %% alt="Four test digits above their saliency maps, bright where a pixel sways the answer"
fig, axes = plt.subplots(2, 4, figsize=(6, 3.2))
for i in range(4):
    axes[0, i].imshow(x_right[i].reshape(8, 8).numpy(), cmap="gray_r")
    axes[0, i].set_title(f"digit {y_right[i].item()}")
    axes[1, i].imshow(saliency[i].reshape(8, 8).numpy(), cmap="hot")
for ax in axes.flat:
    ax.axis("off")
axes[1, 0].set_title("saliency", loc="left")
plt.show()

# %% [markdown]
# ## An exact rule against a network: least squares
#
# 150 rows of 5 numbers with an exact linear rule (no noise), 50 rows to test. Least squares
# solves it in closed form; the network (5 → 32 → 1) trains for 300 full-batch steps. The
# times are wall-clock, after a warm-up. On five draws, a single linear layer trained by the
# same 300 Adam steps is the control: it shows whether the gap comes from depth or from
# training by gradient steps.

# %%
g = torch.Generator().manual_seed(0)
x = torch.randn(200, 5, generator=g, dtype=torch.float64)
y = x @ torch.randn(5, 1, generator=g, dtype=torch.float64) + 0.5
design = torch.cat([x, torch.ones(200, 1, dtype=torch.float64)], dim=1)
torch.linalg.lstsq(design[:150], y[:150])  # warm-up
start = time.perf_counter()
solution = torch.linalg.lstsq(design[:150], y[:150]).solution
rule_seconds = time.perf_counter() - start
rule_mse = ((design[150:] @ solution - y[150:]) ** 2).mean().item()
torch.manual_seed(0)
regressor = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1)).double()
start = time.perf_counter()
train(regressor, x[:150], y[:150], epochs=300, batch_size=150, loss_fn=F.mse_loss)
net_reg_seconds = time.perf_counter() - start
with torch.no_grad():
    net_mse = F.mse_loss(regressor(x[150:]), y[150:]).item()
print(f"least squares: test MSE {rule_mse:.1e} in {rule_seconds * 1e3:.2f} ms")
print(f"network:       test MSE {net_mse:.1e} in {net_reg_seconds:.2f} s")
print(f"the network took {net_reg_seconds / rule_seconds:,.0f} times as long")
print("test MSE on 5 draws of the data (seed s draws the rows and the network's weights):")
print("split  least squares  network  linear layer  variance of y")
for seed in SEEDS:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(200, 5, generator=g, dtype=torch.float64)
    y = x @ torch.randn(5, 1, generator=g, dtype=torch.float64) + 0.5
    design = torch.cat([x, torch.ones(200, 1, dtype=torch.float64)], dim=1)
    solution = torch.linalg.lstsq(design[:150], y[:150]).solution
    torch.manual_seed(seed)
    regressor = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1)).double()
    train(regressor, x[:150], y[:150], epochs=300, batch_size=150, loss_fn=F.mse_loss, seed=seed)
    torch.manual_seed(seed)
    linear_layer = nn.Linear(5, 1).double()
    train(linear_layer, x[:150], y[:150], epochs=300, batch_size=150, loss_fn=F.mse_loss, seed=seed)
    with torch.no_grad():
        network_error = F.mse_loss(regressor(x[150:]), y[150:]).item()
        linear_error = F.mse_loss(linear_layer(x[150:]), y[150:]).item()
    rule_error = ((design[150:] @ solution - y[150:]) ** 2).mean().item()
    print(
        f"{seed:5d}  {rule_error:13.1e}  {network_error:7.1e}  {linear_error:12.1e}"
        f"  {y.var():13.2f}"
    )

# %% [markdown]
# ## When errors are unacceptable: confidence and adversarial examples
#
# The confidence (the highest probability) of the network and of logistic regression, trained
# the same way, on the test digits each gets right and on those it gets wrong; how many of its
# mistakes it makes with a confidence above 0.9 (a 0.9 threshold lets those through), and how
# many of its right answers fall at or below 0.9 (the threshold would reject those).

# %%
print("split  model      mistakes  confidence: right  wrong  mistakes above 0.9  share", end="")
print("  right answers at or below 0.9")
for seed in SEEDS:
    _, x_te, _, y_te = split(seed)
    for name, model in zip(("network", "logistic"), trained(seed), strict=True):
        with torch.no_grad():
            confidence, predicted = model(x_te).softmax(1).max(1)
        wrong = predicted != y_te
        print(
            f"{seed:5d}  {name:<9} {wrong.sum().item():9d}  {confidence[~wrong].mean():17.3f}"
            f"  {confidence[wrong].mean():5.3f}  {(confidence[wrong] > 0.9).sum():18d}"
            f"  {(confidence[wrong] > 0.9).float().mean():5.3f}"
            f"  {(confidence[~wrong] <= 0.9).sum():5d} of {(~wrong).sum():d}"
        )

# %% [markdown]
# FGSM at several sizes ε (a fraction of the pixel range; 0.1 is 1.6 grey-level steps of 16),
# against random ±ε noise of the same size: the share of correctly classified test digits
# whose answer flips, for the network on split 0.


# %%
def fgsm(model, x, y, eps):
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
    return (x + eps * grad.sign()).clamp(0, 1).detach()


noise_sign = torch.randn(x_right.shape, generator=torch.Generator().manual_seed(1)).sign()
print("  eps   flipped by FGSM   flipped by noise")
for eps in (0.02, 0.05, 0.1, 0.15, 0.2):
    attacked = fgsm(net, x_right, y_right, eps)
    noisy = (x_right + eps * noise_sign).clamp(0, 1)
    with torch.no_grad():
        flipped = (net(attacked).argmax(1) != y_right).float().mean().item()
        by_noise = (net(noisy).argmax(1) != y_right).float().mean().item()
    print(f"{eps:5.2f}   {flipped:15.3f}   {by_noise:16.3f}")

# %% [markdown]
# The same attack at ε = 0.1 on every split, on the network and on logistic regression: each
# model is attacked through its own gradient, on the test digits it gets right.

# %%
print("ε = 0.1, split  flipped: network  logistic  |  by noise: network  logistic")
for seed in SEEDS:
    _, x_te, _, y_te = split(seed)
    flips = {}
    for name, model in zip(("network", "logistic"), trained(seed), strict=True):
        with torch.no_grad():
            right = model(x_te).argmax(1) == y_te
        x, y = x_te[right], y_te[right]
        sign = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed)).sign()
        changes = [("fgsm", fgsm(model, x, y, 0.1)), ("noise", (x + 0.1 * sign).clamp(0, 1))]
        with torch.no_grad():
            for kind, changed in changes:
                flips[kind, name] = (model(changed).argmax(1) != y).float().mean().item()
    print(
        f"{seed:14d}  {flips['fgsm', 'network']:16.3f}  {flips['fgsm', 'logistic']:8.3f}  |"
        f"  {flips['noise', 'network']:17.3f}  {flips['noise', 'logistic']:8.3f}"
    )

# %% alt="Four digits above the same digits after an FGSM attack, each titled with its answer"
attacked = fgsm(net, x_right[:4], y_right[:4], 0.1)
with torch.no_grad():
    before, after = net(x_right[:4]).argmax(1), net(attacked).argmax(1)
fig, axes = plt.subplots(2, 4, figsize=(6, 3.4))
for i in range(4):
    axes[0, i].imshow(x_right[i].reshape(8, 8).numpy(), cmap="gray_r", vmin=0, vmax=1)
    axes[0, i].set_title(f"answer {before[i].item()}")
    axes[1, i].imshow(attacked[i].reshape(8, 8).numpy(), cmap="gray_r", vmin=0, vmax=1)
    axes[1, i].set_title(f"attacked: {after[i].item()}")
for ax in axes.flat:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Not much data: 100 digits, then learning curves on five splits
#
# 100 training digits of each split (stratified, with the split's seed; split 0's are the
# chapter's): the SVM and logistic regression (scikit-learn's defaults), the chapter's network
# trained for 100 full-batch Adam steps, and the control: a single linear layer trained
# exactly like the network (no penalty on its weights).

# %%
print("100 digits, split    SVM  logistic  network  linear layer")
for seed in SEEDS:
    x_tr, x_te, y_tr, y_te = split(seed)
    x_100, _, y_100, _ = train_test_split(
        x_tr, y_tr, train_size=100, stratify=y_tr, random_state=seed
    )
    svm_100 = SVC().fit(x_100.numpy(), y_100.numpy()).score(x_te.numpy(), y_te.numpy())
    lr_100 = LogisticRegression(max_iter=1000).fit(x_100.numpy(), y_100.numpy())
    lr_100 = lr_100.score(x_te.numpy(), y_te.numpy())
    nets_100 = [
        train(make(seed), x_100, y_100, epochs=100, batch_size=100, seed=seed)
        for make in (digit_mlp, logistic_regression)
    ]
    mlp_100, linear_100 = (accuracy(model, x_te, y_te) for model in nets_100)
    print(f"{seed:17d}  {svm_100:5.3f}  {lr_100:8.3f}  {mlp_100:7.3f}  {linear_100:12.3f}")

# %% [markdown]
# ### Learning curves
#
# Test accuracy of logistic regression, an SVM and a small CNN (two 3 × 3 convolutions with
# max pooling, 8 and 16 filters, then one linear layer), trained on n digits drawn from the
# training set of each split (stratified, with the split's seed: the same examples for all
# three models). The CNN trains for about 150 Adam steps at every size (6 epochs of 22
# batches, 132 steps, at 1,347), a quick training: the [digits CNN example](../digits_cnn/)
# trains a larger one for longer.
# Logistic regression and the SVM are scikit-learn's, with their defaults.


# %%
def digit_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 8 × 4 × 4
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16 × 2 × 2
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


sizes = [20, 50, 100, 300, 1347]
curves = {}  # (model, n) -> accuracy on each split
full_cnns = {}  # split -> the CNN trained on all its training digits, reused below
print("    n  split  logistic     SVM     CNN")
for n in sizes:
    for seed in SEEDS:
        x_tr, x_te, y_tr, y_te = split(seed)
        if n < len(y_tr):
            x_tr, _, y_tr, _ = train_test_split(
                x_tr, y_tr, train_size=n, stratify=y_tr, random_state=seed
            )
        found = {
            name: model.fit(x_tr.numpy(), y_tr.numpy()).score(x_te.numpy(), y_te.numpy())
            for name, model in [("logistic", LogisticRegression(max_iter=1000)), ("SVM", SVC())]
        }
        epochs = max(1, 150 // -(-n // 64))  # about 150 steps whatever the size
        cnn_n = train(digit_cnn(seed), x_tr, y_tr, epochs, seed=seed)
        found["CNN"] = accuracy(cnn_n, x_te, y_te)
        if n == len(split(seed)[2]):
            full_cnns[seed] = cnn_n
        for name, acc in found.items():
            curves.setdefault((name, n), []).append(acc)
        print(f"{n:5d}  {seed:5d}", *(f"{found[k]:.3f}" for k in found), sep="     ")
print()
print("    n  logistic (min to max)    SVM (min to max)  CNN (min to max)  CNN ahead of SVM")
for n in sizes:
    ahead = sum(c > v for c, v in zip(curves["CNN", n], curves["SVM", n], strict=True))
    ranges = "  ".join(span(curves[name, n]) for name in ("logistic", "SVM", "CNN"))
    print(f"{n:5d}  {ranges}    on {ahead} of 5 splits")

# %% alt="Learning curves of logistic regression, SVM and a small CNN: mean and range of 5 splits"
fig, ax = plt.subplots(figsize=(6, 3.5))
for name in ("logistic", "SVM", "CNN"):
    scores = np.array([curves[name, n] for n in sizes])
    ax.plot(sizes, scores.mean(1), marker="o", label=name)
    ax.fill_between(sizes, scores.min(1), scores.max(1), alpha=0.2)
ax.set(xscale="log", xlabel="training digits", ylabel="test accuracy", title="learning curves")
ax.legend()
plt.show()

# %% [markdown]
# ## Structured data: gradient boosting, logistic regression and a network
#
# The breast cancer table (569 tumours, 30 columns), scored by 3-fold stratified
# cross-validation, repeated with 5 different shuffles of the rows (seeds 0 to 4; the
# network's initialisation uses the same seed), so every row is a test row once per repeat.
# A repeat's score is the mean of its 3 folds: the table shows the mean of the 5 repeats and
# the lowest and highest. The standardisation is fit inside each training fold (a
# scikit-learn Pipeline), so no test row shapes it.
# Gradient boosting with its defaults; logistic regression and the network (one hidden layer
# of 32, 200 full-batch Adam steps), each on standardised columns and on the raw columns
# (unscaled, logistic regression's solver stops at its 100 iterations before it converges,
# and says so: the warning is silenced here). `fit CPU s` is the mean processor time of one
# fit, scaling included (`time.process_time`: unlike a wall clock, it does not count the time
# the program waits while other programs use the cores; on several threads it adds up every
# thread's time, waiting included, so these figures are for the build's one thread). The
# last line compares logistic regression with the network on each shuffle of the folds.

# %%
# --8<-- [start:table_mlp]
from typing import Self

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn


class TableMLP(ClassifierMixin, BaseEstimator):
    """A network for a table, with scikit-learn's `fit` and `predict`, so that it can sit in a
    Pipeline and be cross-validated like any classic model. scikit-learn's conventions:
    `__init__` only stores its arguments (`clone` copies a model by them), and a name ending
    in `_` holds what `fit` learned."""

    def __init__(self, hidden: int = 32, epochs: int = 200, lr: float = 1e-2, seed: int = 0):
        self.hidden, self.epochs, self.lr, self.seed = hidden, epochs, lr, seed

    def fit(self, x, y) -> Self:
        inputs = torch.from_numpy(np.asarray(x, dtype=np.float32))  # a DataFrame or a list too
        self.classes_, targets = np.unique(y, return_inverse=True)
        targets = torch.from_numpy(targets)
        with torch.random.fork_rng():  # seed this model without resetting the caller's stream
            torch.manual_seed(self.seed)
            self.net_ = nn.Sequential(
                nn.Linear(inputs.shape[1], self.hidden),
                nn.ReLU(),
                nn.Linear(self.hidden, len(self.classes_)),
            )
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
        for _ in range(self.epochs):  # full batch: every step sees all the training rows
            loss = F.cross_entropy(self.net_(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return self

    def predict(self, x) -> np.ndarray:
        with torch.no_grad():
            scores = self.net_(torch.from_numpy(np.asarray(x, dtype=np.float32)))
        return self.classes_[scores.argmax(dim=1).numpy()]


# --8<-- [end:table_mlp]

# %%
import warnings

from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline


def table_models(seed: int) -> dict:
    return {
        "gradient boosting": GradientBoostingClassifier(random_state=seed),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression()),
        "logistic regression, raw": LogisticRegression(),  # its solver stops unconverged
        "network, standardised": make_pipeline(StandardScaler(), TableMLP(seed=seed)),
        "network, raw columns": TableMLP(seed=seed),
    }


def cross_validate_timed(
    model: BaseEstimator, x: np.ndarray, y: np.ndarray, folds: StratifiedKFold
) -> tuple[float, list[float]]:
    """The mean test accuracy over the folds, and each fit's processor time in seconds."""
    scores, seconds = [], []
    for train, test in folds.split(x, y):
        estimator = clone(model)  # a fresh, unfitted copy for each fold
        start = time.process_time()
        estimator.fit(x[train], y[train])
        seconds.append(time.process_time() - start)
        scores.append(estimator.score(x[test], y[test]))
    return float(np.mean(scores)), seconds


x_tab, y_tab = load_breast_cancer(return_X_y=True)
repeats, fit_seconds = {}, {}
for seed in range(5):
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    for name, model in table_models(seed).items():
        with warnings.catch_warnings(action="ignore", category=ConvergenceWarning):
            score, seconds = cross_validate_timed(model, x_tab, y_tab, folds)
        repeats.setdefault(name, []).append(score)
        fit_seconds.setdefault(name, []).extend(seconds)
print("table          model                        mean     min     max  fit CPU s")
for name, scores in repeats.items():
    print(
        f"breast cancer  {name:<25} {np.mean(scores):7.3f} {min(scores):7.3f}"
        f" {max(scores):7.3f}  {np.mean(fit_seconds[name]):9.3f}"
    )
gaps = np.subtract(repeats["logistic regression"], repeats["network, standardised"])
print("logistic regression minus network, per shuffle:", *(f"{gap:+.3f}" for gap in gaps))

# %% [markdown]
# ## Unstructured data: a shape anywhere in the image
#
# 12 × 12 noise images with a bright "+" or "x" at a random place; 1200 to train, 600 to
# test. Then every image's pixels are shuffled in one fixed order and the models retrained.
# The generator and the CNN are the chapter's own code.

# %%
# --8<-- [start:shapes]
import torch
from torch import nn

PLUS = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
CROSS = [(0, 0), (-1, -1), (1, 1), (-1, 1), (1, -1)]


def shape_images(
    n: int, seed: int, shapes: tuple[list, list] = (PLUS, CROSS), size: int = 12
) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` noise images (n, 1, size, size), each with one bright shape drawn at a random place:
    label 0 is `shapes[0]` (a "+" by default), label 1 is `shapes[1]` (an "x")."""
    if size < 3:
        raise ValueError(f"size must be at least 3 to hold a 3 × 3 shape, got {size}")
    g = torch.Generator().manual_seed(seed)
    images = 0.8 * torch.rand(n, 1, size, size, generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    rows = torch.randint(1, size - 1, (n,), generator=g)  # the centre of the shape
    cols = torch.randint(1, size - 1, (n,), generator=g)
    for i in range(n):
        for dr, dc in shapes[labels[i]]:
            images[i, 0, rows[i] + dr, cols[i] + dc] = 1.0
    return images, labels


class ShapeCNN(nn.Module):
    """Eight filters of 3 by 3 pixels slide over the image; the strongest response of each,
    wherever it is, decides."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3)
        self.out = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.conv(x)).amax(dim=(2, 3)))  # global max pooling


# --8<-- [end:shapes]

# %% alt="Eight noise images, each with a small bright plus or cross at a different place"
shapes_x, shapes_y = shape_images(1200, seed=0)
fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for i, ax in enumerate(axes):
    ax.imshow(shapes_x[i, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("x" if shapes_y[i] else "+")
    ax.axis("off")
plt.show()


# %% [markdown]
# Five models, each over 5 seeds (seed s draws the training images with seed 2s and the test
# images with 2s + 1, and initialises the networks with s):
#
# - **template features + LR**: two hand-made features, the best match anywhere in the image
#   of a "+" template and of an "x" template (a convolution with fixed filters and a global
#   max), then logistic regression;
# - **plain MLP**: 144 pixels, two hidden layers of 64, trained for 30 epochs (Adam, 1e-3);
#   its accuracy on its own training images is shown too;
# - **CNN**: 8 filters of 3 × 3 and a global max, 10 epochs (Adam, 1e-2);
# - **CNN, flatten + linear**: the chapter's exercise 4, the same filters with the global max
#   replaced by a linear layer on all 8 × 10 × 10 responses (a weight for each position),
#   trained like the CNN;
# - **logistic regression** and an **SVM** on the 144 raw pixels.
#
# Then every image's pixels are shuffled in one fixed order and the models retrained.

# %%
# --8<-- [start:template_features]
import torch
import torch.nn.functional as F


def template(offsets: list[tuple[int, int]]) -> torch.Tensor:
    """A 3-by-3 filter: 1 on the shape's pixels, 0 elsewhere."""
    weights = torch.zeros(3, 3)
    for dr, dc in offsets:
        weights[1 + dr, 1 + dc] = 1.0
    return weights


def template_features(images: torch.Tensor, shapes: list[list[tuple[int, int]]]) -> torch.Tensor:
    """Hand-made features, one per shape: the best match of its template anywhere in each image
    (the largest sum of the pixels under it). Images (n, 1, H, W) give (n, len(shapes))."""
    filters = torch.stack([template(offsets) for offsets in shapes]).unsqueeze(1)
    return F.conv2d(images, filters).amax(dim=(2, 3))


# --8<-- [end:template_features]


# %%
class FlatShapeCNN(ShapeCNN):
    """ShapeCNN with its global max replaced by a linear layer on every position's response."""

    def __init__(self) -> None:
        super().__init__()
        self.out = nn.Sequential(nn.Flatten(), nn.Linear(8 * 10 * 10, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.conv(x)))


def plain_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(144, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2)
    )


order = torch.randperm(144, generator=torch.Generator().manual_seed(0))


def shuffle(x):
    return x.flatten(1)[:, order].reshape(x.shape)


shape_scores = {}
for seed in range(5):
    a, a_y = shape_images(1200, seed=2 * seed)
    b, b_y = shape_images(600, seed=2 * seed + 1)
    for pixels, (a_px, b_px) in [("in place", (a, b)), ("shuffled", (shuffle(a), shuffle(b)))]:
        found = {}
        a_f, b_f = (template_features(x_, [PLUS, CROSS]).numpy() for x_ in (a_px, b_px))
        found["template features + LR"] = LogisticRegression().fit(a_f, a_y).score(b_f, b_y)
        if pixels == "in place":
            torch.manual_seed(seed)
            mlp = train(plain_mlp(), a_px, a_y, epochs=30, lr=1e-3)
            found["plain MLP, training images"] = accuracy(mlp, a_px, a_y)
            found["plain MLP"] = accuracy(mlp, b_px, b_y)
            torch.manual_seed(seed)
            flat = train(FlatShapeCNN(), a_px, a_y, epochs=10)
            found["CNN, flatten + linear"] = accuracy(flat, b_px, b_y)
        torch.manual_seed(seed)
        found["CNN"] = accuracy(train(ShapeCNN(), a_px, a_y, epochs=10), b_px, b_y)
        rows_a, rows_b = a_px.flatten(1).numpy(), b_px.flatten(1).numpy()
        logistic = LogisticRegression(max_iter=1000).fit(rows_a, a_y.numpy())
        found["logistic regression"] = logistic.score(rows_b, b_y.numpy())
        found["SVM"] = SVC().fit(rows_a, a_y.numpy()).score(rows_b, b_y.numpy())
        for name, acc in found.items():
            shape_scores.setdefault((pixels, name), []).append(acc)
print("pixels     model                          mean    min    max   (test accuracy, 5 seeds)")
for (pixels, name), scores in shape_scores.items():
    print(f"{pixels:<10} {name:<28} {np.mean(scores):6.3f} {min(scores):6.3f} {max(scores):6.3f}")


# %% [markdown]
# ## The same shuffle on the digits
#
# The digits' CNN from the learning curves (two convolutions with max pooling), trained as
# there on all the training digits of each split (6 epochs), on the pixels in place (the
# learning curves' own CNN, not trained again) and on the 64 pixels shuffled in one fixed
# order.

# %%
digit_order = torch.randperm(64, generator=torch.Generator().manual_seed(0))
digit_shuffle = {}
for seed in SEEDS:
    x_tr, x_te, y_tr, y_te = split(seed)
    for pixels, (a_px, b_px) in [
        ("in place", (x_tr, x_te)),
        ("shuffled", (x_tr[:, digit_order], x_te[:, digit_order])),
    ]:
        if pixels == "in place":
            cnn_digits = full_cnns[seed]
        else:
            cnn_digits = train(digit_cnn(seed), a_px, y_tr, epochs=6, seed=seed)
        digit_shuffle.setdefault(pixels, []).append(accuracy(cnn_digits, b_px, y_te))
drops = [a - b for a, b in zip(digit_shuffle["in place"], digit_shuffle["shuffled"], strict=True)]
print("digits CNN  in place  shuffled  drop")
for seed in SEEDS:
    print(
        f"split {seed}     {digit_shuffle['in place'][seed]:.3f}     "
        f"{digit_shuffle['shuffled'][seed]:.3f}  {drops[seed]:.3f}"
    )
print(f"digits CNN shuffle drop {min(drops):.3f} to {max(drops):.3f}")
