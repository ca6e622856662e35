"""From a command line's target and options to a device session.

A target is a device profile (YAML) or an OPC UA URL. Options given on the command line
(``--timeout``, ``--security``, ``--user``) override the profile's connection; options not
given leave it alone (their argparse defaults are None, so "not given" can be told apart).

Every device command runs through :func:`run_async` (or :func:`run_command`): failures become
one ``millwright: …`` line and an exit status, never a traceback, and the libraries' loggers
(asyncua, pymodbus) stay quiet unless ``--verbose`` asks for everything at DEBUG.

A user without a stored password is asked for it at a terminal (and may keep it in the system
keyring once the server accepted it); elsewhere the message names
``millwright device password set URL USER``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from device_browser.opcua.client import OpcUaSession
    from device_browser.opcua.security import CertInfo
    from device_browser.profiles import DeviceProfile
    from device_browser.session import DeviceSession

EXIT_DEVICE, EXIT_USAGE = 1, 2
DEFAULT_SECURITY = "None:None"
DEFAULT_TIMEOUT_S = 5.0
# Loggers of the libraries, silenced (CRITICAL) unless --verbose, and Millwright's own packages.
LIBRARY_LOGGERS = ("asyncua", "pymodbus")
OWN_LOGGERS = ("device_browser", "workbench", "nodes")


class UsageError(Exception):
    """A mistake in the command line: reported in one line, exit status 2."""


# --- options ------------------------------------------------------------------------------------


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"the timeout must be more than 0 s, not {text}")
    return value


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``--verbose``: what every device command accepts."""
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show the libraries' log (asyncua, pymodbus) and Millwright's at DEBUG level")


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """``--security``, ``--user``, ``--timeout`` (override a profile's connection) and ``--verbose``."""
    parser.add_argument("--security", default=None, metavar="POLICY:MODE",
                        help="OPC UA security, e.g. Basic256Sha256:SignAndEncrypt (default: the profile's, "
                             f"or {DEFAULT_SECURITY})")
    parser.add_argument("--user", default=None,
                        help="OPC UA or MQTT user name (the password comes from the keyring, or is asked; MQTT also "
                             "takes MILLWRIGHT_MQTT_USERNAME/_PASSWORD from the environment)")
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="S",
                        help=f"seconds to wait (default: the profile's, or {DEFAULT_TIMEOUT_S:g})")
    add_common_options(parser)


def parse_security(text: str) -> tuple[str, str]:
    """``POLICY:MODE`` → (policy, mode); a policy alone means SignAndEncrypt, ``None`` means no security."""
    policy, _, mode = text.partition(":")
    policy = policy.strip() or "None"
    mode = mode.strip() or ("None" if policy == "None" else "SignAndEncrypt")
    return policy, mode


