"""vibration components (being written)."""

COMPONENTS = ()
