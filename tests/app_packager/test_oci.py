"""Apps in a real OCI registry: docker-registry (CNCF distribution 2.8) on loopback, spoken to through oras."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import keyring
import pytest
from keyring.backend import KeyringBackend

from app_packager.errors import AppError
from app_packager.oci import (
    ARCHIVE_MEDIA_TYPE,
    ARTIFACT_TYPE,
    CONFIG_MEDIA_TYPE,
    KEYRING_SERVICE,
    OciRegistry,
    is_loopback,
    registry_credentials,
    tag_of,
    version_of,
)
from app_packager.publish import SearchFilter, open_publisher
from tests.app_packager.archives import EXAMPLE_ID, variant
from tests.registry import RegistryProcess, registry_missing

DEADLINE = 10.0  # seconds: an unreachable registry must be reported well within this on a loaded machine


def _raw_manifest(registry: RegistryProcess, repository: str, tag: str) -> dict:
    request = urllib.request.Request(f"http://{registry.host}/v2/{repository}/manifests/{tag}",
                                     headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_publish_then_pull_gives_the_same_bytes_as_an_oci_artifact(oci_registry, example_build, publisher_key,
                                                                   tmp_path):
    archive = variant(example_build, tmp_path / "build", publisher_key)
    registry = open_publisher(oci_registry.url("round-trip"))

    reference = registry.publish(archive)
    pulled = registry.pull(EXAMPLE_ID, "1.0.0", tmp_path / "pulled")

    assert reference == f"{oci_registry.host}/round-trip/{EXAMPLE_ID}:1.0.0"
    assert pulled.read_bytes() == archive.read_bytes()
    manifest = _raw_manifest(oci_registry, f"round-trip/{EXAMPLE_ID}", "1.0.0")
    assert manifest["artifactType"] == ARTIFACT_TYPE  # distribution 2.8 keeps the field as sent
    assert manifest["config"]["mediaType"] == CONFIG_MEDIA_TYPE
    [layer] = manifest["layers"]
    assert layer["mediaType"] == ARCHIVE_MEDIA_TYPE
    assert layer["annotations"]["org.opencontainers.image.title"] == f"{EXAMPLE_ID}-1.0.0.iapp"
    annotations = manifest["annotations"]
    assert annotations["org.opencontainers.image.version"] == "1.0.0"
    assert annotations["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert annotations["org.millwright.app.id"] == EXAMPLE_ID
    assert annotations["org.millwright.app.industry"] == "D46"
    assert annotations["org.millwright.app.publisher-key"] == publisher_key.fingerprint
    [summary] = registry.list()
    assert (summary.latest.name.zh, summary.latest.publisher_key) == ("泵效率", publisher_key.fingerprint)


def test_versions_with_build_metadata_are_tagged_with_an_underscore_and_listed_in_semantic_order(
        oci_registry, example_build, tmp_path):
    registry = open_publisher(oci_registry.url("ordered"))
    for version in ("1.10.0", "1.2.0+build.7", "1.2.0-rc.1", "2.0.0-beta"):
        registry.publish(variant(example_build, tmp_path / version, version=version))

    [summary] = registry.list()

    assert summary.versions == ("1.2.0-rc.1", "1.2.0+build.7", "1.10.0", "2.0.0-beta")
    assert _raw_manifest(oci_registry, f"ordered/{EXAMPLE_ID}", "1.2.0_build.7")["annotations"][
        "org.opencontainers.image.version"] == "1.2.0+build.7"
    assert registry.pull(EXAMPLE_ID, None, tmp_path / "out").name == f"{EXAMPLE_ID}-1.10.0.iapp"
    assert registry.pull(EXAMPLE_ID, "1.2.0+build.7", tmp_path / "out").read_bytes() == \
        (tmp_path / "1.2.0+build.7" / f"{EXAMPLE_ID}-1.2.0+build.7.iapp").read_bytes()
    assert (tag_of("1.0.0+a.b"), version_of("1.0.0_a.b"), version_of("latest")) == ("1.0.0_a.b", "1.0.0+a.b", None)


def test_search_reads_each_version_from_the_registry(oci_registry, example_build, tmp_path):
    registry = open_publisher(oci_registry.url("search"))
    registry.publish(example_build)
    registry.publish(variant(example_build, tmp_path / "mill", id="com.example.mill-drive", industry="C34",
                             lifecycle="production", maturity=4))
    open_publisher(oci_registry.url("elsewhere")).publish(variant(example_build, tmp_path / "other",
                                                                  id="com.example.elsewhere"))

    assert [app.id for app in registry.list()] == ["com.example.mill-drive", EXAMPLE_ID]  # only this repository
    assert [app.id for app in registry.search("", SearchFilter(industry="C"))] == ["com.example.mill-drive"]
    assert [app.id for app in registry.search("泵效率", SearchFilter(maturity=2))] == [
        "com.example.mill-drive", EXAMPLE_ID]  # the variant kept the example's names
    assert registry.search("", SearchFilter(lifecycle="management")) == []


def test_a_published_version_never_changes_in_the_registry(oci_registry, example_build, tmp_path):
    registry = open_publisher(oci_registry.url("immutable"))
    first = variant(example_build, tmp_path / "first", version="3.0.0")
    registry.publish(first)

    assert registry.publish(first).endswith(":3.0.0")  # the same bytes again: accepted, nothing changes
    with pytest.raises(AppError, match=r"3\.0\.0 is already in 127\.0\.0\.1:\d+/immutable/.* with other content"):
        registry.publish(variant(example_build, tmp_path / "other", version="3.0.0", maturity=5))
    assert registry.pull(EXAMPLE_ID, "3.0.0", tmp_path / "out").read_bytes() == first.read_bytes()


def test_a_missing_app_or_version_is_named_with_the_registry(oci_registry, example_build, tmp_path):
    registry = open_publisher(oci_registry.url("missing"))
    registry.publish(example_build)

    with pytest.raises(AppError, match=rf"no app 'com\.example\.none' in oci://{oci_registry.host}/missing"):
        registry.pull("com.example.none", None, tmp_path)
    with pytest.raises(AppError, match=r"has no version 9\.9\.9 in oci://.* \(it has 1\.0\.0\)"):
        registry.pull(EXAMPLE_ID, "9.9.9", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_registry_that_is_down_is_reported_at_once(free_tcp_port, tmp_path):
    host = f"127.0.0.1:{free_tcp_port()}"
    started = time.monotonic()

    with pytest.raises(AppError, match=rf"The registry {host} cannot be reached \(connection refused\)"):
        open_publisher(f"oci://{host}/apps", timeout=5).list()
    assert time.monotonic() - started < DEADLINE  # oras alone would retry for minutes


def test_a_registry_that_never_answers_gives_up_after_the_timeout(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:  # accepts connections, never says a word
        accepted = []
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        host = f"127.0.0.1:{server.getsockname()[1]}"
        started = time.monotonic()

        with pytest.raises(AppError, match=rf"The registry {host} did not answer within 1 s"):
            open_publisher(f"oci://{host}/apps", timeout=1).pull(EXAMPLE_ID, None, tmp_path)
        assert time.monotonic() - started < DEADLINE
        for connection, _ in accepted:
            connection.close()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def guarded_registry(tmp_path_factory):
    """A registry that asks for HTTP Basic credentials (htpasswd), as a company's registry would."""
    reason = registry_missing()
    if reason:
        pytest.skip(reason)
    registry = RegistryProcess(tmp_path_factory.mktemp("guarded"), users={"site-engineer": "s3cret"})
    registry.start()
    yield registry
    registry.stop()


