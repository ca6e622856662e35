"""Device access: OPC UA and Modbus drivers, device profiles, simulators and the live data bus.

Pure asyncio; Qt views live in ``device_browser.ui``.
"""
