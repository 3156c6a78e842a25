"""pytest-qt: the gallery panel over a real library of a few thousand generated images."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from studio.engine import metadata as md
from studio.library import Library
from studio.bench.library import build_library, sample_generated
from studio.ui.gallery.model import EntryRole, StateRole
from studio.ui.gallery.panel import GalleryPanel

N = 2500
DATA = Path(__file__).parent / "data" / "interop"


@pytest.fixture(scope="module")
def big_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("gallery-big")
    lib, _seconds = build_library(root, N, size=48)
    lib.close()
    return root


@pytest.fixture
def lib(big_root, tmp_path):
    """A private copy of the big library (tests delete and import)."""
    root = tmp_path / "lib"
    shutil.copytree(big_root, root)
    library = Library.open(root)
    yield library
    library.close()


@pytest.fixture
def panel(qtbot, lib):
    p = GalleryPanel(lib)
    qtbot.addWidget(p)
    p.resize(700, 900)
    p.show()
    qtbot.waitExposed(p)
    with qtbot.waitSignal(p.reconciled, timeout=60000, raising=False):
        pass
    yield p
    p.shutdown()


def visible_rows(panel):
    return list(panel.view.visible_rows())


def test_grid_loads_only_visible_thumbnails(qtbot, panel, lib):
    assert panel.model.rowCount() == N
    assert panel.count_label.text() == f"{N:,} images"
    rows = visible_rows(panel)
    assert 4 <= len(rows) < 200
    # thumbnails of the first screen arrive; placeholders until then
    qtbot.waitUntil(lambda: all(panel.model.index(r).data(StateRole) == "ready" for r in rows), timeout=30000)
    loaded = panel.model.loaded_count()
    assert loaded <= len(rows) + 60  # far from all 2,500
    # scroll to the end: the last cells load, not everything in between
    panel.view.scrollToBottom()
    qtbot.wait(100)
    last = visible_rows(panel)
    assert last[-1] == N - 1
    qtbot.waitUntil(lambda: all(panel.model.index(r).data(StateRole) == "ready" for r in last), timeout=30000)
    assert panel.model.loaded_count() < 400
    # cached on disk as WebP
    assert len(list(lib.thumbs_dir.rglob("*.webp"))) == panel.model.loaded_count()
    # adjustable size: smaller cells show more of them
    before = len(visible_rows(panel))
    panel.size_slider.setValue(64)
    qtbot.wait(50)
    assert panel.view.gridSize().height() == 72 and panel.view.gridSize().width() >= 72
    assert len(visible_rows(panel)) > before


def test_instant_search_and_filters(qtbot, panel, lib):
    qtbot.keyClicks(panel.search_box, "lighthouse")
    expected = lib.count("lighthouse")
    assert 0 < expected < N
    qtbot.waitUntil(lambda: panel.model.rowCount() == expected, timeout=5000)
    for r in range(min(20, expected)):
        assert "lighthouse" in panel.model.index(r).data(EntryRole).prompt
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("sdxl-base"))
    assert panel.model.rowCount() == lib.count("lighthouse", model="sdxl-base")
    panel.search_box.clear()
    panel.apply_filters()
    assert panel.model.rowCount() == lib.count(model="sdxl-base")
    panel.model_combo.setCurrentIndex(0)
    assert panel.model.rowCount() == N
    # favourites filter
    panel.view.setCurrentIndex(panel.model.index(3))
    panel.toggle_favourite()
    panel.fav_button.setChecked(True)
    assert panel.model.rowCount() == 1
    panel.fav_button.setChecked(False)
    # sort oldest / newest
    newest_first = panel.model.ids[0]
    panel.sort_combo.setCurrentIndex(panel.sort_combo.findData("oldest"))
    assert panel.model.ids[-1] == newest_first
    # boards
    panel.add_to_board("picks", ids=panel.model.ids[:5])
    panel.board_combo.setCurrentIndex(panel.board_combo.findData("picks"))
    assert panel.model.rowCount() == 5
    # date range: everything is older than today except the newest few
    panel.board_combo.setCurrentIndex(0)
    panel.date_combo.setCurrentText("Last 7 days")
    assert 0 < panel.model.rowCount() < N
    assert panel.model.rowCount() == lib.count(date_from=__import__("datetime").date.today() - __import__("datetime").timedelta(days=6))


def test_search_keeps_no_stale_rows(qtbot, panel, lib):
    """A search reuses the rows it has read; a change to a row (favourite, rating) shows after it."""
    first = panel.model.ids[0]
    assert not panel.model.index(0).data(EntryRole).favourite
    panel.view.setCurrentIndex(panel.model.index(0))
    panel.toggle_favourite()
    panel.set_rating(4)
    qtbot.keyClicks(panel.search_box, "zzz-nothing")
    panel.apply_filters()
    assert panel.model.rowCount() == 0
    panel.search_box.clear()
    panel.apply_filters()
    entry = panel.model.index(panel.model.row_of(first)).data(EntryRole)
    assert entry.favourite and entry.rating == 4
    assert entry == lib.get_many([first])[0]


def test_rows_are_read_ahead_between_frames(qtbot, panel, lib):
    """Near a page's end the next page is read when the event loop is idle, not inside a paint."""
    from studio.ui.gallery.model import PAGE

    model = panel.model
    assert model.rowCount() > 2 * PAGE
    model.reload()  # nothing read
    reads = []
    real = lib.get_many
    lib.get_many = lambda ids: reads.append(len(ids)) or real(ids)
    try:
        assert model.entry(PAGE - 1) is not None  # reads page 0, asks for page 1
        assert reads == [PAGE]
        qtbot.waitUntil(lambda: len(reads) == 2, timeout=2000)
        assert model.entry(PAGE).id == model.ids[PAGE]
        assert model.entry(PAGE + 1).prompt == lib.get_many([model.ids[PAGE + 1]])[0].prompt
        assert reads[:2] == [PAGE, PAGE]  # page 1 came from the idle read, not from entry()
    finally:
        lib.get_many = real


