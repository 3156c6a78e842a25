import sys

from studio.ui.app import run_app

raise SystemExit(run_app(sys.argv))
