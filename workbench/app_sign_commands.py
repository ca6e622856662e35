"""``millwright app keygen|sign|verify|trust``: publisher keys, signatures and the keys a site trusts."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.app_commands import reporting_errors

if TYPE_CHECKING:  # cryptography is imported by the handlers only: building the parser must stay quick
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # it also names the public key's file


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``keygen``, ``sign``, ``verify`` and ``trust`` to ``millwright app``."""
    keygen = actions.add_parser("keygen", help="make a publisher key pair (ed25519)",
                                description="Make an ed25519 key pair to sign apps with. The private key goes to "
                                            "the OS keyring (service millwright-app-signing), or with --file to a "
                                            "PEM file only you can read; never into a project. The public key is "
                                            "written as NAME.pub.pem, to give to the sites that install your apps.")
    # The default key's name is app_packager.signing.DEFAULT_KEY_NAME: imported by the handlers only, so that
    # building the parser (on every `millwright` start) does not load cryptography and keyring.
    keygen.add_argument("--name", type=_key_name,
                        help="the key's name in the keyring and of its public key file (default: default)")
    keygen.add_argument("--file", type=Path, metavar="PATH", help="write the private key to this new PEM file "
                                                                   "instead of the keyring")
    keygen.add_argument("--public-out", type=Path, metavar="PATH", help="the public key file (default NAME.pub.pem)")
    keygen.set_defaults(handler=reporting_errors(app_keygen))

    sign = actions.add_parser("sign", help="sign an app archive (adds RECORD.sig)",
                              description="Sign FILE's RECORD with a publisher key; the archive's files are kept "
                                          "as they are. Refused when RECORD no longer matches them.")
    sign.add_argument("file", type=Path, metavar="FILE")
    key = sign.add_mutually_exclusive_group()
    key.add_argument("--key", metavar="NAME", help="the key in the keyring (default: default)")
    key.add_argument("--key-file", type=Path, metavar="PATH", help="a private key PEM file")
    sign.set_defaults(handler=reporting_errors(app_sign))

    verify = actions.add_parser("verify", help="check an app archive before using it",
                                description="Check FILE without extracting it: its zip structure (no unsafe names, "
                                            "links or zip bombs), its signature by a trusted key, every file's "
                                            "hash, the manifest, and the graph against the components installed "
                                            "here. Exit status 1 when a check fails.")
    verify.add_argument("file", type=Path, metavar="FILE")
    add_trust_options(verify)
    verify.set_defaults(handler=reporting_errors(app_verify))

    trust = actions.add_parser("trust", help="the publisher keys this machine trusts",
                               description="Manage the publisher keys whose apps this machine accepts, by their "
                                           "fingerprint (the SHA-256 of the key).")
    trust_actions = trust.add_subparsers(dest="trust_action", metavar="ACTION", required=True)
    add = trust_actions.add_parser("add", help="trust a publisher's public key (a PEM file)")
    add.add_argument("pem", type=Path, metavar="KEY.pem")
    add.add_argument("--name", default="", help="who the key belongs to (default: the file's name)")
    _add_trust_dir(add)
    add.set_defaults(handler=reporting_errors(trust_add))
    listing = trust_actions.add_parser("list", help="the trusted keys: fingerprint, date added, name")
    _add_trust_dir(listing)
    listing.set_defaults(handler=reporting_errors(trust_list))
    remove = trust_actions.add_parser("remove", help="stop trusting a key")
    remove.add_argument("fingerprint", metavar="FINGERPRINT", help="the fingerprint, or its first 8 or more digits")
    _add_trust_dir(remove)
    remove.set_defaults(handler=reporting_errors(trust_remove))


def add_trust_options(parser: argparse.ArgumentParser) -> None:
    """``--trust``, ``--allow-unsigned`` and ``--trust-dir``: the publishers a command that reads an app accepts.

    :func:`trusted_from` turns them into the ``trusted`` argument of ``verify_app`` and ``install_app``.
    """
    parser.add_argument("--trust", type=Path, action="append", default=[], metavar="KEY.pem",
                        help="also accept this publisher key, besides the trust store's (repeatable)")
    parser.add_argument("--allow-unsigned", action="store_true", help="accept an archive without a signature")
    _add_trust_dir(parser)


