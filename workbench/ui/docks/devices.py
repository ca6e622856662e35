"""The Devices view: the project's devices, their connections and counters (left dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from device_browser.ui.devices_view import DevicesView
from workbench.ui.views import Area, ViewContext, register_view


@register_view("devices", title=("Devices", "设备"), area=Area.LEFT, order=20, height=200)
def devices_view(context: ViewContext) -> QWidget:
    return DevicesView(context.devices)
