"""Provenance: every image Studio writes says it is AI-made, in ways others can check offline.

* :mod:`.source_type`: the IPTC digital source type in XMP (``trainedAlgorithmicMedia``
  for txt2img, ``compositeWithTrainedAlgorithmicMedia`` when an existing image was
  changed), added to PNG/JPEG/WebP bytes without re-encoding.
* :mod:`.credentials` and :mod:`.c2pa_signing`: C2PA Content Credentials signed with a
  per-install root CA and EC P-256 certificate made locally (or the user's own).
* :mod:`.watermark`: the invisible ``dwtDct`` mark, on by default for exports.
* :mod:`.sealing`: the steps around the metadata writer (mark, then seal last).
* :mod:`.verify`: what a file says (``studio verify``, the gallery badge).

Qt-free; nothing here opens a network connection.
"""

from studio.engine.provenance.sealing import (
    GALLERY,
    STRIP_ALL_WARNING,
    Keep,
    Options,
    confirm_mark,
    encode_generated,
    has_manifest,
    mark,
    parse_keep,
    record_for,
    record_from_studio,
    seal,
    sealed_copy,
)

__all__ = [
    "GALLERY",
    "STRIP_ALL_WARNING",
    "Keep",
    "Options",
    "confirm_mark",
    "encode_generated",
    "has_manifest",
    "mark",
    "parse_keep",
    "record_for",
    "record_from_studio",
    "seal",
    "sealed_copy",
]
