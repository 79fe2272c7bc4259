# %% [markdown]
# # Neural networks, drawn
#
# The figures for the [Neural networks](../../deep-learning/neural-networks/) and
# [Types of learning](../../deep-learning/types-of-learning/) chapters: the activation
# functions, what a network with and without them can separate, loss curves for three
# learning rates, gradients layer by layer in deep stacks, the simplest baselines beside
# the MLP and the GRU over five seeds, a Transformer's attention map with and without
# position embeddings, and an autoencoder's reconstructions. The chapters explain the
# code; this page trains the same small models and draws them. Every number here was
# measured when the site was built, on the build machine's CPU.
#
# Run it as a notebook, or as a plain script with `python neural_networks_drawn.py`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_moons
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

# %% [markdown]
# ## Activation functions
#
# ReLU, Sigmoid and Tanh, and their slopes (computed by autograd). The slope is what
# backpropagation multiplies by: Sigmoid's is at most 0.25 and fades to zero for large
# inputs, while ReLU's is exactly 1 for every positive input.

# %% alt="ReLU, Sigmoid and Tanh plotted from -4 to 4, beside their slopes"
z = torch.linspace(-4, 4, 201, requires_grad=True)
fig, (ax_value, ax_slope) = plt.subplots(1, 2, figsize=(8, 3))
for name, function in [("ReLU", torch.relu), ("Sigmoid", torch.sigmoid), ("Tanh", torch.tanh)]:
    (slope,) = torch.autograd.grad(function(z).sum(), z)
    ax_value.plot(z.detach(), function(z).detach(), label=name)
    ax_slope.plot(z.detach(), slope, label=name)
ax_value.set(title="value", xlabel="input")
ax_slope.set(title="slope (derivative)", xlabel="input")
for ax in (ax_value, ax_slope):
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## With and without an activation
#
# The same network, two hidden layers of 16, trained with and without ReLU between its
# layers on XOR (four points) and on the two moons (400 points to train, 200 to test).
# Each is trained with Adam for 300 full-batch steps, and the loss of every step is kept
# for the curves below.


