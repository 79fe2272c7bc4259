# %% [markdown]
# # Training a CNN on the digits, end to end
#
# This program trains a small convolutional network (CNN) on scikit-learn's handwritten digits
# the way a real project does. It keeps a test set aside, and lets a validation set make
# the choices: which epoch's weights to keep, and the SVM's settings. It draws the training
# and validation curves, the confusion matrix and the digits it gets wrong. It saves the
# weights and loads them back. Two classic models, an SVM and logistic regression, are
# trained on the same split and scored against it. Finally it repeats the whole experiment
# with four other seeds, to see how much of the result is luck.
#
# The [Neural networks](../../deep-learning/neural-networks/) chapter explains each part. Its
# training loop, `fit` and `evaluate`, is the one defined below: copy it into your own project.
# The [Types of learning](../../deep-learning/types-of-learning/) chapter calls this
# *supervised* learning: every training image comes with its label.
#
# Run it as a notebook, or as a plain script with `python digits_cnn.py`. Every number on
# this page was measured when the site was built, on the build machine's CPU.

# %%
import copy
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC
from torch import nn
from torch.utils.data import DataLoader, Dataset

SEED = 0
torch.manual_seed(SEED)  # on CPU: the same weights, batches and results on every run
device = (
    torch.accelerator.current_accelerator()
    if torch.accelerator.is_available()
    else torch.device("cpu")
)
print("training on", device)

# %% [markdown]
# ## The data, split three ways
#
# The digits are 1797 images of 8 × 8 pixels with 17 grey levels (0 to 16). A quarter is set
# aside as the **test** set and not touched until the end: it decides nothing. From the
# rest, 15 % becomes a **validation** set, which shows how training is going and makes every
# choice below. The network learns from the remaining **training** set. `stratify` keeps
# the ten digits in the same proportions in every part.

# %%
digits = load_digits()
images = digits.images / 16  # (1797, 8, 8), grey levels scaled to [0, 1]
labels = digits.target
x_rest, x_test, y_rest, y_test = train_test_split(
    images, labels, test_size=0.25, stratify=labels, random_state=SEED
)
x_train, x_val, y_train, y_val = train_test_split(
    x_rest, y_rest, test_size=0.15, stratify=y_rest, random_state=SEED
)
print(f"train {len(x_train)}, validation {len(x_val)}, test {len(x_test)} images")

# %% [markdown]
# ## A Dataset and its DataLoaders
#
# A `Dataset` says how many examples there are and how to fetch one as tensors. A
# `DataLoader` turns it into batches, shuffled for training (with its own seeded generator,
# so the order is the same on every run). Convolutions expect a channel dimension:
# each image becomes `(1, 8, 8)`.


