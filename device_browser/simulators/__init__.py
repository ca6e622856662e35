"""Simulators of one pump station, speaking OPC UA and Modbus, for tests, benchmarks, demos and offline work.

They live apart from the drivers so that ``device_browser.opcua`` and ``device_browser.modbus``
hold only what a client needs; a packaged app never imports this package.
"""
