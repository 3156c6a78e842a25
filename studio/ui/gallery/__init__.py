"""The gallery view: a virtualized thumbnail grid over :class:`studio.library.Library`.

:class:`~studio.ui.gallery.panel.GalleryPanel` is the dockable widget the main
window uses; it talks to the rest of the UI through the signals
``reuse_parameters(dict)`` and ``send_to_canvas(str path, str purpose)``.
"""
