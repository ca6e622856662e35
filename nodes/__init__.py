"""Component model, dataflow engine and component library. Pure Python + numpy: no Qt, no I/O."""
