"""Fixtures of the app packager's tests: the example app built once, a publisher key, a real OCI registry."""

from __future__ import annotations

import pytest

from tests.app_packager.archives import build_example, make_key
from tests.registry import serve_registry


@pytest.fixture(scope="session")
def example_build(tmp_path_factory):
    """The example project's app, built (golden tests run) once for the session; unsigned. Copy before changing."""
    return build_example(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="session")
def publisher_key(tmp_path_factory):
    return make_key(tmp_path_factory.mktemp("key"))


@pytest.fixture(scope="module")
def oci_registry(tmp_path_factory):
    """docker-registry (CNCF distribution 2.8) on 127.0.0.1, one per test module; tests use their own repositories."""
    yield from serve_registry(tmp_path_factory)
