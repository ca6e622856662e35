"""The simulator's address space: the nodes it adds to asyncua's server and the events it sends.

:class:`AddressSpace` (a part of :class:`~device_browser.simulators.opcua.simulation.Simulation`, rebuilt at
every start) advertises the operation limits and aggregates under ``Server.ServerCapabilities``, builds
``Objects/PumpStation`` (the variables of :data:`~device_browser.simulators.opcua.model.PUMP_TAGS` with their
properties, the methods ResetRunHours and SetSpeed, history, the HighVibration alarm condition and its
events) and ``Objects/Extra`` (the extra tags, created in one batch and read through value callbacks).
"""

from __future__ import annotations

import functools
import logging
import math
from datetime import datetime
from typing import Any

import numpy as np
from asyncua import Node, ua

from device_browser.simulators.opcua.history import AGGREGATES
from device_browser.simulators.opcua.model import (
    PUMP_TAGS,
    TAGS,
    VIBRATION_LIMIT,
    PumpModel,
    TagSpec,
    eu_information,
    utc_now,
)
from device_browser.simulators.opcua.server import OPERATION_LIMITS, SimServer

_log = logging.getLogger("device_browser.simulators.opcua.simulator")  # one logger for the whole simulator

_EVENT_FIELD_TYPES = {
    ua.ObjectIds.UtcTime: ua.VariantType.DateTime,
    ua.ObjectIds.Duration: ua.VariantType.Double,
    ua.ObjectIds.VersionTime: ua.VariantType.UInt32,
    ua.ObjectIds.UriString: ua.VariantType.String,
    ua.ObjectIds.NumericRange: ua.VariantType.String,
    ua.ObjectIds.DataValue: ua.VariantType.DataValue,
}