# %%
class DigitsDataset(Dataset):
    """Digit images (n, 8, 8) in [0, 1] with their labels, as (1, 8, 8) float tensors."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        if images.ndim != 3 or images.shape[1:] != (8, 8) or len(images) != len(labels):
            raise ValueError(
                f"expected images of shape (n, 8, 8) and n labels, "
                f"got {images.shape} and {len(labels)} labels"
            )
        self.images = torch.tensor(images, dtype=torch.float32).unsqueeze(1)
        self.labels = torch.tensor(labels, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]


train_loader = DataLoader(
    DigitsDataset(x_train, y_train),
    batch_size=64,
    shuffle=True,
    generator=torch.Generator().manual_seed(SEED),
)
val_loader = DataLoader(DigitsDataset(x_val, y_val), batch_size=512)
test_loader = DataLoader(DigitsDataset(x_test, y_test), batch_size=512)
batch_images, batch_labels = next(iter(train_loader))
print("one batch:", tuple(batch_images.shape), tuple(batch_labels.shape))

# %% [markdown]
# ## The network
#
# Two convolution layers, each followed by batch normalisation and a ReLU, find strokes and
# their combinations; max pooling halves the 8 × 8 grid to 4 × 4; a fully connected layer
# and the output layer turn those features into ten scores, one per digit.


# %%
class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # (32, 8, 8) -> (32, 4, 4)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


model = DigitsCNN().to(device)
print(f"{sum(p.numel() for p in model.parameters()):,} parameters")

# %% [markdown]
# ## The training loop
#
# `evaluate` measures a model on a loader without computing gradients. `fit` runs the
# training loop: for every batch a forward pass, the loss, backpropagation (`backward`) and
# an optimizer step. After each epoch it evaluates on the validation set, and it returns one
# record per epoch. Both work for any model whose output the loss function accepts, on
# whatever device the model lives on. Accuracy is computed when the targets are class indices.

# %%
# --8<-- [start:fit]
from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def evaluate(
    model: nn.Module, loader: Iterable[Batch], loss_fn: LossFn = F.cross_entropy
) -> dict[str, float]:
    """Mean loss over a loader and, for class-index targets, the accuracy."""
    device = next(model.parameters()).device
    model.eval()  # dropout off, batch norm uses its running statistics
    total_loss, count, correct, predicted = 0.0, 0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = model(inputs)
            total_loss += loss_fn(outputs, targets).item() * len(targets)
            count += len(targets)
            if not targets.is_floating_point():  # class indices: outputs are class scores
                correct += (outputs.argmax(dim=1) == targets).sum().item()
                predicted += targets.numel()
    if count == 0:
        raise ValueError("evaluate() needs a loader with at least one batch")
    metrics = {"loss": total_loss / count}
    if predicted:
        metrics["accuracy"] = correct / predicted
    return metrics


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    loss_fn: LossFn = F.cross_entropy,
    val_loader: Iterable[Batch] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> list[dict[str, float]]:
    """Train for `epochs` passes over `train_loader`; one record of metrics per epoch.

    `train_loader` is read once per epoch, so it must be re-iterable (a DataLoader or a
    list of batches, not a generator). The scheduler, if any, steps after every batch, as
    per-batch schedules such as OneCycleLR expect.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    device = next(model.parameters()).device
    history = []
    for epoch in range(1, epochs + 1):
        model.train()  # dropout on, batch norm uses the batch's statistics
        total_loss, count = 0.0, 0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            loss = loss_fn(model(inputs), targets)  # forward pass and loss
            optimizer.zero_grad()
            loss.backward()  # backpropagation: the gradient of the loss for every weight
            optimizer.step()  # update every weight from its gradient (SGD: w -= lr * grad)
            if scheduler is not None:
                scheduler.step()
            total_loss += loss.item() * len(targets)
            count += len(targets)
        if count == 0:
            raise ValueError(
                f"epoch {epoch} got no batches: train_loader is empty, or is a generator "
                "used up by an earlier epoch; pass a DataLoader or a list of batches"
            )
        record = {"epoch": epoch, "train_loss": total_loss / count}
        if val_loader is not None:
            metrics = evaluate(model, val_loader, loss_fn)
            record |= {f"val_{name}": value for name, value in metrics.items()}
        history.append(record)
    return history


# --8<-- [end:fit]

# %% [markdown]
# ## Training, and the checkpoint the validation set chooses
#
# AdamW (its `weight_decay=1e-2` is the default, written out to be seen) with a one-cycle
# learning-rate schedule: the rate rises, then falls to almost zero, and Adam's momentum
# (`beta1`) moves the other way, between 0.95 and 0.85. Label smoothing trains the network
# towards about 91 % confidence rather than 100 %. Eight epochs.
#
# `fit` steps the scheduler after every batch, which is what OneCycleLR expects (its
# `total_steps` counts batches). A schedule defined in epochs, such as `StepLR` or
# `CosineAnnealingLR(T_max=epochs)`, would then move `len(train_loader)` times too fast: give
# it steps counted in batches, or call its `step()` once per epoch yourself.
#
# A network can **overfit**: learn its training images, noise included, so well that it
# gets worse on images it has not seen. It shows when the validation loss turns upward while
# the training loss keeps falling. So after every epoch the loop scores the validation set,
# keeps a copy of the weights whenever the validation loss is the lowest so far, and at the
# end restores the best copy. *Early stopping* goes one step further: it also stops
# training once the validation loss has not improved for a few epochs (its *patience*),
# which saves the compute of the remaining epochs. The test set plays no part in this choice.


