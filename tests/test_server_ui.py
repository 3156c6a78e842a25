"""The window on a server: the same UI tests as on the local engine, with Settings set to "a server".

The tests below are test_ui_window's own functions, collected again here with
this module's ``window`` fixture: a real window whose worker uses a
RemoteEngine against a real server on loopback.
"""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("websockets")

from test_ui_window import (  # noqa: E402,F401  (collected here with the server-backed window)
    open_window,
    qloop,
    test_cancel_mid_run_stops_within_a_step_and_restores_the_canvas,
    test_type_prompt_ctrl_enter_previews_then_result_saved,
    wait_ready,
)

from studio.server.client import RemoteEngine  # noqa: E402
from studio.server.serve import BackgroundServer, local_app  # noqa: E402
from studio.settings import Settings  # noqa: E402

TOKEN = "ui-test-token-42"


@pytest.fixture(scope="module")
def server(tiny_sd_dir):
    with BackgroundServer(local_app(str(tiny_sd_dir), TOKEN)) as srv:
        yield srv


@pytest.fixture
def window(qtbot, qloop, tiny_sd_dir, server):
    Settings(engine="server", server_url=server.url, server_token=TOKEN).save()
    w = open_window(qtbot, tiny_sd_dir)
    wait_ready(qtbot, w)
    assert isinstance(w.gen.worker.engine, RemoteEngine)
    assert server.url in w.model_label.text() or "ready" in w.model_label.text()
    return w


def test_settings_engine_choice_tests_the_connection(qtbot, server):
    from studio.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    choice = dialog.engine
    assert choice.engine() == "local" and not choice.url.isEnabled()
    choice.kind.setCurrentIndex(choice.kind.findData("server"))
    assert choice.url.isEnabled() and choice.token.isEnabled()
    choice.url.setText(server.url)
    choice.token.setText("wrong-token-xyz")
    choice.test.click()
    qtbot.waitUntil(lambda: not choice.testing(), timeout=30_000)
    assert choice.result.text().startswith("Not connected") and "token" in choice.result.text()
    choice.token.setText(TOKEN)
    choice.test.click()
    qtbot.waitUntil(lambda: not choice.testing(), timeout=30_000)
    assert choice.result.text().startswith("Connected to Studio"), choice.result.text()
    s = dialog.result_settings()
    assert (s.engine, s.server_url, s.server_token) == ("server", server.url, TOKEN)
    assert s.engine_server() == (server.url, TOKEN)
    assert Settings(engine="local", server_url=server.url).engine_server() == ("", "")


def test_switching_the_engine_in_settings_moves_the_worker(qtbot, qloop, tiny_sd_dir, server):
    from studio.ui.worker import EngineOptions

    w = open_window(qtbot, tiny_sd_dir)
    wait_ready(qtbot, w)
    assert not isinstance(w.gen.worker.engine, RemoteEngine)
    w.apply_settings(Settings(engine="server", server_url=server.url, server_token=TOKEN))
    qtbot.waitUntil(lambda: isinstance(w.gen.worker.engine, RemoteEngine) and w.model_state[0] == "ready",
                    timeout=60_000)
    assert w.gen.worker.options == EngineOptions("auto", "auto", 1, server.url, TOKEN)
    assert Settings.load().engine == "server"
