"""What keeps a pull source from leaking: its secret encrypted at rest, and the hosts it may call.

**Secrets.** ``pull_source.auth_value`` holds ``v1:`` + base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag). The key
is derived with HKDF-SHA256 from the application's ``SECRET_KEY`` (info ``dieuhanh pull-source secrets v1``), so
it is never stored and differs from the key that signs sessions. Secrets stored before encryption were tagged
``plain:`` by migration 0012 (which cannot know the running application's key); they are read as they are and
sealed at the next run, save or scheduler start (``pull.seal_legacy_secrets``). A ``v1:`` value that does not
open — ``SECRET_KEY`` changed, or the row was tampered with — raises ``UndecryptableSecret``: the source's run
fails with a message asking to enter the secret again, nothing else breaks.

**Hosts.** ``DIEUHANH_PULL_ALLOWED_HOSTS`` (comma-separated: ``lgsp.ninhbinh.gov.vn``, ``*.ninhbinh.gov.vn`` for
sub-domains, ``127.0.0.1``, ``10.20.0.0/16`` for IP literals in a network). Empty: any host. Whatever the list
says, link-local addresses (169.254.0.0/16, fe80::/10, where clouds answer with instance credentials) and the
known metadata endpoints are refused. The check runs on the URL when a source is saved, on every request of a
run (redirect hops too: ``check_url`` is an httpx request hook) and, without a proxy, on the addresses the host
name resolves to at connect time (``guarded_transport``: the socket goes to the address that was checked, so a
name that resolves — or re-resolves — to a metadata address is refused too).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpcore
import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dieuhanh.core.errors import DomainError

# ------------------------------------------------------------------------------------------------ secrets

SEALED_PREFIX = "v1:"
LEGACY_PREFIX = "plain:"  # migration 0012: a secret stored in plain text before encryption
HKDF_INFO = b"dieuhanh pull-source secrets v1"
ASSOCIATED_DATA = b"pull_source.auth_value"
NONCE_BYTES = 12
TAG_BYTES = 16


class UndecryptableSecret(Exception):
    """A sealed secret that this key cannot open (the key changed, or the value was altered)."""


class SecretBox:
    """Seals and opens the secrets of pull sources with a key derived from ``SECRET_KEY``."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("SECRET_KEY rỗng: không thể mã hóa bí mật của nguồn dữ liệu")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key.encode())
        self._aead = AESGCM(key)

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), ASSOCIATED_DATA)
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str) -> str:
        """The plaintext of a stored value: sealed (``v1:``), or legacy plain text (``plain:`` or untagged)."""
        if stored.startswith(LEGACY_PREFIX):
            return stored[len(LEGACY_PREFIX):]
        if not stored.startswith(SEALED_PREFIX):
            return stored  # written outside the application: plain text, sealed at the next save or run
        try:
            raw = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX):].encode("ascii"))
            if len(raw) < NONCE_BYTES + TAG_BYTES:
                raise ValueError("too short")
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ASSOCIATED_DATA)
            return plain.decode("utf-8")
        except (InvalidTag, binascii.Error, UnicodeError, ValueError) as exc:
            raise UndecryptableSecret(type(exc).__name__) from None

    def needs_sealing(self, stored: str | None) -> bool:
        """A stored value still in plain text (legacy)."""
        return bool(stored) and not (stored or "").startswith(SEALED_PREFIX)


# ------------------------------------------------------------------------------------------------ hosts

