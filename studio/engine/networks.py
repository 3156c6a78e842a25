"""LoRA tags in prompts, applied the way AUTOMATIC1111 applies them.

``<lora:NAME>``, ``<lora:NAME:WEIGHT>`` and ``<lora:NAME:TE:UNET>`` (also ``te=``/``unet=``,
and ``<lyco:...>``) are cut out of the prompt before it reaches the text encoder. NAME is a
file in ``<models dir>/Lora``, loaded with diffusers as a peft adapter into the model's
shared UNet and text encoders. Tags in the negative prompt are removed and ignored. Adapters
stay loaded per model; a request without tags runs with them disabled, which gives the
model's own pixels bit for bit. Parsing needs no torch.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from studio import paths
from studio.engine.errors import InvalidRequest, ModelLoadError, ModelNotFound, UnsafeModelFile
from studio.engine.models import PICKLE_SUFFIXES, SAFE_SUFFIXES, file_hash

TAG_RE = re.compile(r"<(?:lora|lyco):([^<>]*)>", re.I)
MAX_ADAPTERS = 8  # LoRAs kept loaded per model; the least recently used are dropped first
_SHAPE_RE = re.compile(r"for (\S+): copying a param with shape torch\.Size\((\[.*?\])\).*?current model is torch\.Size\((\[.*?\])\)")


@dataclass(frozen=True)
class LoraTag:
    name: str
    te: float = 1.0  # text-encoder multiplier
    unet: float = 1.0  # UNet multiplier

    @property
    def active(self) -> bool:
        return bool(self.te or self.unet)


@dataclass(frozen=True)
class LoraFile:
    tag: LoraTag
    path: Path
    hash: str  # AUTOMATIC1111's short LoRA hash (12 hex digits)


def _weight(text: str, tag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidRequest(f"{tag}: {text.strip()!r} is not a weight; write it like <lora:name:0.8>.") from None


def parse(prompt: str, negative: str = "") -> tuple[str, str, list[LoraTag]]:
    """(prompt, negative) without LoRA tags, and the positive prompt's tags (a repeated name adds up)."""
    found: dict[str, LoraTag] = {}

    def take(m: re.Match) -> str:
        name, *args = m.group(1).split(":")
        name = name.strip()
        if not name:
            raise InvalidRequest(f"{m.group(0)} names no LoRA; write <lora:name> or <lora:name:0.8>.")
        named = {k.strip().lower(): v for k, _, v in (a.partition("=") for a in args if "=" in a)}
        positional = [a for a in args if "=" not in a]
        te = _weight(named.get("te", positional[0] if positional else "1"), m.group(0))
        unet = _weight(named.get("unet", positional[1] if len(positional) > 1 else str(te)), m.group(0))
        old = found.get(name, LoraTag(name, 0.0, 0.0))
        found[name] = LoraTag(name, old.te + te, old.unet + unet)
        return ""

    return TAG_RE.sub(take, prompt), TAG_RE.sub("", negative), list(found.values())


def available(folder: Path | None = None) -> dict[str, Path]:
    """Weights files by name (their path in the folder, default the LoRA folder, without the suffix); .safetensors first."""
    folder = folder or paths.lora_dir()
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SAFE_SUFFIXES + PICKLE_SUFFIXES] if folder.is_dir() else []
    out: dict[str, Path] = {}
    for p in sorted(files, key=lambda p: (p.suffix.lower() not in SAFE_SUFFIXES, str(p).lower())):
        out.setdefault(p.relative_to(folder).with_suffix("").as_posix(), p)
    return out


