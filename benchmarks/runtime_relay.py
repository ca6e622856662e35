"""The runtime benchmark's baseline: the least a Python OPC UA gateway does, written with plain asyncua.

``python -m benchmarks.runtime_relay DEVICE_URL PORT`` subscribes to the simulator's 1,000 extra
tags (100 ms, as the runtime) and writes each value ×2 to its own asyncua server as it arrives,
under the same node ids as the benchmark app's outputs, so the benchmark measures it exactly as
it measures ``millwright app run``. No engine, no time grid, no security, no Sparkplug, no
metrics: what it costs in latency, memory and CPU is the floor any Python runtime starts from.
Prints ``ready`` once subscribed; runs until terminated.
"""

from __future__ import annotations

import asyncio
import sys

from asyncua import Client, Server, ua

from benchmarks.runtime import APP_NAMESPACE, DEVICE_NAMESPACE, GAIN, SUBSCRIBE_CHUNK, TAGS, _column, _device_tag


class Relay:
    """Device value change → the doubled value on the relay's own variable, source time kept."""

    def __init__(self, server: Server, outputs: dict[str, ua.NodeId]):
        self.server, self.outputs = server, outputs
        self.queue: asyncio.Queue = asyncio.Queue()

    def datachange_notification(self, node, value, data) -> None:
        if isinstance(value, float):
            self.queue.put_nowait((node.nodeid.Identifier, value, data.monitored_item.Value.SourceTimestamp))

    async def forward(self) -> None:
        while True:
            identifier, value, source = await self.queue.get()
            await self.server.write_attribute_value(self.outputs[identifier], ua.DataValue(
                ua.Variant(value * GAIN, ua.VariantType.Double), SourceTimestamp=source))


async def main(device_url: str, port: int) -> None:
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/relay/")
    ns = await server.register_namespace(APP_NAMESPACE)
    outputs = {}
    for i in range(TAGS):
        variable = await server.nodes.objects.add_variable(ua.NodeId(f"Outputs.{_column(i)}_x2", ns),
                                                           f"{_column(i)}_x2", 0.0)
        outputs[_device_tag(i)] = variable.nodeid
    relay = Relay(server, outputs)
    async with server, Client(device_url, timeout=30) as client:
        device_ns = await client.get_namespace_index(DEVICE_NAMESPACE)
        subscription = await client.create_subscription(100, relay)
        nodes = [client.get_node(ua.NodeId(_device_tag(i), device_ns)) for i in range(TAGS)]
        for start in range(0, TAGS, SUBSCRIBE_CHUNK):
            await subscription.subscribe_data_change(nodes[start:start + SUBSCRIBE_CHUNK])
        print("ready", flush=True)
        await relay.forward()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
