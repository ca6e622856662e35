"""Opening the 10,000-child folder in the address-space tree: time to first rows and to complete.

The simulator runs in its own process (``--extra-tags 10000``, Browse answers cut at 1,000
references so that BrowseNext is used as with real servers); the session runs on a DeviceHost
thread and the tree on a qasync loop, as in the workbench. Timed from the expand: the first
inserted rows and the last; a 10 ms Qt timer measures the longest gap of the event loop meanwhile.
Repeated ``RUNS`` times with a fresh tree each time (the session's caches stay warm after the first).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "address_space.json"
TAGS = 10_000
RUNS = 5


async def _open_folder(view, name_path: tuple[str, ...]) -> tuple[float, float, float]:
    """Expand the rows of ``name_path``; for the last: (s to first rows, s to all rows, longest gap s)."""
    from qtpy.QtCore import QModelIndex, QTimer

    async def settled(source) -> None:
        while not view.model.settled(source):
            await asyncio.sleep(0.005)

    await settled(QModelIndex())
    index = QModelIndex()
    for name in name_path[:-1]:
        index = next(view.proxy.index(r, 0, index) for r in range(view.proxy.rowCount(index))
                     if view.proxy.index(r, 0, index).data() == name)
        view.tree.expand(index)
        await settled(view.proxy.mapToSource(index))
    folder = next(view.proxy.index(r, 0, index) for r in range(view.proxy.rowCount(index))
                  if view.proxy.index(r, 0, index).data() == name_path[-1])
    source = view.proxy.mapToSource(folder)
    inserted: list[float] = []
    view.model.rowsInserted.connect(
        lambda parent, first, _last: inserted.append(time.perf_counter())
        if parent == source and view.model.node(parent).children[first].item is not None else None)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    started = time.perf_counter()
    view.tree.expand(folder)
    await settled(source)
    timer.stop()
    assert view.proxy.rowCount(folder) == TAGS, view.proxy.rowCount(folder)
    gap = max((b - a for a, b in itertools.pairwise(ticks)), default=0.0)
    return inserted[0] - started, inserted[-1] - started, gap


def measure(runs: int = RUNS) -> dict:
    import qasync
    from qtpy.QtWidgets import QApplication

    from benchmarks.devices import _simulator_process
    from device_browser.host import DeviceHost
    from device_browser.opcua.client import OpcUaSession
    from device_browser.ui.address_space import AddressSpaceView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing one run's tree must not stop the loop
    loop = qasync.QEventLoop(app, already_running=False)
    asyncio.set_event_loop(loop)
    tmp = Path(tempfile.mkdtemp(prefix="millwright-bench-"))
    server, url = _simulator_process(tmp, "--extra-tags", str(TAGS), "--limit", "MaxReferencesPerNode=1000")
    host = DeviceHost()
    samples: list[tuple[float, float, float]] = []
    try:
        async def scenario() -> None:
            handle = await host.open(lambda: OpcUaSession(url, pki_dir=tmp / "pki", timeout=30.0))
            await handle.connect()
            for _ in range(runs):
                view = AddressSpaceView("bench", handle)
                view.resize(500, 800)
                view.show()
                samples.append(await _open_folder(view, ("Objects", "Extra")))
                view.close()
                view.deleteLater()
            await host.aclose()

        loop.run_until_complete(asyncio.wait_for(scenario(), 300))
    finally:
        host.close()
        loop.close()
        asyncio.set_event_loop(None)
        server.terminate()
        server.wait(10)
    first, done, gaps = ([s[k] * 1000 for s in samples] for k in range(3))
    return {
        "tags": TAGS, "runs": runs,
        "first_rows_ms_median": round(statistics.median(first), 1), "first_rows_ms_max": round(max(first), 1),
        "complete_ms_median": round(statistics.median(done), 1), "complete_ms_max": round(max(done), 1),
        "longest_loop_gap_ms_max": round(max(gaps), 1),
        "platform": os.environ.get("QT_QPA_PLATFORM", ""), "cpus": os.cpu_count(),
    }


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nAddress space: opening a {result['tags']}-child folder, {result['runs']} runs "
          f"({result['platform']}, {result['cpus']} CPUs)")
    print(f"first rows: median {result['first_rows_ms_median']} ms (max {result['first_rows_ms_max']}); "
          f"complete: median {result['complete_ms_median']} ms (max {result['complete_ms_max']}); "
          f"longest event-loop gap {result['longest_loop_gap_ms_max']} ms")
    print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