# %%
EPOCHS = 8


def train_keeping_best(
    model: nn.Module, train_loader: DataLoader, val_loader: DataLoader, epochs: int = EPOCHS
) -> tuple[list[dict[str, float]], int]:
    """Train, then restore the weights of the epoch with the lowest validation loss.

    Returns one record of metrics per epoch, and the epoch whose weights were kept.
    """
    optimizer = torch.optim.AdamW(model.parameters(), weight_decay=1e-2)  # OneCycleLR sets lr
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1e-2, total_steps=epochs * len(train_loader)
    )
    smoothed = nn.CrossEntropyLoss(label_smoothing=0.1)
    history, best_loss, best_epoch, best_weights = [], float("inf"), 0, {}
    for epoch in range(1, epochs + 1):
        record = fit(model, train_loader, optimizer, 1, smoothed, val_loader, scheduler)[0]
        history.append(record | {"epoch": epoch})
        if record["val_loss"] < best_loss:
            best_loss, best_epoch = record["val_loss"], epoch
            best_weights = copy.deepcopy(model.state_dict())  # a copy, not a live view
    model.load_state_dict(best_weights)
    return history, best_epoch


start = time.perf_counter()
history, best_epoch = train_keeping_best(model, train_loader, val_loader)
train_seconds = time.perf_counter() - start

for record in history:
    print(
        f"epoch {record['epoch']:2d}  train loss {record['train_loss']:.3f}  "
        f"val loss {record['val_loss']:.3f}  val accuracy {record['val_accuracy']:.3f}"
    )
print(f"training took {train_seconds:.1f} s; kept the weights of epoch {best_epoch}")

# %% [markdown]
# The losses include label smoothing, so they cannot reach zero: with 10 classes, the
# smallest possible smoothed loss is about 0.5. The training loss is the mean over each
# epoch's batches, measured with dropout on while the weights still change, so it sits a
# little above what the same weights score on the training images at the epoch's end.
#
# Here the two curves fall together and the validation loss barely rises at the end, if at
# all: weight decay, dropout, label smoothing and a schedule that ends with tiny steps keep
# this network from overfitting 1144 images in 8 epochs. The kept epoch is one of the last
# (the five seeds at the end of this page show which). The gap between training and
# validation accuracy, measured with the same kept weights, says how much it overfits:

# %%
kept_train = evaluate(model, DataLoader(DigitsDataset(x_train, y_train), batch_size=512))
kept_val = evaluate(model, val_loader)
print(
    f"kept epoch {best_epoch}: training accuracy {kept_train['accuracy']:.3f}, "
    f"validation accuracy {kept_val['accuracy']:.3f}"
)

# %% alt="Losses fall together, kept epoch marked; validation accuracy above 0.98 from epoch 3 of 8"
epochs = [record["epoch"] for record in history]
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3))
ax_loss.plot(epochs, [r["train_loss"] for r in history], marker="o", label="training")
ax_loss.plot(epochs, [r["val_loss"] for r in history], marker="o", label="validation")
ax_loss.axvline(best_epoch, color="gray", linestyle="--", label="kept epoch")
ax_loss.set(xlabel="epoch", ylabel="loss (label-smoothed)", title="loss")
ax_loss.legend()
ax_acc.plot(epochs, [r["val_accuracy"] for r in history], marker="o", color="tab:green")
ax_acc.axvline(best_epoch, color="gray", linestyle="--")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy", ylim=(0.8, 1.005))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Test accuracy, against classic models
#
# The support vector machine (SVC) and logistic regression see the same 64 pixel values of
# the same training images. An SVM with an RBF kernel has two settings that matter, `C`
# (how hard it tries to classify every training image right) and `gamma` (how far each
# image's influence reaches). Like the epoch above, they are chosen on the validation set:
# each pair in a small grid is trained on the training set and scored on the validation set.
# With 203 validation images, accuracy moves in steps of half a point, so several pairs can
# tie for the best score; the first of them (the smallest `C`) is kept, and the line below
# says how many tied. With more time, cross-validation on training and validation images
# together (`GridSearchCV(SVC(), grid, cv=5)`) breaks such ties with five scores per pair.
# Logistic regression keeps scikit-learn's default regularisation.


