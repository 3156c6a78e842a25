"""Small learned latent->RGB decoders for live previews.

Two kinds load here, both taking the *scaled* latents the UNet works on and
giving RGB in [-1, 1]:

- Studio's own sub-pixel decoder (``config.json`` with ``_class_name``
  ``StudioPreviewDecoder``): a few 3x3 convolutions at latent resolution, a
  pixel shuffle to 1/``fine_stride`` of the image, one more block there and a
  pixel shuffle to full size. All work happens at low resolution, so a
  128x128 preview costs a few milliseconds on one CPU thread. (A TAESD-layout
  ``AutoencoderTiny`` runs 3x3 convolutions at full resolution: 7-40 ms for the
  same preview on one thread, more than the 5% of a step the preview may use.)
- TAESD-family decoders (``taesd_decoder.safetensors`` and friends, or a
  diffusers ``AutoencoderTiny`` folder), loaded as ``diffusers.AutoencoderTiny``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

CLASS_NAME = "StudioPreviewDecoder"
WEIGHTS = "diffusion_pytorch_model.safetensors"

DEFAULT_CONFIG = {
    "latent_channels": 4,
    "out_channels": 3,
    "channels": 48,  # at latent resolution
    "blocks": 2,
    "fine_channels": 16,  # at 1/fine_stride of the image; 0: shuffle straight to full size
    "fine_blocks": 1,
    "fine_stride": 4,
    "downscale": 8,  # image pixels per latent pixel
    "latent_clamp": 3.0,  # tanh(x / c) * c on the input, as TAESD does
    "head_kernel": 1,  # kernel of the convolution before the first pixel shuffle (1 is cheaper)
    "out_kernel": 3,  # kernel of the last convolution (before the last pixel shuffle)
}


class _Block(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a = nn.Conv2d(c, c, 3, padding=1)
        self.b = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.b(torch.relu(self.a(x)))


class StudioPreviewDecoder(nn.Module):
    """Scaled latents (N, C, h, w) -> RGB (N, 3, h*downscale, w*downscale) in about [-1, 1]."""

    def __init__(self, **config):
        super().__init__()
        unknown = set(config) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown preview decoder settings: {', '.join(sorted(unknown))}")
        self.config = {**DEFAULT_CONFIG, **config}
        cfg = self.config
        c, out, k, ko = cfg["channels"], cfg["out_channels"], cfg["head_kernel"], cfg["out_kernel"]
        layers: list[nn.Module] = [nn.Conv2d(cfg["latent_channels"], c, 3, padding=1), nn.ReLU()]
        layers += [_Block(c) for _ in range(cfg["blocks"])]
        if cfg["fine_channels"]:
            f, stride = cfg["fine_channels"], cfg["fine_stride"]
            up = cfg["downscale"] // stride
            if up * stride != cfg["downscale"]:
                raise ValueError("fine_stride must divide downscale")
            layers += [nn.Conv2d(c, f * up * up, k, padding=k // 2), nn.PixelShuffle(up), nn.ReLU()]
            layers += [_Block(f) for _ in range(cfg["fine_blocks"])]
            layers += [nn.Conv2d(f, out * stride * stride, ko, padding=ko // 2), nn.PixelShuffle(stride)]
        else:
            s = cfg["downscale"]
            layers += [nn.Conv2d(c, out * s * s, ko, padding=ko // 2), nn.PixelShuffle(s)]
        self.layers = nn.Sequential(*layers)

    @property
    def latent_channels(self) -> int:
        return int(self.config["latent_channels"])

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        k = float(self.config["latent_clamp"])
        x = torch.tanh(latents / k) * k if k > 0 else latents
        return self.layers(x)

    def save(self, folder: Path, dtype=torch.float16) -> None:
        """config.json + fp16 safetensors, each written atomically."""
        from safetensors.torch import save

        from studio.fsutil import atomic_write, atomic_write_text

        folder = Path(folder)
        tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in self.state_dict().items()}
        atomic_write(folder / WEIGHTS, lambda f: f.write(save(tensors)))
        atomic_write_text(folder / "config.json", json.dumps({"_class_name": CLASS_NAME, **self.config}, indent=2) + "\n")


class TinyVaeDecoder(nn.Module):
    """An ``AutoencoderTiny``'s decoder behind the same call: scaled latents -> RGB in [-1, 1]."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    @property
    def latent_channels(self) -> int:
        return int(self.vae.config.latent_channels)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        # AutoencoderTiny.decode wants latents divided by its own scaling factor (1.0 for TAESD):
        # TAESD decodes the UNet's scaled latents directly.
        return self.vae.decode(latents / float(self.vae.config.scaling_factor or 1.0)).sample


