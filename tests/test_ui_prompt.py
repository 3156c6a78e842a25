"""Prompt syntax, weight keys, token counting, history and styles."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from studio.settings import PromptHistory, Styles
from studio.ui import prompt_syntax as ps
from studio.ui.prompt_editor import PromptEditor
from studio.ui.token_counter import CHUNK, approx_tokens, count_tokens


def kinds_at(text: str) -> dict[str, set[str]]:
    """Which kinds cover which substrings."""
    out: dict[str, set[str]] = {}
    for start, length, kind in ps.spans(text):
        out.setdefault(kind, set()).add(text[start : start + length])
    return out


def test_spans_cover_weights_tags_and_errors():
    found = kinds_at("a (red cat:1.2), [dog], (sky) <lora:ink:0.7> embedding:bad-hands BREAK (open")
    assert "red cat" in found[ps.EMPHASIS] and "sky" in found[ps.EMPHASIS]
    assert found[ps.WEIGHT] == {"1.2"}
    assert found[ps.DEEMPHASIS] == {"dog"}
    assert found[ps.LORA] == {"<lora:ink:0.7>"}
    assert found[ps.EMBEDDING] == {"embedding:bad-hands"}
    assert found[ps.KEYWORD] == {"BREAK"}
    assert found[ps.ERROR] == {"("}
    # an escaped bracket is text, not syntax
    assert ps.ERROR not in kinds_at(r"a \(literal")


@pytest.mark.parametrize(
    "text, sel, delta, expected, expected_sel",
    [
        ("a cat sits", (3, 3), 0.1, "a (cat:1.1) sits", "cat"),
        ("a (cat:1.1) sits", (5, 5), 0.1, "a (cat:1.2) sits", "cat"),
        ("a (cat:1.1) sits", (5, 5), -0.1, "a cat sits", "cat"),  # back to 1.0: brackets go
        ("a big cat", (2, 9), -0.1, "a (big cat:0.9)", "big cat"),
        ("(outer (inner:1.3):1.1)", (10, 10), 0.1, "(outer (inner:1.4):1.1)", "inner"),
        ("a ,, b", (3, 3), 0.1, "a ,, b", ""),  # no word at the cursor: unchanged
    ],
)
def test_adjust_weight(text, sel, delta, expected, expected_sel):
    new, start, end = ps.adjust_weight(text, *sel, delta)
    assert new == expected
    assert new[start:end] == expected_sel


def test_plain_text_drops_syntax():
    assert ps.plain_text("(red cat:1.2), [dog] <lora:x:1>").split() == ["red", "cat", ",", "dog"]


def test_token_count_chunks_of_75():
    assert approx_tokens("a red circle") == 3
    assert count_tokens("").label() == "~0/75"
    long = ", ".join(["cat"] * 50)  # 50 words + 49 commas
    c = count_tokens(long)
    assert (c.tokens, c.chunks, c.capacity) == (99, 2, 150)
    assert count_tokens("cat BREAK dog").chunks == 2  # BREAK starts a new chunk
    exact = count_tokens("(abc:1.5)", tokenize=len)  # a character tokenizer
    assert exact.exact and exact.tokens == len(ps.plain_text("(abc:1.5)")) and exact.label().startswith(str(exact.tokens))
    assert CHUNK == 75


def test_history_dedupes_keeps_newest_first_and_limit(studio_home):
    h = PromptHistory(limit=3)
    for p in ["one", "two", "one", "three", "four"]:
        h.add(p, "neg")
    assert [e["prompt"] for e in h.entries] == ["four", "three", "one"]
    again = PromptHistory()
    assert again.entries == h.entries
    h.add("  ", "")
    assert len(PromptHistory()) == 3


def test_styles_apply_save_delete(studio_home):
    s = Styles()
    s.save_style("ink", "ink drawing, high contrast", "colour")
    s.save_style("frame", "a photo of {prompt}, 35mm", "")
    assert Styles().names() == ["frame", "ink"]
    assert s.apply("ink", "a cat,", "blurry") == ("a cat, ink drawing, high contrast", "blurry, colour")
    assert s.apply("frame", "a cat", "") == ("a photo of a cat, 35mm", "")
    s.delete("ink")
    assert Styles().names() == ["frame"]
    with pytest.raises(ValueError):
        s.save_style(" ", "x")


def test_editor_highlights_counts_and_weight_keys(qtbot, studio_home):
    editor = PromptEditor()
    qtbot.addWidget(editor)
    editor.show()
    edit = editor.prompt
    qtbot.keyClicks(edit, "a red circle")
    qtbot.waitUntil(lambda: editor.prompt_count.text() == "~3/75", timeout=2000)
    # put the cursor in "red" and press Ctrl+Up twice, then Ctrl+Down once
    cursor = edit.textCursor()
    cursor.setPosition(3)
    edit.setTextCursor(cursor)
    qtbot.keyClick(edit, Qt.Key_Up, Qt.ControlModifier)
    qtbot.keyClick(edit, Qt.Key_Up, Qt.ControlModifier)
    assert edit.toPlainText() == "a (red:1.2) circle"
    qtbot.keyClick(edit, Qt.Key_Down, Qt.ControlModifier)
    assert edit.toPlainText() == "a (red:1.1) circle"
    edit.undo()  # each weight change is one undo step
    assert edit.toPlainText() == "a (red:1.2) circle"
    # the highlighter coloured the weight differently from plain text
    block = edit.document().firstBlock()
    formats = {f.start: f.format.foreground().color().name() for f in block.layout().formats()}
    weight_at = edit.toPlainText().index("1.2")
    assert formats.get(weight_at) not in (None, formats.get(2))


def test_editor_history_recall_and_style(qtbot, studio_home):
    editor = PromptEditor()
    qtbot.addWidget(editor)
    editor.set_text("first", "bad")
    editor.history.add(*editor.text())
    editor.set_text("second", "")
    editor.history.add(*editor.text())
    editor._fill_history_menu()
    labels = [a.text() for a in editor.history_menu.actions()]
    assert labels == ["second", "first"]
    editor.history_menu.actions()[1].trigger()
    assert editor.text() == ("first", "bad")
    editor.styles.save_style("moody", "dark, moody light", "bright")
    editor._fill_styles_menu()
    next(a for a in editor.styles_menu.actions() if a.text() == "moody").trigger()
    assert editor.text() == ("first, dark, moody light", "bad, bright")
    saved = json.loads((studio_home / "styles.json").read_text())
    assert saved["moody"]["prompt"] == "dark, moody light"