# %%
def flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)  # (n, 8, 8) -> (n, 64)


def tuned_svc(x_train, y_train, x_val, y_val) -> tuple[SVC, int]:
    """The SVC whose C and gamma score best on the validation set (the first, on a tie),
    and how many of the grid's settings share that best score."""
    grid = [SVC(C=c, gamma=gamma) for c in (1, 3, 10, 30) for gamma in ("scale", 0.01, 0.03)]
    scores = [svc.fit(flat(x_train), y_train).score(flat(x_val), y_val) for svc in grid]
    return grid[int(np.argmax(scores))], scores.count(max(scores))


svc, tied = tuned_svc(x_train, y_train, x_val, y_val)
print(
    f"chosen on the validation set: C={svc.C}, gamma={svc.gamma} "
    f"({tied} of 12 settings share the best validation score)"
)

# %% [markdown]
# Now, once, the test set:

# %%
test_accuracy = evaluate(model, test_loader)["accuracy"]
svc_accuracy = svc.score(flat(x_test), y_test)
default_svc_accuracy = SVC().fit(flat(x_train), y_train).score(flat(x_test), y_test)
logistic = LogisticRegression(max_iter=2000).fit(flat(x_train), y_train)
lr_accuracy = logistic.score(flat(x_test), y_test)
print(f"CNN                     {test_accuracy:.3f}")
print(f"SVC, tuned              {svc_accuracy:.3f}")
print(f"SVC, default settings   {default_svc_accuracy:.3f}")
print(f"logistic regression     {lr_accuracy:.3f}")

# %% [markdown]
# ## What it gets wrong
#
# The confusion matrix counts, for each true digit (row), what the network predicted
# (column): the diagonal holds the right answers.

# %%
model.eval()
with torch.no_grad():
    test_images = torch.tensor(x_test, dtype=torch.float32).unsqueeze(1).to(device)
    predictions = model(test_images).argmax(dim=1).cpu().numpy()
matrix = confusion_matrix(y_test, predictions)
wrong = np.flatnonzero(predictions != y_test)
print(f"{len(wrong)} of {len(y_test)} test digits wrong")

# %% alt="Confusion matrix of the test set: almost all counts lie on the diagonal"
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.imshow(matrix, cmap="Blues")
for (row, column), count in np.ndenumerate(matrix):
    if count:
        ax.text(
            column,
            row,
            count,
            ha="center",
            va="center",
            fontsize=8,
            color="white" if count > matrix.max() / 2 else "black",
        )
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true digit")
ax.set_title("confusion matrix (test set)")
plt.show()

# %% alt="The test digits the network got wrong, each titled with its true label and the prediction"
shown = min(max(len(wrong), 1), 12)  # at most 12: a broken run gets hundreds wrong
fig, axes = plt.subplots(1, shown, figsize=(max(1.4 * shown, 3), 1.8), squeeze=False)
for ax, index in zip(axes[0], wrong, strict=False):
    ax.imshow(x_test[index], cmap="gray_r")
    ax.set_title(f"true {y_test[index]}\npredicted {predictions[index]}", fontsize=9)
for ax in axes[0]:
    ax.axis("off")
if len(wrong) > shown:
    fig.suptitle(f"the first {shown} of {len(wrong)} wrong on the test set")
else:
    fig.suptitle("wrong on the test set" if len(wrong) else "no test digit wrong")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Save the weights, load them back
