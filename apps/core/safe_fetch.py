"""Fetch a file a user named by URL without letting the URL reach inside the server's network (SSRF).

- http and https only, no credentials in the URL.
- The host is resolved once; every address it resolves to must be public: loopback, private,
  link-local (the cloud metadata address 169.254.169.254 among them), shared (100.64/10), multicast,
  reserved and unspecified addresses are refused, in IPv4 and IPv6 (fd00:ec2::254, and IPv4 addresses
  mapped into IPv6 such as ::ffff:127.0.0.1, are judged as what they are). SEIDRA_REFERENCE_FETCH_ALLOW
  (CIDRs) lets a LAN image host, or a test server, through.
- The socket is opened to the checked address itself, the request carries the host name (Host header;
  for https the TLS handshake names it too and the certificate is checked against it): the name is
  never resolved a second time, so a DNS answer that changes between check and connect cannot redirect
  the request.
- Redirects are followed by hand, at most MAX_REDIRECTS, each target checked the same way.
- A byte cap (Content-Length and the bytes really read) and one overall deadline.

Every refusal is a ParameterError naming the caller's field with what to fix. No Django models here.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ParameterError

MAX_REDIRECTS = 3
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 64 * 1024
USER_AGENT = "SEIDRA-reference-fetch/1"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class _Refused(Exception):
    """A reason to refuse the URL, turned into the caller's ParameterError."""


def _allowed_networks() -> list:
    return [ipaddress.ip_network(item.strip(), strict=False) for item in settings.SEIDRA_REFERENCE_FETCH_ALLOW if item]


def address_is_public(address: Address) -> bool:
    """Whether an address may be fetched from: global unicast, or inside SEIDRA_REFERENCE_FETCH_ALLOW."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in network for network in _allowed_networks()):
        return True
    return not (
        address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified or not address.is_global
    )  # fmt: skip


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _Refused(_("This is not a valid address.")) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _Refused(_("Use an http:// or https:// address."))
    if not parts.hostname:
        raise _Refused(_("The address has no host name."))
    if parts.username or parts.password:
        raise _Refused(_("Addresses with a user name or password are not fetched."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme], path


def _resolve_checked(host: str, port: int) -> list[Address]:
    """The addresses to connect to, in the resolver's order; refused unless every one is public."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _Refused(_("The host name %(host)s could not be resolved.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(item[4][0].split("%", 1)[0]) for item in found]
    for address in addresses:
        if not address_is_public(address):
            raise _Refused(
                _("%(host)s points to a private or local network address (%(address)s): use a public image address.")
                % {"host": host, "address": address}
            )
    return list(dict.fromkeys(addresses))


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _connect(addresses: list[Address], port: int, deadline: float) -> socket.socket:
    """A socket to the first checked address that answers (as socket.create_connection would do with
    the name, without resolving it again)."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout=_remaining(deadline))
        except TimeoutError:
            raise
        except OSError as error:
            failure = error
    raise failure or OSError("no address to connect to")


def _open(scheme: str, host: str, port: int, addresses: list[Address], deadline: float):
    """(connection, socket): a connection to a checked address that speaks to `host` (Host header,
    SNI, certificate). The socket is kept apart: http.client drops its own once the answer says the
    connection closes, while the body is still read from it."""
    sock = _connect(addresses, port, deadline)
    if scheme == "https":
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=_remaining(deadline))
    connection.sock = sock  # http.client connects only when it has no socket: it never resolves `host`
    return connection, sock


def _read_capped(
    sock: socket.socket, response: http.client.HTTPResponse, max_bytes: int, deadline: float, too_large: str
) -> bytes:
    """The body, refused as soon as it is known to be over the cap; each read waits only for what is
    left of the deadline, so a server dripping bytes cannot hold the request past it."""
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise _Refused(too_large)
    body = bytearray()
    while not response.isclosed():  # it closes itself (and the socket) once the whole body is read
        sock.settimeout(_remaining(deadline))
        chunk = response.read(CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise _Refused(too_large)
    return bytes(body)


def _fetch(url: str, *, max_bytes: int, deadline: float, too_large: str) -> bytes:
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _target(url)
        addresses = _resolve_checked(host, port)
        connection, sock = _open(scheme, host, port, addresses, deadline)
        try:
            sock.settimeout(_remaining(deadline))
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
            response = connection.getresponse()
            if response.status in REDIRECT_STATUSES:
                location = response.getheader("Location")
                if not location:
                    raise _Refused(_("The server redirected without saying where."))
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise _Refused(
                    _("The server answered HTTP %(status)s: check the address.") % {"status": response.status}
                )
            return _read_capped(sock, response, max_bytes, deadline, too_large)
        finally:
            connection.close()
    raise _Refused(_("The address redirects more than %(count)s times.") % {"count": MAX_REDIRECTS})


def safe_fetch(url: str, *, field: str, max_bytes: int, too_large: str) -> bytes:
    """The body of `url` (at most `max_bytes`, within SEIDRA_REFERENCE_FETCH_TIMEOUT seconds in all),
    or ParameterError naming `field` with why it was refused; `too_large` is the message for a body
    over the cap (the caller's, so uploads and URLs say the same)."""
    timeout = settings.SEIDRA_REFERENCE_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        return _fetch(str(url).strip(), max_bytes=max_bytes, deadline=deadline, too_large=too_large)
    except _Refused as refused:
        raise ParameterError({field: str(refused)}) from None
    except TimeoutError:
        message = _("The image took more than %(seconds)s seconds to download.") % {"seconds": f"{timeout:g}"}
        raise ParameterError({field: message}) from None
    except ssl.SSLError as error:
        message = _("The secure connection failed (%(reason)s).") % {"reason": error.reason or error}
        raise ParameterError({field: message}) from None
    except (OSError, http.client.HTTPException) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        message = _("The image could not be downloaded (%(reason)s): check the address.") % {"reason": reason}
        raise ParameterError({field: message}) from None
