"""Where apps are published: one interface, a catalogue folder or an OCI registry behind it.

A :class:`Publisher` stores ``.iapp`` archives by app id and version and finds them again:
:meth:`~Publisher.publish` an archive, :meth:`~Publisher.list` the apps with their versions,
:meth:`~Publisher.search` them by text and classification, :meth:`~Publisher.pull` one version
into a folder. :func:`open_publisher` opens one by its URL:

* ``catalog:PATH`` — a folder with an ``index.json`` (:mod:`app_packager.catalog`);
* ``oci://HOST[:PORT][/REPO]`` — an OCI registry, each app in the repository ``REPO/ID`` and
  each version a tag (:mod:`app_packager.oci`).

A published version is immutable: publishing other bytes under an id and version already there
is refused, the same bytes again change nothing. Versions are ordered by semantic-version
precedence (:mod:`app_packager.semver`); pulling without a version takes the newest release.
Publishing does not verify the signature: the caller does that first (``millwright app
publish`` runs :func:`app_packager.verify.verify_app`).
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app_packager.archive import SIGNATURE
from app_packager.errors import AppError
from app_packager.manifest import (
    GENERALITY,
    LEVELS,
    LIFECYCLE_STAGES,
    MANIFEST_NAME,
    MATURITY,
    AppManifest,
    Classification,
    Text,
    parse_manifest,
)
from app_packager.sbom import SBOM_NAME
from app_packager.semver import newest, precedence, version_key
from app_packager.signing import parse_signature
from app_packager.zip_safety import read_entries
from nodes.atomic_file import AtomicFile


@dataclass(frozen=True)
class Release:
    """One version of one app as a catalogue or registry holds it."""

    id: str
    version: str
    name: Text
    description: Text | None
    classification: Classification
    license: str
    publisher_key: str  # the fingerprint of the key that signed RECORD; "" when unsigned
    sha256: str  # lower-case hex SHA-256 of the .iapp file
    size: int
    created: str = ""  # RFC 3339, the archive's build timestamp

    @property
    def archive_name(self) -> str:
        return f"{self.id}-{self.version}.iapp"

    def to_data(self) -> dict[str, Any]:
        """What a catalogue's index keeps of this version (id and version are its keys)."""
        c = self.classification
        data = {"name": self.name.to_data(), "license": self.license,
                "classification": {"industry": c.industry, "lifecycle": c.lifecycle, "level": c.level,
                                   "generality": c.generality, "maturity": c.maturity},
                "publisher_key": self.publisher_key, "sha256": self.sha256, "size": self.size}
        if self.description:
            data["description"] = self.description.to_data()
        if self.created:
            data["created"] = self.created
        return data

    @classmethod
    def from_data(cls, app_id: str, version: str, data: dict[str, Any]) -> Release:
        c = data["classification"]
        return cls(app_id, version, Text.from_data(data["name"]), Text.from_data(data.get("description")),
                   Classification(c["industry"], c["lifecycle"], c["level"], c["generality"], int(c["maturity"])),
                   data.get("license", ""), data.get("publisher_key", ""), data["sha256"], int(data["size"]),
                   data.get("created", ""))

    @classmethod
    def of(cls, manifest: AppManifest, publisher_key: str, sha256: str, size: int, created: str = "") -> Release:
        return cls(manifest.id, manifest.version, manifest.name, manifest.description, manifest.classification,
                   manifest.license, publisher_key, sha256, size, created)


@dataclass(frozen=True)
class AppSummary:
    """An app and the versions a publisher holds, oldest first (semantic-version precedence)."""

    id: str
    releases: tuple[Release, ...]

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(r.version for r in self.releases)

    @property
    def latest(self) -> Release:
        """The newest release (or the newest pre-release when there is no release yet)."""
        chosen = newest(self.versions)
        return next(r for r in self.releases if r.version == chosen)