def test_reuse_parameters_fills_prompt_editor_and_panel(qtbot, panel, lib):
    from studio.ui.params_panel import ParamsPanel
    from studio.ui.prompt_editor import PromptEditor

    editor, params = PromptEditor(), ParamsPanel()
    qtbot.addWidget(editor)
    qtbot.addWidget(params)

    def reuse(p: dict) -> None:  # what the main window does with the signal
        editor.set_text(p.get("prompt", ""), p.get("negative_prompt", ""))
        params.set_values(p)

    panel.reuse_parameters.connect(reuse)
    panel.view.setCurrentIndex(panel.model.index(7))
    entry = panel.current_entry()
    with qtbot.waitSignal(panel.reuse_parameters) as sig:
        panel.detail.buttons["reuse"].click()
    sent = sig.args[0]
    assert sent["seed"] == entry.seed and sent["prompt"] == entry.prompt
    assert editor.text() == (entry.prompt, entry.negative_prompt)
    values = params.values()
    assert values["scheduler"] == entry.params["scheduler"] and values["steps"] == entry.steps
    assert values["cfg_scale"] == pytest.approx(entry.cfg_scale)
    assert params.seed_value() == entry.seed
    # Enter on the grid opens the image (issue 18: a viewer, not a reuse); the context menu still reuses
    qtbot.keyClick(panel.view, Qt.Key_Return)
    assert panel.lightbox is not None and panel.lightbox.current_id() == entry.id
    panel.lightbox.close()


def test_send_to_canvas_and_copy(qtbot, panel):
    panel.view.setCurrentIndex(panel.model.index(0))
    entry = panel.current_entry()
    with qtbot.waitSignal(panel.send_to_canvas) as sig:
        panel.detail.buttons["inpaint"].click()
    assert sig.args == [str(entry.path), "inpaint"]
    with qtbot.waitSignal(panel.send_to_canvas) as sig:
        panel.detail.buttons["init"].click()
    assert sig.args == [str(entry.path), "init"]
    panel.copy_parameters()
    text = QApplication.clipboard().text()
    assert md.parse_a1111(text)["Seed"] == str(entry.seed)
    panel.copy_image()
    assert QApplication.clipboard().image().size().width() == entry.width


