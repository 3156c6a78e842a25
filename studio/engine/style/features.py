"""Feature networks for style transfer: VGG-19 (user-supplied weights) and random multi-scale filters.

* ``vgg19``: the VGG-19 feature layers written out in plain torch (no torchvision),
  weights from ``STUDIO_HOME/models/style/`` in torchvision's state-dict layout
  (``features.N.weight``), as ``.safetensors`` or a ``.pth`` read with
  ``torch.load(weights_only=True)``. Layers: style relu1_1..relu5_1, content relu4_2.
* ``random``: needs no download. One layer of random convolution filters (fixed
  seed) applied to an image pyramid, after Ustyuzhaninov et al. 2016 ("Texture
  synthesis using shallow convolutional networks with random filters"): random
  single-layer features at several scales model textures well.

Every network maps a (B, 3, H, W) image in [0, 1] to a dict of named feature maps.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from studio.engine.errors import ModelLoadError, ModelNotFound
from studio.engine.style.settings import NETWORKS

_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)
# torchvision's vgg19 "E" configuration; indices in ``features`` match its state dict
_VGG19_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def style_models_dir() -> Path:
    from studio.paths import models_dir

    return models_dir() / "style"


class FeatureNet(nn.Module):
    """Base: ``name``, ``digest``, ``content_layers``, ``style_layers``, ``forward(x) -> {layer: map}``."""

    name = ""
    content_layers: tuple[str, ...] = ()
    style_layers: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1))

    @property
    def digest(self) -> str:
        """A short hash of the weights (the metadata's model hash)."""
        h = hashlib.sha256()
        for key, value in sorted(self.state_dict().items()):
            h.update(key.encode())
            h.update(value.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()[:10]

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class VGG19Features(FeatureNet):
    name = "vgg19"
    content_layers = ("relu4_2",)
    style_layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        self.layer_names: dict[int, str] = {}
        block, conv, channels = 1, 1, 3
        for item in _VGG19_CFG:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
                block, conv = block + 1, 1
                continue
            layers.append(nn.Conv2d(channels, item, 3, padding=1))
            layers.append(nn.ReLU(inplace=False))
            self.layer_names[len(layers) - 1] = f"relu{block}_{conv}"
            conv, channels = conv + 1, item
        self.features = nn.Sequential(*layers)
        wanted = set(self.content_layers) | set(self.style_layers)
        self._last = max(i for i, n in self.layer_names.items() if n in wanted)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        h = self.normalise(x)
        for i, layer in enumerate(self.features[: self._last + 1]):
            h = layer(h)
            name = self.layer_names.get(i)
            if name is not None:
                out[name] = h
        return out


class RandomMultiScale(FeatureNet):
    """Random filters (fixed seed) on a Gaussian image pyramid: level k sees the image at 1/2^k."""

    name = "random"
    SEED = 20
    LEVELS = 5
    CHANNELS = 128
    KERNEL = 5

    def __init__(self, seed: int = SEED) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        weight = torch.randn(self.LEVELS, self.CHANNELS, 3, self.KERNEL, self.KERNEL, generator=gen)
        weight = weight / weight.flatten(2).norm(dim=2)[..., None, None, None]  # unit-norm filters
        bias = (torch.rand(self.LEVELS, self.CHANNELS, generator=gen) - 0.5) * 0.5
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self.content_layers = ("level2",)
        self.style_layers = tuple(f"level{k}" for k in range(self.LEVELS))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        h = self.normalise(x)
        pad = self.KERNEL // 2
        for k in range(self.LEVELS):
            if k:
                if min(h.shape[-2:]) < 2 * self.KERNEL:
                    break  # too small to halve again: the coarse levels are left out
                h = _blur_down(h)
            out[f"level{k}"] = F.relu(F.conv2d(F.pad(h, (pad,) * 4, mode="reflect"), self.weight[k], self.bias[k]))
        return out


_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _blur_down(x: torch.Tensor) -> torch.Tensor:
    """Halve the size after a 5-tap binomial blur (a Gaussian pyramid): no block artefacts, unlike 2x2 pooling."""
    c = x.shape[1]
    k = _BINOMIAL.to(x)
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, 5).expand(c, 1, 1, 5), groups=c)
    x = F.conv2d(x, k.view(1, 1, 5, 1).expand(c, 1, 5, 1), groups=c)
    return x[..., ::2, ::2]


def vgg19_file() -> Path | None:
    """The VGG-19 weights file in ``models/style/`` (.safetensors first), or None."""
    folder = style_models_dir()
    if not folder.is_dir():
        return None
    for pattern in ("*vgg19*.safetensors", "*.safetensors", "*vgg19*.pth", "*vgg19*.pt", "*.pth", "*.pt"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a broken file to the user
        raise ModelLoadError(f"Could not read the VGG-19 weights {path.name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not isinstance(state, dict):
        raise ModelLoadError(f"{path.name} is not a state dict (torchvision's vgg19 layout is expected).")
    return state


def load_vgg19(path: Path) -> VGG19Features:
    state = _read_state_dict(path)
    net = VGG19Features()
    wanted = {k for k in net.state_dict() if k.startswith("features.")}
    picked = {}
    for key in wanted:
        value = state.get(key, state.get(key[len("features."):]))
        if value is None:
            raise ModelLoadError(f"{path.name} lacks {key}: not torchvision's vgg19 state-dict layout.")
        if tuple(value.shape) != tuple(net.state_dict()[key].shape):
            raise ModelLoadError(f"{path.name}: {key} has shape {tuple(value.shape)}, VGG-19 needs {tuple(net.state_dict()[key].shape)}.")
        picked[key] = value.float()
    net.load_state_dict(picked, strict=False)
    return net


def load_network(name: str = "auto") -> FeatureNet:
    """``auto`` (VGG-19 when its weights are installed, else random), ``vgg19`` or ``random``; in eval mode, frozen."""
    if name not in NETWORKS:
        raise ModelNotFound(f"Unknown feature network {name!r}; choose from {', '.join(NETWORKS)}.")
    path = vgg19_file() if name in ("auto", "vgg19") else None
    if name == "vgg19" and path is None:
        raise ModelNotFound(
            f"No VGG-19 weights in {style_models_dir()}: put torchvision's vgg19 state dict there "
            "(.safetensors, or .pth read weights-only), or use the random feature network."
        )
    net = load_vgg19(path) if path is not None else RandomMultiScale()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
