"""Syntax highlighting of prompt weights, network (LoRA) tags and embeddings."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

from studio.ui import prompt_syntax as ps


def _fmt(colour: str, bold: bool = False, italic: bool = False, underline: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(colour))
    if bold:
        f.setFontWeight(QFont.Bold)
    f.setFontItalic(italic)
    if underline:
        f.setUnderlineStyle(QTextCharFormat.WaveUnderline)
        f.setUnderlineColor(QColor(colour))
    return f


FORMATS = {
    ps.EMPHASIS: _fmt("#f2c14e"),
    ps.DEEMPHASIS: _fmt("#8fa3bf", italic=True),
    ps.BRACKET: _fmt("#c678dd", bold=True),
    ps.WEIGHT: _fmt("#56b6c2", bold=True),
    ps.LORA: _fmt("#98c379", bold=True),
    ps.EMBEDDING: _fmt("#e5a07b", bold=True),
    ps.KEYWORD: _fmt("#ff7b72", bold=True),
    ps.ERROR: _fmt("#ff5555", bold=True, underline=True),
}


class PromptHighlighter(QSyntaxHighlighter):
    """Colours one block (paragraph) at a time with :func:`prompt_syntax.spans`."""

    def highlightBlock(self, text: str) -> None:
        for start, length, kind in ps.spans(text):
            self.setFormat(start, length, FORMATS[kind])
