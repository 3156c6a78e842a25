"""Prompt and negative prompt editors: highlighting, weight keys, token counts, history, styles."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.settings import PromptHistory, Styles
from studio.ui import aio
from studio.ui.prompt_highlighter import PromptHighlighter
from studio.ui.prompt_syntax import adjust_weight
from studio.ui.theme import icon
from studio.ui.token_counter import TokenCount, Tokenize, count_tokens

WEIGHT_STEP = 0.1
HISTORY_SHOWN = 25


class PromptEdit(QPlainTextEdit):
    """A plain-text prompt box. Ctrl+Up/Down raises/lowers the weight of the word under the cursor."""

    def __init__(self, placeholder: str, parent=None):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        self.highlighter = PromptHighlighter(self.document())

    def keyPressEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier and event.key() in (Qt.Key_Up, Qt.Key_Down):
            self.change_weight(WEIGHT_STEP if event.key() == Qt.Key_Up else -WEIGHT_STEP)
            event.accept()
            return
        super().keyPressEvent(event)

    def change_weight(self, delta: float) -> None:
        cursor = self.textCursor()
        text = self.toPlainText()
        new, start, end = adjust_weight(text, cursor.selectionStart(), cursor.selectionEnd(), delta)
        if new == text:
            return
        # one edit block: a single Ctrl+Z undoes the change
        cursor.beginEditBlock()
        cursor.select(QTextCursor.Document)
        cursor.insertText(new)
        cursor.endEditBlock()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.KeepAnchor)
        self.setTextCursor(cursor)


class PromptEditor(QWidget):
    """The prompt panel. ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(self, history: PromptHistory | None = None, styles: Styles | None = None, parent=None):
        super().__init__(parent)
        self.history = history or PromptHistory()
        self.styles = styles or Styles()
        self._tokenize: Tokenize | None = None
        self._count_task: asyncio.Task | None = None

        self.prompt = PromptEdit("Describe the picture… (Ctrl+Enter to generate)")
        self.prompt.setObjectName("prompt")
        self.negative = PromptEdit("What to avoid (negative prompt)")
        self.negative.setObjectName("negativePrompt")
        self.prompt_count = QLabel(objectName="tokenCount")
        self.negative_count = QLabel(objectName="tokenCount")
        for label in (self.prompt_count, self.negative_count):
            label.setToolTip("Tokens / capacity: the text encoder reads 75 tokens per chunk")

        self.history_button = QToolButton(icon=icon("history"), toolTip="Recall an earlier prompt")
        self.history_button.setPopupMode(QToolButton.InstantPopup)
        self.history_menu = QMenu(self)
        self.history_menu.aboutToShow.connect(self._fill_history_menu)
        self.history_button.setMenu(self.history_menu)
        self.styles_button = QToolButton(icon=icon("style"), toolTip="Styles: saved prompt fragments")
        self.styles_button.setPopupMode(QToolButton.InstantPopup)
        self.styles_menu = QMenu(self)
        self.styles_menu.aboutToShow.connect(self._fill_styles_menu)
        self.styles_button.setMenu(self.styles_menu)

        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Prompt</b>"))
        top.addStretch(1)
        top.addWidget(self.prompt_count)
        top.addWidget(self.history_button)
        top.addWidget(self.styles_button)
        neg = QHBoxLayout()
        neg.addWidget(QLabel("<b>Negative</b>"))
        neg.addStretch(1)
        neg.addWidget(self.negative_count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.prompt, 3)
        layout.addLayout(neg)
        layout.addWidget(self.negative, 2)

        self._shut = False
        self._count_timer = QTimer(self, singleShot=True, interval=120)
        self._count_timer.timeout.connect(self._recount)
        for edit in (self.prompt, self.negative):
            edit.textChanged.connect(self._count_timer.start)
            edit.textChanged.connect(self.changed)
        self._show_counts(count_tokens(""), count_tokens(""))

    # -- text -----------------------------------------------------------------------------

    def text(self) -> tuple[str, str]:
        return self.prompt.toPlainText(), self.negative.toPlainText()

    def set_text(self, prompt: str, negative: str = "") -> None:
        self.prompt.setPlainText(prompt)
        self.negative.setPlainText(negative)
        self.prompt.moveCursor(QTextCursor.End)

    def remember(self) -> None:
        """Add the current prompts to the history (written off the GUI thread)."""
        prompt, negative = self.text()
        aio.spawn(aio.off_thread(self.history.add, prompt, negative))

    def recall(self, index: int) -> None:
        entry = self.history.entries[index]
        self.set_text(entry["prompt"], entry["negative_prompt"])

    # -- token counting ----------------------------------------------------------------------

    def set_tokenizer(self, tokenize: Tokenize | None) -> None:
        """Count with the model's tokenizer (None: the approximation)."""
        self._tokenize = tokenize
        self._recount()

    def shutdown(self) -> None:
        """Stop counting: the window is closing and its event loop may already be gone."""
        self._count_timer.stop()
        if self._count_task is not None and not self._count_task.done():
            self._count_task.cancel()
        self._tokenize = None
        self._shut = True

    def _recount(self) -> None:
        if self._shut:
            return
        prompt, negative = self.text()
        if self._tokenize is None:
            self._show_counts(count_tokens(prompt), count_tokens(negative))
            return
        if self._count_task is not None and not self._count_task.done():
            self._count_task.cancel()
        self._count_task = aio.spawn(self._count_off_thread(prompt, negative, self._tokenize))

    async def _count_off_thread(self, prompt: str, negative: str, tokenize: Tokenize) -> None:
        counts = await aio.off_thread(lambda: (count_tokens(prompt, tokenize), count_tokens(negative, tokenize)))
        if self._tokenize is tokenize and self.text() == (prompt, negative):
            self._show_counts(*counts)

    def _show_counts(self, prompt: TokenCount, negative: TokenCount) -> None:
        self.prompt_count.setText(prompt.label())
        self.negative_count.setText(negative.label())
        self.last_counts = (prompt, negative)

    # -- menus -----------------------------------------------------------------------------

    def _fill_history_menu(self) -> None:
        self.history_menu.clear()
        if not self.history.entries:
            self.history_menu.addAction("No earlier prompts").setEnabled(False)
            return
        for i, entry in enumerate(self.history.entries[:HISTORY_SHOWN]):
            text = entry["prompt"].replace("\n", " ")
            act = QAction(text if len(text) <= 70 else text[:69] + "…", self.history_menu)
            act.setToolTip(entry["prompt"] + ("\nNegative: " + entry["negative_prompt"] if entry["negative_prompt"] else ""))
            act.triggered.connect(lambda _=False, i=i: self.recall(i))
            self.history_menu.addAction(act)

    def _fill_styles_menu(self) -> None:
        self.styles_menu.clear()
        names = self.styles.names()
        for name in names:
            self.styles_menu.addAction(name).triggered.connect(lambda _=False, n=name: self.apply_style(n))
        if not names:
            self.styles_menu.addAction("No styles yet").setEnabled(False)
        self.styles_menu.addSeparator()
        self.styles_menu.addAction("Save prompts as style…").triggered.connect(self._ask_save_style)
        if names:
            delete = self.styles_menu.addMenu("Delete style")
            for name in names:
                delete.addAction(name).triggered.connect(lambda _=False, n=name: self.styles.delete(n))

    def apply_style(self, name: str) -> None:
        self.set_text(*self.styles.apply(name, *self.text()))

    def _ask_save_style(self) -> None:
        name, ok = QInputDialog.getText(self, "Save style", "Name of the style:")
        if ok and name.strip():
            self.styles.save_style(name, *self.text())