def find(name: str, *, allow_pickle: bool = False, folder: Path | None = None, what: str = "LoRA") -> Path:
    """The file for ``<lora:name>``: by relative path, then by file name, then ignoring case."""
    folder = folder or paths.lora_dir()
    files = available(folder)
    by_stem = {Path(k).name: p for k, p in reversed(files.items())}
    path = files.get(name) or by_stem.get(name)
    if path is None:
        folded: dict[str, Path] = {}
        for k, p in [*files.items(), *by_stem.items()]:
            folded.setdefault(k.casefold(), p)
        path = folded.get(name.casefold())
    if path is None:
        if not files:
            state = "is empty" if folder.is_dir() else "is empty (it does not exist yet)"
            raise ModelNotFound(f"No {what} named {name!r}: the {what} folder {folder} {state}. Put {name}.safetensors there.")
        shown = sorted(files, key=str.lower)
        more = f" and {len(shown) - 30} more" if len(shown) > 30 else ""
        raise ModelNotFound(f"No {what} named {name!r} in {folder}. Available: {', '.join(shown[:30])}{more}.")
    if path.suffix.lower() in PICKLE_SUFFIXES and not allow_pickle:
        raise UnsafeModelFile(
            f"{what} {path.name} is a pickle file, which can run code when loaded. Prefer a .safetensors file; "
            "if you trust this one, allow pickle models (--allow-pickle, or Settings) and it is loaded weights-only."
        )
    return path


def safetensors_metadata(path: Path, what: str = "LoRA") -> dict:
    """The file's ``__metadata__``, after checking the header and the data length add up."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            if not 2 <= n <= min(size - 8, 100 << 20):
                raise ValueError("bad header length")
            header = json.loads(fh.read(n))
        ends = [int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"]
        if not ends or max(ends) != size - 8 - n:
            raise ValueError("data length does not match the header")
        meta = header.get("__metadata__") or {}
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise ModelLoadError(
            f"{what} {path.name} is not a valid .safetensors file (damaged or incomplete); download it again."
        ) from None


def resolve(tags: list[LoraTag], *, allow_pickle: bool = False) -> list[LoraFile]:
    """Files and hashes for the tags; raises a one-line error for a missing, unsafe or damaged file."""
    out = []
    for tag in tags:
        path = find(tag.name, allow_pickle=allow_pickle)
        if path.suffix.lower() in SAFE_SUFFIXES:
            given = str(safetensors_metadata(path).get("sshs_model_hash") or "")
            digest = given[:12] if re.fullmatch(r"[0-9a-fA-F]{12,}", given) else file_hash(path, 12, skip_header=True)
        else:
            digest = file_hash(path, 12)
        out.append(LoraFile(tag, path, digest))
    return out


def hashes(files: list[LoraFile]) -> dict[str, str]:
    """``{name: hash}`` for the ``Lora hashes`` metadata (names without ``:`` and ``,``, as A1111 writes them)."""
    return {f.tag.name.replace(":", "").replace(",", ""): f.hash for f in files if f.hash}


def why(exc: BaseException) -> str:
    text = str(exc)
    m = _SHAPE_RE.search(text)
    if m:
        return f"{m[1].replace('.weight', '')} is {m[2]} in the LoRA but {m[3]} in the model"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300].rstrip(". ") if lines else type(exc).__name__


def load_pickle(path: Path, what: str = "LoRA") -> dict:
    """A pickle LoRA the user allowed, loaded weights-only (no code runs)."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError...
        raise ModelLoadError(f"{what} {path.name} could not be read as weights ({why(exc)}); it may be damaged.") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict) or not state:
        raise ModelLoadError(f"{what} {path.name} holds no weights.")
    return state


def _load_adapter_with_peft(model, adapter_name=None, adapter_state_dict=None, peft_config=None, **_ignored):
    """What transformers' ``load_adapter`` does for diffusers' LoRA state dicts, with peft alone."""
    from peft import inject_adapter_in_model, set_peft_model_state_dict

    inject_adapter_in_model(peft_config, model, adapter_name)
    model._hf_peft_config_loaded = True  # so diffusers' delete_adapters tidies model.peft_config
    set_peft_model_state_dict(model, adapter_state_dict, adapter_name)  # raises on a shape mismatch


