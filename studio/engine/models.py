"""Finding and loading models: local diffusers folders, single files, hub repo ids.

:func:`resolve` turns what the user typed (nothing, a name, a path, a repo
id) into a :class:`ModelSource` without importing torch; :func:`load` builds
the diffusers pipeline. Pickle-based weights (``.ckpt``, ``.bin``, ``.pt``)
can run code when loaded, so they are refused unless explicitly allowed, and
then loaded weights-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from studio import paths
from studio.engine.errors import (
    ModelLoadError,
    ModelNotFound,
    NoModelInstalled,
    OfflineError,
    UnsafeModelFile,
)
from studio.engine.model_defaults import ModelDefaults, defaults_of
from studio.engine.request import Mode

STARTER_NAME = "starter"
SAFE_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelSource:
    kind: str  # "folder", "single_file", "hub"
    location: str  # path, or repo id for "hub"
    name: str  # what the user sees and what metadata records


@dataclass(frozen=True)
class ModelChoice:
    """An entry for the model picker."""

    name: str
    spec: str | None  # what to pass as GenerationRequest.model (None = starter)
    kind: str


@dataclass(frozen=True)
class ModelInfo:
    name: str
    spec: str | None
    kind: str
    family: str  # "sd1", "sd2", "sdxl", "sd" (other SD-shaped models such as the starter)
    native_width: int
    native_height: int
    hash: str  # first 10 hex digits of the weights' sha256, as AUTOMATIC1111 writes it
    unet_in_channels: int
    defaults: ModelDefaults = ModelDefaults()  # the folder's recommended settings (studio_defaults.json)


def _is_diffusers_folder(path: Path) -> bool:
    return (path / "model_index.json").is_file()


def _is_weights_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SAFE_SUFFIXES + PICKLE_SUFFIXES


def resolve(spec: str | None) -> ModelSource:
    """Where a model lives. ``None`` or ``"starter"`` is the bundled starter model."""
    if spec is None or spec.strip() in ("", STARTER_NAME):
        folder = paths.starter_model_dir()
        if not _is_diffusers_folder(folder):
            raise NoModelInstalled(
                f"No model is installed: the bundled starter model is missing from {folder}. "
                "Pass --model with a diffusers folder or a .safetensors file."
            )
        return ModelSource("folder", str(folder), STARTER_NAME)
    spec = spec.strip()
    path = Path(spec).expanduser()
    if not path.exists():
        user = paths.models_dir() / spec
        if user.exists():
            path = user
    if path.is_dir():
        if not _is_diffusers_folder(path):
            raise ModelLoadError(f"{path} is a folder but not a diffusers model (it has no model_index.json).")
        return ModelSource("folder", str(path.resolve()), path.name)
    if path.is_file():
        if not _is_weights_file(path):
            raise ModelLoadError(
                f"{path.name} is not a model file: use a diffusers folder, a .safetensors checkpoint or (if you trust it) a .ckpt."
            )
        return ModelSource("single_file", str(path.resolve()), path.stem)
    if _REPO_ID.match(spec) and not spec.startswith((".", "/")):
        return ModelSource("hub", spec, spec.split("/")[-1])
    raise ModelNotFound(
        f"No model named {spec!r}: not a file, not a folder, and not in {paths.models_dir()}. "
        f"Available: {', '.join(c.name for c in list_models()) or 'none'}."
    )


def defaults_for(spec: str | None) -> ModelDefaults:
    """Recommended settings of the model ``spec`` names (None: the starter model)."""
    return defaults_of(resolve(spec))


def list_models() -> list[ModelChoice]:
    """The models the picker offers: the starter model plus everything in the models folder."""
    choices: list[ModelChoice] = []
    if _is_diffusers_folder(paths.starter_model_dir()):
        choices.append(ModelChoice(STARTER_NAME, None, "starter"))
    folder = paths.models_dir()
    if folder.is_dir():
        for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
            if entry.is_dir() and _is_diffusers_folder(entry):
                choices.append(ModelChoice(entry.name, str(entry), "folder"))
            elif _is_weights_file(entry):
                choices.append(ModelChoice(entry.stem, str(entry), "single_file"))
    return choices


# -- hashing -------------------------------------------------------------------------------


def _weights_for_hash(source: ModelSource) -> Path | None:
    if source.kind == "single_file":
        return Path(source.location)
    folder = Path(source.location) / "unet"
    for name in ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors", "diffusion_pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.safetensors")) if folder.is_dir() else []
    return found[0] if found else None


def model_hash(source: ModelSource) -> str:
    """AUTOMATIC1111-style short hash of the weights, cached by path, size and mtime."""
    weights = _weights_for_hash(source)
    return file_hash(weights) if weights is not None else ""


def file_hash(path: Path, length: int = 10, *, skip_header: bool = False) -> str:
    """The first ``length`` hex digits of a file's sha256, cached by path, size and mtime.

    ``skip_header`` hashes a .safetensors file's tensor data only (the "addnet" hash
    AUTOMATIC1111 writes for LoRAs), so editing its metadata keeps the hash.
    """
    stat = path.stat()
    key = f"{'addnet|' if skip_header else ''}{path.resolve()}|{stat.st_size}|{int(stat.st_mtime)}"
    cache_file = paths.data_dir() / "cache" / "model_hashes.json"
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    if isinstance(cache.get(key), str) and len(cache[key]) >= length:
        return cache[key][:length]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        if skip_header:
            fh.seek(8 + int.from_bytes(fh.read(8), "little"))
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    cache[key] = value
    try:
        from studio.fsutil import atomic_write_text

        atomic_write_text(cache_file, json.dumps(cache))
    except OSError:
        pass  # a cache we cannot write only costs time
    return value[:length]


# -- single-file checkpoints -----------------------------------------------------------------


def single_file_family(path: Path) -> str:
    """Guess the family of an original-layout checkpoint from its tensor names."""
    if path.suffix.lower() != ".safetensors":
        return "sd1"
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            keys = list(fh.keys())
    except Exception as exc:  # safetensors raises its own error types
        raise ModelLoadError(f"{path.name} is not a valid .safetensors file ({_first_line(exc)}).") from None
    if any(k.startswith("conditioner.embedders.1") for k in keys):
        return "sdxl"
    if any(k.startswith("cond_stage_model.model.") for k in keys):
        return "sd2"
    if any(k.startswith("cond_stage_model.transformer") for k in keys):
        return "sd1"
    if any(k.startswith(("down_blocks.", "unet.")) for k in keys):
        raise ModelLoadError(f"{path.name} holds diffusers-format weights: load its whole folder instead.")
    raise ModelLoadError(f"{path.name} is not a Stable Diffusion checkpoint this studio knows (SD 1.x, 2.x, SDXL).")


def family_config_dir(family: str) -> Path | None:
    """A local diffusers config folder for a family: user's models/configs first, then bundled."""
    for root in (paths.models_dir() / "configs", paths.resources_dir() / "configs"):
        if _is_diffusers_folder(root / family):
            return root / family
    return None


