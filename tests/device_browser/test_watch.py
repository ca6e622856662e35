"""The watch list model: what the user chose to watch, its events and its file form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from device_browser.tags import TagRef
from device_browser.watch import DisplayFormat, WatchError, WatchItem, WatchList, format_watch_value

A, B, C, D = (TagRef("plc1", point=name) for name in "abcd")


def recording(watch: WatchList) -> list[tuple]:
    events: list[tuple] = []
    watch.inserted.connect(lambda first, items: events.append(("inserted", first, [i.ref for i in items])))
    watch.removed.connect(lambda first, items: events.append(("removed", first, [i.ref for i in items])))
    watch.moved.connect(lambda source, destination: events.append(("moved", source, destination)))
    watch.changed.connect(lambda index, item: events.append(("changed", index, item)))
    return events


def refs(watch: WatchList) -> list[TagRef]:
    return [item.ref for item in watch]


def test_add_and_extend_announce_one_event_each_and_skip_tags_already_watched():
    watch = WatchList()
    events = recording(watch)
    assert watch.add(A) == 0
    assert watch.extend([B, WatchItem(C, name="Pump C"), A]) == 2
    assert watch.add(B) == 1  # already watched: its index, no event
    assert watch.add(D, index=0) == 0
    assert refs(watch) == [D, A, B, C]
    assert events == [("inserted", 0, [A]), ("inserted", 1, [B, C]), ("inserted", 0, [D])]
    assert watch.extend([A, B]) == 0 and len(events) == 3


def test_remove_announces_each_contiguous_run_from_the_end():
    watch = WatchList([A, B, C, D])
    events = recording(watch)
    gone = watch.remove([3, 0, 1])
    assert [item.ref for item in gone] == [A, B, D]
    assert refs(watch) == [C]
    assert events == [("removed", 3, [D]), ("removed", 0, [A, B])]
    with pytest.raises(IndexError):
        watch.remove(5)
    watch.clear()
    assert len(watch) == 0 and events[-1] == ("removed", 0, [C])


def test_move_puts_the_item_at_the_destination_and_announces_it():
    watch = WatchList([A, B, C, D])
    events = recording(watch)
    watch.move(0, 2)
    assert refs(watch) == [B, C, A, D]
    watch.move(3, 0)
    assert refs(watch) == [D, B, C, A]
    watch.move(1, 1)  # no change, no event
    assert events == [("moved", 0, 2), ("moved", 3, 0)]
    with pytest.raises(IndexError):
        watch.move(0, 4)


def test_update_announces_only_a_real_change_and_never_changes_the_tag():
    watch = WatchList([A])
    events = recording(watch)
    item = watch.update(0, display=DisplayFormat.HEX, interval_ms=100)
    watch.update(0, display="hex")
    assert events == [("changed", 0, item)]
    assert item.display is DisplayFormat.HEX and item.interval_ms == 100
    with pytest.raises(WatchError, match="cannot change"):
        watch.update(0, ref=B)


@pytest.mark.parametrize("changes, message", [({"display": "octal"}, "not a display format"),
                                              ({"interval_ms": -1}, "sampling interval"),
                                              ({"deadband": float("nan")}, "deadband")])
def test_invalid_settings_are_refused_with_a_reason(changes, message):
    with pytest.raises(WatchError, match=message):
        WatchItem(A, **changes)


def test_round_trip_through_plain_json_data():
    ua = TagRef("ua1", address="nsu=urn:plant;s=Pump.Speed", data_type="double", unit="rpm")
    watch = WatchList([WatchItem(ua, name="Pump speed", display=DisplayFormat.ENGINEERING, interval_ms=250,
                                 deadband=0.5), WatchItem(A, unit="bar"), B])
    data = json.loads(json.dumps(watch.to_data()))
    again = WatchList.from_data(data)
    assert list(again) == list(watch)
    assert data["schema_version"] == 1
    assert data["items"][2] == {"tag": {"device": "plc1", "point": "b"}}  # defaults are not written
    assert again[0].display_name == "Pump speed" and again[1].display_name == "plc1/a"
    assert again[0].display_unit == "rpm" and again[1].display_unit == "bar"


@pytest.mark.parametrize("data, message", [({"schema_version": 9, "items": []}, "schema version 9"),
                                           ({"items": {}}, "must be a list"),
                                           ({"items": [{"name": "x"}]}, "needs a 'tag'")])
def test_unreadable_data_is_refused_with_a_reason(data, message):
    with pytest.raises(WatchError, match=message):
        WatchList.from_data(data)


@pytest.mark.parametrize("value, display, text", [
    (255, "hex", "0xFF"), (np.uint16(4660), "hex", "0x1234"), (-3.0, "hex", "-0x3"), (3.5, "hex", "3.5"),
    (5, "binary", "0b0101"), (0xA5, "binary", "0b1010_0101"), (True, "binary", "true"),
    (12345.678, "engineering", "12.3457e3"), (0.00123, "engineering", "1.23e-3"), (999.9999999, "engineering", "1e3"),
    (42.0, "engineering", "42"), (0, "engineering", "0"), (float("nan"), "engineering", "NaN"),
    (3.141590118408203, "decimal", "3.14159"), (None, "hex", ""), ("text", "hex", "text")])
def test_values_are_written_in_the_chosen_display_format(value, display, text):
    assert format_watch_value(value, display) == text
