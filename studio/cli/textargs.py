"""Text given on the command line: bytes that are not UTF-8 become one clear error, not a traceback.

Python hands undecodable argv bytes over as lone surrogates (``surrogateescape``);
they cannot be stored, searched or written into a PNG text chunk.
"""

from __future__ import annotations

import os

from studio.engine.errors import InvalidRequest


def checked_text(value: str | None, what: str) -> str | None:
    """``value`` unchanged when it is valid text; :class:`InvalidRequest` naming the bad byte otherwise."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError as exc:
        raw = os.fsencode(value[exc.start : exc.end]) if exc.start < len(value) else b""
        shown = " ".join(f"0x{b:02x}" for b in raw[:4]) or "?"
        raise InvalidRequest(
            f"The {what} is not valid UTF-8 text (byte {shown} at character {exc.start + 1}); "
            "set the terminal to UTF-8 or pass the text in UTF-8."
        ) from None
