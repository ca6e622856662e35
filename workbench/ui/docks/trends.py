"""The Trends view: the tags in the workspace's trend list, and history reads (bottom dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from device_browser.tags import TagRef
from device_browser.ui.trends import TrendView
from device_browser.units import display_symbol
from device_browser.watch import WatchItem
from device_browser.workspace import HistorySeries
from workbench.ui.views import Area, ViewContext, register_view


@register_view("trends", title=("Trends", "趋势"), area=Area.BOTTOM, order=50, tab_with="log", height=220)
def trends_view(context: ViewContext) -> QWidget:
    workspace = context.devices
    view = TrendView(workspace.bus)

    def plot(_first: int, items: list[WatchItem]) -> None:
        for item in items:
            view.add_series(str(item.ref), item.display_name, display_symbol(item.unit or workspace.unit_of(item.ref)))

    def dropped(refs: list[TagRef]) -> None:
        workspace.watch.extend(refs)  # a trended tag must be subscribed to move
        workspace.trend.extend(refs)

    def history(series: HistorySeries) -> None:
        label = view.tr("{tag} (history)").format(tag=series.ref)
        view.show_samples(label, label, display_symbol(workspace.unit_of(series.ref)), series.t, series.values,
                          series.quality)

    workspace.trend.inserted.connect(plot)
    workspace.trend.removed.connect(lambda _first, items: [view.remove_series(str(i.ref)) for i in items])
    workspace.history_loaded.connect(history)
    view.series_dropped.connect(dropped)
    plot(0, list(workspace.trend))
    return view