def test_delete_and_undo(qtbot, panel, lib):
    panel.view.setFocus()
    from PySide6.QtCore import QItemSelectionModel

    ids = panel.model.ids[10:13]
    sel = panel.view.selectionModel()
    for i, image_id in enumerate(ids):
        sel.select(panel.model.index(panel.model.row_of(image_id)), QItemSelectionModel.Select)
    paths = [e.path for e in lib.get_many(ids)]
    assert panel.selected_ids() == ids
    qtbot.keyClick(panel.view, Qt.Key_Delete)
    assert panel.model.rowCount() == N - 3
    assert not any(panel.model.row_of(i) >= 0 for i in ids)
    assert not any(p.exists() for p in paths)
    assert panel.undo_bar.isVisibleTo(panel) and "Delete 3 images" in panel.undo_label.text()
    assert sorted(e.id for e in lib.list(trashed=True)) == sorted(ids)
    qtbot.keyClick(panel.view, Qt.Key_Z, Qt.ControlModifier)
    assert panel.model.rowCount() == N
    assert all(p.exists() for p in paths)
    assert panel.selected_ids() == ids  # restored and selected again
    assert lib.list(trashed=True) == []
    assert not panel.undo_bar.isVisibleTo(panel)


def test_new_image_lands_on_top(qtbot, panel, lib):
    entry = lib.add_generated(sample_generated(999_999, 48))
    panel.add_entry(entry)
    assert panel.model.rowCount() == N + 1 and panel.model.ids[0] == entry.id


def test_drag_out_carries_files(qtbot, panel):
    indexes = [panel.model.index(0), panel.model.index(1)]
    mime = panel.model.mimeData(indexes)
    files = [Path(u.toLocalFile()) for u in mime.urls()]
    assert len(files) == 2 and all(f.exists() and f.suffix == ".png" for f in files)


def test_drop_in_imports(qtbot, panel, lib, tmp_path):
    src = tmp_path / "incoming"
    src.mkdir()
    for name in ("comfyui.png", "invokeai.png"):
        shutil.copy(DATA / name, src / name)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(src / "comfyui.png")), QUrl.fromLocalFile(str(src / "invokeai.png"))])
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(panel.imported, timeout=30000) as sig:
        panel.view.dropEvent(event)
    assert len(sig.args[0].added) == 2
    assert panel.model.rowCount() == N + 2
    assert panel.message_label.text() == "Imported 2 image(s)."
    assert sorted(panel.selected_ids()) == sorted(sig.args[0].added)
    panel.search_box.setText("galaxy bottle")
    panel.apply_filters()
    assert panel.model.rowCount() == 1


def test_export_from_panel_keeps_metadata(qtbot, panel, tmp_path):
    ids = panel.model.ids[:2]
    with qtbot.waitSignal(panel.exported, timeout=30000) as sig:
        panel.export_selected(tmp_path / "out", ids=ids, fmt="webp", template="{id}")
    written = sig.args[0]
    assert sorted(p.name for p in written) == sorted(f"{i}.webp" for i in ids)
    assert md.read_metadata(written[0]).source == "studio"


def test_start_up_reconcile_runs_in_background(qtbot, lib):
    # files added and removed while the app was closed
    extra = lib.gallery_dir / "elsewhere"
    extra.mkdir()
    shutil.copy(DATA / "a1111.png", extra / "a.png")
    victim = lib.get(lib.query_ids()[0])
    victim.path.unlink()
    p = GalleryPanel(lib)
    qtbot.addWidget(p)
    assert p.model.rowCount() == N  # the first screen comes from the index at once
    with qtbot.waitSignal(p.reconciled, timeout=60000) as sig:
        pass
    report = sig.args[0]
    assert len(report.added) == 1 and report.removed == [victim.rel_path]
    assert p.model.rowCount() == N
    assert p.model.row_of(victim.id) == -1 and p.model.row_of(report.added[0]) >= 0
    p.shutdown()


def test_detail_panel_shows_parameters(qtbot, panel):
    panel.view.setCurrentIndex(panel.model.index(5))
    entry = panel.current_entry()
    qtbot.waitUntil(lambda: "Seed:" in panel.detail.params_text.toPlainText(), timeout=10000)
    text = panel.detail.params_text.toPlainText()
    assert str(entry.seed) in text and entry.prompt in text
    assert panel.detail.preview.pixmap() is not None and not panel.detail.preview.pixmap().isNull()


def test_long_painting_sessions_stay_alive(tmp_path):
    """PySide6 6.12.0 on Python 3.11 takes a reference from None on every void Qt call and
    aborts after a few thousand ("none_dealloc"); pyproject excludes that build. This
    catches a regression in whichever PySide6 is installed."""
    import subprocess
    import sys

    script = (
        "import os\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "label = QLabel()\n"
        "for _ in range(50_000):\n"
        "    label.setText('x')\n"
        "print('alive')\n"
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "alive" in proc.stdout