def test_credentials_come_from_the_environment_and_a_refusal_says_how_to_give_them(
        guarded_registry, example_build, monkeypatch):
    monkeypatch.delenv("MILLWRIGHT_REGISTRY_USER", raising=False)
    with pytest.raises(AppError, match=rf"{guarded_registry.host}/guarded/{EXAMPLE_ID}: the registry asks for "
                                       r"credentials .* set MILLWRIGHT_REGISTRY_USER"):
        open_publisher(guarded_registry.url("guarded")).publish(example_build)

    monkeypatch.setenv("MILLWRIGHT_REGISTRY_USER", "site-engineer")
    monkeypatch.setenv("MILLWRIGHT_REGISTRY_PASSWORD", "wrong")
    with pytest.raises(AppError, match="asks for credentials"):
        open_publisher(guarded_registry.url("guarded")).publish(example_build)

    monkeypatch.setenv("MILLWRIGHT_REGISTRY_PASSWORD", "s3cret")
    registry = open_publisher(guarded_registry.url("guarded"))
    registry.publish(example_build)
    assert [app.versions for app in registry.list()] == [("1.0.0",)]


class _MemoryKeyring(KeyringBackend):
    """A keyring held in memory: the real keyring API, no desktop secret service needed."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


def test_credentials_come_from_the_keyring_by_registry_host(monkeypatch):
    monkeypatch.delenv("MILLWRIGHT_REGISTRY_USER", raising=False)
    monkeypatch.delenv("MILLWRIGHT_REGISTRY_PASSWORD", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(_MemoryKeyring())
    try:
        keyring.set_password(KEYRING_SERVICE, "registry.plant.example:5000", "site-engineer:pa:ss")
        assert registry_credentials("registry.plant.example:5000") == ("site-engineer", "pa:ss")
        assert registry_credentials("registry.plant.example") is None
    finally:
        keyring.set_keyring(previous)


def test_plain_http_only_for_loopback_or_a_registry_named_insecure():
    assert all(is_loopback(host) for host in ("127.0.0.1:5000", "localhost", "[::1]:5000", "127.0.0.2"))
    assert not any(is_loopback(host) for host in ("registry.plant.example", "10.0.0.5:5000", "localhost.evil.example"))
    assert OciRegistry.from_url("oci://localhost:5000/apps").plain_http
    assert not OciRegistry.from_url("oci://registry.plant.example/apps").plain_http
    assert OciRegistry.from_url("oci://registry.plant.example/apps",
                                insecure_registries=["registry.plant.example"]).plain_http
    assert OciRegistry.from_url("oci://registry.plant.example:5000/apps",
                                insecure_registries=["registry.plant.example"]).plain_http
    assert not OciRegistry.from_url("oci://registry.plant.example:5000/apps",
                                    insecure_registries=["registry.plant.example:443"]).plain_http
    with pytest.raises(AppError, match="'Plant Apps' is not a repository path"):
        OciRegistry.from_url("oci://registry.plant.example/Plant Apps")
