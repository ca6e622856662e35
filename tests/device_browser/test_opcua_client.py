"""The OPC UA client against the pump-station simulator on 127.0.0.1: real asyncua on both sides.

One simulator (security on, a user, 300 extra tags, lowered and enforced operation limits) runs
for the module on its own event loop in a thread, so every test can use ``asyncio.run`` and
still reach it over TCP; tests that need a server of their own start one on their loop. Request
counts are deltas of the simulator's own per-service counter.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import os
import socket
import stat
import threading
import time
from collections.abc import Awaitable
from typing import Any

import keyring
import numpy as np
import pytest
from asyncua import ua
from asyncua.crypto import cert_gen
from asyncua.ua import uaerrors
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from keyring.backend import KeyringBackend

from device_browser.bus import LiveBus
from device_browser.opcua import ua_browse
from device_browser.opcua.client import OpcUaError, OpcUaSession, coerce_value, describe_error, discover
from device_browser.opcua.security import (
    ApplicationCertificate,
    CertificateChanged,
    CertificateRejected,
    CertInfo,
    TrustStore,
    load_password,
    save_password,
    workbench_application_uri,
)
from device_browser.opcua.subscriptions import LiveSubscriptions, MonitoredItem
from device_browser.opcua.ua_requests import OperationLimits
from device_browser.session import BAD, GOOD, ConnectionState, DeviceError, WriteRefused
from device_browser.simulators.opcua.simulator import start_simulator

LIMITS = {"MaxNodesPerRead": 50, "MaxNodesPerBrowse": 50, "MaxMonitoredItemsPerCall": 50, "MaxReferencesPerNode": 100}
EXTRA = 300


class SimThread:
    """The simulator on its own loop in a daemon thread."""

    def __init__(self, **kwargs: Any):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="opcua-simulator", daemon=True)
        self.thread.start()
        self.handle = asyncio.run_coroutine_threadsafe(start_simulator(**kwargs), self.loop).result(60)

    async def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on the simulator's loop, awaited from the test's loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def set(self, name: str, value: Any) -> None:
        async def apply() -> None:
            await self.handle.set_value(name, value)

        await self.run(apply())

    def count(self, service: str) -> int:
        return self.handle.requests[service]

    def close(self) -> None:
        async def shutdown() -> None:
            await self.handle.stop()
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:  # sessions the server still kept (their subscription loops)
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    server = SimThread(
        extra_tags=EXTRA, limits=LIMITS, pki_dir=tmp_path_factory.mktemp("simulator-pki"),
        users={"operator": "secret"}, seed=7,
    )
    yield server
    server.close()


class MemoryKeyring(KeyringBackend):
    """A secret store that lives for one test."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def tmp_keyring(tmp_path):
    previous = keyring.get_keyring()
    ring = MemoryKeyring()  # stands for the desktop's secret store (a plain-text file is refused)
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def run(coro: Awaitable[Any], timeout: float = 40.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def tag(name: str) -> str:
    return f"nsu=urn:millwright:pumpstation;s={name if name.startswith('Extra.') else 'PumpStation.' + name}"


PUMP = "nsu=urn:millwright:pumpstation;s=PumpStation"
EXTRA_FOLDER = "nsu=urn:millwright:pumpstation;s=Extra"


def session(sim: SimThread, tmp_path, **kwargs: Any) -> OpcUaSession:
    kwargs.setdefault("timeout", 10.0)  # generous: the simulator shares this process, and CI may be loaded
    return OpcUaSession(sim.handle.url, pki_dir=tmp_path / "pki", **kwargs)


async def wait_until(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


# --- discovery, browse, read -------------------------------------------------------------------


def test_discovery_lists_policies_modes_and_user_tokens(sim):
    endpoints = run(discover(sim.handle.url, timeout=3.0))
    pairs = {(e.policy, e.mode) for e in endpoints}
    assert ("None", "None") in pairs
    assert ("Basic256Sha256", "SignAndEncrypt") in pairs
    assert ("Aes256Sha256RsaPss", "Sign") in pairs
    secure = next(e for e in endpoints if e.policy == "Basic256Sha256" and e.mode == "SignAndEncrypt")
    assert {"Anonymous", "UserName"} <= set(secure.user_tokens)
    assert secure.certificate and secure.server_uri == "urn:millwright:simulator:pumpstation"


def test_browse_gives_types_units_ranges_and_access(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            top = {item.name: item for item in await s.browse()}
            assert top["PumpStation"].tag == PUMP and top["PumpStation"].has_children
            items = {item.name: item for item in await s.browse(PUMP)}
            return s.limits, items

    limits, items = run(main())
    assert (limits.read, limits.browse, limits.monitored_items) == (50, 50, 50)
    flow = items["Flow"]
    assert (flow.node_class, flow.data_type, flow.access, flow.unit) == ("Variable", "Double", "r", "m³/h")
    assert flow.eu_range == (0.0, 200.0) and flow.description == "Discharge flow rate"
    assert flow.tag == tag("Flow") and not flow.has_children  # EURange/EngineeringUnits are folded in
    assert (items["SpeedSetpoint"].access, items["SpeedSetpoint"].eu_range) == ("rw", (0.0, 1800.0))
    assert (items["Mode"].data_type, items["RunHours"].data_type) == ("Int16", "UInt32")
    assert (items["FaultActive"].data_type, items["FaultActive"].access) == ("Boolean", "rw")
    assert items["Running"].has_children  # TrueState / FalseState
    assert items["SetSpeed"].node_class == "Method" and items["SetSpeed"].description.startswith("Set the speed")


def test_browse_follows_continuation_points_over_the_extra_folder(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            before = sim.count("BrowseNext")
            served = await s.browse(EXTRA_FOLDER)  # the server pages at 100 references
            server_pages = sim.count("BrowseNext") - before
            s.max_references_per_node = 64  # and we may ask for smaller pages ourselves
            before = sim.count("BrowseNext")
            asked = await s.browse(EXTRA_FOLDER)
            return served, server_pages, asked, sim.count("BrowseNext") - before

    served, server_pages, asked, asked_pages = run(main())
    names = [item.name for item in served]
    assert names == [f"Tag{i:05d}" for i in range(EXTRA)]  # all, once, in order
    assert server_pages == 2 and asked_pages == 4  # 300 = 100 + 2×100; 300 = 64 + 4 pages
    assert [item.name for item in asked] == names
    assert all(item.data_type == "Double" and item.access == "r" for item in served)


def test_browse_asks_little_per_child_and_the_type_tells_which_rows_expand(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            s.request_count.clear()
            pump = {item.name: item for item in await s.browse(PUMP)}
            pump_requests = dict(s.request_count)
            s.request_count.clear()
            server = {item.name: item for item in await s.browse("i=2253")}
            return pump, pump_requests, server, dict(s.request_count)

    pump, pump_requests, server, server_requests = run(main())
    # one Browse of the level, none of each child: AnalogItemType, TwoStateDiscreteType, … say it all
    assert pump_requests["Browse"] == 1 and "BrowseNext" not in pump_requests
    assert pump_requests["TranslateBrowsePathsToNodeIds"] == 1  # EURange/EngineeringUnits of all variables
    assert pump["HighVibration"].has_children and not pump["SetSpeed"].has_children  # objects expand, methods not
    assert pump["Mode"].eu_range == (1.0, 3.0)  # a plain variable with an EURange, found in a small level
    # ServerStatusType is not a type the browse knows: those children are browsed, in one more Browse
    assert server_requests["Browse"] == 2
    assert server["ServerStatus"].has_children and server["ServerStatus"].data_type == "ServerStatusDataType"
    assert not server["NamespaceArray"].has_children and server["NamespaceArray"].data_type == "String"


def test_a_lean_level_reads_two_attributes_per_variable_and_leaves_eu_facts_to_node_facts(
    sim, tmp_path, monkeypatch
):
    async def main():
        async with session(sim, tmp_path) as s:
            s.request_count.clear()
            extra = await s.browse(EXTRA_FOLDER, details=False)
            extra_requests = dict(s.request_count)
            pump = {item.name: item for item in await s.browse(PUMP, details=False)}
            (mode,) = await s.node_facts([tag("Mode")], properties=True)
            monkeypatch.setattr(ua_browse, "DETAILED_LEVEL_MAX", EXTRA - 1)
            s.request_count.clear()
            large = await s.browse(EXTRA_FOLDER)  # larger than the limit: lean without being told
            return extra, extra_requests, pump, mode, large, dict(s.request_count)

    extra, extra_requests, pump, mode, large, large_requests = run(main())
    assert [item.name for item in extra] == [f"Tag{i:05d}" for i in range(EXTRA)]
    assert all((i.data_type, i.access, i.has_children, i.description) == ("Double", "r", False, "") for i in extra)
    assert extra_requests == {"Browse": 1, "BrowseNext": 2, "Read": EXTRA * 2 // 50}  # DataType, UserAccessLevel
    assert (pump["Flow"].unit, pump["Flow"].eu_range) == ("m³/h", (0.0, 200.0))  # its type declares them
    assert pump["Mode"].eu_range is None and pump["Flow"].description == ""
    assert mode.eu_range == (1.0, 3.0)  # a plain variable's range comes when asked for
    assert large == extra and large_requests == extra_requests


def test_a_very_large_level_lists_names_only_and_facts_come_on_demand(sim, tmp_path, monkeypatch):
    async def main():
        async with session(sim, tmp_path) as s:
            monkeypatch.setattr(ua_browse, "NAMES_ONLY_LEVEL_MIN", EXTRA)
            s.request_count.clear()
            names = await s.browse(EXTRA_FOLDER)
            requests = dict(s.request_count)
            detailed = await s.browse(EXTRA_FOLDER, details=False)  # asked for: attributes again
            (facts,) = await s.node_facts([names[7].tag])
            return names, requests, detailed, facts

    names, requests, detailed, facts = run(main())
    assert [item.name for item in names] == [f"Tag{i:05d}" for i in range(EXTRA)]
    assert all((i.data_type, i.access, i.node_class) == ("", "", "Variable") for i in names)
    assert requests == {"Browse": 1, "BrowseNext": 2}  # not a single Read
    assert all(i.data_type == "Double" for i in detailed) and facts.data_type_name == "Double"


def test_reference_types_of_a_vendor_are_placed_once_by_their_supertypes():
    """Browse asks for references of all types and keeps the hierarchical ones, placing reference
    types outside namespace 0 by walking up HasSubtype (a stand-in server answers the Browses)."""
    folder, via_organizes, via_vendor, via_other, rule = (ua.NodeId(n, 2) for n in ("F", "A", "B", "C", "R"))
    vendor_child, vendor_base, vendor_other = ua.NodeId(5001, 2), ua.NodeId(5000, 2), ua.NodeId(5002, 2)

    def ref(ref_type: ua.NodeId, target: ua.NodeId, node_class=ua.NodeClass.Variable) -> ua.ReferenceDescription:
        return ua.ReferenceDescription(ReferenceTypeId=ref_type, IsForward=True, NodeId=target,
                                       BrowseName=ua.QualifiedName(str(target.Identifier), 2), NodeClass=node_class)

    subtype_of = ua.NodeId(ua.ObjectIds.HasSubtype)
    answers = {
        folder: [ref(ua.NodeId(ua.ObjectIds.Organizes), via_organizes), ref(vendor_child, via_vendor),
                 ref(vendor_other, via_other),
                 ref(ua.NodeId(ua.ObjectIds.HasModellingRule), rule, ua.NodeClass.Object)],  # not hierarchical
        vendor_child: [ref(subtype_of, vendor_base)],  # 2:5001 < 2:5000 < Organizes: hierarchical
        vendor_base: [ref(subtype_of, ua.NodeId(ua.ObjectIds.Organizes))],
        vendor_other: [ref(subtype_of, ua.NodeId(ua.ObjectIds.NonHierarchicalReferences))],
    }

    class StandIn:
        url, connected, max_references_per_node = "opc.tcp://stand-in:4840", True, 0

        def __init__(self) -> None:
            self.limits, self.reference_kinds, self.sent = OperationLimits(), {}, []
            self.uaclient = self

        async def request(self, service: str, call: Any) -> Any:
            self.sent.append(service)
            return await call()

        async def browse(self, params: ua.BrowseParameters) -> list[ua.BrowseResult]:
            return [ua.BrowseResult(References=answers[d.NodeId]) for d in params.NodesToBrowse]

        def local(self, nid: ua.NodeId) -> ua.NodeId:
            return ua.NodeId(nid.Identifier, nid.NamespaceIndex)

        def to_tag(self, nid: ua.NodeId) -> str:
            return nid.to_string()

    stand_in = StandIn()
    first = run(ua_browse.child_references(stand_in, [folder]))
    assert [r.NodeId for r in first[0]] == [via_organizes, via_vendor]
    assert stand_in.sent == ["Browse"] * 3  # the level, then 2:5001 and 2:5002, then 2:5000
    assert stand_in.reference_kinds == {vendor_child: True, vendor_other: False}
    again = run(ua_browse.child_references(stand_in, [folder]))
    assert again == first and stand_in.sent == ["Browse"] * 4  # placed once per connection


def test_reads_are_chunked_by_the_server_limit_with_per_item_quality(sim, tmp_path):
    tags = [tag(f"Extra.Tag{i:05d}") for i in range(EXTRA)] + [tag(n) for n in ("Flow", "Running", "Status")]
    tags += [tag("NoSuchTag"), "not a node id"]

    async def main():
        async with session(sim, tmp_path) as s:
            before, refused = sim.count("Read"), sim.handle.rejections["Read"]
            samples = await s.read(tags)
            sent = sim.count("Read") - before, s.request_count["Read"]
            return samples, sent, sim.handle.rejections["Read"] - refused

    samples, (received, counted), refused = run(main())
    now = time.time_ns()
    assert len(samples) == len(tags) and [s.tag for s in samples] == tags
    assert received == math.ceil((len(tags) - 1) / 50) == 7 and refused == 0  # the bad id is not sent
    assert counted >= received  # the session counts its connect-time reads as well
    good = samples[:-2]
    assert all(s.quality == GOOD for s in good)
    assert all(abs(s.source_time - now) < 60e9 and s.server_time > 0 for s in good)
    assert isinstance(samples[EXTRA].value, float) and samples[EXTRA + 1].value is True
    assert (samples[-2].quality, samples[-2].status) == (BAD, "BadNodeIdUnknown")
    assert (samples[-1].quality, samples[-1].status) == (BAD, "BadNodeIdInvalid")


def test_a_lower_limit_of_our_own_and_chunked_translate(sim, tmp_path):
    tags = [tag(f"Extra.Tag{i:05d}") for i in range(120)]
    paths = [f"Extra/Tag{i:05d}" for i in range(120)] + ["PumpStation/Flow", "PumpStation/Nothing"]

    async def main():
        async with session(sim, tmp_path, max_nodes_per_read=20, limits_override={"translate": 25}) as s:
            before = sim.count("Read"), sim.count("TranslateBrowsePathsToNodeIds")
            samples = await s.read(tags)
            found = await s.translate(paths)
            after = sim.count("Read"), sim.count("TranslateBrowsePathsToNodeIds")
            return s.limits.read, samples, found, (after[0] - before[0], after[1] - before[1])

    limit, samples, found, (reads, translates) = run(main())
    assert limit == 20 and reads == 6 and translates == math.ceil(122 / 25)
    assert all(s.quality == GOOD for s in samples)
    assert found[:120] == tags and found[120] == tag("Flow") and found[121] is None


# --- write and call ------------------------------------------------------------------------------


def test_write_as_the_nodes_own_type_and_read_back(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            before = sim.count("Write")
            await s.write(tag("SpeedSetpoint"), 1234)  # a Python int, written as the node's Double
            await s.write(tag("Mode"), "2")  # text from a form, written as Int16
            await s.write(tag("FlowTrim"), 1.5)  # Float
            values = [x.value for x in await s.read([tag("SpeedSetpoint"), tag("Mode"), tag("FlowTrim")])]
            await s.write_many({tag("SpeedSetpoint"): 1480.0, tag("Mode"): 1, tag("FlowTrim"): 0.0})
            return values, sim.count("Write") - before

    values, writes = run(main())
    assert values == [1234.0, 2, 1.5] and isinstance(values[1], int)
    assert writes == 4


def test_a_refused_write_sends_nothing(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            await s.read([tag("Mode")])
            before = sim.count("Write")
            errors = {}
            for name, value in (("Mode", 70000), ("Mode", 2.5), ("SpeedSetpoint", "fast"),
                                ("SpeedSetpoint", 5000), ("FaultActive", 7), ("Flow", 1.0)):
                with pytest.raises(WriteRefused) as caught:
                    await s.write(tag(name), value)
                errors[(name, value)] = str(caught.value)
            return errors, sim.count("Write") - before

    errors, writes = run(main())
    assert writes == 0
    assert errors[("Mode", 70000)] == f"70000 does not fit Int16 (−32768…32767) for {tag('Mode')}"
    assert "2.5 is not a whole number" in errors[("Mode", 2.5)]
    assert "'fast' is not a number" in errors[("SpeedSetpoint", "fast")]
    assert errors[("SpeedSetpoint", 5000)] == f"5000 is outside the range 0…1800 of {tag('SpeedSetpoint')}"
    assert "7 is not a Boolean" in errors[("FaultActive", 7)]
    assert errors[("Flow", 1.0)] == f"{tag('Flow')} is read-only on the server"


def test_values_are_checked_against_the_type():
    vt = ua.VariantType
    assert coerce_value(True, vt.Boolean) is True and coerce_value("off", vt.Boolean) is False
    assert coerce_value(3.0, vt.UInt16) == 3 and coerce_value("0x10", vt.Byte) == 16
    assert coerce_value("1e3", vt.Int32) == 1000 and coerce_value(2, vt.Double) == 2.0
    assert coerce_value([1, 2], vt.Int16, value_rank=1) == [1, 2]
    with pytest.raises(WriteRefused, match="−1 does not fit UInt16 \\(0…65535\\)"):
        coerce_value(-1, vt.UInt16)
    with pytest.raises(WriteRefused, match="256 does not fit Byte"):
        coerce_value(256, vt.Byte)
    with pytest.raises(WriteRefused, match="−129 does not fit SByte \\(−128…127\\)"):
        coerce_value(-129, vt.SByte)
    with pytest.raises(WriteRefused, match="does not fit Float"):
        coerce_value(1e39, vt.Float)
    with pytest.raises(WriteRefused, match="'maybe' is not a Boolean"):
        coerce_value("maybe", vt.Boolean)
    with pytest.raises(WriteRefused, match="takes an array"):
        coerce_value(1, vt.Int16, value_rank=1)
    with pytest.raises(WriteRefused, match=r"70000 does not fit Int16 .* for x"):
        coerce_value([1, 70000], vt.Int16, value_rank=1, where="x")


def test_method_calls_with_typed_arguments(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            before = sim.count("Call")
            changed = await s.call(PUMP, "SetSpeed", [1200])  # int → the declared Double
            back = (await s.read([tag("SpeedSetpoint")]))[0].value
            await s.call(PUMP, "SetSpeed", [1480])
            reset = await s.call(PUMP, "ResetRunHours")
            hours = (await s.read([tag("RunHours")]))[0].value
            refused = []
            for args in ([], ["x"], [1, 2]):
                with pytest.raises(WriteRefused) as caught:
                    await s.call(PUMP, "SetSpeed", args)
                refused.append(str(caught.value))
            sent_ok = sim.count("Call") - before
            with pytest.raises(OpcUaError) as out_of_range:
                await s.call(PUMP, "SetSpeed", [5000])
            with pytest.raises(DeviceError) as unknown:
                await s.call(PUMP, "Explode")
            return changed, back, reset, hours, refused, sent_ok, out_of_range.value, str(unknown.value)

    changed, back, reset, hours, refused, sent_ok, out_of_range, unknown = run(main())
    assert changed == [True] and back == 1200.0
    assert reset == [] and hours == 0
    assert sent_ok == 3  # the refused argument lists never left the client
    assert "takes 1 argument(s) (speed: Double), 0 given" in refused[0]
    assert "'x' is not a number" in refused[1] and "argument 'speed'" in refused[1]
    assert "2 given" in refused[2]
    assert out_of_range.status == "BadOutOfRange" and "'speed' BadOutOfRange" in str(out_of_range)
    assert "has no method 'Explode'" in unknown and "SetSpeed" in unknown


# --- history --------------------------------------------------------------------------------------


def test_history_raw_and_processed(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
            raw: list = []

            async def enough() -> bool:
                raw[:] = await s.history_read_raw(tag("Flow"), start, dt.datetime.now(dt.UTC))
                return len(raw) >= 15

            deadline = time.monotonic() + 30  # the server keeps a sample per tick: wait for 15, however long
            while not await enough() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            end = dt.datetime.now(dt.UTC)
            first5 = await s.history_read_raw(tag("Flow"), start, end, max_values=5)
            t0 = dt.datetime.fromtimestamp(raw[0].source_time / 1e9, dt.UTC)
            averages = await s.history_read_processed(tag("Flow"), t0, end, 0.5)
            with pytest.raises(OpcUaError) as none:
                await s.history_read_raw(tag("Speed"), start, end)
            return raw, first5, averages, none.value

    raw, first5, averages, none = run(main())
    assert len(raw) >= 15 and all(s.quality == GOOD for s in raw)
    assert all(np.diff([s.source_time for s in raw]) > 0)
    assert [s.source_time for s in first5] == [s.source_time for s in raw[:5]]
    good = [a for a in averages if a.quality == GOOD]
    assert good and all(0.0 <= a.value <= 200.0 for a in good)
    assert all(np.diff([a.source_time for a in averages]) == 500_000_000)  # one per 0.5 s interval
    assert none.status == "BadHistoryOperationUnsupported"


# --- subscriptions ---------------------------------------------------------------------------------


def test_absolute_deadband_suppresses_small_changes(sim, tmp_path):
    trim = tag("FlowTrim")

    async def main():
        async with session(sim, tmp_path) as s:
            await s.write(trim, 0.0)
            bus = LiveBus()
            async with LiveSubscriptions(s, bus) as live:
                sub = await live.create_subscription(50)
                added = await sub.add([trim], sampling_interval_ms=50, deadband=1.0, deadband_type="absolute")
                percent = await sub.add([MonitoredItem(tag("RunHours"), deadband=5, deadband_type="percent"),
                                         MonitoredItem(tag("Speed"), deadband=5, deadband_type="percent")])
                await wait_until(lambda: bus.latest(trim) is not None, 20)
                for value in (0.4, 0.8, 5.0, 5.4, -3.0):
                    await s.write(trim, value)
                    await asyncio.sleep(0.25)
                await wait_until(lambda: len(bus.snapshot(trim).v) >= 3, 20)
                await s.write(trim, 0.0)
                return added, percent, bus.snapshot(trim).v

    added, percent, values = run(main())
    assert added.ok and added.added == [trim]
    assert list(np.round(values, 3)) == [0.0, 5.0, -3.0]  # 0.4, 0.8, 5.4: within the deadband of 1.0
    assert percent.added == [tag("Speed")]  # has an EURange
    assert "needs an EURange" in percent.failed[tag("RunHours")]


def test_two_subscriptions_items_in_chunks_and_failures_reported(sim, tmp_path):
    extra = [tag(f"Extra.Tag{i:05d}") for i in range(EXTRA)]

    async def main():
        async with session(sim, tmp_path) as s:
            bus = LiveBus()
            async with LiveSubscriptions(s, bus) as live:
                fast = await live.create_subscription(100, "fast")
                slow = await live.create_subscription(1000, "slow")
                before = sim.count("CreateMonitoredItems")
                r_fast = await fast.add([tag("Flow")])
                r_slow = await slow.add([tag("DischargePressure"), *extra, tag("NoSuchTag")])
                created = sim.count("CreateMonitoredItems") - before
                # no rate after a fixed sleep (a busy machine slows both): wait for enough samples
                assert await wait_until(lambda: len(bus.snapshot(tag("Flow")).t) >= 15
                                        and len(bus.snapshot(tag("DischargePressure")).t) >= 3, 30)
                flow, pressure = bus.snapshot(tag("Flow")), bus.snapshot(tag("DischargePressure"))
                before = sim.count("DeleteMonitoredItems")
                not_deleted = await slow.remove(extra)
                deleted = sim.count("DeleteMonitoredItems") - before
                return (r_fast, r_slow, created, (flow, pressure), not_deleted, deleted,
                        (fast.revised_publishing_ms, slow.revised_publishing_ms), len(slow.items),
                        (fast.stats, slow.stats))

    r_fast, r_slow, created, chunks, not_deleted, deleted, revised, left, stats = run(main())
    assert r_fast.ok and revised == (100.0, 1000.0)
    assert len(r_slow.added) == EXTRA + 1 and list(r_slow.failed) == [tag("NoSuchTag")]
    assert "BadNodeIdUnknown" in r_slow.failed[tag("NoSuchTag")]
    assert created == 1 + math.ceil((EXTRA + 2) / 50)  # 302 items in calls of at most 50
    for chunk in chunks:  # in order, none twice, all good
        assert np.all(np.diff(chunk.t) > 0) and np.all(chunk.q == GOOD)
    assert stats[0].updates[tag("Flow")] >= len(chunks[0].t)
    assert stats[1].gaps == 0 and stats[1].overflows == 0
    assert not_deleted == {} and deleted == EXTRA // 50 and left == 1


def test_events_arrive_as_records(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s, LiveSubscriptions(s, LiveBus()) as live:
            sub = await live.create_subscription(100)
            added = await sub.add_events(PUMP)
            try:
                await s.write(tag("FaultActive"), True)
                event = await asyncio.wait_for(live.events.get(), 20)
            finally:
                await s.write(tag("FaultActive"), False)
            return added, event

    added, event = run(main())
    assert added.ok
    assert event.notifier == PUMP and event.severity >= 500 and "vibration" in event.message.lower()
    assert event.source_name == "PumpStation" and abs(event.time - time.time_ns()) < 60e9


def test_reconnect_resumes_subscriptions_with_a_gap_marker_and_no_duplicates(sim, tmp_path):
    """Restart (the server forgets the session: a new one, items re-created in chunks), then a
    network outage (the server keeps it: the same session is activated again)."""
    extra = [tag(f"Extra.Tag{i:05d}") for i in range(120)]
    watched = [tag("Flow"), tag("Mode"), *extra]

    async def main():
        s = session(sim, tmp_path, timeout=2.0, keepalive_interval=0.5)
        states = []
        s.status_changed.connect(states.append)
        await s.connect()
        bus = LiveBus()
        try:
            sub = await s.subscribe(watched, 100, bus)
            await wait_until(lambda: len(bus.snapshot(tag("Flow")).t) >= 5, 20)
            before = sim.count("CreateMonitoredItems"), sim.count("ActivateSession"), sim.count("CreateSession")
            await sim.run(sim.handle.restart())  # stopped and started again: sessions are gone
            assert await wait_until(lambda: s.counters.reconnects == 1 and s.status.state == ConnectionState.CONNECTED,
                                    30)
            recreated = sim.count("CreateMonitoredItems") - before[0]
            n = len(bus.snapshot(tag("Flow")).t)
            await wait_until(lambda: len(bus.snapshot(tag("Flow")).t) >= n + 5, 20)
            middle = sim.count("ActivateSession"), sim.count("CreateSession"), sim.count("CreateMonitoredItems")
            await sim.run(sim.handle.drop_connections())  # a network outage: the server keeps its sessions
            assert await wait_until(lambda: s.counters.reconnects == 2 and s.status.state == ConnectionState.CONNECTED,
                                    30)
            after = sim.count("ActivateSession"), sim.count("CreateSession"), sim.count("CreateMonitoredItems")
            # every tag resumes: a good sample after the second gap
            assert await wait_until(lambda: all(bus.latest(t) is not None and bus.latest(t)[2] == GOOD
                                                and len(bus.snapshot(t).t) >= 3 for t in watched), 30)
            await wait_until(lambda: len(bus.snapshot(tag("Mode")).t) >= 5, 10)
            return (states, s.live.gaps, recreated, (before, middle, after), sub.active_count, s.live.problems,
                    sub.stats, {t: bus.snapshot(t) for t in watched})
        finally:
            await s.close()

    states, gaps, recreated, counts, active, problems, stats, chunks = run(main(), 120)
    kinds = [x.state for x in states]
    first_reconnect = kinds.index(ConnectionState.RECONNECTING)
    assert kinds[:2] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
    assert ConnectionState.FAILED not in kinds and kinds[-1] == ConnectionState.DISCONNECTED
    assert kinds[first_reconnect:-1].count(ConnectionState.CONNECTED) == 2  # back after each outage
    assert states[first_reconnect].attempt == 1 and sim.handle.url in states[first_reconnect].reason
    assert recreated >= math.ceil(len(watched) / 50)  # chunked again after the restart
    (_, _, _), (act_mid, create_mid, items_mid), (act_after, create_after, items_after) = counts
    assert create_after == create_mid and act_after > act_mid  # the same session, activated again
    assert items_after == items_mid  # nothing re-created: the server still had the items
    assert active == len(watched) and problems == []
    assert len(gaps) == 2 and stats.gaps == 2
    for name, chunk in chunks.items():
        assert np.all(np.diff(chunk.t) > 0), f"{name}: timestamps repeat or go back"
        bad = np.flatnonzero(chunk.q == BAD)
        assert len(bad) == 2 and np.all(np.isnan(chunk.v[bad])), name  # one gap marker per outage
        assert list(chunk.t[bad]) == gaps, name
        assert bad[-1] < len(chunk.t) - 1 and chunk.q[-1] == GOOD, f"{name}: nothing after the gap"
    mode = chunks[tag("Mode")]  # unchanged across the outages: shown good again after each gap
    assert list(mode.q) == [GOOD, BAD, GOOD, BAD, GOOD]


def test_the_keepalive_watchdog_notices_a_server_that_hangs(sim, tmp_path):
    async def main():
        s = session(sim, tmp_path, timeout=1.0, keepalive_interval=0.5)
        states = []
        s.status_changed.connect(states.append)
        await s.connect()
        bus = LiveBus()
        try:
            await s.subscribe([tag("Flow")], 100, bus)
            await wait_until(lambda: bus.latest(tag("Flow")) is not None, 20)
            sim.loop.call_soon_threadsafe(time.sleep, 3.0)  # the server hangs; its sockets stay open
            assert await wait_until(lambda: s.counters.reconnects == 1 and s.status.state == ConnectionState.CONNECTED,
                                    40)
            n = len(bus.snapshot(tag("Flow")).t)
            assert await wait_until(lambda: len(bus.snapshot(tag("Flow")).t) > n, 20)
            return states, bus.snapshot(tag("Flow"))
        finally:
            await s.close()

    states, flow = run(main(), 90)
    lost = next(x for x in states if x.state == ConnectionState.RECONNECTING)
    assert "no answer to the keep-alive" in lost.reason
    assert np.all(np.diff(flow.t) > 0) and np.count_nonzero(flow.q == BAD) == 1


def test_the_session_gives_up_after_the_callers_limit_and_refuses_requests_meanwhile(tmp_path):
    async def main():
        server = await start_simulator(pki_dir=tmp_path / "own-sim", security=False)
        s = OpcUaSession(server.url, pki_dir=tmp_path / "pki", timeout=1.0, keepalive_interval=0.5,
                         give_up_after=3)
        states = []
        s.status_changed.connect(states.append)
        alone = OpcUaSession(server.url, pki_dir=tmp_path / "pki", timeout=1.0)  # no limit: keeps trying
        try:
            await s.connect()
            await alone.connect()
            await s.subscribe([server.node_id("Flow")], 100, LiveBus())
            await server.stop()
            assert await wait_until(lambda: s.status.state == ConnectionState.FAILED, 40)
            assert await wait_until(lambda: alone.status.state == ConnectionState.RECONNECTING, 20)
            started = time.monotonic()
            with pytest.raises(DeviceError, match="reconnecting"):
                await alone.read([server.node_id("Flow")])
            waited = time.monotonic() - started
            return states, alone.status, waited, s.counters
        finally:
            await s.close()
            await alone.close()
            await server.stop()

    states, alone, waited, counters = run(main(), 90)
    assert alone.state == ConnectionState.RECONNECTING and "connection refused" in alone.reason
    assert waited < 1.0  # refused at once, not after a timeout
    failed = next(x for x in states if x.state == ConnectionState.FAILED)
    assert failed.attempt == 3 and "connection refused" in failed.reason
    assert [x.attempt for x in states if x.state == ConnectionState.RECONNECTING] == [1, 2, 3]
    assert counters.reconnects == 0 and counters.requests > 0


# --- security -----------------------------------------------------------------------------------------


def test_sign_and_encrypt_with_trust_on_first_use_and_a_password_from_the_keyring(sim, tmp_path, tmp_keyring):
    asked: list[CertInfo] = []

    async def decide(info: CertInfo) -> bool:
        asked.append(info)
        return True

    save_password(sim.handle.url, "operator", "secret")

    async def main():
        results = []
        for _ in range(2):  # the second time the certificate is known: no question
            s = session(sim, tmp_path, policy="Basic256Sha256", mode="SignAndEncrypt", user="operator",
                        decide=decide)
            async with s:
                results.append(((await s.read([tag("Flow")]))[0], s.application_uri, s.warnings))
            own.add(s.own_certificate.info.fingerprint)
        return results

    own: set[str] = set()
    results = run(main())
    assert len(asked) == 1
    info = asked[0]
    assert info.application_uri == "urn:millwright:simulator:pumpstation"
    assert info.fingerprint == hashlib.sha256(sim.handle.certificate).digest().hex(":")
    assert info.not_after > dt.datetime.now(dt.UTC) and info.url == sim.handle.url
    for sample, app_uri, warnings in results:
        assert sample.quality == GOOD and warnings == []
        assert app_uri == workbench_application_uri() == f"urn:millwright:workbench:{socket.gethostname()}"
    mine = ApplicationCertificate.ensure(tmp_path / "pki")  # made once, then kept
    assert own == {mine.info.fingerprint} and mine.application_uri == app_uri and mine.info.days_left > 4 * 365
    assert stat.S_IMODE(os.stat(mine.key_path).st_mode) == 0o600
    assert len(TrustStore(tmp_path / "pki").trusted()) == 1
    assert load_password(sim.handle.url, "operator") == "secret"
    assert "secret" not in "".join(p.read_bytes().decode("latin-1") for p in (tmp_path / "pki").rglob("*")
                                   if p.is_file())


def test_a_changed_server_certificate_is_refused(sim, tmp_path):
    asked = []

    async def decide(info: CertInfo) -> bool:
        asked.append(info)
        return True

    async def main():
        s = session(sim, tmp_path, policy="Basic256Sha256", mode="SignAndEncrypt", decide=decide)
        async with s:
            old = s.server_certificate.fingerprint
        await sim.run(sim.handle.restart(regenerate_certificate=True))
        with pytest.raises(CertificateChanged) as changed:
            await s.connect()
        return old, changed.value, s.status

    old, changed, status = run(main())
    new = changed.info.fingerprint
    assert len(asked) == 1 and old != new and changed.previous == old
    url = sim.handle.url
    assert str(changed) == (
        f"The certificate of {url} changed: was SHA-256 {old[:23]}…, now {new[:23]}…. "
        "Remove it from the trusted store only if you know why it changed."
    )
    assert (status.state, status.reason) == (ConnectionState.FAILED, str(changed))
    store = TrustStore(tmp_path / "pki")
    assert [c.fingerprint for c in store.trusted()] == [old] and [c.fingerprint for c in store.rejected()] == [new]


def test_declined_or_unknown_certificates_are_refused(sim, tmp_path):
    async def no(_info: CertInfo) -> bool:
        return False

    async def main():
        errors = []
        for decide in (no, None):
            s = session(sim, tmp_path, policy="Basic256Sha256", mode="Sign", decide=decide)
            with pytest.raises(CertificateRejected) as refused:
                await s.connect()
            errors.append((str(refused.value), s.status.state))
        return errors

    (declined, state1), (unknown, state2) = run(main())
    assert declined.startswith(f"You did not trust the certificate of {sim.handle.url}")
    assert "is not trusted yet" in unknown
    assert state1 == state2 == ConnectionState.FAILED
    store = TrustStore(tmp_path / "pki")
    assert store.trusted() == [] and len(store.rejected()) == 1


def _user_certificate(folder, name: str) -> tuple:
    key = cert_gen.generate_private_key()
    cert = cert_gen.generate_self_signed_app_certificate(
        key, name, {}, [x509.UniformResourceIdentifier(f"urn:user:{name}")],
        extended=[ExtendedKeyUsageOID.CLIENT_AUTH], days=30,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (folder / f"{name}.pem").write_bytes(cert_gen.dump_private_key_as_pem(key))
    return folder / f"{name}.der", folder / f"{name}.pem"


def test_x509_user_identity(sim, tmp_path):
    trusted = _user_certificate(tmp_path / "users", "maintenance")
    stranger = _user_certificate(tmp_path / "users", "stranger")
    users_dir = sim.handle.pki_dir / "trusted-users"
    users_dir.mkdir(exist_ok=True)
    (users_dir / "maintenance.der").write_bytes(trusted[0].read_bytes())

    async def yes(_info: CertInfo) -> bool:
        return True

    async def main():
        s = session(sim, tmp_path, policy="Basic256Sha256", mode="Sign", decide=yes,
                    user_certificate=trusted[0], user_private_key=trusted[1])
        async with s:
            sample = (await s.read([tag("Flow")]))[0]
        s = session(sim, tmp_path, policy="Basic256Sha256", mode="Sign", decide=yes,
                    user_certificate=stranger[0], user_private_key=stranger[1])
        with pytest.raises(OpcUaError) as refused:
            await s.connect()
        return sample, str(refused.value)

    sample, refused = run(main())
    assert sample.quality == GOOD
    assert refused == "The server refused the user certificate stranger.der: it is not trusted there as a user identity"


def test_wrong_password_says_so_and_security_none_warns(sim, tmp_path, tmp_keyring):
    async def main():
        s = session(sim, tmp_path, user="operator", password="wrong")
        with pytest.raises(OpcUaError) as refused:
            await s.connect()
        with pytest.raises(DeviceError) as no_password:  # none given, none in the keyring
            await session(sim, tmp_path, user="nobody").connect()
        return str(refused.value), s.warnings, s.status, str(no_password.value)

    message, warnings, status, no_password = run(main())
    assert no_password.startswith(f"No password for user 'nobody' on {sim.handle.url}")
    assert message == "The server refused user 'operator': wrong user name or password"
    assert status.state == ConnectionState.FAILED and status.reason == message
    assert any("clear text" in w for w in warnings)


def test_errors_in_plain_words():
    url = "opc.tcp://plc7:4840/"
    too_many = describe_error(uaerrors.BadTooManyOperations(), url, "Read")
    assert too_many.status == "BadTooManyOperations" and "refused a Read request with too many items" in str(too_many)
    untrusted = describe_error(uaerrors.BadSecurityChecksFailed(), url, "connect", own_fp="ab:cd:ef:01:23:45:67:89:aa")
    assert "does not trust Millwright's certificate (SHA-256 ab:cd:ef:01:23:45:67:89…)" in str(untrusted)
    assert "move it from the rejected to the trusted" in str(untrusted)
    sessions = describe_error(uaerrors.BadTooManySessions(), url, "connect")
    assert "no free session left" in str(sessions)
    other = describe_error(uaerrors.BadNodeIdUnknown(), url, "Write")
    assert str(other).startswith(f"{url} answered Write with BadNodeIdUnknown: ")


# --- unreachable servers ------------------------------------------------------------------------------


def test_unreachable_servers_fail_within_the_timeout(tmp_path, free_tcp_port):
    async def attempt(url: str, timeout: float) -> tuple[str, float]:
        s = OpcUaSession(url, pki_dir=tmp_path / "pki", timeout=timeout)
        began = time.monotonic()
        with pytest.raises(DeviceError) as failed:
            await s.connect()
        return str(failed.value), time.monotonic() - began

    async def main():
        results = {"closed": await attempt(f"opc.tcp://127.0.0.1:{free_tcp_port()}/", 1.0)}
        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never answers
        port = silent.sockets[0].getsockname()[1]
        async with silent:
            results["silent"] = await attempt(f"opc.tcp://127.0.0.1:{port}/", 0.5)
        results["unroutable"] = await attempt("opc.tcp://10.255.255.1:4840/", 1.0)
        return results

    results = run(main())
    message, took = results["closed"]
    assert "connection refused" in message and "127.0.0.1" in message and took < 1.0
    message, took = results["silent"]
    assert "did not answer within 0.5 s" in message and took < 1.5
    message, took = results["unroutable"]
    assert "10.255.255.1" in message and took < 2.0