def load_folder(folder: Path) -> nn.Module:
    """A preview decoder from a folder: Studio's own format or a diffusers AutoencoderTiny."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    kind = config.pop("_class_name", CLASS_NAME)
    if kind == "AutoencoderTiny":
        from diffusers import AutoencoderTiny

        return TinyVaeDecoder(AutoencoderTiny.from_pretrained(folder, local_files_only=True)).eval()
    if kind != CLASS_NAME:
        raise ValueError(f"{folder}: unknown preview decoder kind {kind!r}")
    model = StudioPreviewDecoder(**{k: v for k, v in config.items() if not k.startswith("_")})
    state = load_file(str(folder / WEIGHTS))
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()


def taesd_config(latent_channels: int) -> dict:
    """The published TAESD layout (SD1/SDXL: 4 latent channels; SD3/FLUX: 16)."""
    return {
        "in_channels": 3,
        "out_channels": 3,
        "encoder_block_out_channels": (64, 64, 64, 64),
        "decoder_block_out_channels": (64, 64, 64, 64),
        "num_encoder_blocks": (1, 3, 3, 3),
        "num_decoder_blocks": (3, 3, 3, 1),
        "latent_channels": latent_channels,
        "upsampling_scaling_factor": 2,
        "scaling_factor": 1.0,
    }


def load_taesd_file(path: Path) -> TinyVaeDecoder:
    """A single-file TAESD decoder (A1111/ComfyUI ``models/VAE-approx``): keys ``1.weight``...
    (madebyollin's layout) or ``decoder.layers.N...`` (diffusers) loaded into ``AutoencoderTiny``."""
    from diffusers import AutoencoderTiny
    from safetensors.torch import load_file

    state = load_file(str(path))
    if not state:
        raise ValueError(f"{Path(path).name}: no tensors")
    if any(k.startswith("decoder.") for k in state):
        state = {k[len("decoder."):]: v for k, v in state.items() if k.startswith("decoder.")}
    elif all(k.startswith("layers.") for k in state):
        pass
    elif all(k.split(".", 1)[0].isdigit() for k in state):
        # madebyollin/taesd's taesd_decoder: nn.Sequential indices, the first (Clamp) has none
        state = {f"layers.{int(k.split('.', 1)[0]) - 1}.{k.split('.', 1)[1]}": v for k, v in state.items()}
    else:
        raise ValueError(f"{Path(path).name}: not a TAESD decoder (unknown tensor names, e.g. {next(iter(state))})")
    first = state.get("layers.0.weight")
    if first is None or first.ndim != 4:
        raise ValueError(f"{Path(path).name}: not a TAESD decoder (no first convolution)")
    vae = AutoencoderTiny(**taesd_config(int(first.shape[1])))
    missing, unexpected = vae.decoder.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    if missing or unexpected:
        raise ValueError(f"{Path(path).name}: not a TAESD decoder ({len(missing)} missing, {len(unexpected)} unexpected tensors)")
    return TinyVaeDecoder(vae).eval()


# File names A1111 and ComfyUI use in models/VAE-approx, by model family.
TAESD_FILES = {
    "sd1": ("taesd_decoder.safetensors", "taesd_decoder.pth"),
    "sd2": ("taesd_decoder.safetensors", "taesd_decoder.pth"),
    "sdxl": ("taesdxl_decoder.safetensors", "taesdxl_decoder.pth"),
    "sd3": ("taesd3_decoder.safetensors", "taesd3_decoder.pth"),
    "flux": ("taef1_decoder.safetensors", "taef1_decoder.pth"),
}


def find_taesd(folder: Path, family: str) -> Path | None:
    """The family's TAESD decoder in ``folder`` (only .safetensors: .pth files are pickles)."""
    for name in TAESD_FILES.get(family, ()):
        path = Path(folder) / name
        if path.suffix == ".safetensors" and path.is_file():
            return path
    return None
