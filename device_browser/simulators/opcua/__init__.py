"""The OPC UA pump-station simulator (asyncua server); start it with :func:`simulator.start_simulator`."""