# %%
def two_hidden_layers(activation: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(2, 16), activation, nn.Linear(16, 16), activation, nn.Linear(16, 2)
    )


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 300) -> list[float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


xor_x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
xor_y = torch.tensor([0, 1, 1, 0])
moons_x, moons_y = make_moons(600, noise=0.2, random_state=0)
moons_x, moons_y = torch.tensor(moons_x, dtype=torch.float32), torch.tensor(moons_y)
problems = {
    "XOR": (xor_x, xor_y, xor_x, xor_y),
    "two moons": (moons_x[:400], moons_y[:400], moons_x[400:], moons_y[400:]),
}
results = {}
for problem, (train_x, train_y, test_x, test_y) in problems.items():
    for name, activation in [("no activation", nn.Identity()), ("ReLU", nn.ReLU())]:
        model = two_hidden_layers(activation)
        losses = train(model, train_x, train_y)
        results[problem, name] = model, losses, accuracy(model, test_x, test_y)
        print(f"{problem:9}  {name:13}  test accuracy {results[problem, name][2]:.3f}")

# %% [markdown]
# Without an activation the network is one linear function, and on XOR the best a linear
# function can do is to give both classes probability 1/2 at every point: its loss is then
# ln 2 = 0.693. The two points of each class sit at opposite corners, and a linear function
# has the same average at both pairs of opposite corners, so a tilt that helps one corner of
# a class hurts the other as much; the cross-entropy's curve makes the loss it adds larger
# than the loss it saves. So the network has no boundary at all, and its accuracy is decided
# by rounding. The figures show the probability of
# class 1 (orange) that each network gives across the plane:

# %%
model = results["XOR", "no activation"][0]
with torch.no_grad():
    points = torch.rand(10_000, 2, generator=torch.Generator().manual_seed(0)) * 2 - 0.5
    flat = model(points).softmax(dim=1)[:, 1]
print(
    f"XOR without activation: loss {results['XOR', 'no activation'][1][-1]:.4f}, "
    f"probability of class 1 between {flat.min():.4f} and {flat.max():.4f} everywhere"
)

# %% alt="XOR without activation: probability 0.5 everywhere. Moons: straight boundary, ReLU curved"
fig, axes = plt.subplots(2, 2, figsize=(7, 6.4))
for row, (problem, (_, _, test_x, test_y)) in enumerate(problems.items()):
    low, high = test_x.min(0).values - 0.5, test_x.max(0).values + 0.5
    gx, gy = torch.meshgrid(
        torch.linspace(low[0], high[0], 150), torch.linspace(low[1], high[1], 150), indexing="xy"
    )
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1)
    for column, name in enumerate(["no activation", "ReLU"]):
        model, _, score = results[problem, name]
        with torch.no_grad():
            probability = model(grid).softmax(dim=1)[:, 1].reshape(gx.shape)
        ax = axes[row, column]
        ax.contourf(gx, gy, probability, levels=torch.linspace(0, 1, 11), cmap="PuOr_r")
        ax.scatter(test_x[:, 0], test_x[:, 1], c=test_y, cmap="coolwarm", s=12, edgecolors="k")
        ax.set_title(f"{problem}, {name}: accuracy {score:.2f}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Loss curves
#
# The training loss of the two-moons networks, step by step. The network without an
# activation stops improving early, at the best a straight line can do; the ReLU network
# keeps going down.

# %% alt="Training loss over 300 steps on two moons: the ReLU network ends far below the linear one"
fig, ax = plt.subplots(figsize=(5.5, 3))
for name in ["no activation", "ReLU"]:
    ax.plot(results["two moons", name][1], label=name)
ax.set(xlabel="step", ylabel="cross-entropy loss", title="two moons: training loss")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Learning rates
#
# The chapter's two-moons network (one hidden layer of 16) trained by plain SGD on all 600
# points for 100 steps, from the same starting weights, with three learning rates.


# %%
def sgd_losses(lr: float, seed: int = 0, steps: int = 100) -> list[float]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(moons_x), moons_y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


rate_losses = {lr: sgd_losses(lr) for lr in (0.005, 0.5, 50.0)}
for lr, losses in rate_losses.items():
    print(
        f"learning rate {lr:6}: loss {losses[0]:.3f} -> {losses[-1]:.3f}, highest {max(losses):.3g}"
    )


# %%
edge = {lr: [sgd_losses(lr, seed) for seed in range(10)] for lr in (2.0, 5.0, 20.0)}
for lr in (2.0, 5.0):
    last = [losses[-1] for losses in edge[lr]]
    print(f"learning rate {lr}, 10 seeds: final loss min {min(last):.3f} max {max(last):.3f}")
spike = [max(losses) / losses[0] for losses in edge[20.0]]
print(
    f"learning rate 20.0, 10 seeds: highest / first loss min {min(spike):.0f} max {max(spike):.0f}"
)
below = sum(losses[-1] < losses[0] for losses in edge[20.0])
print(f"learning rate 20.0: final loss below the first on {below} of 10 seeds")

# %% [markdown]
# Learning rates 2 and 5 train from every initialisation tried. At 20 the loss spikes to
# dozens or thousands of times its first value on every seed; where it ends is luck, and
# on some seeds it settles back below where it started. Such a rate is *unstable*.

# %% alt="Loss over 100 SGD steps: learning rate 0.005 barely falls, 0.5 falls, 50 jumps up"
fig, ax = plt.subplots(figsize=(5.5, 3))
for lr, losses in rate_losses.items():
    ax.plot(losses, label=f"lr {lr}")
ax.set(xlabel="step", ylabel="cross-entropy loss (log scale)", yscale="log")
ax.set_title("two moons: three learning rates")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Batch size: steps, not epochs
#
# The chapter's comparison, on five draws of the two moons (seed `s` sets the data, the
# initialisation and the shuffling): 400 points, SGD at learning rate 0.5, in batches of 20
# for 10 epochs (200 steps), and in one batch of 400 for 10 epochs (10 steps) and for 200
# epochs (200 steps). The number is the training loss at the end.


# %%
def training_loss_after(seed: int, batch_size: int, epochs: int) -> float:
    points, classes = make_moons(600, noise=0.2, random_state=seed)
    points = torch.tensor(points[:400], dtype=torch.float32)
    classes = torch.tensor(classes[:400])
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(400, generator=order).split(batch_size):
            loss = F.cross_entropy(model(points[batch]), classes[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        return F.cross_entropy(model(points), classes).item()


runs = [(20, 10), (400, 10), (400, 200)]  # (batch size, epochs)
batch_runs = np.array([[training_loss_after(seed, *run) for run in runs] for seed in range(5)])
small, one_10, one_200 = batch_runs.T
for label, values in [
    ("one batch, 10 steps, minus batches of 20, 200 steps:", one_10 - small),
    ("batches of 20 minus one batch, both 200 steps:", small - one_200),
]:
    print(f"batch size, 5 seeds: {label} min {values.min():+.3f} max {values.max():+.3f}")

# %% [markdown]
# In 10 epochs the small batches end far lower: they took 20 times as many steps. Given as
# many steps, the single batch ends a little lower still on every seed: the small batches'
# noise costs a little. So, at this size, the number of steps matters far more than the
# number of epochs.

# %% [markdown]
# ## Gradients layer by layer
#
# Stacks of 20 layers of 64 neurons, one batch of 256 random inputs and labels, and the
# gradient norm of each layer's weights after one backward pass. Each stack is built with
# five initialisation seeds; the ratio is the first layer's norm over the last hidden
# layer's. Xavier (Glorot) initialisation was designed for tanh, He (Kaiming) for ReLU; the
# sigmoid stack gets Xavier too, to show that it is not enough there.


# %%
def deep_stack(activation: type[nn.Module], init=None, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(20):
        linear = nn.Linear(64, 64)
        if init is not None:
            init(linear.weight)
            nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    return nn.Sequential(*layers, nn.Linear(64, 10))


def layer_gradient_norms(model: nn.Sequential, seed: int = 0) -> list[float]:
    noise = torch.Generator().manual_seed(seed)
    inputs = torch.randn(256, 64, generator=noise)
    targets = torch.randint(10, (256,), generator=noise)
    model.zero_grad()
    F.cross_entropy(model(inputs), targets).backward()
    return [layer.weight.grad.norm().item() for layer in model if isinstance(layer, nn.Linear)]


stacks = {
    "sigmoid, default init": (nn.Sigmoid, None),
    "sigmoid, Xavier init": (nn.Sigmoid, nn.init.xavier_normal_),
    "ReLU, default init": (nn.ReLU, None),
    "ReLU, He init": (nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
}
norms = {
    name: np.array([layer_gradient_norms(deep_stack(act, init, seed), seed) for seed in range(5)])
    for name, (act, init) in stacks.items()
}
for name, per_seed in norms.items():
    ratio = per_seed[:, 0] / per_seed[:, -2]
    print(f"{name:22} first/last hidden layer: min {ratio.min():.1e} max {ratio.max():.1e}")

# %% alt="Gradient norm per layer: sigmoid and default ReLU fall toward layer 1; He ReLU is level"
fig, ax = plt.subplots(figsize=(6, 3.4))
for name, per_seed in norms.items():
    layers = np.arange(1, per_seed.shape[1] + 1)
    line = ax.plot(layers, np.exp(np.log(per_seed).mean(0)), label=name)[0]
    ax.fill_between(layers, per_seed.min(0), per_seed.max(0), color=line.get_color(), alpha=0.2)
ax.set(xlabel="layer (1 = first)", ylabel="gradient norm (log scale)", yscale="log")
ax.set_title("20-layer stacks: five seeds, min to max")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Xavier raises the sigmoid stack's first-to-last ratio by some four orders of magnitude,
# but its gradient still vanishes: Xavier's derivation assumes an activation with slope 1
# and mean 0 around 0, as tanh has, while sigmoid's slope is at most 0.25 and its outputs
# are all positive. He initialisation keeps the ReLU stack's gradient level.

# %% [markdown]
# ## The simplest baselines, over five seeds
#
# The chapter's MLP on the digits (30 epochs of Adam, batches of 64 reshuffled every
# epoch) beside logistic regression, a 1-nearest-neighbour lookup and an SVM (scikit-learn's
# default `SVC`) on the same pixels, on five stratified splits. The MLP is also trained on a
# list of its loader's batches made once, which replays one shuffle in every epoch. And the
# chapter's GRU forecaster of a noisy sine beside least squares on the same 20 values and
# the last value. Seed `s` sets the split (or the data) and the initialisation.

# %%
digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)
labels = torch.tensor(digits.target)


def train_batches(model: nn.Module, loader, epochs: int, lr: float, loss_fn=F.cross_entropy):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()


def digits_mlp(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10)
    )


scores = {name: [] for name in ["MLP", "MLP, frozen batches", "logistic regression", "1-NN", "SVC"]}
for seed in range(5):
    split = train_test_split(images, labels, test_size=0.25, stratify=labels, random_state=seed)
    train_x, test_x, train_y, test_y = split
    order = torch.Generator().manual_seed(seed)
    dataset = TensorDataset(train_x, train_y)
    # The batches of DataLoader(dataset, 64, shuffle=True, generator=order), each fetched by
    # one indexing operation instead of 64 (batch_size=None: the sampler gives whole batches).
    shuffled = BatchSampler(RandomSampler(dataset, generator=order), 64, drop_last=False)
    loader = DataLoader(dataset, sampler=shuffled, batch_size=None, generator=order)
    for name, batches in [("MLP", loader), ("MLP, frozen batches", list(loader))]:
        mlp = digits_mlp(seed)
        train_batches(mlp, batches, epochs=30, lr=1e-2)
        scores[name].append(accuracy(mlp, test_x, test_y))
    pixels, test_pixels = train_x.flatten(1).numpy(), test_x.flatten(1).numpy()
    for name, classic in [
        ("logistic regression", LogisticRegression(max_iter=1000)),
        ("1-NN", KNeighborsClassifier(n_neighbors=1)),
        ("SVC", SVC()),
    ]:
        scores[name].append(classic.fit(pixels, train_y.numpy()).score(test_pixels, test_y.numpy()))
scores = {name: np.array(values) for name, values in scores.items()}
for name, values in scores.items():
    print(f"digits, 5 splits: {name} min {values.min():.3f} max {values.max():.3f}")
for name, values in [
    ("MLP minus logistic regression", scores["MLP"] - scores["logistic regression"]),
    ("MLP with frozen batches minus MLP", scores["MLP, frozen batches"] - scores["MLP"]),
]:
    print(f"digits, 5 splits: {name} min {values.min():+.3f} max {values.max():+.3f}")
wins = int((scores["1-NN"] > scores["MLP"]).sum())
print(f"digits: 1-NN beats the MLP on {wins} of 5 splits")

# %% [markdown]
# The MLP and logistic regression stay within 3 points of each other on every split: on
# 8 × 8 digits a small MLP buys nothing over a linear model. The strongest simple baselines
# are the 1-nearest-neighbour lookup, which trains nothing, and the SVM: both reach about
# 98–99 %, above the MLP on every split. Freezing one shuffle cost the MLP up to about 4
# points on one split here and gained it at most 1 on another: not a reliable effect at
# this size, but a `DataLoader` reshuffles every epoch at no cost.


# %%
# --8<-- [start:sine]
import math

import torch
from torch import nn


def noisy_sine(n: int, window: int = 20, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` windows of a noisy sine wave, (n, window, 1), and the clean value that follows each."""
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    clean = torch.sin(phase + 0.3 * torch.arange(window + 1))
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=g)
    return noisy[:, :window, None], clean[:, window]


class Forecaster(nn.Module):
    """A GRU reads the window step by step; a linear layer turns its last state into a value."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.gru = nn.GRU(input_size=1, hidden_size=hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(x)  # (batch, time, hidden): the state after every step
        return self.head(states[:, -1]).squeeze(-1)


# --8<-- [end:sine]


def with_constant(windows: torch.Tensor) -> torch.Tensor:
    return torch.cat([windows[:, :, 0], torch.ones(len(windows), 1)], dim=1)


ratios = {"GRU": [], "least squares": []}
for seed in range(5):
    train_windows, train_next = noisy_sine(512, seed=2 * seed)
    test_windows, test_next = noisy_sine(256, seed=2 * seed + 1)
    torch.manual_seed(seed)
    forecaster = Forecaster()
    batches = list(zip(train_windows.split(64), train_next.split(64), strict=True))
    train_batches(forecaster, batches, epochs=10, lr=0.01, loss_fn=F.mse_loss)
    last_value = F.mse_loss(test_windows[:, -1, 0], test_next).item()
    with torch.no_grad():
        ratios["GRU"].append(F.mse_loss(forecaster(test_windows), test_next).item() / last_value)
    solution = torch.linalg.lstsq(with_constant(train_windows), train_next[:, None]).solution
    linear = F.mse_loss(with_constant(test_windows) @ solution, test_next[:, None]).item()
    ratios["least squares"].append(linear / last_value)
ratios = {name: np.array(values) for name, values in ratios.items()}
for name, values in ratios.items():
    print(
        f"noisy sine, 5 seeds: {name} error / last-value error "
        f"min {values.min():.3f} max {values.max():.3f}"
    )
wins = int((ratios["least squares"] < ratios["GRU"]).sum())
print(f"noisy sine: least squares beats the GRU on {wins} of 5 seeds")

# %% [markdown]
# Both models cut the last value's error many times over, and with this short training
# (10 epochs) least squares does better than the GRU on every seed: a sine's next value is a
# linear function of the values before it, and averaging away noise is linear too. That
# makes least squares the baseline to beat, not the best possible forecaster (the best guess
# of a clean sine from noisy samples is not exactly linear): the win is this training
# budget's, not a limit of the GRU. A GRU is for what a fixed linear window cannot do:
# memory that reaches far back or a varying distance, sequences of different lengths,
# non-linear dynamics.

# %% [markdown]
# ## A Transformer's attention map
#
# One Transformer encoder layer learns to reverse sequences of eight digits (100 batches
# of 64), with and without its position embeddings, from five seeds each. Each row of the
# map (seed 0, with positions) is an output position; the colours show how much it attends
# to each input position, averaged over heads and over 500 test sequences.


# %%
class Reverser(nn.Module):
    def __init__(
        self, length: int = 8, width: int = 32, heads: int = 4, positions: bool = True
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, width)
        self.position = nn.Embedding(length, width) if positions else None
        layer = nn.TransformerEncoderLayer(
            width, heads, dim_feedforward=64, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.out = nn.Linear(width, 10)

    def inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens)
        if self.position is not None:
            x = x + self.position(torch.arange(tokens.shape[1]))
        return x

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        scores = self.out(self.encoder(self.inputs(tokens)))  # (batch, length, 10)
        return scores.transpose(1, 2)  # (batch, 10, length), as in the chapter

    def attention(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.inputs(tokens)
        return self.encoder.layers[0].self_attn(x, x, x, need_weights=True)[1]


def train_reverser(seed: int, positions: bool = True) -> tuple[Reverser, torch.Tensor, float]:
    """Train on 100 batches of 64; the model, 500 test sequences and its token accuracy."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = Reverser(positions=positions)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(100):
        tokens = torch.randint(0, 10, (64, 8), generator=g)
        loss = F.cross_entropy(model(tokens), tokens.flip(1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test_tokens = torch.randint(0, 10, (500, 8), generator=g)
    model.eval()
    with torch.no_grad():
        predicted = model(test_tokens).argmax(dim=1)
    return model, test_tokens, (predicted == test_tokens.flip(1)).float().mean().item()


reverser, test_tokens, token_accuracy = train_reverser(0)
with torch.no_grad():
    predicted = reverser(test_tokens).argmax(dim=1)
    weights = reverser.attention(test_tokens).mean(dim=0)
print(f"token accuracy {token_accuracy:.3f}")
print("input", test_tokens[0].tolist(), "-> output", predicted[0].tolist())
with_positions = [token_accuracy] + [train_reverser(seed)[2] for seed in range(1, 5)]
without_positions = [train_reverser(seed, positions=False)[2] for seed in range(5)]
for label, accuracies in [("with", with_positions), ("without", without_positions)]:
    print(
        f"reversal, 5 seeds, {label} position embeddings: "
        f"token accuracy min {min(accuracies):.3f} max {max(accuracies):.3f}"
    )

# %% alt="Attention map of the reversing Transformer: anti-diagonal, output i reads input 7-i"
fig, ax = plt.subplots(figsize=(4, 3.6))
image = ax.imshow(weights.numpy(), cmap="viridis", vmin=0, vmax=1)
ax.set(xlabel="input position", ylabel="output position", title="attention weights")
ax.set_xticks(range(8))
ax.set_yticks(range(8))
fig.colorbar(image, ax=ax, shrink=0.8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## An autoencoder's reconstructions
#
# An autoencoder (the unsupervised example of the Types of learning chapter) squeezes each
# digit into 10 numbers and rebuilds it from them. It is compared with PCA, which keeps 10
# numbers too. Then the codes and the raw pixels are each clustered into 10 groups, and
# the adjusted Rand index (ARI) says how well the groups match the digits (1 is perfect,
# 0 is chance).

# %%
digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)
labels = torch.tensor(digits.target)
train_images, test_images, _, test_labels = train_test_split(
    images, labels, test_size=0.25, stratify=labels, random_state=0
)
torch.manual_seed(0)
encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
decoder = nn.Sequential(
    nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.Sigmoid(), nn.Unflatten(1, (1, 8, 8))
)
autoencoder = nn.Sequential(encoder, decoder)
optimizer = torch.optim.Adam(autoencoder.parameters(), lr=3e-3)
order = torch.Generator().manual_seed(0)
for _ in range(40):
    for batch in train_images[torch.randperm(len(train_images), generator=order)].split(64):
        loss = F.mse_loss(autoencoder(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
with torch.no_grad():
    rebuilt = autoencoder(test_images).numpy()
    codes = encoder(test_images).numpy()
flat_train, flat_test = train_images.flatten(1).numpy(), test_images.flatten(1).numpy()
pca = PCA(n_components=10).fit(flat_train)
pca_rebuilt = pca.inverse_transform(pca.transform(flat_test))


def agreement(points: np.ndarray) -> float:
    clusters = KMeans(n_clusters=10, n_init=10, random_state=0).fit_predict(points)
    return adjusted_rand_score(test_labels.numpy(), clusters)


print("reconstruction error (mean squared, pixels in [0, 1]):")
print(f"  autoencoder {((rebuilt - test_images.numpy()) ** 2).mean():.4f}")
print(f"  PCA         {((pca_rebuilt - flat_test) ** 2).mean():.4f}")
print("clusters against the true digits (ARI):")
print(f"  autoencoder codes {agreement(codes):.3f}")
print(f"  raw pixels        {agreement(flat_test):.3f}")

# %% alt="Ten test digits (top) above the autoencoder's reconstructions from 10 numbers each"
fig, axes = plt.subplots(2, 10, figsize=(8, 1.9))
for column in range(10):
    axes[0, column].imshow(test_images[column, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
    axes[1, column].imshow(rebuilt[column, 0], cmap="gray_r", vmin=0, vmax=1)
for ax in axes.flat:
    ax.axis("off")
axes[0, 0].set_title("original", fontsize=8, loc="left")
axes[1, 0].set_title("rebuilt from 10 numbers", fontsize=8, loc="left")
fig.tight_layout()
plt.show()
