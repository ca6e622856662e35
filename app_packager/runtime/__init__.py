"""Headless app runtime: runs an installed or archived app next to the devices, without Qt.

The core (``core.AppRuntime``) connects the bound devices, streams the graph at a fixed rate and
hands each tick's outputs to its sinks (``sinks.OutputSink``): the OPC UA server, the Sparkplug
edge node and the audited device writes.
"""
