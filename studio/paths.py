"""Where Studio reads its resources and writes its data.

Everything the app writes lives under one data directory: the platform's user
data dir by default, or ``$STUDIO_HOME`` when set (tests always set it).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "studio"


def data_dir() -> Path:
    """The root folder for the gallery, settings and model cache (created on demand)."""
    env = os.environ.get("STUDIO_HOME")
    root = Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # e.g. under a read-only parent: whatever writes there reports it in its own words
    return root


def gallery_dir() -> Path:
    return data_dir() / "gallery"


def models_dir() -> Path:
    """User-installed models: diffusers folders and single-file checkpoints."""
    return data_dir() / "models"


def lora_dir() -> Path:
    """LoRA files for ``<lora:name:weight>`` prompt tags (AUTOMATIC1111's folder name)."""
    return models_dir() / "Lora"


def embeddings_dir() -> Path:
    """Textual-inversion embeddings for ``embedding:name`` prompt tags."""
    return models_dir() / "embeddings"


def settings_path() -> Path:
    return data_dir() / "settings.json"


def resources_dir() -> Path:
    """Bundled read-only resources (starter model, icons, model-family configs)."""
    env = os.environ.get("STUDIO_RESOURCES")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "resources"


def starter_model_dir() -> Path:
    return resources_dir() / "models" / "starter"
