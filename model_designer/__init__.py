"""Node canvas: scene, items, palette, inspector, undo commands and run control (Qt)."""
