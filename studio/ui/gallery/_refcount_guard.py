"""A guard against a reference-count leak in the installed PySide6 build on CPython 3.11.

Observed with PySide6/shiboken6 6.12.0 on Python 3.11: every call of a Qt
method that returns ``void`` (``painter.save()``, ``label.setText()``,
``widget.repaint()``...) takes one reference from ``None`` without giving it
back. ``None``'s count starts near 5,000, so after a few thousand such calls
(a few seconds of painting a thumbnail grid) CPython aborts with
"Fatal Python error: none_dealloc: deallocating None". Python 3.12+ makes
``None``/``True``/``False`` immortal, so there the leak is harmless.

:func:`pin_singletons` gives these three singletons a reference count so
large that the leak can never bring it to zero (they are never freed anyway).
It does nothing on Python 3.12+ or on other implementations.
"""

from __future__ import annotations

import sys

_PINNED = False
PIN = 1 << 40


def pin_singletons() -> bool:
    """Make None/True/False effectively immortal on CPython < 3.12; True when applied."""
    global _PINNED
    if _PINNED:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes

    for obj in (None, True, False):
        # ob_refcnt is the first field of every PyObject in CPython 3.11 (release builds)
        ctypes.c_ssize_t.from_address(id(obj)).value += PIN
    _PINNED = True
    return True
