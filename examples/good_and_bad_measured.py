# %% [markdown]
# # Deep learning's strengths and limits, measured
#
# The figures and exact numbers for two chapters:
# [What deep learning is good for, and what it is not](../../deep-learning/good-and-bad/) and
# [Machine learning vs deep learning](../../deep-learning/ml-vs-dl/). The chapters explain
# each experiment and show its result as a claim that holds on any machine. This page runs
# the same experiments on the same data, with the same models and seeds, and prints what came
# out (its compact training function reshuffles the batches every epoch, so its figures can
# differ a little from a run of the chapters' code). Every
# number here was measured when the site was built, on the build machine's CPU; on another
# machine the last digits differ.
#
# Run it as a notebook, or as a plain script with `python good_and_bad_measured.py`.

# %%
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.set_num_threads(1)  # small models train fastest on one thread (and on a shared CPU)

# %% [markdown]
# ## The data, the network and a training function
#
# The digits with a quarter kept aside for testing (stratified, seed 0), and the chapters'
# network: 64 pixels, hidden layers of 32 and 16, ten scores. `train` is a compact form of the
# site's `fit` loop: Adam, batches of 64 in a seeded shuffled order.

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


def train(model, x, y, epochs, batch_size=64, lr=1e-2, loss_fn=F.cross_entropy):
    loader = DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


train(digit_mlp(), train_x[:64], train_y[:64], 1)  # warm-up: the first Adam step loads code
print(f"train {len(train_x)}, test {len(test_x)} digits")

# %% [markdown]
# ## Long lists of rules: a template against a network
#
# The template rule is the average image of each digit; a new image gets the label of the
# closest average. These ten images are the rule's whole knowledge.

# %% alt="The ten class-mean templates, blurry average images of the digits 0 to 9"
means = torch.stack([train_x[train_y == d].mean(0) for d in range(10)])
template_acc = (torch.cdist(test_x, means).argmin(1) == test_y).float().mean().item()
start = time.perf_counter()
net = train(digit_mlp(), train_x, train_y, epochs=30)
net_seconds = time.perf_counter() - start
net_acc = accuracy(net, test_x, test_y)
print(f"template accuracy {template_acc:.3f}, network {net_acc:.3f} ({net_seconds:.2f} s)")
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


# %%
def rotate(x: torch.Tensor, degrees: float) -> torch.Tensor:
    angle = np.radians(degrees)
    theta = torch.tensor(
        [[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0]],
        dtype=torch.float32,
    ).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, [len(x), 1, 8, 8], align_corners=False)
    return F.grid_sample(x.reshape(-1, 1, 8, 8), grid, align_corners=False).flatten(1)


tilted_test = rotate(test_x, 25.0)
new_x, new_y = rotate(train_x[:100], 25.0), train_y[:100]
old_x, old_y = train_x[100:200], train_y[100:200]
tuned = train(copy.deepcopy(net), new_x, new_y, epochs=30, batch_size=100)
replayed = train(
    copy.deepcopy(net), torch.cat([new_x, old_x]), torch.cat([new_y, old_y]), 30, batch_size=200
)
print("model                  upright  tilted 25°")
for name, model in [
    ("original", net),
    ("fine-tuned on 100", tuned),
    ("with 100 replayed", replayed),
]:
    print(
        f"{name:<22} {accuracy(model, test_x, test_y):7.3f}"
        f"  {accuracy(model, tilted_test, test_y):10.3f}"
    )

# %% [markdown]
# ## Insights: learned features against raw pixels
#
# Three measures of how well the classes separate, on the test digits. The silhouette score
# (1 is perfect clusters, 0 overlapping). A 5-nearest-neighbour classifier trained on all the
# training digits. And a 1-nearest-neighbour classifier that knows only 3 labelled examples
# per digit. The network's features are its last hidden layer (16 numbers).


# %%
def hidden(model, x):
    with torch.no_grad():
        return model[:4](x)  # up to and including the second ReLU


rng = np.random.default_rng(0)
few = np.concatenate(
    [rng.choice(np.flatnonzero(train_y == d), 3, replace=False) for d in range(10)]
)
rows = []
for name, features in [("raw pixels", lambda x: x), ("network features", lambda x: hidden(net, x))]:
    train_f, test_f = features(train_x).numpy(), features(test_x).numpy()
    silhouette = silhouette_score(test_f, test_y.numpy())
    knn = KNeighborsClassifier(5).fit(train_f, train_y.numpy()).score(test_f, test_y.numpy())
    one_nn = KNeighborsClassifier(1).fit(train_f[few], train_y.numpy()[few])
    rows.append((name, silhouette, knn, one_nn.score(test_f, test_y.numpy())))
