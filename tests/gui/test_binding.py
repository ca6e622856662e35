"""The Qt binding itself: a release that breaks reference counting must not reach users.

PySide6 6.12.0 dropped a reference to None on each call that returns it; on Python 3.11 the
interpreter aborts ("none_dealloc") after a few thousand such calls, which pyqtgraph makes in
seconds. pyproject.toml excludes it; this test fails if such a binding is installed again.
"""

import sys

from qtpy.QtCore import QObject
from qtpy.QtGui import QPen


def test_calls_that_return_none_keep_the_reference_counts_of_none_and_bool(qapp):
    pen, obj = QPen(), QObject()
    before = sys.getrefcount(None), sys.getrefcount(False)
    for _ in range(1000):
        pen.setWidth(2)
        obj.blockSignals(False)
    after = sys.getrefcount(None), sys.getrefcount(False)
    assert abs(after[0] - before[0]) < 100 and abs(after[1] - before[1]) < 100, (before, after)
