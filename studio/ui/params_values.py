"""The parameters panel as data: its values for a request, filling it from saved or reused parameters."""

from __future__ import annotations

from typing import Any

from studio.engine.request import Mode
from studio.ui.reuse import checked_hires, checked_params, find_installed

ADD_FOLDER = "__add_folder__"
ADD_FILE = "__add_file__"
STARTER = "__starter__"  # combo data for the starter model (spec None)


class ParamsValues:
    """Mixed into :class:`studio.ui.params_panel.ParamsPanel` (uses its widgets)."""

    def values(self) -> dict[str, Any]:
        """The panel as GenerationRequest keyword arguments (no prompt, no images)."""
        return {
            "model": self.model_spec(),
            "scheduler": self.scheduler.currentText(),
            "steps": self.steps.value(),
            "cfg_scale": round(self.cfg.value(), 2),
            "seed": self.seed_value(),
            "width": self.width_spin.value(),
            "height": self.height_spin.value(),
            "batch_size": self.batch.value(),
            "mode": self.current_mode(),
            "strength": self.strength.value() / 100.0,
            "vae": self.vae.spec(),
        }

    def set_values(self, params: dict[str, Any], *, from_file: bool = False) -> list[str]:
        """Fill the panel from request parameters (settings, or "reuse parameters" from the gallery).

        Values are checked and clamped by GenerationRequest's rules (:mod:`studio.ui.reuse`);
        ``from_file`` also keeps a model only when it is installed, and sets the hires fix as the file
        says (off for an image made without it). Returns what was not taken.
        """
        params, notes = checked_params(params, self._installed_model if from_file else None)
        if from_file or "hires" in params:
            notes += self.hires.set_settings(params.get("hires"))
            if (params.get("hires") or {}).get("first_pass_size"):  # the hires fix's input, not its result
                params["width"], params["height"] = params["hires"]["first_pass_size"]
        if "model" in params:
            self.set_model_spec(params["model"])
        if "scheduler" in params:
            self.scheduler.setCurrentText(params["scheduler"])
        if isinstance(params.get("vae"), str):
            self.vae.set_spec(params["vae"])
        for key, spin in (("steps", self.steps), ("batch_size", self.batch)):
            if key in params:
                spin.setValue(params[key])
        if "cfg_scale" in params:
            self.cfg.setValue(params["cfg_scale"])
        if "width" in params and "height" in params:
            self.lock_ratio.setChecked(False)
            self._set_size(params["width"], params["height"])
            self._size_edited(self.width_spin, self.width_spin.value())
        if "seed" in params:
            seed = params["seed"]
            self.random_seed.setChecked(seed < 0)
            if seed >= 0:
                self.seed.setText(str(seed))
        if "strength" in params:
            self.strength.setValue(round(params["strength"] * 100))
        mode = params.get("mode")
        if mode is not None and (Mode(mode) is Mode.TXT2IMG or self._init_image is not None):
            self.set_mode(Mode(mode))
        return notes

    def hires_options(self):
        """The hires fix a Generate press runs (a :class:`~studio.engine.hires.HiresOptions`), or None."""
        return self.hires.options()

    def _installed_model(self, spec: str) -> str | None:
        items = [(self.model.itemText(i), self.model.itemData(i)) for i in range(self.model.count())]
        return find_installed(spec, [(t, None if d == STARTER else d) for t, d in items if d not in (ADD_FOLDER, ADD_FILE, None)])

    def settings_values(self) -> dict[str, Any]:
        out = self.values()
        out["mode"] = Mode.TXT2IMG.value  # an init image is not kept between sessions
        out["random_seed"] = self.random_seed.isChecked()
        out["seed"] = int(self.seed.text()) if self.seed.text().strip().lstrip("-").isdigit() else -1
        out["ratio_locked"] = self.lock_ratio.isChecked()
        out["hires"] = self.hires.settings()
        return out

    def restore_settings(self, values: dict[str, Any]) -> None:
        self.set_values({k: v for k, v in values.items() if k != "hires"})
        hires, _notes = checked_hires(values.get("hires"))
        if hires is not None:
            self.hires.set_settings({"enabled": False, **hires})
        if isinstance(values.get("random_seed"), bool):
            self.random_seed.setChecked(values["random_seed"])
        if values.get("ratio_locked"):
            self.lock_ratio.setChecked(True)