print("features           silhouette  5-NN (all labels)  1-NN (3 labels per digit)")
for name, silhouette, knn, one_nn in rows:
    print(f"{name:<18} {silhouette:10.3f}  {knn:17.3f}  {one_nn:25.3f}")

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
# it. The test: blank the 8 ink pixels with the highest saliency, or 8 ink pixels chosen at
# random, and see how much the network's probability for the true digit falls (mean over the
# test digits it gets right).

# %%
right = net(test_x).argmax(1) == test_y
x_right, y_right = test_x[right], test_y[right]
x_grad = x_right.clone().requires_grad_(True)
F.log_softmax(net(x_grad), 1).gather(1, y_right[:, None]).sum().backward()
saliency = x_grad.grad.abs()
ink = x_right > 0
salient = (saliency * ink).topk(8, dim=1).indices
chance = torch.rand(x_right.shape, generator=torch.Generator().manual_seed(0))
random_ink = (chance * ink).topk(8, dim=1).indices


def p_true(x):
    with torch.no_grad():
        return net(x).softmax(1).gather(1, y_right[:, None]).mean().item()


print(f"p(true digit): as drawn {p_true(x_right):.3f}, ", end="")
print(f"8 salient pixels blanked {p_true(x_right.clone().scatter_(1, salient, 0.0)):.3f}, ", end="")
print(f"8 random ink pixels blanked {p_true(x_right.clone().scatter_(1, random_ink, 0.0)):.3f}")

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
# times are wall-clock, after a warm-up.

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

# %% [markdown]
# ## When errors are unacceptable: confidence and adversarial examples
#
# The network's confidence (its highest probability) on the test digits it gets right and
# on those it gets wrong.

# %%
with torch.no_grad():
    confidence, predicted = net(test_x).softmax(1).max(1)
wrong = predicted != test_y
print(f"{wrong.sum().item()} mistakes out of {len(test_y)}")
print(
    f"mean confidence: right {confidence[~wrong].mean():.3f}, wrong {confidence[wrong].mean():.3f}"
)
print(f"mistakes with confidence above 0.9: {(confidence[wrong] > 0.9).sum().item()}")

# %% [markdown]
# FGSM at several sizes ε (a fraction of the pixel range; 0.1 is 1.6 of the 16 grey levels),
# against random ±ε noise of the same size: the share of correctly classified test digits
# whose answer flips.


# %%
def fgsm(x, y, eps):
    x = x.clone().requires_grad_(True)
    F.cross_entropy(net(x), y).backward()
    return (x + eps * x.grad.sign()).clamp(0, 1).detach()


noise_sign = torch.randn(x_right.shape, generator=torch.Generator().manual_seed(1)).sign()
print("  eps   flipped by FGSM   flipped by noise")
for eps in (0.02, 0.05, 0.1, 0.15, 0.2):
    attacked = fgsm(x_right, y_right, eps)
    noisy = (x_right + eps * noise_sign).clamp(0, 1)
    with torch.no_grad():
        flipped = (net(attacked).argmax(1) != y_right).float().mean().item()
        by_noise = (net(noisy).argmax(1) != y_right).float().mean().item()
    print(f"{eps:5.2f}   {flipped:15.3f}   {by_noise:16.3f}")

# %% alt="Four digits above the same digits after an FGSM attack, each titled with its answer"
attacked = fgsm(x_right[:4], y_right[:4], 0.1)
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
# ## Not much data: the learning curve
#
# Test accuracy of an SVM and of the network, trained on n digits drawn from the training set
# (stratified, seed 0: the same examples for both models). The network trains for about 300
# steps at every size.

