"""The browser the browser tests drive: Debian's chromium (scripts/system-packages), never a
downloaded one, headless and without the background services that would reach the network."""

import shutil

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
