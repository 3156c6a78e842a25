"""The local image library: files in dated folders under ``STUDIO_HOME`` plus an SQLite index.

Qt-free; the gallery view in :mod:`studio.ui.gallery` and the ``studio gallery``
CLI are both built on :class:`Library`.
"""

from studio.library.entry import GalleryEntry
from studio.library.export import EXPORT_FORMATS
from studio.library.importing import ImportReport
from studio.library.library import Library
from studio.library.reconcile import ReconcileReport
from studio.library.search import SORTS, fts_query
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
