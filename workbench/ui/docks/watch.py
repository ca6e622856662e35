"""The Watch view: chosen tags with live values from the devices' bus (bottom dock, beside the trends)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from device_browser.ui.watch_list import WatchListView
from workbench.ui.views import Area, ViewContext, register_view


@register_view("watch", title=("Watch", "监视"), area=Area.BOTTOM, order=45, height=220)
def watch_view(context: ViewContext) -> QWidget:
    return WatchListView(context.devices.watch, context.devices.bus)
