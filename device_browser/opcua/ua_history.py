"""Stored values from the server's history: raw values, and averages over intervals.

HistoryRead is chunked by MaxNodesPerHistoryReadData and its continuation points are followed
to the end (or released once ``max_values`` are in: a server keeps them until told). Servers
without aggregates (asyncua's own answers BadNotImplemented) get their averages computed here
from raw values; those samples carry the status "ClientAverage" so nobody mistakes them.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import math
from collections.abc import Sequence
from typing import Any

from asyncua import ua
from asyncua.ua import uaerrors

from device_browser.opcua.ua_connection import UaConnection
from device_browser.opcua.ua_errors import OpcUaError, describe_error
from device_browser.opcua.ua_values import as_datetime, sample_of, to_ns
from device_browser.session import BAD, GOOD, Sample

_log = logging.getLogger(__name__)

Instant = dt.datetime | int | float  # a datetime, ns since the epoch (int) or seconds (float)

# What servers answer when they keep raw history but compute no aggregates.
_NO_AGGREGATES = {"BadNotImplemented", "BadHistoryOperationUnsupported", "BadAggregateNotSupported",
                  "BadAggregateListMismatch", "BadServiceUnsupported"}


async def history(
    session: UaConnection, nids: list[ua.NodeId], details: Any, max_values: int = 0
) -> list[list[ua.DataValue]]:
    """HistoryRead of many nodes, chunked, following continuation points to the end (or ``max_values``)."""
    out: list[list[ua.DataValue]] = [[] for _ in nids]
    size = session.limits.per_request("history_read")
    for start in range(0, len(nids), size):
        pending = {start + k: b"" for k in range(len(nids[start:start + size]))}
        while pending:
            order = list(pending)
            params = ua.HistoryReadParameters(
                HistoryReadDetails=details,
                TimestampsToReturn=ua.TimestampsToReturn.Both,
                ReleaseContinuationPoints=False,
                NodesToRead=[ua.HistoryReadValueId(NodeId=nids[i], ContinuationPoint=pending[i] or None)
                             for i in order],
            )
            results = await session.request("HistoryRead", lambda p=params: session.uaclient.history_read(p))
            pending, release = {}, []
            for i, result in zip(order, results, strict=True):
                if not result.StatusCode.is_good():
                    raise describe_error(
                        uaerrors.UaStatusCodeError(result.StatusCode.value), session.url,
                        f"history read of {session.to_tag(nids[i])}",
                    )
                out[i].extend(getattr(result.HistoryData, "DataValues", None) or [])
                if result.ContinuationPoint:
                    if max_values and len(out[i]) >= max_values:
                        release.append((i, result.ContinuationPoint))
                    else:
                        pending[i] = result.ContinuationPoint
            if release:
                params = ua.HistoryReadParameters(
                    HistoryReadDetails=details,
                    ReleaseContinuationPoints=True,
                    NodesToRead=[ua.HistoryReadValueId(NodeId=nids[i], ContinuationPoint=cp) for i, cp in release],
                )
                await session.request("HistoryRead", lambda p=params: session.uaclient.history_read(p))
    if max_values:
        out = [values[:max_values] for values in out]
    return out


async def read_raw_many(
    session: UaConnection, tags: Sequence[str], start: Instant, end: Instant, max_values: int = 0
) -> dict[str, list[Sample]]:
    """Stored values of ``tags`` between ``start`` and ``end``, at most ``max_values`` each (0: all)."""
    details = ua.ReadRawModifiedDetails(
        IsReadModified=False,
        StartTime=as_datetime(start),
        EndTime=as_datetime(end),
        NumValuesPerNode=max_values,
        ReturnBounds=False,
    )
    nids = [session.to_nodeid(t) for t in tags]
    results = await history(session, nids, details, max_values)
    return {tag: [sample_of(tag, dv) for dv in dvs] for tag, dvs in zip(tags, results, strict=True)}


async def read_processed(
    session: UaConnection, tag: str, start: Instant, end: Instant, interval: float, *, client_fallback: bool = True
) -> list[Sample]:
    """Averages of ``tag`` over intervals of ``interval`` seconds (see the module docstring)."""
    t0, t1 = as_datetime(start), as_datetime(end)
    details = ua.ReadProcessedDetails(
        StartTime=t0,
        EndTime=t1,
        ProcessingInterval=interval * 1000.0,
        AggregateType=[ua.NodeId(ua.ObjectIds.AggregateFunction_Average)],
        AggregateConfiguration=ua.AggregateConfiguration(UseServerCapabilitiesDefaults=True),
    )
    try:
        (values,) = await history(session, [session.to_nodeid(tag)], details)
        return [sample_of(tag, dv) for dv in values]
    except OpcUaError as exc:
        if not client_fallback or exc.status not in _NO_AGGREGATES:
            raise
        _log.info("%s has no processed history (%s): averaging raw values here", session.url, exc.status)
    (raw,) = (await read_raw_many(session, [tag], t0, t1)).values()
    return _averages(tag, raw, t0, t1, interval)


def _averages(tag: str, raw: list[Sample], t0: dt.datetime, t1: dt.datetime, interval: float) -> list[Sample]:
    """Mean of the good numeric samples per interval; BadNoData where an interval has none."""
    step = int(interval * 1e9)
    begin, stop = to_ns(t0), to_ns(t1)
    buckets: dict[int, list[float]] = collections.defaultdict(list)
    for s in raw:
        t = s.source_time or s.server_time
        if s.quality == GOOD and begin <= t < stop and isinstance(s.value, int | float):
            buckets[(t - begin) // step].append(float(s.value))
    out = []
    for k in range(max(0, math.ceil((stop - begin) / step))):
        vals = buckets.get(k)
        t = begin + k * step
        if vals:
            out.append(Sample(tag, sum(vals) / len(vals), GOOD, t, t, "ClientAverage"))
        else:
            out.append(Sample(tag, None, BAD, t, t, "BadNoData"))
    return out
