"""What the status bar reports: device connections and the model's run state."""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

RUN_STATES = ("idle", "running", "paused", "failed")


@evented
@dataclass
class WorkbenchStatus:
    """Observable status; drivers and the engine set it, the status bar listens.

    ``status.events.devices_connected.connect(...)`` is called on every real change.
    """

    devices_connected: int = 0
    devices_total: int = 0
    run_state: str = "idle"
