#!/usr/bin/env bash
# The Jupyter kernel against real clients: makes a Python virtual
# environment (.build/kernel-venv) with jupyter_client, nbclient, nbformat,
# JupyterLab and Playwright's Python package from PyPI (Playwright drives
# Debian's Chromium; it downloads no browser), builds wiggle, and runs
# tests/kernel/test_kernel.py (every message type), tests/kernel/notebooks.py
# (the example notebooks end to end with nbclient, against their stored
# outputs) and tests/kernel/browser.py (a notebook in JupyterLab, checked in
# the page's DOM as a person sees it).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.build/kernel-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import jupyter_client, nbclient, nbformat, jupyterlab, playwright" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check jupyter_client nbclient nbformat jupyterlab playwright
fi
swift build --product wiggle
"$VENV/bin/python" tests/kernel/test_kernel.py "$(swift build --show-bin-path)/wiggle"
"$VENV/bin/python" tests/kernel/notebooks.py "$(swift build --show-bin-path)/wiggle"
"$VENV/bin/python" tests/kernel/browser.py "$(swift build --show-bin-path)/wiggle"
