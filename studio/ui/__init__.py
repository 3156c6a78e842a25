"""The Qt desktop app. ``studio.ui.app.run_app`` starts it; nothing here is imported by the engine."""
