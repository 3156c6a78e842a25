"""The status bar's engine loading bar: phases (importing, loading weights, ready) as they happen.

The worker reports a phase and a rough percentage at each boundary it can
see (torch imported, diffusers imported, weights loaded); the bar shows them
and hides itself once the model is ready or loading failed.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar

# phase -> percent reached when the phase starts
PHASES = {
    "importing torch": 5,
    "importing diffusers": 35,
    "loading weights": 70,
    "ready": 100,
}


class EngineLoadBar(QProgressBar):
    def __init__(self, parent=None):
        super().__init__(parent, objectName="engineLoadBar")
        self.setRange(0, 100)
        self.setTextVisible(True)
        self.setMaximumWidth(260)
        self.setMinimumWidth(160)
        self.phase = ""
        self.history: list[str] = []  # phases seen since the window opened
        self.setVisible(False)

    def show_phase(self, phase: str, percent: int | None = None) -> None:
        """Show ``phase``; ``ready`` (or any final state) hides the bar."""
        self.phase = phase
        self.history.append(phase)
        if phase == "ready":
            self.setValue(100)
            self.setVisible(False)
            return
        value = PHASES.get(phase, self.value()) if percent is None else percent
        self.setValue(max(self.value(), value))
        self.setFormat(f"{phase.capitalize()}… %p%")
        self.setToolTip(f"Starting the engine: {phase}")
        self.setVisible(True)

    def stop(self) -> None:
        """Loading ended without a model (error, none installed): hide the bar."""
        self.phase = ""
        self.setVisible(False)