# -- loading ---------------------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300].rstrip(". ") if text else type(exc).__name__


def _pickled_components(folder: Path) -> list[str]:
    """Components of a diffusers folder whose weights exist only as pickles."""
    risky = []
    for sub in folder.iterdir():
        if not sub.is_dir():
            continue
        files = [f for f in sub.iterdir() if f.is_file()]
        has_safe = any(f.suffix == ".safetensors" for f in files)
        has_pickle = any(f.suffix in PICKLE_SUFFIXES for f in files)
        if has_pickle and not has_safe:
            risky.append(sub.name)
    return risky


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


def _download(repo: str, on_status) -> Path:
    """Download a diffusers repo into the studio's model cache, with progress."""
    from huggingface_hub import snapshot_download
    from tqdm.auto import tqdm

    class _Progress(tqdm):
        def update(self, n=1):
            super().update(n)
            if on_status and self.total:
                on_status(f"Downloading {repo}", min(1.0, self.n / self.total))

    cache = paths.data_dir() / "cache" / "hub"
    try:
        folder = snapshot_download(
            repo,
            cache_dir=str(cache),
            allow_patterns=["*.json", "*.txt", "*.safetensors", "*.model"],
            ignore_patterns=["*.fp32.safetensors", "*non_ema*", "*.ckpt", "*.bin"],
            tqdm_class=_Progress,
            etag_timeout=10,
        )
    except Exception as exc:
        text = _first_line(exc)
        if any(w in text.lower() for w in ("connect", "resolve", "network", "offline", "timed out", "timeout")):
            raise OfflineError(_offline_message(repo)) from None
        raise ModelNotFound(f"Could not download {repo}: {text}") from None
    return Path(folder)


def _offline_message(repo: str) -> str:
    return (
        f"No network: cannot download {repo!r}. Download it on a connected machine and place the "
        f"diffusers folder in {paths.models_dir() / repo.split('/')[-1]}, or pass its path with --model."
    )


