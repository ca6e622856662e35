"""``device password``, ``device trust`` and ``device cert``: who we are to a server, and whom we trust.

* ``device password set URL USER [--stdin]`` / ``device password forget URL USER`` — a user's
  password in the system keyring (never in a file of ours; refused where the only keyring would
  keep it in clear text). URL may also be an OPC UA device profile.
* ``device trust list`` / ``device trust remove FINGERPRINT|URL`` — the server certificates
  Millwright trusts or refused (trust on first use asks again after a removal).
* ``device cert export [-o FILE] [--pem|--der]`` — Millwright's own application certificate,
  made on first use, for the PLC administrator to trust.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.device_cli.connection import EXIT_DEVICE, EXIT_USAGE, UsageError, add_common_options, run_command

if TYPE_CHECKING:
    from device_browser.opcua.security import CertInfo


def add_commands(actions: argparse._SubParsersAction) -> None:
    """Register ``device password``, ``device trust`` and ``device cert``."""
    password = actions.add_parser("password", help="store or forget an OPC UA user's password (system keyring)")
    password_actions = password.add_subparsers(dest="password_action", metavar="ACTION", required=True)
    set_ = password_actions.add_parser("set", help="store the password of USER on a server (asked, or --stdin)")
    set_.add_argument("url", metavar="URL", help="opc.tcp://host:port/… (or an OPC UA device profile)")
    set_.add_argument("user", metavar="USER")
    set_.add_argument("--stdin", action="store_true",
                      help="read the password from the first line of standard input (for scripts)")
    add_common_options(set_)
    set_.set_defaults(handler=run_command(password_set))
    forget = password_actions.add_parser("forget", help="remove the stored password of USER on a server")
    forget.add_argument("url", metavar="URL", help="opc.tcp://host:port/… (or an OPC UA device profile)")
    forget.add_argument("user", metavar="USER")
    add_common_options(forget)
    forget.set_defaults(handler=run_command(password_forget))

    trust = actions.add_parser("trust", help="server certificates Millwright trusts or refused")
    trust_actions = trust.add_subparsers(dest="trust_action", metavar="ACTION", required=True)
    listing = trust_actions.add_parser("list", help="trusted and rejected server certificates")
    add_common_options(listing)
    listing.set_defaults(handler=run_command(trust_list))
    remove = trust_actions.add_parser("remove", help="forget a server certificate (the next connection asks again)")
    remove.add_argument("ref", metavar="FINGERPRINT|URL",
                        help="SHA-256 fingerprint (or its first 8+ hex digits), or a server's URL")
    add_common_options(remove)
    remove.set_defaults(handler=run_command(trust_remove))

    cert = actions.add_parser("cert", help="Millwright's own application certificate")
    cert_actions = cert.add_subparsers(dest="cert_action", metavar="ACTION", required=True)
    export = cert_actions.add_parser("export", help="write Millwright's certificate for a server's administrator")
    export.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="file to write (default: print it as PEM)")
    form = export.add_mutually_exclusive_group()
    form.add_argument("--pem", dest="form", action="store_const", const="pem",
                      help="PEM text (default, unless FILE ends in .der or .cer)")
    form.add_argument("--der", dest="form", action="store_const", const="der", help="binary DER")
    add_common_options(export)
    export.set_defaults(handler=run_command(cert_export))


# --- passwords ----------------------------------------------------------------------------------


def _endpoint(target: str) -> str:
    """The endpoint URL of a target: an ``opc.tcp://`` URL, or an OPC UA profile's endpoint."""
    if target.startswith("opc.tcp://"):
        return target
    if not Path(target).is_file():
        raise UsageError(f"{target} is neither an opc.tcp:// URL nor a device profile")
    from device_browser.profiles import load_profile

    profile = load_profile(Path(target))
    if profile.protocol != "opcua":
        raise UsageError(f"{target} is a {profile.protocol} profile: only OPC UA servers have users and passwords")
    return profile.connection["endpoint"]


def password_set(args: argparse.Namespace) -> int:
    from device_browser.opcua.security import keyring_problem, save_password

    url = _endpoint(args.url)
    problem = keyring_problem()
    if problem:  # say so before anyone types a password for nothing
        print(f"millwright: no secure keyring on this machine ({problem}); nothing is stored. Give the password "
              "when a command asks for it: it is then used for that run only.", file=sys.stderr)
        return EXIT_DEVICE
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("standard input held no password (an empty first line)")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password of '{args.user}' on {url}: ")
        if getpass.getpass("The same password again: ") != password:
            raise UsageError("the two passwords differ; nothing is stored")
    else:
        raise UsageError("not a terminal: give the password on standard input with --stdin")
    save_password(url, args.user, password)
    print(f"The password of '{args.user}' on {url} is kept in the system keyring.")
    return 0


