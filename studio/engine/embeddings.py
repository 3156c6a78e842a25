"""Textual-inversion embeddings in prompts: ``embedding:NAME`` and ``<embedding:NAME[:WEIGHT]>``.

NAME is a file in ``<models dir>/embeddings`` (A1111 ``.pt``/``.safetensors``, diffusers
``.bin``, SDXL ``clip_l``/``clip_g`` pairs). Each is loaded once per model with diffusers'
``load_textual_inversion`` under a private token that no typed prompt contains, and the tag
is replaced by that token (one per vector) in the text given to the encoders, so prompts
without tags tokenize and encode exactly as before. Works in both prompts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from studio import paths
from studio.engine import networks
from studio.engine.errors import InvalidRequest, ModelLoadError
from studio.engine.models import SAFE_SUFFIXES, file_hash

WHAT = "embedding"
TAG_RE = re.compile(
    r"<(?:embedding|ti|textual_inversion):(?P<tag>[^<>:]+)(?::(?P<weight>[^<>]*))?>|(?<![\w<])embedding:(?P<bare>[\w.\-]*[\w\-])",
    re.I,
)


@dataclass(frozen=True)
class EmbeddingFile:
    name: str
    path: Path
    hash: str  # A1111's short hash: 12 hex digits of the file's sha256


def _name(m: re.Match) -> str:
    name = (m.group("tag") or m.group("bare")).strip()
    return name[: -len(suffix)] if (suffix := Path(name).suffix.lower()) in (".safetensors", ".pt", ".bin") else name


def names(*texts: str) -> list[str]:
    """The embeddings the texts name, in order, each once."""
    found = [m for text in texts for m in TAG_RE.finditer(text)]
    for m in found:
        if m.group("weight") is not None and not re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)\s*", m.group("weight")):
            raise InvalidRequest(f"{m.group(0)}: {m.group('weight').strip()!r} is not a weight; write <embedding:name:1.2>.")
    return list(dict.fromkeys(_name(m) for m in found))


def resolve(wanted: list[str], *, allow_pickle: bool = False) -> list[EmbeddingFile]:
    """Files and hashes; a one-line error for a missing, unsafe or damaged file."""
    out = []
    for name in wanted:
        path = networks.find(name, allow_pickle=allow_pickle, folder=paths.embeddings_dir(), what=WHAT)
        if path.suffix.lower() in SAFE_SUFFIXES:
            networks.safetensors_metadata(path, WHAT)
        out.append(EmbeddingFile(name, path, file_hash(path, 12)))
    return out


def hashes(files: list[EmbeddingFile]) -> dict[str, str]:
    """``{name: hash}`` for the ``TI hashes`` metadata."""
    return {f.name.replace(":", "").replace(",", ""): f.hash for f in files}


def substitute(text: str, tokens: dict[str, str]) -> str:
    """The text with each tag replaced by its embedding's tokens (weighted tags as ``(tokens:w)``)."""

    def put(m: re.Match) -> str:
        words = tokens[_name(m)]
        weight = (m.group("weight") or "").strip()
        return f" ({words}:{weight}) " if weight else f" {words} "

    return TAG_RE.sub(put, text)


def _vectors(state, path: Path) -> dict[str, object]:
    """The embedding's vectors: ``{"": tensor}``, or ``{"clip_l": ..., "clip_g": ...}`` for SDXL."""
    import torch

    if isinstance(state, dict) and isinstance(state.get("string_to_param"), dict):  # A1111 .pt
        state = state["string_to_param"].get("*", next(iter(state["string_to_param"].values()), None))
    if isinstance(state, torch.Tensor):
        return {"": state}
    if isinstance(state, dict):
        if "clip_l" in state or "clip_g" in state:
            return {k: state[k] for k in ("clip_l", "clip_g") if isinstance(state.get(k), torch.Tensor)}
        tensors = [v for v in state.values() if isinstance(v, torch.Tensor)]
        if len(tensors) == 1:
            return {"": tensors[0]}
    raise ModelLoadError(f"{path.name} holds no textual-inversion embedding this studio can read.")


class EmbeddingSet:
    """The embeddings loaded into one model's tokenizers and text encoders."""

    def __init__(self, model_name: str = "the model") -> None:
        self.model_name = model_name
        self._tokens: dict[str, tuple[str, str]] = {}  # path -> (file stamp, token words)
        self._count = 0

    def tokens(self, pipe, files: list[EmbeddingFile]) -> dict[str, str]:
        """``{name: "tok tok_1 ..."}``, loading what is not loaded yet."""
        return {f.name: self._load(pipe, f) for f in files}

    def _load(self, pipe, f: EmbeddingFile) -> str:
        stat = f.path.stat()
        key, stamp = str(f.path), f"{stat.st_size}|{stat.st_mtime_ns}"
        if key in self._tokens and self._tokens[key][0] == stamp:
            return self._tokens[key][1]
        if f.path.suffix.lower() in SAFE_SUFFIXES:
            from safetensors.torch import load_file

            try:
                state = load_file(f.path)
            except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
                raise ModelLoadError(f"{WHAT} {f.path.name} could not be read ({networks.why(exc)}).") from None
        else:
            state = networks.load_pickle(f.path, WHAT)
        vectors = _vectors(state, f.path)
        encoders = [(getattr(pipe, t, None), getattr(pipe, e, None)) for t, e in (("tokenizer", "text_encoder"), ("tokenizer_2", "text_encoder_2"))]
        encoders = [(t, e) for t, e in encoders if t is not None and e is not None]
        if len(encoders) == 2:  # SDXL: one set of vectors per text encoder
            parts = [vectors.get("clip_l"), vectors.get("clip_g")]
        else:
            parts = [vectors.get("", vectors.get("clip_l"))]
        widths = [e.get_input_embeddings().weight.shape[-1] for _, e in encoders]
        got = [tuple(v.shape)[-1] if v is not None else None for v in parts]
        if got != widths:
            have = " and ".join(str(g) for g in got if g) or "no"
            raise ModelLoadError(
                f"Embedding {f.name!r} does not fit {self.model_name}: it has {have}-wide vectors, the text "
                f"encoder{'s take' if len(widths) > 1 else ' takes'} {' and '.join(map(str, widths))}. "
                "It was made for another model family (SD 1.x, SD 2.x, SDXL)."
            )
        self._count += 1
        token = f"<studio-ti-{self._count}>"
        for (tokenizer, encoder), vec in zip(encoders, parts):
            vec = vec.reshape(-1, vec.shape[-1]).to(dtype=encoder.dtype)
            pipe.load_textual_inversion(vec if len(vec) > 1 else vec[0], token=token, tokenizer=tokenizer, text_encoder=encoder)
        count = len(parts[0].reshape(-1, parts[0].shape[-1]))
        words = " ".join([token] + [f"{token}_{i}" for i in range(1, count)])
        self._tokens[key] = (stamp, words)
        return words
