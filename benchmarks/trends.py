"""Trend view under load: 20 series at 100 Hz each, a 10-minute window of them on screen.

The bus is filled with 10 minutes of each series (60,000 samples), then a thread keeps
publishing one sample per series every 10 ms. The view (1280×600, offscreen unless a display
is set) follows the newest sample with the 10-minute preset; its own timer is replaced by one
that times each frame: the refresh from the bus plus the repaint it causes
(``viewport().repaint()``, synchronous). The baseline is what a plot without our view costs:
20 plain ``PlotDataItem``s in a ``PlotWidget`` given the same snapshots with ``setData``
(no downsampling, no clipping, no gap handling) and repainted the same way.
Reported per run: frame time median and 99th percentile, frames per second, CPU of the process.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "trends.json"
SERIES = 20
RATE_HZ = 100
WINDOW_S = 600
SECONDS = 10.0
FRAME_MS = 50  # the view's refresh interval


def _fill(bus, keys: list[str], now_ns: int) -> int:
    import numpy as np

    n = WINDOW_S * RATE_HZ
    t = now_ns - (n - np.arange(n)) * (1_000_000_000 // RATE_HZ)
    for i, key in enumerate(keys):
        bus.publish(key, t, 100 * i + np.sin(np.arange(n) / 300), np.zeros(n, np.uint8))
    return n


def _publisher(bus, keys: list[str], stop: threading.Event) -> None:
    step, started = 0, time.perf_counter()
    while not stop.is_set():
        now = time.time_ns()
        for i, key in enumerate(keys):
            bus.publish(key, now, 100.0 * i + (step % 100) / 100, 0)
        step += 1
        delay = started + step / RATE_HZ - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def _run(app, bus, keys: list[str], frame_fn, seconds: float) -> dict:
    from qtpy.QtCore import QTimer

    frames: list[float] = []

    def frame() -> None:
        start = time.perf_counter()
        frame_fn()
        frames.append(time.perf_counter() - start)

    timer = QTimer()
    timer.setInterval(FRAME_MS)
    timer.timeout.connect(frame)
    stop = threading.Event()
    publisher = threading.Thread(target=_publisher, args=(bus, keys, stop), daemon=True)
    QTimer.singleShot(int(seconds * 1000), app.quit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    publisher.start()
    timer.start()
    app.exec()
    timer.stop()
    stop.set()
    publisher.join(5)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    ms = sorted(f * 1000 for f in frames)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return {"frames": len(ms), "frames_per_second": round(len(ms) / wall, 1),
            "frame_ms_median": round(statistics.median(ms), 2), "frame_ms_p99": round(p99, 2),
            "frame_ms_max": round(ms[-1], 2), "cpu_percent_process": round(100 * cpu / wall, 1)}


def measure(seconds: float = SECONDS) -> dict:
    import pyqtgraph as pg
    from qtpy.QtWidgets import QApplication

    from device_browser import trend
    from device_browser.bus import LiveBus
    from device_browser.trend import MAX_POINTS, TimeWindow
    from device_browser.ui.trends import TrendView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    keys = [f"plc1/Line1.Drive{i:02d}.Speed" for i in range(SERIES)]

    bus = LiveBus(capacity=MAX_POINTS)
    samples = _fill(bus, keys, time.time_ns())
    view = TrendView(bus)
    view.resize(1280, 600)
    view.set_window(TimeWindow.MINUTES_10)
    for i, key in enumerate(keys):
        view.add_series(key, f"Drive {i}", ("rpm", "A", "°C")[i % 3])
    view.show()
    view.timer.stop()
    app.processEvents()
    ours = _run(app, bus, keys, lambda: (view.refresh(), view.plot.viewport().repaint()), seconds)
    view.close()

    bus = LiveBus(capacity=MAX_POINTS)
    _fill(bus, keys, time.time_ns())
    plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
    plot.resize(1280, 600)
    items = [plot.plot(pen=pg.mkPen(pg.intColor(i, SERIES))) for i in range(SERIES)]
    plot.show()
    app.processEvents()

    def plain() -> None:
        for key, item in zip(keys, items, strict=True):
            chunk = bus.snapshot(key, last=MAX_POINTS)
            item.setData(trend.seconds(chunk.t), chunk.v)
        plot.viewport().repaint()

    baseline = _run(app, bus, keys, plain, seconds)
    plot.close()
    return {"series": SERIES, "rate_hz": RATE_HZ, "window_s": WINDOW_S, "samples_per_series": samples,
            "seconds": seconds, "trend_view": ours, "plain_setData": baseline,
            "platform": os.environ.get("QT_QPA_PLATFORM", ""), "cpus": os.cpu_count()}


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nTrends: {result['series']} series at {result['rate_hz']} Hz, {result['window_s'] // 60} min window "
          f"({result['samples_per_series']} samples each; {result['platform']}, {result['cpus']} CPUs)")
    for name in ("trend_view", "plain_setData"):
        r = result[name]
        print(f"{name:14} frame (refresh + repaint): median {r['frame_ms_median']} ms, p99 {r['frame_ms_p99']} ms, "
              f"max {r['frame_ms_max']} ms; {r['frames_per_second']} frames/s; CPU {r['cpu_percent_process']} %")
    print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
