"""The ``studio`` command: the app with no arguments, headless subcommands otherwise."""
