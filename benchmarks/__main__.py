"""Run every benchmark: ``python -m benchmarks [NAME ...]``."""

import subprocess
import sys

from benchmarks import (
    app_build,
    app_publish,
    app_verify,
    batch,
    devices,
    engine,
    foreign_opcua,
    formula,
    outages,
    profiles,
    runtime,
    runtime_sparkplug,
    startup,
)


def _own_process(module: str) -> None:
    """Run a benchmark on a qasync loop in a process of its own: a second qasync loop after a closed
    one finds Qt timers aimed at the old loop's deleted objects and crashes the process."""
    subprocess.run([sys.executable, "-m", module], check=True)


BENCHMARKS = {"startup": startup.main, "engine": engine.main, "devices": devices.main,
              "outages": outages.main, "profiles": profiles.main,
              "foreign_opcua": foreign_opcua.main, "app_build": app_build.main, "app_verify": app_verify.main,
              "app_publish": app_publish.main, "runtime": runtime.main,
              "runtime_sparkplug": runtime_sparkplug.main, "formula": formula.main, "batch": batch.main,
              "watch_list": lambda: __import__("benchmarks.watch_list", fromlist=["main"]).main(),  # Qt, lazily
              "trends": lambda: __import__("benchmarks.trends", fromlist=["main"]).main(),
              "store": lambda: __import__("benchmarks.store", fromlist=["main"]).main(),
              "data_browser": lambda: __import__("benchmarks.data_browser", fromlist=["main"]).main(),
              "exchange": lambda: __import__("benchmarks.exchange", fromlist=["main"]).main(),
              "recorder": lambda: __import__("benchmarks.recorder", fromlist=["main"]).main(),
              "address_space": lambda: _own_process("benchmarks.address_space"),
              "device_views": lambda: _own_process("benchmarks.device_views"),
              "model_designer": lambda: _own_process("benchmarks.model_designer"),
              "graph_live": lambda: _own_process("benchmarks.graph_live"),
              "console": lambda: _own_process("benchmarks.console"),
              "script_components": lambda: __import__("benchmarks.script_components", fromlist=["main"]).main()}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    for name in chosen:
        BENCHMARKS[name]()
