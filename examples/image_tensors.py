# %% [markdown]
# # An image as a tensor
#
# The [Tensors](../../pytorch/tensors/) chapter says a colour image is a rank-3 tensor.
# This program takes a real photo that scikit-learn ships, looks at it as a
# `(height, width, channels)` tensor, splits its channels, converts it to PyTorch's
# `(channels, height, width)` layout (and shows what goes wrong with `reshape` instead of
# `permute`), resizes it to 224 × 224, and stacks two photos into a batch `(N, C, H, W)`,
# the shape every image model takes as input.
#
# Run it as a notebook, or as a plain script with `python image_tensors.py`.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle
from sklearn.datasets import load_sample_image

photo = torch.tensor(load_sample_image("china.jpg"))
print(f"shape {tuple(photo.shape)}, dtype {photo.dtype}, values {photo.min()}..{photo.max()}")

# %% [markdown]
# The shape reads `(height, width, channels)`: 427 rows of 640 pixels, each pixel three
# bytes (red, green, blue). matplotlib draws this layout directly.

# %% alt="The sample photo, a temple under a blue sky, drawn from its (427, 640, 3) tensor"
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.imshow(photo.numpy())  # matplotlib draws NumPy arrays of (H, W, C)
ax.set_title(f"photo: shape {tuple(photo.shape)}")
ax.axis("off")
plt.show()

# %% [markdown]
# ## Its three channels
#
# Indexing the last dimension picks one channel: a `(427, 640)` matrix of brightness values,
# from 0 (dark) to 255 (bright). The mean of each channel over three parts of the photo tells
# what the figure below shows.

# %%
regions = {  # (rows, columns) of three parts of the photo
    "sky": (slice(0, 120), slice(350, 640)),
    "roof tiles": (slice(80, 105), slice(160, 250)),
    "trees": (slice(330, 427), slice(420, 640)),
}
region_means = {
    name: photo[rows, cols].float().mean(dim=(0, 1)) for name, (rows, cols) in regions.items()
}
for name, means in region_means.items():
    red, green, blue = means.round().int().tolist()
    print(f"{name:>10}: red {red:3}, green {green:3}, blue {blue:3}")

# %% [markdown]
# Each channel is drawn in grey, so that a high value is bright. The sky is bright in all
# three channels, brightest in blue; the orange roof tiles are brighter in red than in green,
# and darkest in blue; the trees are dark in all three. The boxes mark the three parts.

# %% alt="The three channels in grey: the sky bright in all, the roof tiles darkest in blue"
fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
for channel, (ax, name) in enumerate(zip(axes, ["red", "green", "blue"], strict=True)):
    ax.imshow(photo[:, :, channel].numpy(), cmap="gray", vmin=0, vmax=255)
    for rows, cols in regions.values():
        box = Rectangle((cols.start, rows.start), cols.stop - cols.start, rows.stop - rows.start)
        box.set(fill=False, edgecolor="magenta", linewidth=1)
        ax.add_patch(box)
    sky, roof, trees = (means[channel] for means in region_means.values())
    ax.set_title(
        f"{name}: photo[:, :, {channel}]\nsky {sky:.0f}, roof {roof:.0f}, trees {trees:.0f}",
        fontsize=9,
    )
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Channels first
#
# PyTorch's layers expect `(channels, height, width)`, with a batch dimension in front.
# `permute` reorders the dimensions without copying a pixel.

# %%
chw = photo.permute(2, 0, 1)
print(
    "channels first:",
    tuple(chw.shape),
    "shares memory with photo:",
    chw.data_ptr() == photo.data_ptr(),
)

# %% [markdown]
# `photo.reshape(3, 427, 640)` has the same shape as `chw`, and it is wrong. `reshape` keeps
# the bytes in their `(H, W, C)` order (red, green, blue, red, green, blue, ...) and cuts
# them into three blocks. What it calls the red channel is the top third of the photo, its
# three colours side by side and each of its rows spread over three rows: the roof comes out
# stretched, striped and overlaid on itself. No error says so.

# %% alt="Red channel by permute, the whole photo, beside reshape's: its top, stretched and striped"
scrambled = photo.reshape(3, 427, 640)
print("same shape:", scrambled.shape == chw.shape, "same values:", torch.equal(scrambled, chw))
fig, axes = plt.subplots(1, 2, figsize=(7, 2.6))
for ax, tensor, title in [
    (axes[0], chw, "photo.permute(2, 0, 1)[0]"),
    (axes[1], scrambled, "photo.reshape(3, 427, 640)[0]"),
]:
    ax.imshow(tensor[0].numpy(), cmap="gray", vmin=0, vmax=255)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Resize
#
# `torch.nn.functional.interpolate` resizes the spatial dimensions, which must be the last
# two, of a float batch `(N, C, H, W)`.

# %%
batch = chw.unsqueeze(0).float() / 255
# Antialiased bilinear weights are never negative, so each output value is a weighted
# average of inputs in [0, 1]; float rounding can still put it a hair above 1.
resized = F.interpolate(batch, size=(224, 224), mode="bilinear", antialias=True)
print(f"largest value before clamping: {resized.max().item():.7f}")
resized = resized.clamp(0, 1)
print("as a batch of one:", tuple(batch.shape))
print("resized:", tuple(resized.shape))

# %% alt="The original 427 by 640 photo beside the same photo resized to 224 by 224"
fig, axes = plt.subplots(1, 2, figsize=(7, 3))
axes[0].imshow(photo.numpy())
axes[0].set_title("original 427 × 640")
axes[1].imshow(resized[0].permute(1, 2, 0).numpy())  # back to (H, W, C) for matplotlib
axes[1].set_title("resized 224 × 224")
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# The resize squeezes the wide photo into a square, as many image models' fixed input size
# requires. (Cropping to a square first would keep the proportions.)
#
# ## A batch of images
#
# Models process many images at once. `torch.stack` joins same-shaped images along a new
# first dimension, giving the `(N, C, H, W)` batch.


# %%
def to_model_input(image: torch.Tensor, size: int = 224) -> torch.Tensor:
    """A (H, W, 3) uint8 image as a (3, size, size) float tensor in [0, 1]."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != torch.uint8:
        raise ValueError(
            f"expected a (H, W, 3) uint8 image, got {tuple(image.shape)} {image.dtype}"
        )
    chw = image.permute(2, 0, 1).unsqueeze(0).float() / 255
    resized = F.interpolate(chw, size=(size, size), mode="bilinear", antialias=True)
    return resized[0].clamp(0, 1)  # float rounding can overshoot 1 by a hair


names = ["china.jpg", "flower.jpg"]
images = torch.stack([to_model_input(torch.tensor(load_sample_image(name))) for name in names])
print("batch:", tuple(images.shape), images.dtype)
print("per-image mean of each channel:\n", images.mean(dim=(2, 3)))

# %% alt="The two sample photos, a temple and a flower, as one (2, 3, 224, 224) batch"
fig, axes = plt.subplots(1, len(names), figsize=(6, 3))
for ax, image, name in zip(axes, images, names, strict=True):
    ax.imshow(image.permute(1, 2, 0).numpy())
    ax.set_title(f"{name}: {tuple(image.shape)}")
    ax.axis("off")
fig.suptitle(f"images: {tuple(images.shape)}")
plt.show()

# %% [markdown]
# Everything a vision model does starts from a tensor like `images`: the first
# convolution layer reads 3 input channels, and the batch dimension lets one call process
# every image.