@dataclass(frozen=True)
class SearchFilter:
    """Classification filters; an empty field matches everything.

    ``industry`` is a GB/T 4754 section (``C``), matching every division in it, or a division
    (``C34``); ``maturity`` is the lowest grade accepted.
    """

    industry: str = ""
    lifecycle: str = ""
    level: str = ""
    generality: str = ""
    maturity: int = 0

    def __post_init__(self) -> None:
        if self.industry and not re.fullmatch(r"[A-Ta-t](\d\d)?", self.industry):
            raise AppError(f"'{self.industry}' is not a GB/T 4754 industry: a section letter A–T, optionally with its "
                           "two-digit division (C34)")
        for name, value, allowed in (("lifecycle stage", self.lifecycle, LIFECYCLE_STAGES),
                                     ("application level", self.level, LEVELS),
                                     ("generality grade", self.generality, GENERALITY)):
            if value and value not in allowed:
                raise AppError(f"'{value}' is not a {name}: one of {', '.join(allowed)}")
        if self.maturity and self.maturity not in MATURITY:
            raise AppError(f"maturity {self.maturity} is not a grade: {MATURITY[0]} to {MATURITY[-1]}")

    def matches(self, c: Classification) -> bool:
        return (c.industry.startswith(self.industry.upper())
                and self.lifecycle in ("", c.lifecycle) and self.level in ("", c.level)
                and self.generality in ("", c.generality) and c.maturity >= self.maturity)


def text_matches(release: Release, text: str) -> bool:
    """Every word of ``text`` appears (any case) in the id, the name or the description, English or Chinese."""
    texts = [release.id, release.name.en, release.name.zh]
    if release.description:
        texts += [release.description.en, release.description.zh]
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in text.casefold().split())


class Publisher(ABC):
    """A catalogue or registry of apps; the backends supply :meth:`publish`, :meth:`releases` and :meth:`fetch`."""

    url: str

    @abstractmethod
    def publish(self, archive: Path) -> str:
        """Store ``archive``; returns where it now is. The same id and version with other bytes is refused."""

    @abstractmethod
    def releases(self, app_id: str | None = None) -> list[Release]:
        """Every version held (of ``app_id`` only, when given)."""

    @abstractmethod
    def fetch(self, release: Release, target: Path) -> None:
        """Write ``release``'s archive to ``target``, checking its SHA-256; nothing is left on failure."""

    def list(self) -> list[AppSummary]:
        """The apps by id, each with its versions in semantic-version order."""
        return summarise(self.releases())

    def search(self, text: str = "", filters: SearchFilter = SearchFilter()) -> list[AppSummary]:
        """The apps with versions matching ``text`` and ``filters``; only those versions are listed."""
        return summarise(r for r in self.releases() if filters.matches(r.classification) and text_matches(r, text))

    def pull(self, app_id: str, version: str | None, folder: Path) -> Path:
        """``folder/ID-VERSION.iapp`` of ``version`` (the newest release when None), checked against its SHA-256."""
        release = self.release(app_id, version)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / release.archive_name
        self.fetch(release, target)
        return target

    def release(self, app_id: str, version: str | None) -> Release:
        """One version of ``app_id`` (the newest release when ``version`` is None)."""
        held = {r.version: r for r in self.releases(app_id)}
        if not held:
            raise AppError(f"There is no app '{app_id}' in {self.url}")
        if version is None:
            return held[newest(list(held))]
        if version not in held:
            raise AppError(f"{app_id} has no version {version} in {self.url} "
                           f"(it has {', '.join(sorted(held, key=version_key))})")
        return held[version]


def summarise(releases: Iterable[Release]) -> list[AppSummary]:
    """Releases grouped by app id (ids in order), each app's versions in semantic-version order."""
    by_id: dict[str, list[Release]] = {}
    for release in releases:
        by_id.setdefault(release.id, []).append(release)
    return [AppSummary(app_id, tuple(sorted(by_id[app_id], key=lambda r: version_key(r.version))))
            for app_id in sorted(by_id)]


