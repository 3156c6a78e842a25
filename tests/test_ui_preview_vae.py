"""The Settings preview-method choice and the parameter panel's VAE picker (Reuse fills it in)."""

from __future__ import annotations

import json

from studio import paths
from studio.settings import Settings


def test_preview_method_settings_round_trip_and_bad_values(studio_home):
    Settings(preview_method="vae", preview_vae_every=4).save()
    s = Settings.load()
    assert (s.preview_method, s.preview_vae_every) == ("vae", 4)
    paths.settings_path().write_text(json.dumps({"preview_method": "fancy", "preview_vae_every": -3}))
    s = Settings.load()
    assert (s.preview_method, s.preview_vae_every) == ("auto", 1)


def test_settings_dialog_preview_method(qtbot):
    from studio.ui.settings_dialog import SettingsDialog
    from studio.ui.worker import EngineOptions

    dialog = SettingsDialog(Settings(preview_method="linear"))
    qtbot.addWidget(dialog)
    assert dialog.preview_method.currentData() == "linear"
    assert not dialog.preview_vae_every.isEnabled()
    dialog.preview_method.setCurrentIndex(dialog.preview_method.findData("vae"))
    assert dialog.preview_vae_every.isEnabled()
    dialog.preview_vae_every.setValue(7)
    new = dialog.result_settings()
    assert (new.preview_method, new.preview_vae_every) == ("vae", 7)
    options = EngineOptions.of(new)
    assert (options.preview_method, options.preview_vae_every) == ("vae", 7)


def test_vae_picker_lists_models_vae_and_takes_reused_names(qtbot, studio_home, tmp_path):
    from studio.engine.vae_swap import vae_dir
    from studio.ui.params_panel import ParamsPanel

    vae_dir().mkdir(parents=True)
    (vae_dir() / "vae-ft-mse-840000-ema-pruned.safetensors").write_bytes(b"")
    (vae_dir() / "folder-vae").mkdir()
    (vae_dir() / "folder-vae" / "config.json").write_text("{}")
    panel = ParamsPanel()
    qtbot.addWidget(panel)
    combo = panel.vae.combo
    assert [combo.itemText(i) for i in range(combo.count())][1:] == ["folder-vae", "vae-ft-mse-840000-ema-pruned.safetensors"]
    assert panel.values()["vae"] == ""  # Automatic: the model's own
    # Reuse of an A1111 image: the name is found in models/VAE
    with qtbot.waitSignal(panel.changed, timeout=1000):
        panel.set_values({"vae": "vae-ft-mse-840000-ema-pruned.safetensors"})
    assert panel.values()["vae"] == str(vae_dir() / "vae-ft-mse-840000-ema-pruned.safetensors")
    # a studio image's exact path that is not in models/VAE stays as given
    panel.set_values({"vae": str(tmp_path / "elsewhere.safetensors")})
    assert panel.values()["vae"] == str(tmp_path / "elsewhere.safetensors")
    panel.set_values({"vae": ""})
    assert panel.values()["vae"] == ""
