"""The Device browser view: the active device's address space or register workbench (right dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from device_browser.ui.device_browser_view import DeviceBrowserView
from workbench.ui.views import Area, ViewContext, register_view


@register_view("browser", title=("Device browser", "设备浏览"), area=Area.RIGHT, order=25, tab_with="palette",
               height=480)
def browser_view(context: ViewContext) -> QWidget:
    return DeviceBrowserView(context.devices)