def connection_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The profile connection fields the command line sets (those not given are left out)."""
    overrides: dict[str, Any] = {}
    if getattr(args, "timeout", None) is not None:
        overrides["timeout_s"] = args.timeout
    if getattr(args, "security", None) is not None:
        overrides["security_policy"], overrides["security_mode"] = parse_security(args.security)
    if getattr(args, "user", None) is not None:
        overrides["user"] = args.user
    return overrides


def _settle_options(args: argparse.Namespace) -> None:
    """Remember which connection options were given (``args.overrides``); then ``args.security``
    gets its default for code that reads it as text. ``args.timeout`` stays None when not given:
    each kind of target has its own default."""
    if not hasattr(args, "security"):
        return
    args.overrides = connection_overrides(args)
    if args.security is None:
        args.security = DEFAULT_SECURITY


# --- running a command --------------------------------------------------------------------------


@contextlib.contextmanager
def console_logging(verbose: bool) -> Iterator[None]:
    """Library loggers at CRITICAL (or everything at DEBUG with ``verbose``) while a command runs.

    Without ``verbose`` the console shows only our own one-line messages: no asyncua "Failed to
    connect" or ServiceFault lines, no pymodbus frame dumps. Levels are put back afterwards, so
    calling :func:`workbench.cli.main` twice in one process (tests) starts clean each time.
    """
    names = set(LIBRARY_LOGGERS + OWN_LOGGERS)
    # children with a level of their own would escape their parent's level: they follow it for the run
    names.update(name for name in logging.root.manager.loggerDict
                 if name.split(".")[0] in LIBRARY_LOGGERS and name not in LIBRARY_LOGGERS)
    saved = {name: logging.getLogger(name).level for name in names}
    saved_root = logging.root.level
    if verbose:  # the root too: code that asks "is DEBUG on?" (the Modbus driver's log filter) sees it
        logging.root.setLevel(logging.DEBUG)
    for name in names:
        top = name.split(".")[0]
        if verbose:
            level = logging.DEBUG if name == top else logging.NOTSET
        elif top in LIBRARY_LOGGERS:
            level = logging.CRITICAL if name == top else logging.NOTSET
        else:
            level = logging.WARNING if name == top else saved[name]
        logging.getLogger(name).setLevel(level)
    handler = None
    if not logging.root.handlers:  # a plain command-line run (pytest and the GUI have their own)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s" if verbose else "millwright: %(message)s"))
        logging.root.addHandler(handler)
    try:
        yield
    finally:
        if handler is not None:
            logging.root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        logging.root.setLevel(saved_root)


def _run(args: argparse.Namespace, call: Callable[[], int]) -> int:
    from device_browser.session import DeviceError

    try:
        with console_logging(getattr(args, "verbose", False)):
            _settle_options(args)
            return call()
    except UsageError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DeviceError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return EXIT_DEVICE
    except (KeyboardInterrupt, EOFError):
        print("\nmillwright: interrupted", file=sys.stderr)
        return 130


def run_async(handler: Callable[[argparse.Namespace], Awaitable[int]]) -> Callable[[argparse.Namespace], int]:
    """A command's ``handler`` for argparse: runs the coroutine, turns failures into one line."""

    def run(args: argparse.Namespace) -> int:
        return _run(args, lambda: asyncio.run(handler(args)))

    return run