# Link-local ranges (cloud instance metadata at 169.254.169.254, fe80::/10) and other metadata endpoints: never
# a department's API, always refused, whatever the allow-list says.
BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS instance metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud instance metadata
    ipaddress.ip_network("0.0.0.0/8"),  # "this host": not a server address
    ipaddress.ip_network("::/128"),
)
BLOCKED_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class HostRefused(Exception):
    """A URL or address that pull sources may not call; ``message`` is in Vietnamese."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.message, self.host = message, host


class BadAllowList(DomainError):
    """``DIEUHANH_PULL_ALLOWED_HOSTS`` holds an entry that is not a host, ``*.domain``, IP or network: every
    pull is refused until the setting is fixed (a mistyped allow-list must not let everything through)."""

    status_code = 500

    def __init__(self, entry: str) -> None:
        super().__init__(f"Cấu hình DIEUHANH_PULL_ALLOWED_HOSTS có mục không hợp lệ «{entry}»: mỗi mục là một tên "
                         "máy chủ (lgsp.ninhbinh.gov.vn), *.tên-miền, một địa chỉ IP hoặc một dải (10.20.0.0/16). "
                         "Hãy sửa cấu hình rồi khởi động lại.")


def _internal(address: IpAddress) -> bool:
    """This machine, a private network or an address no public server has (refused unless listed)."""
    return not address.is_global or address.is_multicast


NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$")


def _ip(host: str) -> IpAddress | None:
    """The address a host literally names: IPv4/IPv6 (IPv4-mapped IPv6 as IPv4), and the numeric forms that the
    resolver also reads as IPv4 (2852039166, 0xa9.0xfe.0xa9.0xfe, 169.254.43518)."""
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not NUMERIC_HOST.match(host):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ascii_host(name: str) -> str:
    """A host name as it travels (lower case, IDNA), without a trailing dot."""
    try:
        raw = httpx.URL(f"http://{name}/").raw_host
    except Exception as exc:  # noqa: BLE001
        raise BadAllowList(name) from exc
    host = raw.decode("ascii").lower().rstrip(".")
    if not host or "/" in host:
        raise BadAllowList(name)
    return host


@dataclass(frozen=True)
class HostPolicy:
    """Which hosts a pull may call. ``patterns`` empty: any host but the blocked ones."""

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()  # from "*.domain": ".domain"
    networks: tuple[IpNetwork, ...] = ()  # from IPs and CIDR entries
    blocked: tuple[IpNetwork, ...] = BLOCKED_NETWORKS
    text: str = ""
    setting: str = "DIEUHANH_PULL_ALLOWED_HOSTS"

    @classmethod
    def parse(cls, text: str | None, *, blocked: Iterable[IpNetwork] = BLOCKED_NETWORKS,
              setting: str = "DIEUHANH_PULL_ALLOWED_HOSTS") -> HostPolicy:
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[IpNetwork] = []
        for entry in (text or "").split(","):
            entry = entry.strip()
            if not entry:
                continue
            if entry.startswith("*."):
                suffixes.append("." + _ascii_host(entry[2:]))
            elif "*" in entry:
                raise BadAllowList(entry)
            elif "/" in entry:
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError as exc:
                    raise BadAllowList(entry) from exc
            elif (address := _ip(entry)) is not None:
                networks.append(ipaddress.ip_network(address))
            else:
                names.add(_ascii_host(entry))
        return cls(frozenset(names), tuple(suffixes), tuple(networks), tuple(blocked), (text or "").strip(), setting)

    @property
    def restricted(self) -> bool:
        return bool(self.names or self.suffixes or self.networks)

    def _blocked(self, address: IpAddress) -> bool:
        return any(address.version == network.version and address in network for network in self.blocked)

    def _named(self, name: str) -> bool:
        """Whether the allow-list names this host (by name or ``*.domain``)."""
        return name in self.names or any(name.endswith(suffix) for suffix in self.suffixes)

    def _listed(self, address: IpAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)

    def check_host(self, host: str) -> None:
        """Refuse a host (as in a URL) that is blocked or, with an allow-list, not on it. Without one, an
        address of this machine or of a private network (loopback, 10/8, 172.16/12, 192.168/16, fc00::/7…)
        is refused too: the server's own services and the internal network are reached only when listed."""
        name = host.lower().strip("[]").rstrip(".")
        address = _ip(name)
        if (address is not None and self._blocked(address)) or name in BLOCKED_NAMES:
            raise HostRefused(f"Máy chủ «{name}» là địa chỉ nội bộ của hạ tầng (link-local, metadata): nguồn dữ "
                              "liệu không được gọi tới địa chỉ này.", name)
        if address is not None and self._listed(address):
            return
        if address is None and self._named(name):
            return
        if self.restricted:
            raise HostRefused(f"Máy chủ «{name}» không nằm trong danh sách máy chủ được phép "
                              f"({self.setting} = {self.text}).", name)
        if address is not None and _internal(address):
            raise HostRefused(f"Máy chủ «{name}» là địa chỉ của chính máy chủ hoặc mạng nội bộ: chỉ được gọi khi "
                              f"có trong danh sách máy chủ được phép ({self.setting}).", name)

    def check_url(self, url: httpx.URL | str) -> None:
        url = httpx.URL(url) if isinstance(url, str) else url
        self.check_host(url.raw_host.decode("ascii"))

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses ``host`` resolves to, every one checked (one blocked address refuses the host: a name
        pointing at both a public and a metadata address is not a department's server)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"không phân giải được tên máy chủ {host}: {exc}") from exc
        addresses: list[str] = []
        named = self._named(host.lower().rstrip("."))
        for *_, sockaddr in infos:
            text = str(sockaddr[0])
            address = _ip(text.split("%", 1)[0])
            if address is None or self._blocked(address):
                raise HostRefused(f"Máy chủ «{host}» trỏ tới địa chỉ nội bộ của hạ tầng ({text}: link-local, "
                                  "metadata): nguồn dữ liệu không được gọi tới địa chỉ này.", host)
            if not named and not self._listed(address) and _internal(address):
                raise HostRefused(f"Máy chủ «{host}» trỏ tới địa chỉ của chính máy chủ hoặc mạng nội bộ ({text}): "
                                  f"chỉ được gọi khi có trong danh sách máy chủ được phép ({self.setting}).", host)
            if text not in addresses:
                addresses.append(text)
        return addresses


class _CheckedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the policy accepts, and to exactly the address it checked."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self.policy.resolve(host, port):
            try:
                return self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                              socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"không kết nối được tới {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("nguồn dữ liệu không dùng socket Unix")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def guarded_client(policy: HostPolicy, **kwargs: Any) -> httpx.Client:
    """An httpx client for a call out of the server (webhooks): every request's URL and every address it
    connects to are checked by ``policy``."""
    def check(request: httpx.Request) -> None:
        policy.check_url(request.url)

    return httpx.Client(transport=guarded_transport(policy), event_hooks={"request": [check]}, **kwargs)


def guarded_transport(policy: HostPolicy) -> httpx.HTTPTransport:
    """An httpx transport whose connections go only to addresses the policy accepts (checked after DNS).

    httpx does not take a network backend, so it is set on the transport's httpcore pool; if a later httpx
    changes that, this fails loudly rather than connecting unchecked."""
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore changed: cannot check the addresses pull sources connect to")
    pool._network_backend = _CheckedBackend(policy)
    return transport


# ------------------------------------------------------------------------------------------------ both


@dataclass(frozen=True)
class PullGuard:
    """The secret box and host policy of one configuration (``SECRET_KEY``, ``PULL_ALLOWED_HOSTS``)."""

    secrets: SecretBox
    hosts: HostPolicy

    @classmethod
    def of(cls, *, secret_key: str, allowed_hosts: str | None = None) -> PullGuard:
        return _guard(secret_key, allowed_hosts or "")

    @classmethod
    def from_settings(cls, settings: Any) -> PullGuard:
        return cls.of(secret_key=settings.effective_secret_key,
                      allowed_hosts=getattr(settings, "pull_allowed_hosts", "") or "")


@lru_cache(maxsize=8)
def _guard(secret_key: str, allowed_hosts: str) -> PullGuard:
    return PullGuard(SecretBox(secret_key), HostPolicy.parse(allowed_hosts))
