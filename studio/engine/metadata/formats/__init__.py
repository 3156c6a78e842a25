"""One reader per tool's format; :mod:`studio.engine.metadata.registry` decides the order they are tried in.

Each module has ``NAME`` and ``read(src, md) -> bool``: it fills the
:class:`~studio.engine.metadata.model.ImageMetadata` from the
:class:`~studio.engine.metadata.sources.Sources` and returns True when the file
is in its format. Readers may leave wrong types in ``md``; the caller
normalises every field afterwards.
"""
