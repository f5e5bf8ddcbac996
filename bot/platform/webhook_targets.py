"""Which URLs an outbound webhook may target: http(s) only, and no loopback, private, link-local, multicast,
reserved or unspecified address unless private targets are allowed (``[web] allow_private_webhooks``, for
self-hosting). :func:`url_problem` checks what the URL says; :func:`address_problem` what a host resolves to
(the delivery's resolver refuses those addresses at connect time, so a name that resolves to 127.0.0.1 is
refused too). A problem is English text that keeps its message (:func:`bot.platform.deferred.said`): the
dashboard and ``/webhooks`` say it in the reader's language, the config file's check and the logs in English."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from bot.platform.deferred import Said, said
from bot.platform.i18n import N_

MAX_URL = 2000


def address_problem(address: str, *, allow_private: bool) -> Said | None:
    """Why ``address`` (an IP address) may not be a target, or ``None``."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return said(N_("{address} is not an IP address"), address=repr(address))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return said(N_("{ip} is not a unicast address"), ip=str(ip))
    for what, bad in ((N_("{ip} is a loopback address; webhooks go to public addresses only (set [web] "
                          "allow_private_webhooks = true to allow private targets when self-hosting)"), ip.is_loopback),
                      (N_("{ip} is a link-local address; webhooks go to public addresses only (set [web] "
                          "allow_private_webhooks = true to allow private targets when self-hosting)"), ip.is_link_local),
                      (N_("{ip} is a private address; webhooks go to public addresses only (set [web] "
                          "allow_private_webhooks = true to allow private targets when self-hosting)"),
                       ip.is_private or not ip.is_global)):
        if bad and not allow_private:
            return said(what, ip=str(ip))
        if bad:
            return None
    if ip.is_reserved:
        return said(N_("{ip} is a reserved address"), ip=str(ip))
    return None


def url_problem(url: str, *, allow_private: bool) -> Said | None:
    """Why ``url`` may not be a webhook target as written, or ``None`` (host names are checked on delivery)."""
    url = url.strip()
    if len(url) > MAX_URL:
        return said(N_("is {length} characters long; keep it to {max}"), length=len(url), max=MAX_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return said(N_("is not a valid URL ({error})"), error=str(exc))
    del port
    if parts.scheme not in ("http", "https"):
        return said(N_("must be an http:// or https:// URL"))
    if not parts.hostname:
        return said(N_("must name a host (https://host/path)"))
    if parts.username or parts.password:
        return said(N_("must not carry a user name or password (sign with the secret instead)"))
    if parts.fragment:
        return said(N_("must not have a #fragment"))
    host = parts.hostname.rstrip(".").lower()
    if not allow_private and (host == "localhost" or host.endswith(".localhost")):
        return said(N_("names localhost; webhooks go to public addresses only (set [web] allow_private_webhooks = "
                       "true to allow private targets when self-hosting)"))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return address_problem(host, allow_private=allow_private)
