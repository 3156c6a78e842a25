"""Which preview a run shows: linear map, a tiny learned decoder, or the full VAE every N steps.

``auto`` takes the model's own preview decoder (``<model>/preview_decoder/``,
cheap enough for every step on a CPU), then on a GPU a TAESD-family decoder
from ``STUDIO_HOME/models/VAE-approx/`` (A1111/ComfyUI file names), and falls
back to the linear map. ``tiny`` takes the same decoders on any device.
Every previewer is called as ``previewer(x0_latents, step, total)`` and
returns an HxWx3 uint8 array of the first image (or None: no frame this step).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from studio import paths
from studio.settings import PREVIEW_METHODS as METHODS
OWN_DECODER = "preview_decoder"

log = logging.getLogger(__name__)


def vae_approx_dir() -> Path:
    """Where A1111 and ComfyUI keep TAESD decoders."""
    return paths.models_dir() / "VAE-approx"


def _to_uint8(rgb) -> np.ndarray:
    """(3, H, W) in [-1, 1] -> HxWx3 uint8 on the CPU."""
    import torch

    x = ((rgb.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8)
    return x.permute(1, 2, 0).cpu().numpy()


class DecoderPreviewer:
    """A small learned decoder (Studio's own or TAESD) on the first image's x0."""

    kind = "tiny"

    def __init__(self, decoder, device, dtype, origin: str):
        self.decoder = decoder.to(device=device, dtype=dtype).eval()
        self.dtype = dtype
        # small convolutions on a CPU run ~10% faster in channels-last (oneDNN's native layout)
        self.channels_last = str(device).split(":")[0] == "cpu"
        if self.channels_last:
            import torch

            self.decoder.to(memory_format=torch.channels_last)
        self.origin = origin  # "model" (beside the model) or a TAESD file name

    @property
    def latent_channels(self) -> int:
        return self.decoder.latent_channels

    def __call__(self, latents, step: int = 0, total: int = 0) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = latents[:1].to(self.dtype)
            if x.shape[1] != self.latent_channels:
                raise ValueError(f"preview decoder expects {self.latent_channels} latent channels, got {x.shape[1]}")
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            return _to_uint8(self.decoder(x)[0])


class LinearPreviewer:
    """The linear map with the engine's call signature."""

    kind = "linear"

    def __init__(self, latent_previewer):
        self.inner = latent_previewer
        self.origin = latent_previewer.map.origin

    def __call__(self, latents, step: int = 0, total: int = 0) -> np.ndarray:
        return self.inner(latents)


class VaePreviewer:
    """The model's own VAE every ``every`` steps and on the last; the linear map in between."""

    kind = "vae"

    def __init__(self, vae, linear: LinearPreviewer, every: int):
        self.vae = vae
        self.linear = linear
        self.every = max(1, int(every))
        self.origin = "vae"

    def __call__(self, latents, step: int = 0, total: int = 0) -> np.ndarray:
        import torch

        if step % self.every and step != total:
            return self.linear(latents, step, total)
        cfg = self.vae.config
        scale = float(getattr(cfg, "scaling_factor", 1.0) or 1.0)
        shift = float(getattr(cfg, "shift_factor", 0.0) or 0.0)
        with torch.inference_mode():
            x = latents[:1].to(self.vae.dtype) / scale + shift
            return _to_uint8(self.vae.decode(x).sample[0].float())


def find_decoder(model_folder: Path | None, family: str, latent_channels: int, *, gpu: bool, method: str):
    """(decoder module, origin) for ``auto``/``tiny``, or None when there is none to use."""
    from studio.engine import preview_decoder

    if model_folder is not None:
        own = Path(model_folder) / OWN_DECODER
        if (own / "config.json").is_file():
            try:
                decoder = preview_decoder.load_folder(own)
                if decoder.latent_channels == latent_channels:
                    return decoder, "model"
            except Exception as exc:  # a broken or foreign folder must not stop generation
                log.warning("preview decoder in %s not used: %s", own, exc)
    if method == "auto" and not gpu:  # TAESD on a CPU costs seconds per 512x512 preview
        return None
    found = preview_decoder.find_taesd(vae_approx_dir(), family)
    if found is None:
        return None
    try:
        decoder = preview_decoder.load_taesd_file(found)
    except Exception as exc:  # a broken file must not stop generation
        log.warning("%s not used for previews: %s", found, exc)
        return None
    if decoder.latent_channels != latent_channels:
        return None
    return decoder, found.name


def build(method: str, *, pipe, model_folder: Path | None, family: str, linear, device, vae_every: int = 5):
    """The previewer for ``method`` (one of METHODS); ``linear`` is the model's LatentPreviewer."""
    if method not in METHODS:
        method = "auto"
    fallback = LinearPreviewer(linear)
    if method == "linear":
        return fallback
    if method == "vae":
        return VaePreviewer(pipe.vae, fallback, vae_every)
    channels = int(pipe.vae.config.latent_channels)
    gpu = str(device).split(":")[0] in ("cuda", "mps")
    found = find_decoder(model_folder, family, channels, gpu=gpu, method=method)
    if found is None:
        return fallback
    decoder, origin = found
    return DecoderPreviewer(decoder, device, pipe.unet.dtype, origin)
