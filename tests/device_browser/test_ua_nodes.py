"""The explorer's view of one node (ua_nodes) and event feeds (ua_events) against the pump-station
simulator on 127.0.0.1, in the test's own loop (nothing here is timed)."""

from __future__ import annotations

import asyncio
import time

from asyncua import ua

from device_browser.opcua.client import OpcUaSession
from device_browser.opcua.ua_events import EventFeed
from device_browser.opcua.ua_nodes import (
    children,
    describe_value,
    flag_names,
    method_arguments,
    read_node,
)
from device_browser.simulators.opcua.simulator import start_simulator

NS = "nsu=urn:millwright:pumpstation"
PUMP = f"{NS};s=PumpStation"


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def _with_session(tmp_path, body, **sim_options):
    sim = await start_simulator(security=False, **sim_options)
    async with sim, OpcUaSession(sim.url, pki_dir=tmp_path / "pki", timeout=10.0) as session:
        return await body(session, sim)


def test_children_of_every_node_class_from_the_root(tmp_path):
    async def body(session, _sim):
        root = await children(session)
        types = next(i for i in root if i.name == "Types")
        type_folders = await children(session, types.tag)
        object_types = next(i for i in type_folders if i.name == "ObjectTypes")
        base = await children(session, object_types.tag)
        objects = next(i for i in root if i.name == "Objects")
        pump = next(i for i in await children(session, objects.tag) if i.name == "PumpStation")
        return root, base, await children(session, pump.tag)

    root, base, pump = run(_with_session(tmp_path, body))
    assert {i.name for i in root} >= {"Objects", "Types", "Views"}
    assert [i.node_class for i in base] == ["ObjectType"]
    by_name = {i.name: i for i in pump}
    assert by_name["SetSpeed"].node_class == "Method" and not by_name["SetSpeed"].has_children
    assert by_name["Flow"].node_class == "Variable" and by_name["Flow"].tag == f"{NS};s=PumpStation.Flow"
    assert by_name["Flow"].extra["browse_name"] == "Flow"


def test_a_variable_in_full_with_type_access_units_and_references(tmp_path):
    async def body(session, _sim):
        return await read_node(session, f"{NS};s=PumpStation.Flow"), await read_node(session, "i=2259")

    flow, state = run(_with_session(tmp_path, body))
    assert flow.node_class == "Variable"
    assert flow.attribute("DataType") == "Double"
    assert flow.attribute("AccessLevel") == "CurrentRead | HistoryRead"  # Flow is historized
    assert flow.attribute("EngineeringUnits") and "…" in flow.attribute("EURange")
    assert flow.attribute("SourceTimestamp").endswith("Z")
    assert flow.attribute("ValueRank") == "Scalar (-1)"
    types = {(r.reference_type, r.forward, r.target_class) for r in flow.references}
    assert ("HasComponent", False, "Object") in types and ("HasTypeDefinition", True, "VariableType") in types
    assert ("HasProperty", True, "Variable") in types
    # Server.ServerStatus.State: an enumeration, by name
    assert state.attribute("DataType") == "ServerState" and state.attribute("Value") == "Running (0)"


def test_values_in_words():
    assert describe_value(list(range(12))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …] (n=12)"
    assert describe_value(2, {1: "Stopped", 2: "Running"}) == "Running (2)"
    text = describe_value(ua.Range(Low=0.0, High=200.0))
    assert text.splitlines() == ["Low = 0.0", "High = 200.0"]
    assert flag_names(ua.AccessLevel, 0b101) == "CurrentRead | HistoryRead"


def test_method_arguments_with_names_types_and_descriptions(tmp_path):
    async def body(session, _sim):
        return await method_arguments(session, f"{NS};s=PumpStation.SetSpeed")

    inputs, outputs = run(_with_session(tmp_path, body))
    assert [(a.name, a.data_type, a.variant_type) for a in inputs] == [("speed", "Double", ua.VariantType.Double)]
    assert "rpm" in inputs[0].description
    assert [(a.name, a.data_type) for a in outputs] == [("changed", "Boolean")]


def test_an_event_feed_delivers_the_alarms_of_a_source(tmp_path):
    async def body(session, _sim):
        feed = EventFeed(session, PUMP)
        await feed.start()
        try:
            await session.write(f"{NS};s=PumpStation.FaultActive", True)
            deadline = time.monotonic() + 30
            events = []
            while not events and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                events += feed.take()
        finally:
            await session.write(f"{NS};s=PumpStation.FaultActive", False)
            await feed.stop()
        return events

    events = run(_with_session(tmp_path, body))
    assert events and events[0].severity >= 500 and "vibration" in events[0].message.lower()
    assert events[0].source_name == "PumpStation"