def trusted_from(args: argparse.Namespace) -> dict[str, Ed25519PublicKey]:
    """Fingerprint → public key: the trust store's keys and those named by ``--trust``."""
    from app_packager.trust import trusted_public_keys

    return trusted_public_keys(args.trust_dir, args.trust)


def _add_trust_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust-dir", type=Path, metavar="DIR",
                        help="the trust store (default $MILLWRIGHT_TRUST_DIR, else the user's Millwright "
                             "config folder/trusted-keys)")


def _key_name(text: str) -> str:
    if not _KEY_NAME.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a key name: use letters, digits, '_', '.' and '-'")
    return text


def app_keygen(args: argparse.Namespace) -> int:
    from app_packager.signing import DEFAULT_KEY_NAME, KEYRING_SERVICE, create_key_pair, fingerprint

    name = args.name or DEFAULT_KEY_NAME
    public_file = args.public_out or Path(f"{name}.pub.pem")
    key = create_key_pair(name, public_file, args.file)
    where = (f"{args.file} (readable by you only)" if args.file
             else f"the keyring (service {KEYRING_SERVICE}, user {name})")
    print(f"Private key: {where}\nPublic key:  {public_file}: give it to the sites that install your apps\n"
          f"Fingerprint: {fingerprint(key.public_key())}")
    return 0


def app_sign(args: argparse.Namespace) -> int:
    from app_packager.signing import DEFAULT_KEY_NAME, load_private_key, read_private_key_file, sign_archive

    key = read_private_key_file(args.key_file) if args.key_file else load_private_key(args.key or DEFAULT_KEY_NAME)
    signature = sign_archive(args.file, key)
    print(f"Signed {args.file} with key {signature.key}")
    return 0


def app_verify(args: argparse.Namespace) -> int:
    from app_packager.trust import trusted_keys
    from app_packager.verify import VerifyError, verify_app

    trusted = trusted_from(args)
    try:
        report = verify_app(args.file, trusted=trusted, allow_unsigned=args.allow_unsigned)
    except VerifyError as exc:
        report = exc.report
    passed, failed = _marks()
    for check in report.checks:
        print(f"{passed if check.passed else failed} {check.name}: {check.detail}")
    if report.publisher:
        names = {k.fingerprint: k.name for k in trusted_keys(args.trust_dir)[0]}
        name = names.get(report.publisher) or ("a key given with --trust" if report.publisher in trusted else
                                               "not trusted")
        print(f"Publisher key: {report.publisher} ({name})")
    print(f"{args.file}: {'verified' if report.passed else 'NOT verified'}")
    return 0 if report.passed else 1


def _marks() -> tuple[str, str]:
    """✓ and ✗ where the output can show them (a Windows console may not)."""
    try:
        "✓✗".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ok", "FAILED"
    return "✓", "✗"


def trust_add(args: argparse.Namespace) -> int:
    from app_packager.trust import add_trusted_key, trust_dir

    key, added = add_trusted_key(args.pem, args.name, args.trust_dir)
    if added:
        print(f"Trusted {key.fingerprint} ({key.name}) in {trust_dir(args.trust_dir)}")
    else:
        print(f"{key.fingerprint} ({key.name}) is trusted already, since {key.added}")
    return 0


def trust_list(args: argparse.Namespace) -> int:
    from app_packager.trust import trust_dir, trusted_keys

    keys, problems = trusted_keys(args.trust_dir)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    if not keys:
        print(f"No trusted keys in {trust_dir(args.trust_dir)}")
        return 0
    print(f"{'FINGERPRINT':64}  {'ADDED':10}  NAME")
    for key in keys:
        print(f"{key.fingerprint}  {key.added:10}  {key.name}")
    return 0


def trust_remove(args: argparse.Namespace) -> int:
    from app_packager.trust import remove_trusted_key

    key = remove_trusted_key(args.fingerprint, args.trust_dir)
    print(f"No longer trusted: {key.fingerprint} ({key.name})")
    return 0
