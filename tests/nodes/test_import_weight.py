"""The component registry loads without pandas and scipy.signal: the headless runtime loads every
component module, and those two cost it ~130 MB of RSS for components an app rarely uses."""

import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "scipy.signal", "scipy.stats", "scipy.optimize")


def test_the_registry_loads_without_pandas_or_scipy_signal():
    script = ("import sys; from nodes.registry import default_registry; default_registry(); "
              f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
