"""Modbus driver (pymodbus): register maps, request planning, client, simulator."""
