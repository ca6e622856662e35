"""Processed history reads: aggregates over the simulator's in-memory history.

asyncua's server answers raw HistoryRead only; :class:`~device_browser.simulators.opcua.server.SimSession`
hands ReadProcessedDetails requests for historized variables to :func:`read_processed`, which
computes the aggregates of :data:`AGGREGATES` with numpy, one value per ProcessingInterval.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
from asyncua import ua
from asyncua.server.internal_server import InternalServer

from device_browser.simulators.opcua.model import utc_now

HISTORY_COUNT = 10_000

# Aggregates of processed history reads: AggregateFunction node id -> name.
AGGREGATES: dict[int, str] = {
    ua.ObjectIds.AggregateFunction_Average: "Average",
    ua.ObjectIds.AggregateFunction_Minimum: "Minimum",
    ua.ObjectIds.AggregateFunction_Maximum: "Maximum",
    ua.ObjectIds.AggregateFunction_Range: "Range",
    ua.ObjectIds.AggregateFunction_Count: "Count",
    ua.ObjectIds.AggregateFunction_Start: "Start",
    ua.ObjectIds.AggregateFunction_End: "End",
}


async def read_processed(iserver: InternalServer, history_count: int, details: ua.ReadProcessedDetails,
                         index: int, item: ua.HistoryReadValueId) -> ua.HistoryReadResult:
    """Aggregate the stored samples of ``item`` per ProcessingInterval; ``index`` picks its AggregateType."""
    if index >= len(details.AggregateType):
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadAggregateListMismatch))
    aggregate = details.AggregateType[index]
    name = AGGREGATES.get(aggregate.Identifier) if aggregate.NamespaceIndex == 0 else None
    if name is None:
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadAggregateNotSupported))
    lo, hi = sorted((details.StartTime, details.EndTime))
    span = (hi - lo).total_seconds()
    interval = details.ProcessingInterval / 1000.0 if details.ProcessingInterval > 0 else span
    if span <= 0 or interval <= 0:
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadInvalidTimestampArgument))
    count = math.ceil(span / interval)
    if count > history_count:
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadTooManyOperations))
    storage = iserver.history_manager.storage
    raw, _ = await storage.read_node_history(item.NodeId, lo, hi, 0)
    raw = [dv for dv in raw if dv.SourceTimestamp is not None and dv.Value is not None
           and dv.Value.Value is not None and (dv.StatusCode is None or dv.StatusCode.is_good())]
    stamps = np.array([(dv.SourceTimestamp - lo).total_seconds() for dv in raw], dtype=float)
    values = np.array([float(dv.Value.Value) for dv in raw], dtype=float)
    order = np.argsort(stamps, kind="stable")
    stamps, values = stamps[order], values[order]
    edges = np.searchsorted(stamps, np.arange(count + 1) * interval, side="left")
    edges[-1] = len(stamps)  # the last interval ends at EndTime, inclusive
    out = []
    for k in range(count):
        start_time = lo + timedelta(seconds=k * interval)
        chunk = values[edges[k]:edges[k + 1]]
        if name == "Count":
            variant = ua.Variant(len(chunk), ua.VariantType.Int32)
        elif not len(chunk):
            out.append(ua.DataValue(StatusCode=ua.StatusCode(ua.StatusCodes.BadNoData),
                                    SourceTimestamp=start_time, ServerTimestamp=utc_now()))
            continue
        else:
            variant = ua.Variant(_aggregate(name, chunk), ua.VariantType.Double)
        out.append(ua.DataValue(variant, SourceTimestamp=start_time, ServerTimestamp=utc_now()))
    return ua.HistoryReadResult(StatusCode=ua.StatusCode(), HistoryData=ua.HistoryData(DataValues=out))


def _aggregate(name: str, chunk: np.ndarray) -> float:
    if name == "Average":
        return float(chunk.mean())
    if name == "Minimum":
        return float(chunk.min())
    if name == "Maximum":
        return float(chunk.max())
    if name == "Range":
        return float(chunk.max() - chunk.min())
    if name == "Start":
        return float(chunk[0])
    return float(chunk[-1])  # End