def password_forget(args: argparse.Namespace) -> int:
    from device_browser.opcua.security import forget_password

    url = _endpoint(args.url)
    if forget_password(url, args.user):
        print(f"The password of '{args.user}' on {url} is removed from the system keyring.")
        return 0
    print(f"No password of '{args.user}' on {url} was stored.")
    return 0


# --- trusted server certificates ----------------------------------------------------------------


def _validity(info: CertInfo) -> str:
    span = f"valid {info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}"
    if info.expired:
        return f"{span} (EXPIRED)"
    if info.not_yet_valid:
        return f"{span} (NOT YET VALID)"
    return f"{span} ({info.days_left} days left)"


def _describe(state: str, info: CertInfo) -> str:
    app = f" ({info.application_uri})" if info.application_uri else ""
    return (f"{state:9} SHA-256 {info.fingerprint}\n"
            f"{'':9} {info.subject}{app}\n"
            f"{'':9} {_validity(info)}\n"
            f"{'':9} endpoint {info.url or 'unknown'}")


def trust_list(args: argparse.Namespace) -> int:
    from device_browser.opcua.security import TrustStore

    store = TrustStore()
    entries = [("trusted", c) for c in store.trusted()] + [("rejected", c) for c in store.rejected()]
    if not entries:
        print(f"No server certificate is trusted or rejected yet (trust store: {store.folder}).")
        return 0
    print(f"Server certificates in {store.folder}:")
    for state, info in entries:
        print()
        print(_describe(state, info))
    return 0


def trust_remove(args: argparse.Namespace) -> int:
    from device_browser.opcua.security import TrustStore

    store = TrustStore()
    found = store.find(args.ref)
    by_url = "://" in args.ref
    if not found:
        hint = "" if by_url else " (give the fingerprint as `device trust list` shows it, or its first 8+ hex digits)"
        print(f"millwright: no trusted or rejected certificate matches {args.ref}{hint}", file=sys.stderr)
        return EXIT_DEVICE
    if len(found) > 1 and not by_url:
        print(f"millwright: {args.ref} matches {len(found)} certificates; give more of the fingerprint:",
              file=sys.stderr)
        for info in found:
            print(f"  {info.fingerprint}  {info.subject}", file=sys.stderr)
        return EXIT_USAGE
    for info in found:
        store.remove(info.fingerprint)
        print(f"Removed SHA-256 {info.fingerprint} ({info.subject}, endpoint {info.url or 'unknown'}).")
    print("The next secured connection to that server asks again whether to trust it.")
    return 0


# --- our own certificate ------------------------------------------------------------------------


def cert_export(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.serialization import Encoding

    from device_browser.opcua.security import EXPIRY_WARNING_DAYS, ApplicationCertificate, default_pki_dir
    from nodes.atomic_file import atomic_write_bytes

    form = args.form or ("der" if args.output and args.output.suffix.lower() in (".der", ".cer") else "pem")
    if form == "der" and args.output is None and sys.stdout.isatty():
        raise UsageError("DER is binary: give a file with -o FILE (or redirect the output)")
    pki_dir = default_pki_dir()
    existed = ApplicationCertificate(pki_dir).cert_path.is_file()
    own = ApplicationCertificate.ensure(pki_dir)
    assert own.certificate is not None
    data = own.certificate.public_bytes(Encoding.DER if form == "der" else Encoding.PEM)
    info = own.info
    state = ("EXPIRED: renew it" if info.expired
             else f"{info.days_left} days left" + (", renew it soon" if info.days_left < EXPIRY_WARNING_DAYS else ""))
    facts = (f"Millwright's application certificate{'' if existed else ' (created now)'}, {own.cert_path}:\n"
             f"  subject      {info.subject}\n"
             f"  application  {info.application_uri}\n"
             f"  SHA-256      {info.fingerprint}\n"
             f"  valid until  {info.not_after:%Y-%m-%d %H:%M} UTC ({state})")
    if args.output is None:
        print(facts, file=sys.stderr)
        if form == "der":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data.decode("ascii"))
        return 0
    atomic_write_bytes(args.output, data)
    print(facts)
    print(f"Written to {args.output} ({form.upper()}). Give it to the server's administrator to add to the trusted "
          "client certificates (compare the SHA-256 fingerprint above).")
    return 0