class AddressSpace:
    """The address-space part of :class:`~device_browser.simulators.opcua.simulation.Simulation`.

    Uses the simulation's attributes annotated below, and its ``_model_values()`` (the initial values)
    and ``_write_tag()`` (a value into a tag's node).
    """

    server: SimServer | None
    ns: int
    limits: dict[str, int]
    history_count: int
    tick: float
    model: PumpModel
    holds: dict[str, Any]
    historized: set[ua.NodeId]
    extra_tags: int
    extra_names: list[str]
    extra_interval: float
    _nodes: dict[str, ua.NodeId]
    _alarm_event: Any
    _alarm_node: Node | None
    _extra_values: np.ndarray
    _extra_time: datetime
    _extra_values_attr: list[Any]

    def _nid(self, qualified: str) -> ua.NodeId:
        return ua.NodeId(qualified, self.ns)

    async def _advertise_capabilities(self) -> None:
        assert self.server is not None
        aspace = self.server.iserver.aspace
        for name, ident in OPERATION_LIMITS.items():
            await self._write_checked(ua.NodeId(ident), ua.Variant(int(self.limits[name]), ua.VariantType.UInt32))
        await self._write_checked(
            ua.NodeId(ua.ObjectIds.Server_ServerCapabilities_MaxBrowseContinuationPoints),
            ua.Variant(int(self.limits["MaxBrowseContinuationPoints"]), ua.VariantType.UInt16))
        if ua.NodeId(ua.ObjectIds.HistoryServerCapabilities_AccessHistoryDataCapability) in aspace:
            await self._write_checked(ua.NodeId(ua.ObjectIds.HistoryServerCapabilities_AccessHistoryDataCapability),
                                      ua.Variant(True, ua.VariantType.Boolean))
        folder = self.server.get_node(ua.NodeId(ua.ObjectIds.Server_ServerCapabilities_AggregateFunctions))
        for ident in AGGREGATES:
            await folder.add_reference(ua.NodeId(ident), ua.ObjectIds.Organizes, forward=True, bidirectional=False)

    async def _write_checked(self, nodeid: ua.NodeId, variant: ua.Variant, source_time: datetime | None = None
                             ) -> None:
        assert self.server is not None
        now = utc_now()
        status = await self.server.iserver.aspace.write_attribute_value(
            nodeid, ua.AttributeIds.Value, ua.DataValue(variant, SourceTimestamp=source_time or now,
                                                          ServerTimestamp=now))
        if not status.is_good():
            _log.warning("Simulator could not write %s: %s", nodeid.to_string(), status.name)

    async def _build_pump(self) -> None:
        assert self.server is not None
        server = self.server
        pump = await server.nodes.objects.add_object(self._nid("PumpStation"),
                                                      ua.QualifiedName("PumpStation", self.ns))
        await pump.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(
            ua.LocalizedText("Simulated pump station: one centrifugal pump on a variable-speed drive", "en"))))
        for tag in PUMP_TAGS:
            await self._add_tag(pump, tag)
        values = self._model_values()
        for tag in PUMP_TAGS:
            await self._write_tag(tag.name, values[tag.name])
        await self._add_methods(pump)
        await self._add_alarm(pump)
        for tag in PUMP_TAGS:
            if tag.historized:
                node = server.get_node(self._nodes[tag.name])
                await server.historize_node_data_change(node, period=None, count=self.history_count)
                self.historized.add(node.nodeid)

    async def _add_tag(self, parent: Node, tag: TagSpec) -> None:
        assert self.server is not None
        nodeid = self._nid(f"PumpStation.{tag.name}")
        if tag.states:
            typedef = ua.ObjectIds.TwoStateDiscreteType
        elif tag.unit and tag.eu_range and tag.vtype in (ua.VariantType.Double, ua.VariantType.Float):
            typedef = ua.ObjectIds.AnalogItemType
        else:
            typedef = ua.ObjectIds.BaseDataVariableType
        attrs = ua.VariableAttributes()
        attrs.DisplayName = ua.LocalizedText(tag.name)
        attrs.Description = ua.LocalizedText(tag.description, "en")
        attrs.DataType = ua.NodeId(tag.vtype.value)
        attrs.Value = ua.Variant(tag.initial, tag.vtype)
        attrs.ValueRank = ua.ValueRank.Scalar
        access = ua.AccessLevel.CurrentRead.mask | (ua.AccessLevel.CurrentWrite.mask if tag.writable else 0)
        attrs.AccessLevel = attrs.UserAccessLevel = access
        attrs.MinimumSamplingInterval = self.tick * 1000.0
        attrs.Historizing = False
        item = ua.AddNodesItem(
            RequestedNewNodeId=nodeid, BrowseName=ua.QualifiedName(tag.name, self.ns),
            NodeClass=ua.NodeClass.Variable, ParentNodeId=parent.nodeid,
            ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasComponent), TypeDefinition=ua.NodeId(typedef),
            NodeAttributes=attrs,
        )
        (result,) = await self.server.iserver.isession.add_nodes([item])
        result.StatusCode.check()
        node = self.server.get_node(nodeid)
        self._nodes[tag.name] = nodeid
        if tag.unit:
            await node.add_property(self._nid(f"PumpStation.{tag.name}.EngineeringUnits"),
                                    ua.QualifiedName("EngineeringUnits", 0), eu_information(tag.unit),
                                    datatype=ua.NodeId(ua.ObjectIds.EUInformation))
        if tag.eu_range:
            await node.add_property(self._nid(f"PumpStation.{tag.name}.EURange"), ua.QualifiedName("EURange", 0),
                                    ua.Range(Low=float(tag.eu_range[0]), High=float(tag.eu_range[1])),
                                    datatype=ua.NodeId(ua.ObjectIds.Range))
        if tag.states:
            for prop, text in zip(("TrueState", "FalseState"), tag.states, strict=True):
                await node.add_property(self._nid(f"PumpStation.{tag.name}.{prop}"), ua.QualifiedName(prop, 0),
                                        ua.LocalizedText(text, "en"), datatype=ua.NodeId(ua.ObjectIds.LocalizedText))

    async def _add_methods(self, pump: Node) -> None:
        speed = ua.Argument(Name="speed", DataType=ua.NodeId(ua.ObjectIds.Double), ValueRank=ua.ValueRank.Scalar,
                            Description=ua.LocalizedText("New speed setpoint in rpm, 0 to 1800", "en"))
        accepted = ua.Argument(Name="changed", DataType=ua.NodeId(ua.ObjectIds.Boolean),
                               ValueRank=ua.ValueRank.Scalar,
                               Description=ua.LocalizedText("True if the setpoint changed", "en"))
        reset = await pump.add_method(self._nid("PumpStation.ResetRunHours"),
                                      ua.QualifiedName("ResetRunHours", self.ns), self._call_reset, [], [])
        set_speed = await pump.add_method(self._nid("PumpStation.SetSpeed"), ua.QualifiedName("SetSpeed", self.ns),
                                          self._call_set_speed, [speed], [accepted])
        for node, text in ((reset, "Set the operating hours counter to zero"),
                           (set_speed, "Set the speed setpoint (rpm); BadOutOfRange outside 0 to 1800")):
            await node.write_attribute(ua.AttributeIds.Description,
                                       ua.DataValue(ua.Variant(ua.LocalizedText(text, "en"))))

    async def _call_reset(self, _parent: ua.NodeId, *args: ua.Variant) -> Any:
        if args:
            return ua.StatusCode(ua.StatusCodes.BadTooManyArguments)
        self.model.run_seconds = 0.0
        self.holds.pop("RunHours", None)
        await self._write_tag("RunHours", 0)
        return []

    async def _call_set_speed(self, _parent: ua.NodeId, *args: ua.Variant) -> Any:
        if not args:
            return ua.StatusCode(ua.StatusCodes.BadArgumentsMissing)
        if len(args) > 1:
            return ua.StatusCode(ua.StatusCodes.BadTooManyArguments)
        (arg,) = args
        low, high = TAGS["SpeedSetpoint"].eu_range or (0.0, 0.0)
        if arg.VariantType != ua.VariantType.Double or arg.Value is None:
            status = ua.StatusCode(ua.StatusCodes.BadTypeMismatch)
            return ua.CallMethodResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadInvalidArgument),
                                       InputArgumentResults=[status])
        if not low <= arg.Value <= high or math.isnan(arg.Value):
            status = ua.StatusCode(ua.StatusCodes.BadOutOfRange)
            return ua.CallMethodResult(StatusCode=status, InputArgumentResults=[status])
        changed = float(arg.Value) != self.model.setpoint
        self.model.setpoint = float(arg.Value)
        await self._write_tag("SpeedSetpoint", self.model.setpoint)
        return [ua.Variant(changed, ua.VariantType.Boolean)]

    async def _add_alarm(self, pump: Node) -> None:
        assert self.server is not None
        server = self.server
        condition_id = self._nid("PumpStation.HighVibration")
        condition = await pump.add_object(condition_id, ua.QualifiedName("HighVibration", self.ns),
                                          ua.ObjectIds.AlarmConditionType, instantiate_optional=False)
        await pump.add_reference(condition_id, ua.ObjectIds.HasCondition, forward=True, bidirectional=False)
        server_node = server.get_node(ua.NodeId(ua.ObjectIds.Server))
        await server_node.add_reference(pump.nodeid, ua.ObjectIds.HasNotifier, forward=True, bidirectional=True)
        generator = await server.get_event_generator(ua.ObjectIds.AlarmConditionType, pump)
        event = generator.event
        # asyncua 2.1 declares some event fields with a DataType NodeId instead of a VariantType
        # (UtcTime, Duration, …); a value in such a field breaks every notification. Map them.
        for name, datatype in list(event.data_types.items()):
            if isinstance(datatype, ua.NodeId):
                event.data_types[name] = _EVENT_FIELD_TYPES.get(datatype.Identifier, ua.VariantType.Variant)
        event.NodeId = condition_id  # the ConditionId
        event.ConditionName = "HighVibration"
        event.ConditionClassId = ua.NodeId(ua.ObjectIds.ProcessConditionClassType)
        event.ConditionClassName = ua.LocalizedText("Process")
        event.SourceName = "PumpStation"
        event.Quality = ua.StatusCode()
        event.EnabledState = ua.LocalizedText("Enabled", "en")
        setattr(event, "EnabledState/Id", True)  # field names with "/" are set with setattr
        self._alarm_event = (generator, event)
        self._alarm_node = condition
        await self._set_condition_node(active=False, message="Vibration normal", severity=100)

    async def _set_condition_node(self, *, active: bool, message: str, severity: int) -> None:
        if self._alarm_node is None:
            return
        values = {
            ("0:EnabledState", "0:Id"): ua.Variant(True, ua.VariantType.Boolean),
            ("0:EnabledState",): ua.Variant(ua.LocalizedText("Enabled", "en")),
            ("0:ActiveState", "0:Id"): ua.Variant(active, ua.VariantType.Boolean),
            ("0:ActiveState",): ua.Variant(ua.LocalizedText("Active" if active else "Inactive", "en")),
            ("0:AckedState", "0:Id"): ua.Variant(not active, ua.VariantType.Boolean),
            ("0:AckedState",): ua.Variant(ua.LocalizedText("Unacknowledged" if active else "Acknowledged", "en")),
            ("0:Retain",): ua.Variant(active, ua.VariantType.Boolean),
            ("0:Message",): ua.Variant(ua.LocalizedText(message, "en")),
            ("0:Severity",): ua.Variant(severity, ua.VariantType.UInt16),
            ("0:ConditionName",): ua.Variant("HighVibration", ua.VariantType.String),
            ("0:SourceName",): ua.Variant("PumpStation", ua.VariantType.String),
        }
        for path, variant in values.items():
            try:
                child = await self._alarm_node.get_child(list(path))
            except ua.UaError:
                continue
            await self._write_checked(child.nodeid, variant)

    async def _raise_alarm(self, active: bool, vibration: float) -> None:
        generator, event = self._alarm_event
        if active:
            message = f"High vibration: {vibration:.2f} mm/s, above the limit of {VIBRATION_LIMIT:.2f} mm/s"
            severity = 800
        else:
            message = f"Vibration back to normal: {vibration:.2f} mm/s"
            severity = 200
        now = utc_now()
        event.Severity = severity
        event.Retain = active
        event.ActiveState = ua.LocalizedText("Active" if active else "Inactive", "en")
        setattr(event, "ActiveState/Id", active)
        setattr(event, "ActiveState/TransitionTime", now)
        event.AckedState = ua.LocalizedText("Unacknowledged" if active else "Acknowledged", "en")
        setattr(event, "AckedState/Id", not active)
        await generator.trigger(time_attr=now, message=message)
        # Real servers also report through the Server object (HasNotifier): send it there too.
        assert self.server is not None
        emitting = event.emitting_node
        event.emitting_node = ua.NodeId(ua.ObjectIds.Server)
        try:
            await self.server.iserver.subscription_service.trigger_event(event)
        finally:
            event.emitting_node = emitting
        await self._set_condition_node(active=active, message=message, severity=severity)

    async def _build_extra(self) -> None:
        assert self.server is not None
        iserver = self.server.iserver
        aspace = iserver.aspace
        folder = await self.server.nodes.objects.add_folder(self._nid("Extra"), ua.QualifiedName("Extra", self.ns))
        await folder.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(
            ua.LocalizedText(f"{self.extra_tags} extra Double tags for scale tests", "en"))))
        double = ua.NodeId(ua.ObjectIds.Double)
        typedef = ua.NodeId(ua.ObjectIds.BaseDataVariableType)
        organizes = ua.NodeId(ua.ObjectIds.Organizes)
        description = ua.LocalizedText(
            f"Extra tag for scale tests, updated every {self.extra_interval:g} s", "en")
        items = []
        for name in self.extra_names:
            attrs = ua.VariableAttributes()
            attrs.DisplayName = ua.LocalizedText(name)
            attrs.Description = description
            attrs.DataType = double
            attrs.Value = ua.Variant(0.0, ua.VariantType.Double)
            attrs.ValueRank = ua.ValueRank.Scalar
            attrs.AccessLevel = attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
            attrs.MinimumSamplingInterval = self.extra_interval * 1000.0
            # No parent here: asyncua checks every sibling per added child (quadratic); references follow.
            items.append(ua.AddNodesItem(
                RequestedNewNodeId=self._nid(f"Extra.{name}"), BrowseName=ua.QualifiedName(name, self.ns),
                NodeClass=ua.NodeClass.Variable, ParentNodeId=ua.NodeId(), ReferenceTypeId=organizes,
                TypeDefinition=typedef, NodeAttributes=attrs))
        failed = list(iserver.node_mgt_service.try_add_nodes(items, check=False))
        if failed:
            raise RuntimeError(f"could not create {len(failed)} extra tags")
        folder_data = aspace[folder.nodeid]
        folder_name = ua.QualifiedName("Extra", self.ns)
        up = ua.ReferenceDescription(ReferenceTypeId=organizes, IsForward=False, NodeId=folder.nodeid,
                                     BrowseName=folder_name, DisplayName=ua.LocalizedText("Extra"),
                                     NodeClass=ua.NodeClass.Object, TypeDefinition=ua.NodeId(ua.ObjectIds.FolderType))
        self._extra_values_attr = []
        for i, item in enumerate(items):
            folder_data.references.append(ua.ReferenceDescription(
                ReferenceTypeId=organizes, IsForward=True, NodeId=item.RequestedNewNodeId,
                BrowseName=item.BrowseName, DisplayName=item.NodeAttributes.DisplayName,
                NodeClass=ua.NodeClass.Variable, TypeDefinition=typedef))
            data = aspace[item.RequestedNewNodeId]
            data.references.append(up)
            attribute = data.attributes[ua.AttributeIds.Value]
            attribute.value = None
            attribute.value_callback = functools.partial(self._extra_datavalue, i)
            self._extra_values_attr.append(attribute)

    def _extra_datavalue(self, index: int, _nodeid: Any = None, _attr: Any = None) -> ua.DataValue:
        return ua.DataValue(ua.Variant(float(self._extra_values[index]), ua.VariantType.Double),
                            SourceTimestamp=self._extra_time, ServerTimestamp=self._extra_time)
