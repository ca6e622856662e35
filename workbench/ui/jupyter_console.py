"""qtconsole's RichJupyterWidget as the Console view uses it: its kernel run by us, not by qtconsole.

Imported only when the Console is first shown (qtconsole takes half a second to import). The
widget announces each prompt it draws (``prompt_shown``): code handed to it before its first
prompt is wiped when that prompt is drawn, so the view waits for it.
"""

from __future__ import annotations

from qtconsole.rich_jupyter_widget import RichJupyterWidget
from qtpy.QtCore import QEvent, Signal
from qtpy.QtGui import QPalette
from qtpy.QtWidgets import QApplication


class JupyterConsole(RichJupyterWidget):
    """The console widget; interrupt and restart are asked of the view (``custom_*_requested``)."""

    prompt_shown = Signal()

    def __init__(self, banner: str):
        super().__init__()
        self.custom_interrupt = self.custom_restart = True  # the kernel is the view's, not qtconsole's
        self.confirm_restart = False  # a modal question would stall the asyncio loop
        self.override_shortcuts = True  # Ctrl+C interrupts here, not the window's Copy
        self.banner = banner
        self._dark: bool | None = None
        self.follow_theme()

    def follow_theme(self) -> None:
        """qtconsole's dark colours under the workbench's dark theme, its light ones otherwise."""
        # the application's palette: the widget's own follows the style sheet chosen here
        dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
        if dark != self._dark:
            self._dark = dark
            self.set_default_style("linux" if dark else "lightbg")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.follow_theme()

    def _prompt_started_hook(self) -> None:
        # qtconsole's hook for subclasses, "called immediately after a new prompt is displayed"
        super()._prompt_started_hook()
        self.prompt_shown.emit()

    def show_restarted(self, died: bool) -> None:
        """What qtconsole shows after its own kernel manager restarted a kernel: a note, a fresh prompt."""
        self._handle_kernel_restarted(died=died)
