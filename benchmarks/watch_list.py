"""Watch list under load: 5,000 watched tags while a thread publishes 50,000 samples/s into the bus.

The view is shown (offscreen unless a display is set) at 1280×800 and its own ~30 Hz timer is
replaced by one that times each frame: the refresh of the visible rows from the bus plus the
repaint it causes (``viewport().repaint()``, synchronous, so the paint is inside the measured
frame). Reported: frame time median and 99th percentile, the largest late start of a frame
(how long the event loop was busy elsewhere), samples actually published per second, and CPU
(whole process, and the UI thread alone = process minus the publisher thread). Half the run
is at the top of the list, half scrolled to the middle. Target (issue 17): p99 under 50 ms.
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
RESULTS = ROOT / "benchmarks" / "results" / "watch_list.json"
TAGS = 5000
RATE = 50_000  # samples per second: 5,000 tags every 100 ms
SECONDS = 10.0
TARGET_P99_MS = 50.0


def _publisher(bus, keys: list[str], stop: threading.Event, stats: dict, rate: int = RATE) -> None:
    """``rate`` samples per second over ``keys`` (5,000 tags at 10 Hz: 10 ms slices of 500 tags),
    paced to the wall clock."""
    slice_size = max(1, rate // 100)
    published, step, started = 0, 0, time.perf_counter()
    cpu0 = time.thread_time()
    while not stop.is_set():
        now_ns = time.time_ns()
        base = (step * slice_size) % len(keys)
        for key in keys[base:base + slice_size]:
            bus.publish(key, now_ns, float(step % 1000) + 0.25, 0)
        published += slice_size
        step += 1
        delay = started + step * 0.01 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    stats["published"] = published
    stats["cpu_seconds"] = time.thread_time() - cpu0


class FrameClock:
    """Times the frames of a shown ``WatchListView`` in place of its own ~30 Hz refresh timer.

    A frame is ``view.tick()`` plus the repaint it causes (``viewport().repaint()``, synchronous,
    so the paint is inside the measured frame); a late start is how long after its due time a
    frame began, i.e. how long the event loop was busy elsewhere.
    """

    def __init__(self, view) -> None:
        from qtpy.QtCore import QTimer

        from device_browser.ui.live_refresh import REFRESH_MS

        view.timer.stop()
        view.timer.timeout.disconnect()
        self.view = view
        self.frames: list[float] = []
        self.late: list[float] = []
        self._due = 0.0
        self.timer = QTimer()
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._frame)

    def _frame(self) -> None:
        start = time.perf_counter()
        if self._due:
            self.late.append(max(0.0, start - self._due))
        self.view.tick()
        self.view.table.viewport().repaint()
        self.frames.append(time.perf_counter() - start)
        self._due = start + self.timer.interval() / 1000  # QTimer counts its interval from the previous timeout

    def start(self) -> None:
        self._due = 0.0
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def take(self, seconds: float) -> dict:
        """Figures of the frames since the last take (over ``seconds`` of wall time), and start anew."""
        ms = sorted(f * 1000 for f in self.frames)
        late_ms = max(self.late, default=0.0) * 1000
        self.frames, self.late = [], []
        if not ms:
            return {"frames": 0, "frames_per_second": 0.0}
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        return {"frames": len(ms), "frames_per_second": round(len(ms) / seconds, 1),
                "frame_ms_median": round(statistics.median(ms), 2), "frame_ms_p99": round(p99, 2),
                "frame_ms_max": round(ms[-1], 2), "late_start_ms_max": round(late_ms, 1)}


def measure(seconds: float = SECONDS) -> dict:
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    from device_browser.bus import LiveBus
    from device_browser.tags import TagRef
    from device_browser.ui.watch_list import WatchListView
    from device_browser.watch import WatchList

    app = QApplication.instance() or QApplication(sys.argv[:1])
    bus = LiveBus(capacity=256)
    refs = [TagRef("plc1", point=f"Line{i // 100:02d}.Motor{i % 100:02d}.Speed", unit="rpm") for i in range(TAGS)]
    view = WatchListView(WatchList(refs), bus)
    view.resize(1280, 800)
    view.show()
    clock = FrameClock(view)
    app.processEvents()

    stop, stats = threading.Event(), {}
    publisher = threading.Thread(target=_publisher, args=(bus, [str(r) for r in refs], stop, stats), daemon=True)
    QTimer.singleShot(int(seconds * 500), lambda: view.table.scrollTo(view.model.index(TAGS // 2, 0)))
    QTimer.singleShot(int(seconds * 1000), app.quit)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    publisher.start()
    clock.start()
    app.exec()
    clock.stop()
    stop.set()
    publisher.join(5)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    first, last = view.visible_rows()
    shown = sum(view.model.latest(row) is not None for row in range(first, last + 1))
    view.close()

    result = {
        "tags": TAGS, "target_samples_per_second": RATE, "seconds": round(wall, 2),
        "samples_per_second": round(stats["published"] / wall), **clock.take(wall),
        "cpu_percent_process": round(100 * cpu / wall, 1),
        "cpu_percent_publisher": round(100 * stats["cpu_seconds"] / wall, 1),
        "cpu_percent_ui": round(100 * (cpu - stats["cpu_seconds"]) / wall, 1),
        "visible_rows_with_values": f"{shown}/{last - first + 1}",
        "platform": os.environ.get("QT_QPA_PLATFORM", ""), "cpus": os.cpu_count(),
    }
    result["meets_target"] = result["frame_ms_p99"] < TARGET_P99_MS
    return result


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nWatch list: {result['tags']} tags, {result['samples_per_second']} samples/s published "
          f"for {result['seconds']} s ({result['platform']}, {result['cpus']} CPUs)")
    print(f"frame (refresh + repaint): median {result['frame_ms_median']} ms, p99 {result['frame_ms_p99']} ms, "
          f"max {result['frame_ms_max']} ms; {result['frames_per_second']} frames/s; "
          f"latest frame start {result['late_start_ms_max']} ms late")
    print(f"CPU: process {result['cpu_percent_process']} %, publisher thread {result['cpu_percent_publisher']} %, "
          f"UI {result['cpu_percent_ui']} % of one core")
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(f"Target p99 < {TARGET_P99_MS:g} ms: {verdict}. Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
