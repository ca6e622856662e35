"""The Devices view: the project's devices, their connections and counters (left dock)."""

from __future__ import annotations

import asyncio

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QWidget

from device_browser.ui.certificates import CertificateManager
from device_browser.ui.device_dialog import DeviceDialog
from device_browser.ui.devices_view import DevicesView
from device_browser.ui.dialogs import run_dialog
from device_browser.ui.trust_prompt import ui_decide
from workbench.ui.views import Area, ViewContext, register_view


@register_view("devices", title=("Devices", "设备"), area=Area.LEFT, order=20, height=200)
def devices_view(context: ViewContext) -> QWidget:
    workspace, window = context.devices, context.window
    view = DevicesView(workspace, decide=lambda: ui_decide(window, asyncio.get_event_loop()))

    async def edit(device_id: str) -> None:
        profile = workspace.entry(device_id).profile if device_id else None
        dialog = DeviceDialog(profile, {entry.id for entry in workspace.entries}, window, host=workspace.host)
        try:
            accepted = await run_dialog(dialog)
            edited = dialog.result_profile() if accepted else None
        finally:
            dialog.deleteLater()
        if edited is not None:
            saved = await workspace.save_profile(edited, replacing=device_id or None)
            view.select(saved.id)

    def certificates() -> None:
        manager = CertificateManager(parent=window)
        manager.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        manager.open()

    context.add_menu_actions("device", view.menu_actions())
    view.edit_requested.connect(lambda device_id: view.spawn(edit(device_id)))
    view.certificates_requested.connect(certificates)
    return view