@contextmanager
def _peft_text_encoder_loading(pipe):
    """transformers 5 asks for a newer peft than the UNet path needs; load text encoders with peft itself then."""
    try:
        from importlib.metadata import version

        from packaging.version import Version
        from transformers.integrations.peft import MIN_PEFT_VERSION

        too_old = Version(version("peft")) < Version(MIN_PEFT_VERSION)
    except Exception:  # noqa: BLE001 - no such constant: let transformers do its own loading
        too_old = False
    encoders = [getattr(pipe, n, None) for n in ("text_encoder", "text_encoder_2")] if too_old else []
    encoders = [e for e in encoders if e is not None]
    for encoder in encoders:
        encoder.load_adapter = functools.partial(_load_adapter_with_peft, encoder)
    try:
        yield
    finally:
        for encoder in encoders:
            del encoder.load_adapter


class LoraSet:
    """The LoRA adapters loaded into one model's UNet and text encoders (shared by its pipelines)."""

    def __init__(self, model_name: str = "the model") -> None:
        self.model_name = model_name
        self._adapters: OrderedDict[str, tuple[str, str]] = OrderedDict()  # path -> (file stamp, adapter)
        self._count = 0

    @property
    def loaded(self) -> int:
        return len(self._adapters)

    def apply(self, pipe, files: list[LoraFile]) -> None:
        """Activate exactly these LoRAs at their weights; none (or all at 0) turns LoRA off."""
        wanted = [f for f in files if f.tag.active]
        if not wanted:
            if self._adapters:
                pipe.disable_lora()
            return
        names = [self._load(pipe, f, keep={str(w.path) for w in wanted}) for f in wanted]
        present = pipe.get_list_adapters()
        weights = []
        for name, f in zip(names, wanted):
            parts = [c for c, loaded in present.items() if name in loaded]
            weights.append({c: f.tag.unet if c in ("unet", "transformer") else f.tag.te for c in parts})
        pipe.enable_lora()
        pipe.set_adapters(names, adapter_weights=weights)

    def _load(self, pipe, f: LoraFile, keep: set[str]) -> str:
        stat = f.path.stat()
        key, stamp = str(f.path), f"{stat.st_size}|{stat.st_mtime_ns}"
        if key in self._adapters:
            old_stamp, adapter = self._adapters[key]
            if old_stamp == stamp:
                self._adapters.move_to_end(key)
                return adapter
            self._drop(pipe, key)  # the file changed on disk
        for old in [k for k in self._adapters if k not in keep][: max(0, len(self._adapters) - MAX_ADAPTERS + 1)]:
            self._drop(pipe, old)
        from diffusers.utils import USE_PEFT_BACKEND

        if not USE_PEFT_BACKEND:
            raise ModelLoadError("Applying a LoRA needs the peft package: pip install peft")
        source = str(f.path) if f.path.suffix.lower() in SAFE_SUFFIXES else load_pickle(f.path)
        self._count += 1
        adapter = f"studio_lora_{self._count}"
        try:
            with _peft_text_encoder_loading(pipe), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # peft's notes on several adapters in one model
                pipe.load_lora_weights(source, adapter_name=adapter)
        except Exception as exc:  # diffusers and peft raise RuntimeError, ValueError, KeyError...
            import torch

            if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
                raise
            if any(adapter in names for names in pipe.get_list_adapters().values()):
                pipe.delete_adapters(adapter)  # leave no half-loaded layers behind
            raise ModelLoadError(
                f"LoRA {f.tag.name!r} does not fit {self.model_name} ({why(exc)}). "
                "It was probably made for another model family (SD 1.x, SD 2.x, SDXL); use it with a matching model."
            ) from None
        self._adapters[key] = (stamp, adapter)
        return adapter

    def _drop(self, pipe, key: str) -> None:
        _, adapter = self._adapters.pop(key)
        pipe.delete_adapters(adapter)
