"""The gallery view: a virtualized thumbnail grid over :class:`studio.library.Library`.

:class:`~studio.ui.gallery.panel.GalleryPanel` is the dockable widget the main
window uses; it talks to the rest of the UI through the signals
``reuse_parameters(dict)`` and ``send_to_canvas(str path, str purpose)``.
"""

from studio.ui.gallery._refcount_guard import pin_singletons

pin_singletons()  # see _refcount_guard: PySide6 6.12 leaks references to None on Python 3.11
