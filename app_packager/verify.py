"""Verify an ``.iapp`` before anything in it is used, in the order of ``docs/apps.md``.

1. the zip's structure (:mod:`app_packager.zip_safety`: names, kinds, sizes, ratios, overlaps);
2. the signature of RECORD, parsed before any other content (unsigned or untrusted: refused
   unless allowed);
3. RECORD lists exactly the other entries, each with its hash and size;
4. the manifest against the schema;
5. the manifest against the graph and the components installed here, with the project
   components the archive carries (read as data: verify never runs anything from an archive).

The first failing check ends the verification with :class:`VerifyError`, whose report lists the
checks passed and the failure. Nothing is written or extracted: the entries are read into
memory once, and :attr:`VerifyReport.entries` hands exactly the bytes verified to the caller,
so an installer never reads the file a second time (it could have changed in between).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from app_packager.app_checks import graph_problems, millwright_version
from app_packager.archive import RECORD, SIGNATURE
from app_packager.errors import AppError
from app_packager.manifest import MANIFEST_NAME, AppManifest, parse_manifest
from app_packager.signing import parse_signature, record_problems
from app_packager.trust import trusted_public_keys
from app_packager.zip_safety import read_entries
from nodes.graph import Graph, GraphFormatError
from nodes.project_components import COMPONENTS_FOLDER, component_type, project_component
from nodes.registry import ComponentRegistry, default_registry
from nodes.script_components import DECLARATIONS_SUFFIX, declaration_classes

MAX_PROBLEMS_SHOWN = 10


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class VerifyReport:
    """The checks of one archive in order: all passed, or the last one failed."""

    path: Path
    checks: list[Check] = field(default_factory=list)
    publisher: str | None = None  # the fingerprint of the key that signed RECORD
    manifest: AppManifest | None = None
    entries: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failure(self) -> Check | None:
        return next((c for c in self.checks if not c.passed), None)


class VerifyError(AppError):
    """An archive that failed verification; :attr:`report` holds the checks up to the failure."""

    def __init__(self, report: VerifyReport):
        super().__init__(report.failure.detail if report.failure else f"{report.path.name}: not verified")
        self.report = report


def verify_app(path: Path, *, trusted: Mapping[str, Ed25519PublicKey] | None = None, allow_unsigned: bool = False,
               registry: ComponentRegistry | None = None) -> VerifyReport:
    """Every check of the archive at ``path``; :class:`VerifyError` at the first that fails.

    ``trusted`` maps fingerprints to the publisher keys accepted (default: the trust store,
    :func:`~app_packager.trust.trusted_public_keys`); ``registry`` the installed components
    (default: the built-ins and plug-ins).
    """
    verification = _Verification(Path(path), trusted_public_keys() if trusted is None else trusted,
                                 allow_unsigned, registry or default_registry())
    for name, step in (("archive structure", verification.structure), ("signature", verification.signature),
                       ("RECORD", verification.record), ("manifest", verification.manifest),
                       ("graph and components", verification.compatibility)):
        try:
            detail = step()
        except AppError as exc:
            verification.report.checks.append(Check(name, False, str(exc)))
            raise VerifyError(verification.report) from None
        verification.report.checks.append(Check(name, True, detail))
    return verification.report


@dataclass
class _Verification:
    path: Path
    trusted: Mapping[str, Ed25519PublicKey]
    allow_unsigned: bool
    registry: ComponentRegistry
    report: VerifyReport = field(init=False)

    def __post_init__(self) -> None:
        self.report = VerifyReport(self.path)

    def where(self, entry: str) -> str:
        """How a message names an entry of this archive: ``pump-1.0.0.iapp!app.yaml``."""
        return f"{self.path.name}!{entry}"

    def structure(self) -> str:
        self.report.entries = read_entries(self.path)
        return f"{len(self.report.entries)} entries, none unsafe"

    def signature(self) -> str:
        entries = self.report.entries
        if SIGNATURE not in entries:
            if self.allow_unsigned:
                return "unsigned, accepted as asked (--allow-unsigned)"
            raise AppError(f"{self.path.name}: not signed (no {SIGNATURE}); sign it with `millwright app sign`, or "
                           "accept it unsigned with --allow-unsigned")
        signature = parse_signature(entries[SIGNATURE], self.where(SIGNATURE))
        self.report.publisher = signature.key
        if RECORD not in entries:
            raise AppError(f"{self.where(SIGNATURE)}: signs a {RECORD} that is not in the archive")
        public_key = self.trusted.get(signature.key)
        if public_key is None:
            raise AppError(f"{self.where(SIGNATURE)}: signed by key {signature.key}, which is not trusted here; "
                           "trust the publisher's public key with `millwright app trust add KEY.pem`, or name it "
                           "for this check with --trust KEY.pem")
        if not signature.matches(entries[RECORD], public_key):
            raise AppError(f"{self.where(SIGNATURE)}: the signature does not match {RECORD}: {RECORD} was changed "
                           f"after signing, or key {signature.key[:16]}… did not sign it")
        return f"signed by {signature.key}"

    def record(self) -> str:
        problems = record_problems(self.report.entries)
        if problems:
            raise AppError(_listed(f"{self.path.name}: {RECORD} does not match the archive", problems))
        return f"{len(self.report.entries) - 1 - (SIGNATURE in self.report.entries)} files match their hashes"

    def manifest(self) -> str:
        manifest = parse_manifest(self.text(MANIFEST_NAME), self.where(MANIFEST_NAME))
        named = [manifest.graph] + [name for test in manifest.tests for name in (test.input, test.expected)]
        missing = [name for name in named if name not in self.report.entries]
        if missing:
            raise AppError(f"{self.where(MANIFEST_NAME)}: names {', '.join(missing)}, not in the archive")
        self.report.manifest = manifest
        return f"{manifest.id} {manifest.version}"

    def compatibility(self) -> str:
        manifest = self.report.manifest
        try:
            graph = Graph.from_text(self.text(manifest.graph), self.where(manifest.graph))
        except GraphFormatError as exc:
            raise AppError(str(exc)) from None
        registry, problems = self.with_archive_components()
        problems += _millwright_problems(manifest.requires_millwright)
        problems += graph_problems(manifest, graph, registry)
        if problems:
            raise AppError(_listed(f"{self.where(MANIFEST_NAME)}: the app does not fit its graph or this "
                                   "installation", problems))
        return f"{len(manifest.inputs)} inputs, {len(manifest.outputs)} outputs, " \
               f"{len(manifest.requires_components)} component types available"

    def text(self, entry: str) -> str:
        data = self.report.entries.get(entry)
        if data is None:
            raise AppError(f"{self.path.name}: has no {entry}")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise AppError(f"{self.where(entry)}: not UTF-8 text") from None

    def with_archive_components(self) -> tuple[ComponentRegistry, list[str]]:
        """The installed components plus the project components in the archive's ``components/*.json``.

        Script components count by their declarations (``components/NAME.declarations.json``).

        Components may use each other: each pass registers those whose components are loaded,
        until a pass adds none; what is left over is reported with its last error.
        """
        registry = self.registry.copy()
        pending: dict[str, tuple[str, Graph]] = {}  # type name → (entry, graph)
        problems: list[str] = []
        for name in sorted(self.report.entries):
            folder, _, file = name.partition("/")
            if folder == COMPONENTS_FOLDER and file.endswith(DECLARATIONS_SUFFIX) and "/" not in file:
                # A script component, as declared at build time: checked against the graph, not run.
                script = f"{COMPONENTS_FOLDER}/{file.removesuffix(DECLARATIONS_SUFFIX)}.py"
                try:
                    for cls in declaration_classes(self.text(name), self.where(name)):
                        registry.register(cls, origin=self.where(script))
                except ValueError as exc:
                    problems.append(str(exc))
                continue
            if folder == COMPONENTS_FOLDER and file.endswith(".json") and "/" not in file:
                try:
                    pending[component_type(file.removesuffix(".json"))] = (name, Graph.from_text(
                        self.text(name), self.where(name)))
                except GraphFormatError as exc:
                    problems.append(str(exc))
        errors: dict[str, str] = {}
        progress = True
        while pending and progress:
            progress = False
            for type_name, (name, graph) in sorted(pending.items()):
                try:
                    registry.register(project_component(graph, type_name, registry), origin=self.where(name))
                except ValueError as exc:
                    errors[type_name] = f"{self.where(name)}: {exc}"
                    continue
                del pending[type_name]
                progress = True
        return registry, problems + [errors[type_name] for type_name in sorted(pending)]


def _millwright_problems(required: str) -> list[str]:
    """The installed Millwright against the manifest's ``requires.millwright`` (a PEP 440 specifier)."""
    if not required:
        return []
    try:
        accepted = SpecifierSet(required)
    except InvalidSpecifier:
        return [f"requires.millwright: '{required}' is not a version requirement such as >=0.3"]
    installed = millwright_version()
    if accepted.contains(installed, prereleases=True):
        return []
    return [f"requires.millwright: the app needs Millwright {required}; this is Millwright {installed}"]


def _listed(summary: str, problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = len(problems) - len(shown)
    return "\n  ".join([f"{summary}:", *shown]) + (f"\n  … and {more} more" if more else "")