def write_checked(chunks: Iterable[bytes], target: Path, release: Release, source: str) -> None:
    """Write ``chunks`` to ``target`` atomically when they hash to ``release.sha256``; else leave nothing."""
    out = AtomicFile(target)
    try:
        digest = hashlib.sha256()
        with open(out.tmp, "wb") as file:
            for chunk in chunks:
                digest.update(chunk)
                file.write(chunk)
        if digest.hexdigest() != release.sha256:
            raise AppError(f"{source}: the archive of {release.id} {release.version} is not the one published "
                           f"(SHA-256 {digest.hexdigest()[:12]}…, published {release.sha256[:12]}…): it was changed "
                           "or damaged since")
    except BaseException:
        out.abort()
        raise
    out.commit()


def parse_reference(text: str) -> tuple[str, str | None]:
    """``ID`` or ``ID@VERSION`` → (id, version or None)."""
    app_id, _, version = text.partition("@")
    if not app_id or (_ and not version):
        raise AppError(f"'{text}' is not an app reference: write ID or ID@VERSION "
                       "(org.millwright.examples.pump-efficiency@1.0.0)")
    if version:
        precedence(version)  # a clear message for 1.0 or v1.0.0
    return app_id, version or None


# -- reading an archive ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedArchive:
    """What a publisher needs of an archive: its manifest (and text), its release facts, its bytes."""

    manifest: AppManifest
    manifest_json: bytes  # the manifest as JSON: a registry's config blob
    release: Release
    data: bytes


def read_archive(path: Path) -> PublishedArchive:
    """The manifest, signer and hash of the ``.iapp`` at ``path``; :class:`AppError` naming the file if unusable.

    The archive is read through the safe reader (:func:`app_packager.zip_safety.read_entries`): a
    crafted zip is refused before anything of it is used.
    """
    path = Path(path)
    entries = read_entries(path)
    data = path.read_bytes()
    if MANIFEST_NAME not in entries:
        raise AppError(f"{path}: the archive has no {MANIFEST_NAME}")
    manifest = parse_manifest(entries[MANIFEST_NAME].decode("utf-8", errors="replace"), f"{path}!{MANIFEST_NAME}")
    release = Release.of(manifest, _signer(entries, path), hashlib.sha256(data).hexdigest(),
                         len(data), _created(entries.get(SBOM_NAME)))
    manifest_json = json.dumps(manifest.to_data(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    return PublishedArchive(manifest, manifest_json, release, data)


def _signer(entries: dict[str, bytes], path: Path) -> str:
    """The fingerprint RECORD.sig names ("" when unsigned); whether the signature holds is verify's business."""
    return parse_signature(entries[SIGNATURE], f"{path}!{SIGNATURE}").key if SIGNATURE in entries else ""


def _created(sbom: bytes | None) -> str:
    """When the archive was built: its SBOM's timestamp (``SOURCE_DATE_EPOCH`` at build), "" when unknown."""
    try:
        stamp = json.loads(sbom)["metadata"]["timestamp"] if sbom else ""
    except (ValueError, KeyError, TypeError):
        return ""
    return stamp if isinstance(stamp, str) else ""


# -- opening one -----------------------------------------------------------------------------------

def open_publisher(url: str, *, insecure_registries: Iterable[str] = (), timeout: float = 30.0) -> Publisher:
    """The catalogue or registry at ``url``: ``catalog:PATH`` or ``oci://HOST[:PORT][/REPO]``.

    A registry is spoken to over HTTPS, except loopback hosts and those in ``insecure_registries``
    (plain HTTP); every request gives up after ``timeout`` seconds.
    """
    if url.startswith("catalog:"):
        from app_packager.catalog import Catalog

        folder = url.removeprefix("catalog:")
        if not folder:
            raise AppError("catalog: needs a folder, e.g. catalog:/srv/apps")
        return Catalog(Path(folder).expanduser())
    if url.startswith("oci://"):
        from app_packager.oci import OciRegistry

        return OciRegistry.from_url(url, insecure_registries=insecure_registries, timeout=timeout)
    raise AppError(f"'{url}' is not a catalogue or registry: write catalog:PATH or oci://HOST[:PORT]/REPO")