#
# `state_dict()` holds every learned tensor by name, and the batch-norm running statistics.
# Saving it (rather than pickling the whole model object) stores no reference to this
# program's classes: any code that builds the same layers can load it, as a fresh
# `DigitsCNN` does here. `weights_only=True` (the default since PyTorch 2.6) loads tensors and
# plain containers (dicts, lists, numbers, strings), never arbitrary Python objects.

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "digits_cnn.pt"
    torch.save(model.state_dict(), path)
    print(f"saved {path.name}: {path.stat().st_size / 1024:.0f} KiB")
    reloaded = DigitsCNN().to(device)
    reloaded.load_state_dict(torch.load(path, weights_only=True))
reloaded.eval()
with torch.no_grad():
    same = torch.equal(reloaded(test_images).argmax(dim=1).cpu(), torch.tensor(predictions))
print("reloaded model gives the same predictions:", same)

# %% [markdown]
# ## Is it luck? Four more seeds
#
# One split and one initialisation can flatter a model by a few images. The function below
# repeats the whole experiment (split, initial weights, batch order, the validation choices,
# the test) for another seed; seed 0 is the run above. Each row counts the test images each
# model gets wrong, out of 450.


# %%
def experiment(seed: int) -> dict[str, float]:
    """The whole experiment above for one seed: test accuracies and the kept epoch."""
    torch.manual_seed(seed)
    x_rest, x_test, y_rest, y_test = train_test_split(
        images, labels, test_size=0.25, stratify=labels, random_state=seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=0.15, stratify=y_rest, random_state=seed
    )
    train_loader = DataLoader(
        DigitsDataset(x_train, y_train),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    val_loader = DataLoader(DigitsDataset(x_val, y_val), batch_size=512)
    test_loader = DataLoader(DigitsDataset(x_test, y_test), batch_size=512)
    model = DigitsCNN().to(device)
    _, kept_epoch = train_keeping_best(model, train_loader, val_loader)
    logistic = LogisticRegression(max_iter=2000).fit(flat(x_train), y_train)
    return {
        "kept epoch": kept_epoch,
        "CNN": evaluate(model, test_loader)["accuracy"],
        "SVC": tuned_svc(x_train, y_train, x_val, y_val)[0].score(flat(x_test), y_test),
        "LR": logistic.score(flat(x_test), y_test),
    }


runs = {0: {"kept epoch": best_epoch, "CNN": test_accuracy, "SVC": svc_accuracy, "LR": lr_accuracy}}
runs |= {seed: experiment(seed) for seed in range(1, 5)}
print("seed  kept epoch  wrong of 450: CNN  SVC (tuned)  logistic regression")
for seed, run in runs.items():
    wrong = {name: round(450 * (1 - run[name])) for name in ("CNN", "SVC", "LR")}
    print(
        f"{seed:4d}  {run['kept epoch']:10d}  {wrong['CNN']:17d}  {wrong['SVC']:11d}  "
        f"{wrong['LR']:19d}"
    )
for name in ("CNN", "SVC", "LR"):
    scores = [run[name] for run in runs.values()]
    print(f"{name} test accuracy over 5 seeds: {min(scores):.3f} to {max(scores):.3f}")
leads = [round(450 * (run["CNN"] - run["SVC"])) for run in runs.values()]
print(f"CNN's lead over the tuned SVC: {min(leads)} to {max(leads)} images of 450")

# %% [markdown]
# ## The result
#
# On every seed the kept epoch is one of the last, and the CNN beats logistic regression by
# a few points. Against the SVM, tuned on the same validation set, it is ahead on most
# seeds, by a handful of test images of 450 at most, and never more than one image behind
# (the last line above gives the range): a lead within what the random seed changes. On 8 × 8
# centred digits a tuned classic model is a strong baseline. Where a CNN
# pulls clearly ahead is on images whose content moves around: see the shapes at random
# places in [Machine learning vs deep learning](../../deep-learning/ml-vs-dl/).

# %%
print(
    f"test accuracy {100 * test_accuracy:.1f} % after {train_seconds:.1f} s of training "
    f"(tuned SVC {100 * svc_accuracy:.1f} %, logistic regression {100 * lr_accuracy:.1f} %)"
)
