"""Real app archives for the publish and install tests: the example app built once, and variants.

A variant is the built archive with its manifest changed (version, id, classification) and its
RECORD written anew, signed with a test key when one is given: what a publisher would build and
sign for another release, without running the golden tests again for each.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from app_packager.archive import RECORD, SIGNATURE, write_archive
from app_packager.build import build_app
from app_packager.manifest import MANIFEST_NAME, parse_manifest
from app_packager.signing import fingerprint, generate_key, sign_archive, write_public_key
from app_packager.zip_safety import read_entries
from nodes.resources import resources_dir

EXAMPLE_ID = "org.millwright.examples.pump-efficiency"


def build_example(folder: Path) -> Path:
    """The example project copied to ``folder`` and its app built: an unsigned ``.iapp``."""
    project = folder / "pump_station"
    shutil.copytree(resources_dir() / "examples" / "pump_station", project)
    return build_app(project).path


@dataclasses.dataclass(frozen=True)
class PublisherKey:
    private: object  # Ed25519PrivateKey
    pem: Path  # the public key, as a site is given it
    fingerprint: str

    @property
    def trusted(self) -> dict:
        """The ``trusted`` mapping of verify and install that accepts this key."""
        return {self.fingerprint: self.private.public_key()}


def make_key(folder: Path) -> PublisherKey:
    key = generate_key()
    pem = folder / "publisher.pub.pem"
    write_public_key(pem, key.public_key())
    return PublisherKey(key, pem, fingerprint(key.public_key()))


def variant(built: Path, folder: Path, key: PublisherKey | None = None, extra: dict[str, bytes] | None = None,
            **changes) -> Path:
    """``built`` with its manifest changed (``version="1.1.0"``, ``industry="C34"``, ``id=…``), signed by ``key``.

    Classification fields (industry, lifecycle, level, generality, maturity) and top-level fields
    (id, version, name, description) may be changed; ``extra`` entries are added (and listed in RECORD).
    """
    entries = {**read_entries(built), **(extra or {})}
    manifest = parse_manifest(entries[MANIFEST_NAME].decode("utf-8"))
    fields = {f.name for f in dataclasses.fields(manifest.classification)}
    classification = dataclasses.replace(manifest.classification,
                                         **{k: v for k, v in changes.items() if k in fields})
    manifest = dataclasses.replace(manifest, classification=classification,
                                   **{k: v for k, v in changes.items() if k not in fields})
    entries[MANIFEST_NAME] = manifest.to_yaml().encode("utf-8")
    for name in (RECORD, SIGNATURE):
        entries.pop(name, None)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / manifest.archive_name
    write_archive(path, entries)
    if key is not None:
        sign_archive(path, key.private)
    return path
