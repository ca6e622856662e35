"""The App panel: edit an app's manifest, build, sign and publish it, browse catalogues, pull and install.

The only part of :mod:`app_packager` that imports Qt. Every library call that reads a disk or
a network runs on a worker thread (:mod:`app_packager.ui.background`), so a slow registry or
a long build never freezes the window.
"""
