"""OPC UA driver (asyncua): client, security, subscriptions, simulator."""
