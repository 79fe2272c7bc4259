# %% [markdown]
# # Neural networks, drawn
#
# The figures for the [Neural networks](../../deep-learning/neural-networks/) and
# [Types of learning](../../deep-learning/types-of-learning/) chapters: the activation
# functions, what a network with and without them can separate, a loss curve, a
# Transformer's attention map, and an autoencoder's reconstructions. The chapters explain
# the code; this page trains the same small models and draws them. Every number here was
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
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import train_test_split
from torch import nn

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
# ## A Transformer's attention map
#
# One Transformer encoder layer learns to reverse sequences of eight digits (150 batches
# of 64). Each row of the map is an output position; the colours show how much it attends
# to each input position, averaged over heads and over 500 test sequences.


# %%
class Reverser(nn.Module):
    def __init__(self, length: int = 8, width: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(10, width)
        self.position = nn.Embedding(length, width)
        layer = nn.TransformerEncoderLayer(
            width, heads, dim_feedforward=64, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.out = nn.Linear(width, 10)

    def inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.embed(tokens) + self.position(torch.arange(tokens.shape[1]))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(self.encoder(self.inputs(tokens)))  # (batch, length, 10)

    def attention(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.inputs(tokens)
        return self.encoder.layers[0].self_attn(x, x, x, need_weights=True)[1]


torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
reverser = Reverser()
optimizer = torch.optim.Adam(reverser.parameters(), lr=0.01)
for _ in range(150):
    tokens = torch.randint(0, 10, (64, 8), generator=g)
    loss = F.cross_entropy(reverser(tokens).transpose(1, 2), tokens.flip(1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
test_tokens = torch.randint(0, 10, (500, 8), generator=g)
with torch.no_grad():
    predicted = reverser(test_tokens).argmax(dim=2)
    weights = reverser.attention(test_tokens).mean(dim=0)
print(f"token accuracy {(predicted == test_tokens.flip(1)).float().mean():.3f}")
print("input", test_tokens[0].tolist(), "-> output", predicted[0].tolist())

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
