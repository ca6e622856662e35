"""Run every benchmark: ``python -m benchmarks [NAME ...]``."""

import sys

from benchmarks import devices, engine, foreign_opcua, outages, profiles, startup

BENCHMARKS = {"startup": startup.main, "engine": engine.main, "devices": devices.main,
              "outages": outages.main, "profiles": profiles.main,
              "foreign_opcua": foreign_opcua.main,
              "watch_list": lambda: __import__("benchmarks.watch_list", fromlist=["main"]).main(),  # Qt, lazily
              "trends": lambda: __import__("benchmarks.trends", fromlist=["main"]).main(),
              "address_space": lambda: __import__("benchmarks.address_space", fromlist=["main"]).main(),
              "device_views": lambda: __import__("benchmarks.device_views", fromlist=["main"]).main()}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHMARKS)
    for name in chosen:
        BENCHMARKS[name]()
