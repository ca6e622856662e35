"""process components (being written)."""

COMPONENTS = ()
