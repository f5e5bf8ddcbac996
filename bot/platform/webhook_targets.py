"""Which URLs an outbound webhook may target: http(s) only, and no loopback, private, link-local, multicast,
reserved or unspecified address unless private targets are allowed (``[web] allow_private_webhooks``, for
self-hosting). :func:`url_problem` checks what the URL says; :func:`address_problem` what a host resolves to
(the delivery's resolver refuses those addresses at connect time, so a name that resolves to 127.0.0.1 is
refused too)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_URL = 2000


def address_problem(address: str, *, allow_private: bool) -> str | None:
    """Why ``address`` (an IP address) may not be a target, or ``None``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a unicast address"
    for what, bad in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                      ("private", ip.is_private or not ip.is_global)):
        if bad and not allow_private:
            return (f"{ip} is a {what} address; webhooks go to public addresses only "
                    "(set [web] allow_private_webhooks = true to allow private targets when self-hosting)")
        if bad:
            return None
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    return None


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` may not be a webhook target as written, or ``None`` (host names are checked on delivery)."""
    url = url.strip()
    if len(url) > MAX_URL:
        return f"is {len(url)} characters long; keep it to {MAX_URL}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    del port
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "must name a host (https://host/path)"
    if parts.username or parts.password:
        return "must not carry a user name or password (sign with the secret instead)"
    if parts.fragment:
        return "must not have a #fragment"
    host = parts.hostname.rstrip(".").lower()
    if not allow_private and (host == "localhost" or host.endswith(".localhost")):
        return ("names localhost; webhooks go to public addresses only "
                "(set [web] allow_private_webhooks = true to allow private targets when self-hosting)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return address_problem(host, allow_private=allow_private)
