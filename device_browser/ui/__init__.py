"""Qt views of the device layer (qtpy); the rest of :mod:`device_browser` stays free of Qt."""