def run_command(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """As :func:`run_async`, for commands that need no event loop."""

    def run(args: argparse.Namespace) -> int:
        return _run(args, lambda: handler(args))

    return run


# --- people at the terminal: certificates and passwords -----------------------------------------


def at_terminal() -> bool:
    return sys.stdin.isatty()


def _decide() -> Callable[[CertInfo], Awaitable[bool]] | None:
    """Who decides about an unknown server certificate: the person at the terminal, or nobody
    (refused, with a message saying to connect interactively once)."""
    return ask_trust if at_terminal() else None


async def ask_trust(info: CertInfo) -> bool:
    """Trust on first use, at the terminal: show the certificate and ask."""
    print(f"The server at {info.url} presents a certificate Millwright has not seen before:\n"
          f"  {info.describe()}", file=sys.stderr)
    if not at_terminal():
        print("Not a terminal: refusing. Run once interactively to trust it.", file=sys.stderr)
        return False
    answer = await asyncio.to_thread(input, "Trust this certificate from now on? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def password_command(url: str, user: str) -> str:
    return f"millwright device password set {url} {user}"


def ask_password(url: str, user: str) -> tuple[str, bool]:
    """The password of ``user`` on ``url`` from the keyring, or asked at the terminal.

    Returns (password, remember): ``remember`` when the user wants it kept in the keyring (to
    be stored once the server accepted it). Not at a terminal and nothing stored: a
    :class:`DeviceError` that names the command storing one.
    """
    from device_browser.opcua.security import keyring_problem, load_password
    from device_browser.session import DeviceError

    stored = load_password(url, user)
    if stored is not None:
        return stored, False
    if not at_terminal():
        problem = keyring_problem()
        if problem:
            raise DeviceError(f"No password for user '{user}' on {url}, and no secure keyring on this machine to "
                              f"keep one ({problem}): run the command at a terminal to be asked for it")
        raise DeviceError(f"No password for user '{user}' on {url}: store it once with "
                          f"`{password_command(url, user)}` (or run the command at a terminal to be asked)")
    password = getpass.getpass(f"Password of '{user}' on {url}: ")
    problem = keyring_problem()
    if problem:
        print(f"No secure keyring on this machine ({problem}); the password is used for this run only.",
              file=sys.stderr)
        return password, False
    answer = input("Remember it in the system keyring? [y/N] ")
    return password, answer.strip().lower() in ("y", "yes")


def _remember_when_accepted(session: OpcUaSession, url: str, user: str, password: str) -> None:
    """Keep the password in the keyring once the server accepted it (a typo is never stored)."""
    from device_browser.opcua.security import save_password
    from device_browser.session import ConnectionState, DeviceError

    def on_status(status: Any) -> None:
        if status.state != ConnectionState.CONNECTED:
            return
        session.status_changed.disconnect(on_status)
        try:
            save_password(url, user, password)
        except DeviceError as exc:
            print(f"millwright: {exc}", file=sys.stderr)
        else:
            print(f"The password of '{user}' is kept in the system keyring for {url}.", file=sys.stderr)

    session.status_changed.connect(on_status)


def _password_for(url: str, user: str | None) -> tuple[str | None, bool]:
    if not user:
        return None, False
    return ask_password(url, user)


# --- sessions -----------------------------------------------------------------------------------


def opcua_session(url: str, args: argparse.Namespace) -> OpcUaSession:
    """A session with the OPC UA server at ``url``, as the command line's options say."""
    from device_browser.opcua.client import OpcUaSession

    policy, mode = parse_security(args.security or DEFAULT_SECURITY)
    password, remember = _password_for(url, args.user)
    session = OpcUaSession(url, policy=policy, mode=mode, user=args.user, password=password,
                           timeout=args.timeout or DEFAULT_TIMEOUT_S, decide=_decide())
    if remember and password is not None:
        _remember_when_accepted(session, url, args.user, password)
    return session


def profile_session(path: Path, args: argparse.Namespace) -> tuple[DeviceProfile, DeviceSession]:
    """The profile at ``path`` and a session for its device, with the command line's overrides."""
    from device_browser.connect import connection_with, open_session
    from device_browser.profiles import load_profile

    # settled by run_async (defaults filled in), or straight from argparse
    overrides = args.overrides if hasattr(args, "overrides") else connection_overrides(args)
    profile = load_profile(path)
    connection = connection_with(profile, overrides)  # a Modbus profile with --user is refused here
    if profile.protocol != "opcua":
        return profile, open_session(profile, overrides=overrides)
    url, user = connection["endpoint"], connection.get("user")
    password, remember = _password_for(url, user)
    session = open_session(profile, password, overrides=overrides, decide=_decide())
    if remember and password is not None and user:
        _remember_when_accepted(session, url, user, password)
    return profile, session


def session_for(target: str, args: argparse.Namespace) -> tuple[DeviceProfile | None, DeviceSession]:
    """A profile (or None) and a session for a target: a device profile, an OPC UA URL, a Modbus URL
    (``modbus+tcp://host:port/unit``, see :mod:`device_browser.urls`) whose tags are raw addresses,
    or an MQTT broker (``mqtt://host:port``) whose tags are Sparkplug metrics."""
    from device_browser.urls import MODBUS_SCHEMES, SPARKPLUG_SCHEMES, modbus_session_from_url

    if target.startswith("opc.tcp://"):
        return None, opcua_session(target, args)
    scheme = target.split("://", 1)[0]
    if scheme in MODBUS_SCHEMES:
        return None, modbus_session_from_url(target, getattr(args, "timeout", None))
    if scheme in SPARKPLUG_SCHEMES:
        return None, sparkplug_session(target, args)
    return profile_session(Path(target), args)


def sparkplug_session(url: str, args: argparse.Namespace) -> DeviceSession:
    """A Sparkplug host session on the broker at ``url``. The username comes from ``--user`` or
    ``MILLWRIGHT_MQTT_USERNAME``; a ``--user`` without a password in the environment is asked for
    one (keyring or terminal), as for OPC UA. TLS (``mqtts://``) trusts ``--ca-file`` or the system's CAs."""
    from device_browser.sparkplug.broker import broker_credentials
    from device_browser.urls import sparkplug_session_from_url

    options: dict[str, Any] = {"rebirth_on_gap": not getattr(args, "no_rebirth", False)}
    if getattr(args, "ca_file", None):
        options["ca_file"] = Path(args.ca_file)
    user = getattr(args, "user", None)
    if user:
        password = broker_credentials()[1] or ask_password(url, user)[0]
        options.update(username=user, password=password)
    return sparkplug_session_from_url(url, getattr(args, "timeout", None), **options)
