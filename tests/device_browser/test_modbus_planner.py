"""Read planning: coalescing, limits, rejected addresses, determinism, and a property test."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device_browser.modbus.planner import MAX_BITS, MAX_REGISTERS, ReadRequest, plan_reads
from device_browser.modbus.registers import Area, DataType, ModbusTag
from device_browser.session import DeviceError

HR, IR, COIL, DI = Area.HOLDING_REGISTER, Area.INPUT_REGISTER, Area.COIL, Area.DISCRETE_INPUT


def words(*addresses: int, area: Area = HR, data_type: DataType = DataType.UINT16) -> list[ModbusTag]:
    return [ModbusTag(f"{area.prefix}_{address}", area, address, data_type) for address in addresses]


def spans(plan: list[ReadRequest]) -> list[tuple[Area, int, int]]:
    return [(request.area, request.start, request.count) for request in plan]


def test_limits_follow_the_modbus_spec():
    assert (MAX_REGISTERS, MAX_BITS) == (125, 2000)


# --------------------------------------------------------------------------- coalescing


def test_scattered_tags_are_coalesced_into_few_requests():
    addresses = sorted(random.Random(7).sample(range(4000), 1000))
    tags = words(*addresses)
    plan = plan_reads(tags, max_gap=10)
    assert len(tags) / len(plan) >= 15  # ~4 % of the gaps exceed 10 registers, so ~50 reads, not 1,000
    assert len(plan) == _fewest_requests(tuple(tags), 10, MAX_REGISTERS, frozenset())
    assert all(request.count <= MAX_REGISTERS for request in plan)
    assert sum(len(request.tags) for request in plan) == len(tags)


def test_small_gaps_are_read_through_and_large_ones_split():
    assert spans(plan_reads(words(0, 11), max_gap=10)) == [(HR, 0, 12)]  # 10 unused registers read
    assert spans(plan_reads(words(0, 12), max_gap=10)) == [(HR, 0, 1), (HR, 12, 1)]


def test_max_gap_zero_merges_only_adjacent_or_overlapping_tags():
    tags = [*words(0, 1, 2, 4), ModbusTag("float", HR, 5, DataType.FLOAT32), ModbusTag("low", HR, 6)]
    plan = plan_reads(tags, max_gap=0)
    assert spans(plan) == [(HR, 0, 3), (HR, 4, 3)]
    assert plan[1].tags == ("4_4", "float", "low")


def test_request_limit_boundary_at_125_registers():
    assert spans(plan_reads(words(*range(125)))) == [(HR, 0, 125)]
    assert spans(plan_reads(words(*range(126)))) == [(HR, 0, 125), (HR, 125, 1)]
    floats = words(*range(0, 126, 2), data_type=DataType.FLOAT32)  # the last one spans 124..125
    assert spans(plan_reads(floats)) == [(HR, 0, 124), (HR, 124, 2)]


def test_lower_device_limits_are_respected():
    assert spans(plan_reads(words(*range(10), area=IR), max_registers=4)) == [
        (IR, 0, 4), (IR, 4, 4), (IR, 8, 2)]


def test_coils_use_the_2000_bit_limit_and_bit_sized_gaps():
    assert spans(plan_reads(words(*range(2000), area=COIL))) == [(COIL, 0, 2000)]
    assert spans(plan_reads(words(*range(2001), area=COIL))) == [(COIL, 0, 2000), (COIL, 2000, 1)]
    assert spans(plan_reads(words(0, 160, area=COIL), max_gap=10)) == [(COIL, 0, 161)]  # 159 unused bits
    assert spans(plan_reads(words(0, 162, area=COIL), max_gap=10)) == [(COIL, 0, 1), (COIL, 162, 1)]
    assert spans(plan_reads(words(0, 1500, area=DI), max_bits=1000, max_gap=200)) == [(DI, 0, 1), (DI, 1500, 1)]


def test_areas_are_never_mixed_and_output_is_sorted():
    tags = words(5, area=IR) + words(0, area=HR) + words(3, area=COIL) + words(1, area=DI) + words(1, area=HR)
    plan = plan_reads(tags)
    assert spans(plan) == [(COIL, 3, 1), (DI, 1, 1), (HR, 0, 2), (IR, 5, 1)]
    assert plan == sorted(plan, key=lambda request: (request.area, request.start))


def test_plan_is_deterministic_whatever_the_input_order():
    tags = words(*random.Random(3).sample(range(600), 150)) + words(*range(0, 300, 7), area=COIL)
    shuffled = list(tags)
    random.Random(4).shuffle(shuffled)
    assert plan_reads(tags) == plan_reads(shuffled)


def test_overlapping_tags_share_a_request():
    tags = [ModbusTag("status", HR, 0), ModbusTag("running", HR, 0, DataType.BIT, bit=0),
            ModbusTag("fault", HR, 0, DataType.BIT, bit=1), ModbusTag("flow", HR, 1, DataType.FLOAT32),
            ModbusTag("flow_high", HR, 1)]
    assert plan_reads(tags, max_gap=0) == [
        ReadRequest(HR, 0, 3, ("fault", "running", "status", "flow_high", "flow"))]


# --------------------------------------------------------------------------- rejected addresses


def test_requests_are_split_around_rejected_addresses():
    plan = plan_reads(words(*range(5), *range(6, 10)), rejected=[(HR, 5)])
    assert spans(plan) == [(HR, 0, 5), (HR, 6, 4)]
    assert spans(plan_reads(words(0, 8), rejected=[(HR, 4)])) == [(HR, 0, 1), (HR, 8, 1)]


def test_a_tag_containing_a_rejected_address_is_planned_alone():
    tags = [*words(2, 3), ModbusTag("flow", HR, 4, DataType.FLOAT32), *words(6, 7)]
    plan = plan_reads(tags, rejected=[(HR, 5)])
    assert plan == [ReadRequest(HR, 2, 2, ("4_2", "4_3")), ReadRequest(HR, 4, 2, ("flow",)),
                    ReadRequest(HR, 6, 2, ("4_6", "4_7"))]


def test_rejected_addresses_only_count_in_their_own_area():
    assert spans(plan_reads(words(0, 2), rejected=[(IR, 1), (COIL, 1)])) == [(HR, 0, 3)]
    assert spans(plan_reads(words(0, 2), rejected=[("holding_register", 1)])) == [(HR, 0, 1), (HR, 2, 1)]


# --------------------------------------------------------------------------- requests and errors


def test_read_request_helpers():
    request = ReadRequest(HR, 10, 4, ("a", "b"))
    inside, straddling = ModbusTag("a", HR, 12, DataType.FLOAT32), ModbusTag("b", HR, 13, DataType.FLOAT32)
    assert request.covers(inside) and not request.covers(straddling)
    assert not request.covers(ModbusTag("c", IR, 12))
    assert request.end == 14 and request.function_code == 3
    assert request.slice(inside, [1, 2, 3, 4]) == [3, 4]
    assert [ReadRequest(area, 0, 1, ()).function_code for area in (COIL, DI, HR, IR)] == [1, 2, 3, 4]


def test_a_tag_larger_than_one_request_cannot_be_planned():
    text = ModbusTag("serial", HR, 0, DataType.STRING, length=20)
    with pytest.raises(DeviceError) as caught:
        plan_reads([text], max_registers=16)
    assert str(caught.value) == "Tag 'serial' (40001) spans 20 registers, more than the 16 one read request may carry"


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="max_gap must be >= 0"):
        plan_reads([], max_gap=-1)
    with pytest.raises(ValueError, match="limits >= 1"):
        plan_reads([], max_registers=0)
    assert plan_reads([]) == []


# --------------------------------------------------------------------------- properties

REGISTER_TYPES = [DataType.UINT16, DataType.INT32, DataType.FLOAT32, DataType.FLOAT64, DataType.BIT, DataType.STRING]


@st.composite
def tag_sets(draw, span: int = 300) -> list[ModbusTag]:
    tags = []
    for index in range(draw(st.integers(0, 60))):
        area = draw(st.sampled_from(list(Area)))
        address = draw(st.integers(0, span))
        if area.is_bit:
            tags.append(ModbusTag(f"t{index}", area, address))
            continue
        data_type = draw(st.sampled_from(REGISTER_TYPES))
        length = draw(st.integers(1, 4)) if data_type is DataType.STRING else 1
        tags.append(ModbusTag(f"t{index}", area, address, data_type, length=length))
    return tags


def _contains(rejected: set[tuple[Area, int]], area: Area, start: int, end: int) -> bool:
    return any((area, address) in rejected for address in range(start, end))


def _overlap(first_start: int, first_end: int, second_start: int, second_end: int) -> bool:
    return first_start < second_end and second_start < first_end


@settings(max_examples=200, deadline=None)
@given(tags=tag_sets(), rejected=st.sets(st.tuples(st.sampled_from(list(Area)), st.integers(0, 304)), max_size=15),
       max_gap=st.integers(0, 20), max_registers=st.integers(4, MAX_REGISTERS), max_bits=st.integers(1, MAX_BITS))
def test_plan_properties(tags, rejected, max_gap, max_registers, max_bits):
    plan = plan_reads(tags, max_gap, max_registers, max_bits, rejected)
    by_name = {tag.name: tag for tag in tags}
    listed = [name for request in plan for name in request.tags]
    assert sorted(listed) == sorted(by_name)  # every tag exactly once, nothing invented
    assert plan == sorted(plan, key=lambda request: (request.area, request.start))
    for request in plan:
        members = [by_name[name] for name in request.tags]
        assert all(request.covers(tag) for tag in members)  # whole tags, right area
        assert request.start == min(tag.address for tag in members)  # no registers read for nothing at the ends
        assert request.end == max(tag.end for tag in members)
        assert request.count <= (max_bits if request.area.is_bit else max_registers)
        if _contains(rejected, request.area, request.start, request.end):
            lone = members[0]
            assert len(members) == 1 and (request.start, request.count) == (lone.address, lone.register_count)
        _assert_gaps_at_most(members, (16 if request.area.is_bit else 1) * max_gap)
    _assert_requests_overlap_only_where_tags_force_it(plan, by_name)


def _assert_gaps_at_most(members: list[ModbusTag], gap: int) -> None:
    covered_to = None
    for tag in sorted(members, key=lambda tag: tag.address):
        if covered_to is not None:
            assert tag.address - covered_to <= gap
        covered_to = tag.end if covered_to is None else max(covered_to, tag.end)


def _assert_requests_overlap_only_where_tags_force_it(plan: list[ReadRequest], by_name: dict) -> None:
    for index, first in enumerate(plan):
        for second in plan[index + 1:]:
            if first.area != second.area or not _overlap(first.start, first.end, second.start, second.end):
                continue
            assert any(_overlap(a.address, a.end, b.address, b.end)
                       for a in (by_name[name] for name in first.tags) for b in (by_name[name] for name in second.tags))


@st.composite
def disjoint_runs(draw) -> list[ModbusTag]:
    """Non-overlapping holding tags, for comparing the sweep with an exhaustive optimum."""
    tags, address = [], 0
    for index in range(draw(st.integers(1, 25))):
        address += draw(st.integers(0, 12))
        tag = ModbusTag(f"t{index}", HR, address, draw(st.sampled_from([DataType.UINT16, DataType.FLOAT32])))
        tags.append(tag)
        address = tag.end
    return tags


@settings(max_examples=100, deadline=None)
@given(tags=disjoint_runs(), max_gap=st.integers(0, 12), limit=st.integers(2, 20),
       rejected=st.sets(st.integers(0, 200), max_size=6))
def test_sweep_gives_the_fewest_requests_for_disjoint_tags(tags, max_gap, limit, rejected):
    marked = {(HR, address) for address in rejected}
    clean = [tag for tag in tags if not _contains(marked, HR, tag.address, tag.end)]
    plan = plan_reads(tags, max_gap, max_registers=limit, rejected=marked)
    assert len(plan) - (len(tags) - len(clean)) == _fewest_requests(tuple(clean), max_gap, limit, frozenset(rejected))


def _fewest_requests(tags: tuple[ModbusTag, ...], gap: int, limit: int, rejected: frozenset[int]) -> int:
    """Dynamic programme over contiguous runs of the address-sorted tags, from the last tag back."""
    best = [0] * (len(tags) + 1)
    for first in range(len(tags) - 1, -1, -1):
        options = []
        for last in range(first, len(tags)):
            if not _feasible(tags[first:last + 1], gap, limit, rejected):
                break  # a longer run spans more and has the same gaps, so it is infeasible too
            options.append(1 + best[last + 1])
        best[first] = min(options)
    return best[0]


def _feasible(run: tuple[ModbusTag, ...], gap: int, limit: int, rejected: frozenset[int]) -> bool:
    if run[-1].end - run[0].address > limit:
        return False
    return all(later.address - earlier.end <= gap and not any(address in rejected
                                                              for address in range(earlier.end, later.address))
               for earlier, later in pairwise(run))
