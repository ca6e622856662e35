"""Semantic-version precedence (semver.org §11), which orders an app's versions in a catalogue."""

from __future__ import annotations

import random

import pytest

from app_packager.errors import AppError
from app_packager.semver import is_release, newest, version_key

# semver.org §11's own example, then numeric (not text) order of each part
ORDERED = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
           "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "1.10.1", "2.0.0-0", "2.0.0"]


def test_versions_sort_by_semantic_precedence_not_as_text_or_pep440():
    shuffled = ORDERED[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=version_key) == ORDERED


def test_build_metadata_does_not_change_precedence():
    assert version_key("1.0.0+build.9")[0] == version_key("1.0.0")[0]
    assert sorted(["1.0.1", "1.0.0+zzz", "1.0.0-rc.1"], key=version_key) == ["1.0.0-rc.1", "1.0.0+zzz", "1.0.1"]


def test_newest_is_the_highest_release_and_a_pre_release_only_when_there_is_no_release():
    assert newest(["1.0.0", "1.10.0", "1.9.0", "2.0.0-rc.1"]) == "1.10.0"
    assert newest(["2.0.0-alpha", "2.0.0-rc.1"]) == "2.0.0-rc.1"
    assert is_release("1.0.0+build") and not is_release("1.0.0-rc.1")


@pytest.mark.parametrize("text", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", ""])
def test_a_version_that_is_not_semantic_is_refused_with_an_example(text):
    with pytest.raises(AppError, match=r"MAJOR\.MINOR\.PATCH"):
        version_key(text)
