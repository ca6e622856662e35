"""Many-item service requests cut to what the server takes: Read, Browse/BrowseNext, TranslateBrowsePaths.

asyncua neither reads a server's OperationLimits nor splits requests, and its ``browse_nodes``
drops continuation points. Every many-item request of the driver goes through here instead:

* :class:`OperationLimits` holds ``Server.ServerCapabilities.OperationLimits.*`` (read at
  connect, 0 = no limit stated); requests are chunked by them, or by :data:`DEFAULT_CAP`.
* :func:`browse_references` follows continuation points with BrowseNext, and when the server
  runs out of them (MaxBrowseContinuationPoints) browses the rest again in smaller batches.

Each request goes through ``session.request`` so it is counted and its failure said in words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import TypeVar

from asyncua import ua

# OperationLimits and its defaults live with the connection; imported from here since before.
from device_browser.opcua.ua_connection import DEFAULT_CAP, LIMIT_NODES, OperationLimits, UaConnection
from device_browser.opcua.ua_errors import OpcUaError, check_status
from device_browser.session import DeviceError

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

__all__ = [
    "DEFAULT_CAP",
    "LIMIT_NODES",
    "OperationLimits",
    "browse_references",
    "chunks",
    "property_path",
    "read_attributes",
    "read_values",
    "translate_paths",
]


def chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- Read ---------------------------------------------------------------------------------------


READS_IN_FLIGHT = 3


async def read_attributes(
    session: UaConnection, ids: list[ua.ReadValueId], timestamps: ua.TimestampsToReturn = ua.TimestampsToReturn.Both
) -> list[ua.DataValue]:
    """DataValues of many (node, attribute) pairs, chunked by MaxNodesPerRead.

    Up to :data:`READS_IN_FLIGHT` chunks are on the wire at once: the server works on one while
    we decode the previous, instead of both waiting a round trip per chunk. Kept small, since
    small PLCs serve few requests in parallel per session.
    """
    gate = asyncio.Semaphore(READS_IN_FLIGHT)

    async def one(chunk) -> list[ua.DataValue]:
        params = ua.ReadParameters(MaxAge=0, TimestampsToReturn=timestamps, NodesToRead=list(chunk))
        async with gate:
            return await session.request("Read", lambda: session.uaclient.read(params))

    parts = await asyncio.gather(*(one(c) for c in chunks(ids, session.limits.per_request("read"))))
    return [value for part in parts for value in part]


async def read_values(
    session: UaConnection, nids: Sequence[ua.NodeId], attr: int = ua.AttributeIds.Value
) -> list[ua.DataValue]:
    """One attribute (the Value unless told) of many nodes."""
    return await read_attributes(session, [ua.ReadValueId(NodeId=n, AttributeId=attr) for n in nids])


# --- Browse, BrowseNext -------------------------------------------------------------------------


async def browse_references(
    session: UaConnection,
    nids: Sequence[ua.NodeId],
    *,
    ref_type: int = ua.ObjectIds.HierarchicalReferences,
    direction: ua.BrowseDirection = ua.BrowseDirection.Forward,
    class_mask: int = 0,
) -> list[list[ua.ReferenceDescription]]:
    """References of many nodes: chunked Browse, then BrowseNext until no continuation point is left.

    ``ref_type`` 0 asks for references of every type (the caller filters). A server holds only
    so many continuation points per session (MaxBrowseContinuationPoints); nodes answered
    BadNoContinuationPoints are browsed again, in batches of that size, once the points of
    their batch are used up.
    """
    refs: list[list[ua.ReferenceDescription]] = [[] for _ in nids]
    queue = list(range(len(nids)))
    size = session.limits.per_request("browse")
    while queue:
        batch, queue = queue[:size], queue[size:]
        params = ua.BrowseParameters(
            RequestedMaxReferencesPerNode=session.max_references_per_node,
            NodesToBrowse=[
                ua.BrowseDescription(
                    NodeId=nids[i],
                    BrowseDirection=direction,
                    ReferenceTypeId=ua.NodeId(ref_type),
                    IncludeSubtypes=True,
                    NodeClassMask=class_mask,
                    ResultMask=ua.BrowseResultMask.All,
                )
                for i in batch
            ],
        )
        params.View.Timestamp = ua.get_win_epoch()
        results = await session.request("Browse", lambda p=params: session.uaclient.browse(p))
        pending, again = _collect(session, refs, batch, results, nids)
        rounds = 0
        while pending:
            rounds += 1
            if rounds > 10_000:
                await _release(session, list(pending.values()))
                raise OpcUaError(f"{session.url} keeps sending continuation points; browse stopped")
            order = list(pending)
            next_params = ua.BrowseNextParameters(
                ReleaseContinuationPoints=False, ContinuationPoints=[pending[i] for i in order]
            )
            try:
                results = await session.request("BrowseNext", lambda p=next_params: session.uaclient.browse_next(p))
            except DeviceError:
                await _release(session, list(pending.values()))
                raise
            pending, more = _collect(session, refs, order, results, nids)
            again += more
        if again:
            if len(batch) == 1:
                raise OpcUaError(f"{session.url} has no continuation point left for browsing",
                                 "BadNoContinuationPoints")
            size = max(1, min(session.limits.browse_continuation_points or len(batch) // 2, len(batch) // 2))
            queue = again + queue
    return refs


def _collect(session, refs, positions, results, nids) -> tuple[dict[int, bytes], list[int]]:
    pending: dict[int, bytes] = {}
    again: list[int] = []
    for pos, result in zip(positions, results, strict=True):
        if result.StatusCode.value == ua.StatusCodes.BadNoContinuationPoints:
            refs[pos].clear()
            again.append(pos)
            continue
        if not result.StatusCode.is_good():
            if result.StatusCode.value == ua.StatusCodes.BadNodeIdUnknown:
                raise OpcUaError(f"{session.to_tag(nids[pos])} does not exist on {session.url}", "BadNodeIdUnknown")
            check_status(result.StatusCode, session.url, f"browsing {session.to_tag(nids[pos])}")
        refs[pos].extend(result.References or [])
        if result.ContinuationPoint:
            pending[pos] = result.ContinuationPoint
    return pending, again


async def _release(session: UaConnection, points: list[bytes]) -> None:
    if not points or not session.connected:
        return
    params = ua.BrowseNextParameters(ReleaseContinuationPoints=True, ContinuationPoints=points)
    try:
        await session.request("BrowseNext", lambda: session.uaclient.browse_next(params))
    except DeviceError as exc:
        _log.debug("releasing continuation points: %s", exc)


# --- TranslateBrowsePathsToNodeIds --------------------------------------------------------------


def property_path(start: ua.NodeId, name: str) -> ua.BrowsePath:
    """The path to the standard property ``name`` (EURange, InputArguments, …) of ``start``."""
    element = ua.RelativePathElement(
        ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasProperty),
        IsInverse=False,
        IncludeSubtypes=True,
        TargetName=ua.QualifiedName(name, 0),
    )
    return ua.BrowsePath(StartingNode=start, RelativePath=ua.RelativePath(Elements=[element]))


async def translate_paths(session: UaConnection, browse_paths: list[ua.BrowsePath]) -> list[ua.NodeId | None]:
    """The first target of each path (None where nothing matches), chunked by MaxNodesPerTranslate…"""
    out: list[ua.NodeId | None] = []
    for chunk in chunks(browse_paths, session.limits.per_request("translate")):
        results = await session.request(
            "TranslateBrowsePathsToNodeIds",
            lambda c=list(chunk): session.uaclient.translate_browsepaths_to_nodeids(c),
        )
        for result in results:
            good = result.StatusCode.is_good() and result.Targets
            out.append(session.local(result.Targets[0].TargetId) if good else None)
    return out
