"""quality components (being written)."""

COMPONENTS = ()
