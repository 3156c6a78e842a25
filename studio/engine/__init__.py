"""The Qt-free generation engine: requests in, progress events and images out.

Nothing in this package imports Qt; the UI and the CLI both drive it through
:class:`studio.engine.generator.Engine`.
"""
