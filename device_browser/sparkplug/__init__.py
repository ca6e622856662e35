"""MQTT Sparkplug B, the host side: a broker's groups, edge nodes, devices and metrics as a device.

``broker`` (URL, TLS, credentials from the environment), ``payloads`` (lenient decoding with
pysparkplug's schema), ``model`` (the namespace and the host rules: births, aliases, seq,
deaths) and ``session`` (paho-mqtt, the :class:`~device_browser.session.DeviceSession` contract).
"""
