"""The Watch view: chosen tags with live values from the devices' bus (bottom dock, beside the trends)."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QDialog, QWidget

from device_browser.tags import TagRef
from device_browser.ui.save_profile_dialog import SaveProfileDialog
from device_browser.ui.watch_list import WatchListView
from device_browser.ui.write_dialog import WriteDialog
from workbench.ui.views import Area, ViewContext, register_view


@register_view("watch", title=("Watch", "监视"), area=Area.BOTTOM, order=45, width=600, height=240)
def watch_view(context: ViewContext) -> QWidget:
    workspace = context.devices
    view = WatchListView(workspace.watch, workspace.bus, unit_of=lambda item: workspace.unit_of(item.ref))

    def show(dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def save_profile(refs: list[TagRef]) -> None:
        device = refs[0].device  # a profile describes one device: the first selected item's
        show(SaveProfileDialog(workspace, device, [ref for ref in refs if ref.device == device], context.window))

    view.write_requested.connect(lambda ref: show(WriteDialog(workspace, ref, context.window)))
    view.trend_requested.connect(workspace.trend.extend)
    view.save_profile_requested.connect(save_profile)
    return view
