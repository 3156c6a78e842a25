"""The local image library: files in dated folders under ``STUDIO_HOME`` plus an SQLite index.

Qt-free; the gallery view in :mod:`studio.ui.gallery` and the ``studio gallery``
CLI are both built on :class:`Library`.
"""

from studio.library.library import (
    EXPORT_FORMATS,
    SORTS,
    GalleryEntry,
    ImportReport,
    Library,
    ReconcileReport,
    fts_query,
)
from studio.library.names import DEFAULT_TEMPLATE, TemplateError, render_template, safe_filename

__all__ = [
    "DEFAULT_TEMPLATE",
    "EXPORT_FORMATS",
    "SORTS",
    "GalleryEntry",
    "ImportReport",
    "Library",
    "ReconcileReport",
    "TemplateError",
    "fts_query",
    "render_template",
    "safe_filename",
]