def load(source: ModelSource, placement, *, allow_pickle: bool = False, on_status=None):
    """Build the text-to-image pipeline for ``source`` on ``placement``; returns (pipe, info)."""
    import torch

    from studio.engine.pipeline_classes import SD, SDXL, auto_class, family_of_folder

    dtype = placement.dtype
    common = {"dtype": dtype}
    try:
        if source.kind == "folder":
            folder = Path(source.location)
            risky = _pickled_components(folder)
            if risky and not allow_pickle:
                raise UnsafeModelFile(
                    f"{source.name} stores {', '.join(risky)} as pickle files, which can run code when loaded. "
                    "Convert it to .safetensors, or allow pickle models in Settings (loaded weights-only)."
                )
            family = family_of_folder(folder)
            cls = family.class_for(Mode.TXT2IMG) if family else auto_class(Mode.TXT2IMG)
            pipe = cls.from_pretrained(folder, local_files_only=True, use_safetensors=None if risky else True, **common)
        elif source.kind == "single_file":
            path = Path(source.location)
            if path.suffix.lower() in PICKLE_SUFFIXES and not allow_pickle:
                raise UnsafeModelFile(
                    f"{path.name} is a pickle checkpoint, which can run code when loaded. Prefer a .safetensors "
                    "file; if you trust this one, allow pickle models (--allow-pickle, or Settings) and it is loaded weights-only."
                )
            family = single_file_family(path)
            config = family_config_dir(family)
            if config is None:
                raise ModelLoadError(
                    f"Importing a single-file {family.upper()} checkpoint offline needs that family's diffusers "
                    f"config folder (model_index.json, component configs, tokenizer) in "
                    f"{paths.models_dir() / 'configs' / family}. Or convert the checkpoint to a diffusers folder."
                )
            cls = (SDXL if family == "sdxl" else SD).class_for(Mode.TXT2IMG)
            try:
                pipe = cls.from_single_file(str(path), config=str(config), local_files_only=True, **common)
            except (torch.OutOfMemoryError, MemoryError):
                raise
            except Exception as exc:
                why = _first_line(exc)
                shape = re.search(r"(\S+) expected shape torch\.Size\((\[.*?\])\), but got torch\.Size\((\[.*?\])\)", why)
                if shape:
                    why = f"{shape[1]} is {shape[3]} in the file, the config expects {shape[2]}"
                elif "meta tensor" in why:  # diffusers leaves parameters the file lacks on the meta device
                    why = "tensors the config needs are missing from the file"
                raise ModelLoadError(_config_mismatch(path, family, config, why)) from None
        elif source.kind == "hub":
            try:
                pipe = auto_class(Mode.TXT2IMG).from_pretrained(
                    source.location, local_files_only=True, cache_dir=str(paths.data_dir() / "cache" / "hub"), **common
                )
            except Exception:
                if _hub_offline():
                    raise OfflineError(_offline_message(source.location)) from None
                folder = _download(source.location, on_status)
                family = family_of_folder(folder)
                cls = family.class_for(Mode.TXT2IMG) if family else auto_class(Mode.TXT2IMG)
                pipe = cls.from_pretrained(folder, local_files_only=True, **common)
        else:
            raise ModelNotFound(f"Unknown model source kind {source.kind!r}.")
    except (ModelLoadError, ModelNotFound):
        raise
    except (torch.OutOfMemoryError, MemoryError):
        from studio.engine.errors import OutOfMemory

        raise OutOfMemory(f"Not enough memory to load {source.name}. Close other apps or choose a smaller model.") from None
    except Exception as exc:
        raise ModelLoadError(
            f"Could not load {source.name}: {_first_line(exc)}. The files may be corrupt or incomplete."
        ) from None
    if getattr(pipe, "safety_checker", None) is not None:
        pipe.safety_checker = None  # a local art tool: the user decides what to make
    try:
        pipe.to(placement.device)
    except (torch.OutOfMemoryError, MemoryError):
        from studio.engine.errors import OutOfMemory

        raise OutOfMemory(f"Not enough {placement.device} memory for {source.name}.") from None
    pipe.set_progress_bar_config(disable=True)
    return pipe, _info(pipe, source)


def _config_mismatch(path: Path, family: str, config: Path, why: str) -> str:
    return (
        f"{path.name} does not fit the {family.upper()} config folder {config} ({why}). It may be a variant "
        f"(inpainting, refiner, another architecture) or incomplete: put a matching diffusers config folder in "
        f"{paths.models_dir() / 'configs' / family}, or convert the checkpoint to a diffusers folder."
    )


def _info(pipe, source: ModelSource) -> ModelInfo:
    unet = pipe.unet
    scale = getattr(pipe, "vae_scale_factor", 8)
    size = unet.config.sample_size
    height, width = (size, size) if isinstance(size, int) else tuple(size)
    cross = unet.config.cross_attention_dim
    if getattr(pipe, "text_encoder_2", None) is not None or "XL" in type(pipe).__name__:
        family = "sdxl"
    elif cross == 1024 and unet.config.sample_size in (64, 96):
        family = "sd2"
    elif cross == 768 and unet.config.sample_size == 64:
        family = "sd1"
    else:
        family = "sd"
    return ModelInfo(
        name=source.name,
        spec=None if source.name == STARTER_NAME else source.location,
        kind=source.kind,
        family=family,
        native_width=int(width * scale),
        native_height=int(height * scale),
        hash=model_hash(source) if source.kind != "hub" else "",
        unet_in_channels=int(unet.config.in_channels),
        defaults=defaults_of(source),
    )
