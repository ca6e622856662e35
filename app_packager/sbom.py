"""The app's software bill of materials: CycloneDX 1.6 JSON made with ``cyclonedx-python-lib``.

The metadata component is the app (type application, its id as bom-ref, licence, authors and
supplier, classification as properties); the components are the component types its graph uses,
with their versions and origin (built-in, a plug-in, a project file), and the Millwright runtime
it requires. Left to itself the library fills a random serial number and the current time, which
would make every build differ: the serialNumber here is a UUID5 of the SHA-256 of the archive's
other entries and of this BOM (so it changes exactly when the content does), and the timestamp is
``SOURCE_DATE_EPOCH``, else 1980-01-01T00:00:00Z, the archive entries' own time
(:func:`app_packager.archive.build_timestamp`). The JSON is written with sorted keys.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType, Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
from cyclonedx.output.json import JsonV1Dot6

from app_packager.archive import build_timestamp, record_bytes
from app_packager.manifest import AppManifest

SBOM_NAME = "sbom.cdx.json"
RUNTIME = "millwright"
# Fixed for ever: serial numbers are UUID5s in this namespace of the content's SHA-256.
SERIAL_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://millwright.invalid/sbom/serial-number")
_NO_SERIAL = uuid.UUID(int=0)


@dataclass(frozen=True)
class UsedComponent:
    """A component type an app uses, as the SBOM lists it."""

    type_name: str
    version: int
    origin: str  # "built-in", "plug-in NAME" or "project file components/NAME.json"
    sha256: str = ""  # hex digest of a project component's file


def sbom_bytes(manifest: AppManifest, components: Iterable[UsedComponent], runtime_version: str,
               entries: Mapping[str, bytes]) -> bytes:
    """The SBOM of ``manifest``'s app; ``entries`` are the archive's other entries (for the serial number)."""
    components = sorted(components, key=lambda c: c.type_name)
    unsigned = _json(_bom(manifest, components, runtime_version, _NO_SERIAL))
    content = hashlib.sha256(record_bytes(entries) + unsigned).hexdigest()
    return _json(_bom(manifest, components, runtime_version, uuid.uuid5(SERIAL_NAMESPACE, content)))


def _bom(manifest: AppManifest, components: list[UsedComponent], runtime_version: str, serial: uuid.UUID) -> Bom:
    app = _app(manifest)
    bom = Bom(serial_number=serial, metadata=BomMetaData(component=app, timestamp=_timestamp()))
    runtime = Component(name=RUNTIME, version=runtime_version, type=ComponentType.FRAMEWORK, bom_ref=RUNTIME,
                        description="The Millwright runtime the app runs on",
                        properties=[Property(name="millwright:requires", value=manifest.requires_millwright)]
                        if manifest.requires_millwright else [])
    parts = [runtime, *(_component(c) for c in components)]
    for part in parts:
        bom.components.add(part)
    bom.register_dependency(app, parts)
    return bom


def _app(manifest: AppManifest) -> Component:
    c = manifest.classification
    classification = {"industry": c.industry, "lifecycle": c.lifecycle, "level": c.level,
                      "generality": c.generality, "maturity": str(c.maturity)}
    organizations = [a.organization for a in manifest.authors if a.organization]
    return Component(
        name=manifest.name.en, version=manifest.version, type=ComponentType.APPLICATION, bom_ref=manifest.id,
        group=manifest.id.rpartition(".")[0],
        description=manifest.description.en if manifest.description else None,
        licenses=[LicenseFactory().make_from_string(manifest.license)],
        authors=[OrganizationalContact(name=a.name, email=a.email or None) for a in manifest.authors],
        supplier=OrganizationalEntity(name=organizations[0]) if organizations else None,
        properties=[Property(name="millwright:app-id", value=manifest.id)]
        + [Property(name=f"millwright:classification:{key}", value=value) for key, value in classification.items()])


def _component(used: UsedComponent) -> Component:
    return Component(name=used.type_name, version=str(used.version), type=ComponentType.LIBRARY,
                     bom_ref=f"component:{used.type_name}",
                     hashes=[HashType(alg=HashAlgorithm.SHA_256, content=used.sha256)] if used.sha256 else [],
                     properties=[Property(name="millwright:origin", value=used.origin)])


def _timestamp() -> datetime:
    return datetime(*build_timestamp(), tzinfo=UTC)


def _json(bom: Bom) -> bytes:
    # Re-dumped with sorted keys: the library's key order is its own business, ours must not move.
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
