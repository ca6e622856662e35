"""maintenance components (being written)."""

COMPONENTS = ()
