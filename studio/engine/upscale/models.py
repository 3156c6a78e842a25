"""Upscaler files: the bundled compact GAN upscalers and the user's ESRGAN-family files.

Looked up in ``resources/models/upscalers/`` (bundled, ``studio-compact-x2`` and
``-x4``), ``STUDIO_HOME/models/ESRGAN/`` (A1111's folder) and
``STUDIO_HOME/models/upscale_models/`` (ComfyUI's). ``.safetensors`` files load
as they are; ``.pth``/``.pt``/``.ckpt`` are pickles and load only when the user
allows it, then weights-only. Real-ESRGAN compact state dicts load with
Studio's own class; other architectures (RRDBNet, SwinIR, HAT, DAT...) go
through spandrel when it is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio import paths
from studio.engine.errors import ModelLoadError, ModelNotFound, UnsafeModelFile

SAFE_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")
BUNDLED_PREFIX = "studio-compact-x"
_CONTAINERS = ("params_ema", "params", "state_dict", "model", "net", "generator")


@dataclass(frozen=True)
class UpscalerFile:
    name: str  # what --model and the UI show: the file's stem
    path: Path
    bundled: bool


@dataclass
class LoadedUpscaler:
    name: str
    model: object  # torch.nn.Module, N x 3 x h x w in [0,1] -> x scale
    scale: int
    architecture: str
    path: Path


def bundled_dir() -> Path:
    return paths.resources_dir() / "models" / "upscalers"


def user_dirs() -> list[Path]:
    return [paths.models_dir() / "ESRGAN", paths.models_dir() / "upscale_models"]


def list_upscalers() -> list[UpscalerFile]:
    """Every upscaler file found, bundled first, by name."""
    found: dict[str, UpscalerFile] = {}
    for folder, bundled in [(bundled_dir(), True)] + [(d, False) for d in user_dirs()]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in SAFE_SUFFIXES + PICKLE_SUFFIXES:
                found.setdefault(path.stem, UpscalerFile(path.stem, path, bundled))
    return list(found.values())


def default_name(scale: int) -> str:
    """The bundled upscaler for ``scale``; x2 falls back to the x4 model (then a Lanczos resize) when only it ships."""
    wanted = f"{BUNDLED_PREFIX}{4 if scale > 2 else 2}"
    if not (bundled_dir() / f"{wanted}.safetensors").is_file() and (bundled_dir() / f"{BUNDLED_PREFIX}4.safetensors").is_file():
        return f"{BUNDLED_PREFIX}4"
    return wanted


def find(spec: str | None, scale: int) -> UpscalerFile:
    """An upscaler by name or path; None picks the bundled one for ``scale``."""
    name = spec or default_name(scale)
    path = Path(name).expanduser()
    if path.is_file():
        return UpscalerFile(path.stem, path, False)
    for candidate in list_upscalers():
        if candidate.name == name:
            return candidate
    known = ", ".join(u.name for u in list_upscalers()) or "none"
    raise ModelNotFound(f"No upscaler named {name!r}. Installed: {known}. "
                        f"Put .safetensors files in {user_dirs()[0]}.")


def read_state_dict(path: Path, *, allow_pickle: bool = False) -> dict:
    import torch

    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise UnsafeModelFile(
                f"{path.name} is a pickle file, which can run code when loaded. Use a .safetensors upscaler, or, "
                "if you trust this one, allow pickle files (--allow-pickle, or Settings) and it is loaded weights-only.")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelLoadError(f"Could not read {path.name} (weights-only): {str(exc).splitlines()[0]}") from None
    elif suffix in SAFE_SUFFIXES:
        from safetensors.torch import load_file

        try:
            state = load_file(str(path))
        except Exception as exc:
            raise ModelLoadError(f"{path.name} is not a readable .safetensors file: {str(exc).splitlines()[0]}") from None
    else:
        raise ModelLoadError(f"{path.name} is not an upscaler file (.safetensors, or .pth with --allow-pickle).")
    for key in _CONTAINERS:  # training checkpoints wrap the weights
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not state:
        raise ModelLoadError(f"{path.name} holds no weights.")
    return state


def _guess_architecture(state: dict) -> str:
    keys = set(state)
    if any(k.startswith("model.1.sub.") for k in keys) or "conv_first.weight" in keys and any("RRDB" in k or "rdb" in k for k in keys):
        return "ESRGAN (RRDBNet)"
    if any("layers.0.residual_group" in k for k in keys):
        return "SwinIR/HAT"
    return "an architecture Studio does not know by itself"


def load(spec: str | None, scale: int = 4, *, allow_pickle: bool = False) -> LoadedUpscaler:
    """Load an upscaler for inference (eval mode, CPU, float32)."""
    from studio.engine.upscale.compact import from_state_dict, is_compact_state_dict

    file = find(spec, scale)
    state = read_state_dict(file.path, allow_pickle=allow_pickle)
    if is_compact_state_dict(state):
        try:
            model = from_state_dict(state)
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"{file.name} looks like a compact Real-ESRGAN model but does not load: {exc}") from None
        return LoadedUpscaler(file.name, model.eval(), model.upscale, "SRVGGNetCompact", file.path)
    try:
        import spandrel
    except Exception:  # ImportError, or torchvision's operator errors on a mismatched torch
        raise ModelLoadError(
            f"{file.name} is {_guess_architecture(state)}; loading it needs the spandrel package "
            "(pip install spandrel), which needs a torchvision matching this torch. Compact Real-ESRGAN models "
            "(SRVGGNetCompact) load without it.") from None
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except Exception as exc:
        raise ModelLoadError(f"spandrel does not recognise {file.name}: {str(exc).splitlines()[0]}") from None
    model = descriptor.model.eval()
    return LoadedUpscaler(file.name, model, int(descriptor.scale), type(descriptor.architecture).__name__, file.path)
