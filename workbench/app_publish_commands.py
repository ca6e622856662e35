"""``millwright app publish|search|list|pull|install``: apps in a catalogue or an OCI registry, and on a site.

A catalogue or registry is named by URL: ``catalog:PATH`` (a folder) or ``oci://HOST[:PORT]/REPO``.
Without ``--to``/``--from`` the default catalogue is used: ``$MILLWRIGHT_CATALOG`` (a URL or a
folder), else ``catalog/`` in the user's Millwright data folder. Publishing and installing verify
the archive first: unsigned or untrusted apps are refused unless ``--allow-unsigned`` or
``--trust KEY.pem`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from workbench.app_commands import reporting_errors
from workbench.app_sign_commands import add_trust_options, trusted_from

CATALOG_VARIABLE = "MILLWRIGHT_CATALOG"


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``publish``, ``search``, ``list``, ``pull`` and ``install`` to ``millwright app``."""
    publish = actions.add_parser("publish", help="publish an app archive to a catalogue or registry",
                                 description="Verify FILE, then store it in the catalogue or registry. A published "
                                             "version never changes: other bytes under the same id and version "
                                             "are refused, the same bytes again change nothing.")
    publish.add_argument("file", type=Path, metavar="FILE")
    publish.add_argument("--to", metavar="URL", help="catalog:PATH or oci://HOST[:PORT]/REPO (default: "
                                                     f"${CATALOG_VARIABLE}, else the user's catalogue)")
    add_trust_options(publish)
    _add_connection_options(publish)
    publish.set_defaults(handler=reporting_errors(app_publish))

    search = actions.add_parser("search", help="find apps by text and classification",
                                description="The apps whose id, name or description hold every word of TEXT "
                                            "(English or Chinese) and whose classification matches the filters.")
    search.add_argument("text", nargs="?", default="", metavar="TEXT")
    _add_from(search)
    search.add_argument("--industry", default="", metavar="CODE",
                        help="GB/T 4754 section (C) or division (C34); a section matches all its divisions")
    search.add_argument("--lifecycle", default="", metavar="STAGE",
                        help="rd_design, production, operation_maintenance or management")
    search.add_argument("--level", default="", metavar="LEVEL", help="device, line, plant or enterprise")
    search.add_argument("--generality", default="", metavar="GRADE",
                        help="basic_common, industry_general or enterprise_specific")
    search.add_argument("--maturity", type=int, default=0, metavar="N", help="the lowest maturity grade accepted (1–5)")
    search.add_argument("--json", action="store_true", help="print the apps as JSON")
    _add_connection_options(search)
    search.set_defaults(handler=reporting_errors(app_search))

    listing = actions.add_parser("list", help="the apps of a catalogue or registry and their versions")
    _add_from(listing)
    listing.add_argument("--json", action="store_true", help="print the apps as JSON")
    _add_connection_options(listing)
    listing.set_defaults(handler=reporting_errors(app_list))

    pull = actions.add_parser("pull", help="download an app archive",
                              description="Download ID's archive (VERSION, else the newest release) as "
                                          "ID-VERSION.iapp, checked against the hash it was published with.")
    pull.add_argument("reference", metavar="ID[@VERSION]")
    _add_from(pull)
    pull.add_argument("-o", "--output", type=Path, default=Path(), metavar="FOLDER",
                      help="where to write it (default: the current folder)")
    _add_connection_options(pull)
    pull.set_defaults(handler=reporting_errors(app_pull))

    install = actions.add_parser("install", help="install an app on a site or into a project",
                                 description="Verify the app, check the bindings file against its typed inputs "
                                             "(every input bound to a tag whose unit converts to the input's), and "
                                             "unpack it as FOLDER/ID/VERSION with the bindings beside it; into a "
                                             "project (a folder with project.json) it goes under apps/installed.")
    install.add_argument("app", metavar="FILE|ID[@VERSION]", help="an .iapp file, or an app of --from")
    _add_from(install)
    install.add_argument("--into", type=Path, required=True, metavar="FOLDER", help="a site folder or a project")
    install.add_argument("--bind", type=Path, required=True, metavar="BINDINGS.yaml",
                         help="the site's tags for the app's inputs (the bindings.yaml format)")
    add_trust_options(install)
    _add_connection_options(install)
    install.set_defaults(handler=reporting_errors(app_install))


