"""Code embedded in docs/pytorch/gpus-and-tpus.md, one named section per embed.

Each section runs on its own in a fresh Python, in the order the page shows them.
"""

# --8<-- [start:device]
import torch


def available_devices() -> list[str]:
    """The devices PyTorch can use here: 'cpu', then each accelerator ('cuda:0', ...)."""
    names = ["cpu"]
    if torch.accelerator.is_available():
        kind = torch.accelerator.current_accelerator().type
        names += [f"{kind}:{index}" for index in range(torch.accelerator.device_count())]
    return names


def pick_device(requested: str | None = None) -> torch.device:
    """The device asked for, or by default the accelerator if there is one, else the CPU.

    Raises ValueError, naming the devices that are available, when the request is not one.
    """
    available = available_devices()
    if requested is None:
        return torch.device(available[1] if len(available) > 1 else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:  # not a device name PyTorch knows, such as "tpu"
        device = None
    if device is not None and device.type == "cpu" and device.index in (None, 0):
        device = torch.device("cpu")  # PyTorch has one CPU device: cpu:1 does not exist
    elif device is not None and device.index is None:
        device = torch.device(device.type, 0)  # "cuda" means the first CUDA device
    if device is None or str(device) not in available:
        raise ValueError(
            f"device {requested!r} is not available here. Available: {', '.join(available)}"
        )
    return device


# --8<-- [end:device]