# %%
sizes = [20, 50, 100, 200, 500, len(train_y)]
curve = {"SVM": [], "network": []}
for n in sizes:
    if n < len(train_y):
        sub_x, _, sub_y, _ = train_test_split(
            train_x, train_y, train_size=n, stratify=train_y, random_state=0
        )
    else:
        sub_x, sub_y = train_x, train_y
    svm = SVC().fit(sub_x.numpy(), sub_y.numpy())
    curve["SVM"].append(svm.score(test_x.numpy(), test_y.numpy()))
    epochs = max(1, 300 // -(-n // 64))  # about 300 steps whatever the size
    curve["network"].append(accuracy(train(digit_mlp(), sub_x, sub_y, epochs), test_x, test_y))
print("    n     SVM  network")
for n, svm_acc, net_acc_n in zip(sizes, curve["SVM"], curve["network"], strict=True):
    print(f"{n:5d}  {svm_acc:6.3f}  {net_acc_n:7.3f}")
crossings = [n for i, n in enumerate(sizes) if curve["network"][i] > curve["SVM"][i]]
print("sizes where the network is ahead:", crossings or "none")

# %% alt="Learning curves: test accuracy against the number of training digits, SVM and network"
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, scores in curve.items():
    ax.plot(sizes, scores, marker="o", label=name)
ax.set(xscale="log", xlabel="training digits", ylabel="test accuracy", title="learning curve")
ax.legend()
plt.show()

# %% [markdown]
# ## Structured data: gradient boosting against a network
#
# Two tables, a quarter of each kept aside for testing. Gradient boosting with its defaults;
# the network (one hidden layer of 32) for 200 full-batch Adam steps, on standardised columns
# and on the raw columns. Training times are wall-clock.

# %%
print("table          model                     accuracy   seconds")
for table_name, load in [("breast cancer", load_breast_cancer), ("wine", load_wine)]:
    x_tab, y_tab = load(return_X_y=True)
    xa, xb, ya, yb = train_test_split(x_tab, y_tab, test_size=0.25, stratify=y_tab, random_state=0)
    start = time.perf_counter()
    boosting = GradientBoostingClassifier(random_state=0).fit(xa, ya)
    results = [("gradient boosting", boosting.score(xb, yb), time.perf_counter() - start)]
    scaler = StandardScaler().fit(xa)
    for name, (a, b) in [
        ("network, standardised", (scaler.transform(xa), scaler.transform(xb))),
        ("network, raw columns", (xa, xb)),
    ]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(a.shape[1], 32), nn.ReLU(), nn.Linear(32, y_tab.max() + 1))
        a_t, b_t = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
        start = time.perf_counter()
        train(model, a_t, torch.tensor(ya), epochs=200, batch_size=len(ya))
        results.append((name, accuracy(model, b_t, torch.tensor(yb)), time.perf_counter() - start))
    for name, acc, seconds in results:
        print(f"{table_name:<14} {name:<24} {acc:9.3f}   {seconds:7.2f}")

# %% [markdown]
# ## Unstructured data: a shape anywhere in the image
#
# 12 × 12 noise images with a bright "+" or "x" at a random place; 1200 to train, 600 to
# test. Then every image's pixels are shuffled in one fixed order and the models retrained.

# %% alt="Eight noise images, each with a small bright plus or cross at a different place"
PLUS = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
CROSS = [(0, 0), (-1, -1), (1, 1), (-1, 1), (1, -1)]


def plus_or_cross(n, seed, size=12):
    g = torch.Generator().manual_seed(seed)
    x = 0.8 * torch.rand(n, 1, size, size, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    rows_, cols_ = (torch.randint(1, size - 1, (n,), generator=g) for _ in range(2))
    for i in range(n):
        for dr, dc in CROSS if y[i] else PLUS:
            x[i, 0, rows_[i] + dr, cols_[i] + dc] = 1.0
    return x, y


shapes_x, shapes_y = plus_or_cross(1200, seed=0)
shapes_test_x, shapes_test_y = plus_or_cross(600, seed=1)
fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for i, ax in enumerate(axes):
    ax.imshow(shapes_x[i, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("x" if shapes_y[i] else "+")
    ax.axis("off")
plt.show()


# %%
class ShapeCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)).amax(dim=(2, 3)))


order = torch.randperm(144, generator=torch.Generator().manual_seed(0))
print("pixels     model                 accuracy")
for pixels, (a, b) in [
    ("in place", (shapes_x, shapes_test_x)),
    (
        "shuffled",
        (
            shapes_x.flatten(1)[:, order].reshape(shapes_x.shape),
            shapes_test_x.flatten(1)[:, order].reshape(shapes_test_x.shape),
        ),
    ),
]:
    torch.manual_seed(0)
    cnn = train(ShapeCNN(), a, shapes_y, epochs=10)
    rows_a, rows_b = a.flatten(1).numpy(), b.flatten(1).numpy()
    logistic = LogisticRegression(max_iter=1000).fit(rows_a, shapes_y.numpy())
    svm = SVC().fit(rows_a, shapes_y.numpy())
    for name, acc in [
        ("CNN", accuracy(cnn, b, shapes_test_y)),
        ("logistic regression", logistic.score(rows_b, shapes_test_y.numpy())),
        ("SVM", svm.score(rows_b, shapes_test_y.numpy())),
    ]:
        print(f"{pixels:<10} {name:<20} {acc:9.3f}")