def _add_from(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="source", metavar="URL",
                        help=f"catalog:PATH or oci://HOST[:PORT]/REPO (default: ${CATALOG_VARIABLE}, else the "
                             "user's catalogue)")


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure-registry", action="append", default=[], metavar="HOST",
                        help="speak plain HTTP to this registry (HOST or HOST:PORT as in the URL; loopback "
                             "registries always are)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="give up on a registry that does not answer within this time (default 30)")


def default_catalog() -> str:
    """``$MILLWRIGHT_CATALOG`` (a URL, or a folder taken as a catalogue), else the user's catalogue folder."""
    from workbench.app_dirs import data_dir

    chosen = os.environ.get(CATALOG_VARIABLE, "").strip()
    if chosen.startswith(("catalog:", "oci://")):
        return chosen
    return f"catalog:{Path(chosen) if chosen else data_dir() / 'catalog'}"


def _publisher(url: str | None, args: argparse.Namespace):
    from app_packager.publish import open_publisher

    return open_publisher(url or default_catalog(), insecure_registries=args.insecure_registry, timeout=args.timeout)


# -- handlers ------------------------------------------------------------------------------------------

def app_publish(args: argparse.Namespace) -> int:
    from app_packager.verify import verify_app

    publisher = _publisher(args.to, args)
    report = verify_app(args.file, trusted=trusted_from(args), allow_unsigned=args.allow_unsigned)
    where = publisher.publish(args.file)
    signer = f"signed by {report.publisher}" if report.publisher else "unsigned"
    print(f"Published {report.manifest.id} {report.manifest.version} ({signer}) to {publisher.url}\n  {where}")
    return 0


def app_search(args: argparse.Namespace) -> int:
    from app_packager.publish import SearchFilter

    filters = SearchFilter(args.industry, args.lifecycle, args.level, args.generality, args.maturity)
    publisher = _publisher(args.source, args)
    _show(publisher.search(args.text, filters), args.json, f"No app in {publisher.url} matches.")
    return 0


def app_list(args: argparse.Namespace) -> int:
    publisher = _publisher(args.source, args)
    _show(publisher.list(), args.json, f"No apps in {publisher.url} yet.")
    return 0


def app_pull(args: argparse.Namespace) -> int:
    from app_packager.publish import parse_reference

    app_id, version = parse_reference(args.reference)
    path = _publisher(args.source, args).pull(app_id, version, args.output)
    print(path)
    return 0


def app_install(args: argparse.Namespace) -> int:
    from app_packager.install import install_app
    from app_packager.publish import parse_reference

    trusted = trusted_from(args)
    archive = Path(args.app)
    if archive.suffix == ".iapp" or archive.is_file():
        installed = install_app(archive, args.into, args.bind, trusted=trusted, allow_unsigned=args.allow_unsigned)
    else:
        app_id, version = parse_reference(args.app)
        with tempfile.TemporaryDirectory(prefix="millwright-install-") as folder:
            pulled = _publisher(args.source, args).pull(app_id, version, Path(folder))
            installed = install_app(pulled, args.into, args.bind, trusted=trusted,
                                    allow_unsigned=args.allow_unsigned)
    signer = f"signed by {installed.publisher}" if installed.publisher else "unsigned, as allowed"
    print(f"Installed {installed.manifest.id} {installed.manifest.version} ({signer}) in {installed.path}")
    return 0


# -- output --------------------------------------------------------------------------------------------

def _show(apps: list, as_json: bool, nothing: str) -> None:
    if as_json:
        print(json.dumps([{"id": app.id, "versions": list(app.versions),
                           "releases": [{"version": r.version, **r.to_data()} for r in app.releases]}
                          for app in apps], indent=2, ensure_ascii=False))
        return
    if not apps:
        print(nothing)
        return
    for app in apps:
        latest = app.latest
        c = latest.classification
        names = " · ".join(dict.fromkeys(n for n in (latest.name.en, latest.name.zh) if n))
        signer = f"signed by {latest.publisher_key[:16]}…" if latest.publisher_key else "unsigned"
        print(f"{app.id}  {latest.version}  (versions: {', '.join(app.versions)})\n"
              f"  {names}\n"
              f"  industry {c.industry}, {c.lifecycle}, {c.level} level, {c.generality}, maturity {c.maturity}\n"
              f"  {signer}, SHA-256 {latest.sha256[:16]}…, {latest.size:,} bytes")

