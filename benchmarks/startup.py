"""Start-up: process start to main window shown on the example project, and peak memory.

Each run is a fresh process. The baseline, measured in the same run and the same way, is a
bare PySide6 QMainWindow: the ratio tells what Millwright adds on top of Qt itself, which a
noisy machine cannot fake. Targets (issue 3): under 1.5 s and under 250 MB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"
TARGET_SECONDS, TARGET_MB = 1.5, 250

BARE_QT = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.show()
def shown():
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    print(json.dumps({"peak_rss_mb": round(int(status) / 1024, 1)}), flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


def _time_to_shown(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning the process to its 'shown' line, and its reported peak RSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.wait(timeout=60)
    if not line:
        raise RuntimeError(f"{command} exited without reporting (exit code {process.returncode})")
    return elapsed, json.loads(line)["peak_rss_mb"]


def measure(runs: int = RUNS) -> dict:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "XDG_CONFIG_HOME": f"{home}/config", "XDG_STATE_HOME": f"{home}/state",
               "XDG_DATA_HOME": f"{home}/data"}
        millwright = [sys.executable, "-m", "workbench", "--project",
                      str(ROOT / "resources" / "examples" / "pump_station"), "--quit-after-shown"]
        bare = [sys.executable, "-c", BARE_QT]
        _time_to_shown(millwright, env)  # warm the file cache once for both
        samples = {"millwright": [], "bare_qt": []}
        for _ in range(runs):  # interleaved, so both see the same machine load
            samples["millwright"].append(_time_to_shown(millwright, env))
            samples["bare_qt"].append(_time_to_shown(bare, env))
    result = {}
    for name, runs_ in samples.items():
        seconds = [s for s, _ in runs_]
        result[name] = {"median_seconds": round(statistics.median(seconds), 3),
                        "min_seconds": round(min(seconds), 3),
                        "median_peak_rss_mb": round(statistics.median(m for _, m in runs_), 1)}
    mw, qt = result["millwright"], result["bare_qt"]
    result["ratio_time_vs_bare_qt"] = round(mw["median_seconds"] / qt["median_seconds"], 2)
    result["ratio_memory_vs_bare_qt"] = round(mw["median_peak_rss_mb"] / qt["median_peak_rss_mb"], 2)
    result["meets_target"] = mw["median_seconds"] < TARGET_SECONDS and mw["median_peak_rss_mb"] < TARGET_MB
    result["runs"] = runs
    return result


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    mw, qt = result["millwright"], result["bare_qt"]
    print(f"\nStart-up to main window shown (median of {result['runs']} runs)")
    print(f"{'':24}{'time (s)':>10}{'peak RSS (MB)':>16}")
    print(f"{'Millwright (example)':24}{mw['median_seconds']:>10.3f}{mw['median_peak_rss_mb']:>16.1f}")
    print(f"{'bare PySide6 window':24}{qt['median_seconds']:>10.3f}{qt['median_peak_rss_mb']:>16.1f}")
    print(f"{'ratio':24}{result['ratio_time_vs_bare_qt']:>10.2f}{result['ratio_memory_vs_bare_qt']:>16.2f}")
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(f"Target < {TARGET_SECONDS} s and < {TARGET_MB} MB: {verdict}. Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
