"""User settings, prompt history and saved styles: small JSON files under the data folder.

Qt-free on purpose (the CLI and tests read them too). Every file is written
atomically, so a crash leaves the previous version in place. A file that
cannot be parsed is set aside (``*.bad``) and defaults are used instead: a
broken settings file must never stop the app from starting.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from studio import paths
from studio.fsutil import atomic_write_text

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "float16", "bfloat16")
ENGINES = ("local", "server")
PREVIEW_METHODS = ("auto", "linear", "tiny", "vae")  # the same as studio.engine.preview_methods.METHODS
HISTORY_LIMIT = 200


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        return None
    try:
        return json.loads(text)
    except ValueError:
        try:
            os.replace(path, path.with_suffix(path.suffix + ".bad"))
        except OSError:
            pass
        return None


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False))


@dataclass
class Settings:
    """What the settings dialog edits, plus the window layout and the last used parameters."""

    device: str = "auto"
    dtype: str = "auto"
    preview_every: int = 1
    preview_method: str = "auto"  # auto, linear, tiny, vae (studio.engine.preview_methods.METHODS)
    preview_vae_every: int = 5  # the "vae" method: a full decode every N steps
    data_folder: str = ""  # empty: the default data folder; takes effect on the next launch
    model: str = ""  # last model spec; empty: the bundled starter model
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    params: dict[str, Any] = field(default_factory=dict)  # last parameter panel values
    nearest_neighbour: bool = False
    live: dict[str, Any] = field(default_factory=dict)  # live painting settings per model key (user changes)
    engine: str = "local"  # "local" (this computer) or "server"
    server_url: str = ""  # http(s)://host:port of a `studio serve`
    server_token: str = ""  # its bearer token (stored like the other settings, in the user's data folder)

    def engine_server(self) -> tuple[str, str]:
        """(url, token) of the server the engine runs on; ("", "") for this computer."""
        if self.engine == "server" and self.server_url.strip():
            return self.server_url.strip(), self.server_token.strip()
        return "", ""
    watermark_exports: bool = True  # the invisible watermark on saved/exported images (provenance)
    stage_results: bool = True  # finished results wait over the canvas image until accepted (studio.ui.staging)

    def validated(self) -> Settings:
        if self.device not in DEVICES:
            self.device = "auto"
        if self.dtype not in DTYPES:
            self.dtype = "auto"
        try:
            self.preview_every = max(0, min(50, int(self.preview_every)))
        except (TypeError, ValueError):
            self.preview_every = 1
        if self.preview_method not in PREVIEW_METHODS:
            self.preview_method = "auto"
        try:
            self.preview_vae_every = max(1, min(50, int(self.preview_vae_every)))
        except (TypeError, ValueError):
            self.preview_vae_every = 5
        if not isinstance(self.params, dict):
            self.params = {}
        if not isinstance(self.live, dict):
            self.live = {}
        if self.engine not in ENGINES:
            self.engine = "local"
        for name in ("data_folder", "model", "window_geometry", "window_state", "server_url", "server_token"):
            if not isinstance(getattr(self, name), str):
                setattr(self, name, "")
        self.nearest_neighbour = bool(self.nearest_neighbour)
        self.watermark_exports = bool(self.watermark_exports)
        self.stage_results = bool(self.stage_results)
        return self

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        data = _read_json(path or paths.settings_path())
        if not isinstance(data, dict):
            return cls()
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names}).validated()

    def save(self, path: Path | None = None) -> None:
        _write_json(path or paths.settings_path(), asdict(self))


class PromptHistory:
    """Earlier prompts, newest first, without duplicates; persisted in ``prompt_history.json``."""

    def __init__(self, path: Path | None = None, limit: int = HISTORY_LIMIT):
        self.path = path or paths.data_dir() / "prompt_history.json"
        self.limit = limit
        data = _read_json(self.path)
        self.entries: list[dict[str, str]] = []
        if isinstance(data, list):
            for item in data:
                if isinstance(item, dict) and isinstance(item.get("prompt"), str):
                    neg = item.get("negative_prompt", "")
                    self.entries.append({"prompt": item["prompt"], "negative_prompt": neg if isinstance(neg, str) else ""})

    def add(self, prompt: str, negative_prompt: str = "") -> None:
        prompt, negative_prompt = prompt.strip(), negative_prompt.strip()
        if not prompt and not negative_prompt:
            return
        entry = {"prompt": prompt, "negative_prompt": negative_prompt}
        self.entries = [e for e in self.entries if e != entry]
        self.entries.insert(0, entry)
        del self.entries[self.limit :]
        _write_json(self.path, self.entries)

    def __len__(self) -> int:
        return len(self.entries)


class Styles:
    """Saved prompt fragments by name; persisted in ``styles.json``.

    Applying a style appends its fragments to the prompt and negative prompt,
    or replaces ``{prompt}`` in the style's prompt when it has that placeholder.
    """

    def __init__(self, path: Path | None = None):
        self.path = path or paths.data_dir() / "styles.json"
        data = _read_json(self.path)
        self.styles: dict[str, dict[str, str]] = {}
        if isinstance(data, dict):
            for name, item in data.items():
                if isinstance(item, dict):
                    self.styles[str(name)] = {
                        "prompt": str(item.get("prompt", "")),
                        "negative_prompt": str(item.get("negative_prompt", "")),
                    }

    def names(self) -> list[str]:
        return sorted(self.styles, key=str.lower)

    def save_style(self, name: str, prompt: str, negative_prompt: str = "") -> None:
        name = name.strip()
        if not name:
            raise ValueError("A style needs a name.")
        self.styles[name] = {"prompt": prompt.strip(), "negative_prompt": negative_prompt.strip()}
        _write_json(self.path, self.styles)

    def delete(self, name: str) -> None:
        if self.styles.pop(name, None) is not None:
            _write_json(self.path, self.styles)

    def apply(self, name: str, prompt: str, negative_prompt: str) -> tuple[str, str]:
        style = self.styles[name]
        return _merge(style["prompt"], prompt), _merge(style["negative_prompt"], negative_prompt)


def _merge(fragment: str, text: str) -> str:
    if not fragment:
        return text
    if "{prompt}" in fragment:
        return fragment.replace("{prompt}", text.strip())
    text = text.strip().rstrip(",").strip()
    return f"{text}, {fragment}" if text else fragment


def apply_data_folder(settings: Settings) -> None:
    """Point :mod:`studio.paths` at the user's chosen data folder (read at start-up)."""
    if settings.data_folder:
        os.environ["STUDIO_HOME"] = str(Path(settings.data_folder).expanduser())


__all__ = ["DEVICES", "DTYPES", "ENGINES", "PREVIEW_METHODS", "PromptHistory", "Settings", "Styles", "apply_data_folder"]
