"""A user-chosen VAE in place of the model's own: load, check, name and hash it.

Accepted: a diffusers ``AutoencoderKL`` folder (``config.json`` + weights) or a
single ``.safetensors`` file in diffusers or original (LDM) tensor layout. A
single file takes the architecture of the model's own VAE (its config), so it
loads offline. The VAE must produce the latents the model's UNet works in:
same latent channels and the same downscale; anything else is refused with a
one-line reason. Recorded as AUTOMATIC1111's ``VAE`` (file name) and
``VAE hash`` (first 10 hex digits of the file's sha256).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio import paths
from studio.engine.errors import InvalidRequest

SUFFIXES = (".safetensors",)
WEIGHT_NAMES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors")


def vae_dir() -> Path:
    """User VAEs (AUTOMATIC1111's folder name)."""
    return paths.models_dir() / "VAE"


@dataclass(frozen=True)
class VaeChoice:
    name: str  # what metadata records: the file (or folder) name
    path: str


def list_vaes() -> list[VaeChoice]:
    """VAEs in ``models/VAE``: .safetensors files and diffusers folders."""
    folder = vae_dir()
    if not folder.is_dir():
        return []
    out = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if entry.is_file() and entry.suffix.lower() in SUFFIXES:
            out.append(VaeChoice(entry.name, str(entry)))
        elif entry.is_dir() and (entry / "config.json").is_file():
            out.append(VaeChoice(entry.name, str(entry)))
    return out


def resolve(spec: str) -> Path:
    """A path from a spec: a path, or a name in ``models/VAE``."""
    path = Path(spec).expanduser()
    if not path.exists() and (vae_dir() / spec).exists():
        path = vae_dir() / spec
    if not path.exists():
        raise InvalidRequest(f"VAE {spec!r} not found: give a .safetensors file or a diffusers VAE folder (or put it in {vae_dir()}).")
    if path.is_file() and path.suffix.lower() not in SUFFIXES:
        raise InvalidRequest(f"VAE {path.name}: only .safetensors files are loaded (a .ckpt/.pt can run code).")
    if path.is_dir() and not (path / "config.json").is_file():
        raise InvalidRequest(f"VAE folder {path} has no config.json: it is not a diffusers VAE.")
    return path.resolve()


def weights_file(path: Path) -> Path:
    if path.is_file():
        return path
    for name in WEIGHT_NAMES:
        if (path / name).is_file():
            return path / name
    found = sorted(path.glob("*.safetensors"))
    if not found:
        raise InvalidRequest(f"VAE folder {path} has no .safetensors weights.")
    return found[0]


def vae_hash(path: Path) -> str:
    from studio.engine.models import file_hash

    return file_hash(weights_file(Path(path)))


def _downscale(config) -> int:
    return 2 ** (len(config.block_out_channels) - 1)


def load(spec: str, like, device, dtype):
    """(AutoencoderKL, VaeChoice with hash) for ``spec``, checked against the model's VAE ``like``."""
    from diffusers import AutoencoderKL

    path = resolve(spec)
    try:
        if path.is_dir():
            vae = AutoencoderKL.from_pretrained(path, local_files_only=True)
        else:
            vae = _from_single_file(path, like)
    except InvalidRequest:
        raise
    except Exception as exc:  # a broken or foreign file: one line, not a traceback
        raise InvalidRequest(f"VAE {path.name} could not be loaded: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    want, got = int(like.config.latent_channels), int(vae.config.latent_channels)
    if got != want:
        raise InvalidRequest(f"VAE {path.name} makes {got}-channel latents but this model works in {want} channels; choose a VAE for this model family.")
    if _downscale(vae.config) != _downscale(like.config):
        raise InvalidRequest(f"VAE {path.name} scales images by 1/{_downscale(vae.config)}, this model by 1/{_downscale(like.config)}.")
    vae.to(device=device, dtype=dtype).eval()
    return vae, VaeChoice(path.name, str(path)), vae_hash(path)


def _from_single_file(path: Path, like):
    from diffusers import AutoencoderKL
    from safetensors.torch import load_file

    state = load_file(str(path))
    if not any(k.startswith(("decoder.up_blocks.", "encoder.down_blocks.")) for k in state):  # original (LDM) names
        from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

        state = convert_ldm_vae_checkpoint(state, dict(like.config))
    conv_in = state.get("decoder.conv_in.weight")
    if conv_in is None or conv_in.ndim != 4:
        raise InvalidRequest(f"{path.name} holds no VAE decoder tensors: it is not a VAE file.")
    want = int(like.config.latent_channels)
    if int(conv_in.shape[1]) != want:
        raise InvalidRequest(f"VAE {path.name} decodes {int(conv_in.shape[1])}-channel latents but this model works in "
                             f"{want} channels; choose a VAE for this model family.")
    vae = AutoencoderKL.from_config(like.config)
    missing, unexpected = vae.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    if missing:
        raise InvalidRequest(f"VAE {path.name} does not fit this model's VAE layout ({len(missing)} tensors missing, e.g. {missing[0]}).")
    return vae
