"""Images from the web, when the host allows it: fetched safely, never with the Slack token.

>>> policy = UrlPolicy(allowed_hosts=["images.example.com", ".cdn.example.net"])
>>> image = await fetch_image("https://images.example.com/me.png", policy)
>>> image.data, image.content_type, image.description   # bytes, "image/png", no query string

Modules, one concern each: ``hosts`` (canonical host names, allow-list entries),
``urls`` (strict URL reading, redaction), ``policy`` (UrlPolicy, the offline URL
check), ``addresses`` (name lookup, internal-address refusal), ``sniff`` (image
signatures), ``fetch`` (the hops over httpx; the body read by ``bounded_body``),
``refusals`` (the exception tree, drawn in its docstring).

The names are imported on first use (PEP 562): the URL check and redaction a tool
needs at import do not bring ``fetch`` and its HTTP stack along.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ocp_users_photo.lazy_names import lazy_attributes

if TYPE_CHECKING:
    from ocp_users_photo.web_image.addresses import Resolver, address_refusal, system_resolver
    from ocp_users_photo.web_image.fetch import FetchedImage, fetch_image
    from ocp_users_photo.web_image.policy import (
        DEFAULT_MAX_BYTES,
        DEFAULT_MAX_REDIRECTS,
        UrlPolicy,
        check_image_url,
    )
    from ocp_users_photo.web_image.refusals import (
        AddressRefused,
        BadImageUrl,
        ConnectionFailed,
        FetchTimedOut,
        HostNotAllowed,
        HttpStatusRefused,
        ImageTooLarge,
        ImageUrlRefused,
        NotAnImage,
        SchemeNotAllowed,
        TlsFailure,
        TooManyRedirects,
    )
    from ocp_users_photo.web_image.urls import ImageUrl, looks_like_web_url, redact_url

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "AddressRefused",
    "BadImageUrl",
    "ConnectionFailed",
    "FetchTimedOut",
    "FetchedImage",
    "HostNotAllowed",
    "HttpStatusRefused",
    "ImageTooLarge",
    "ImageUrl",
    "ImageUrlRefused",
    "NotAnImage",
    "Resolver",
    "SchemeNotAllowed",
    "TlsFailure",
    "TooManyRedirects",
    "UrlPolicy",
    "address_refusal",
    "check_image_url",
    "fetch_image",
    "looks_like_web_url",
    "redact_url",
    "system_resolver",
]

_HOMES = {
    "AddressRefused": "ocp_users_photo.web_image.refusals",
    "BadImageUrl": "ocp_users_photo.web_image.refusals",
    "ConnectionFailed": "ocp_users_photo.web_image.refusals",
    "DEFAULT_MAX_BYTES": "ocp_users_photo.web_image.policy",
    "DEFAULT_MAX_REDIRECTS": "ocp_users_photo.web_image.policy",
    "FetchTimedOut": "ocp_users_photo.web_image.refusals",
    "FetchedImage": "ocp_users_photo.web_image.fetch",
    "HostNotAllowed": "ocp_users_photo.web_image.refusals",
    "HttpStatusRefused": "ocp_users_photo.web_image.refusals",
    "ImageTooLarge": "ocp_users_photo.web_image.refusals",
    "ImageUrl": "ocp_users_photo.web_image.urls",
    "ImageUrlRefused": "ocp_users_photo.web_image.refusals",
    "NotAnImage": "ocp_users_photo.web_image.refusals",
    "Resolver": "ocp_users_photo.web_image.addresses",
    "SchemeNotAllowed": "ocp_users_photo.web_image.refusals",
    "TlsFailure": "ocp_users_photo.web_image.refusals",
    "TooManyRedirects": "ocp_users_photo.web_image.refusals",
    "UrlPolicy": "ocp_users_photo.web_image.policy",
    "address_refusal": "ocp_users_photo.web_image.addresses",
    "check_image_url": "ocp_users_photo.web_image.policy",
    "fetch_image": "ocp_users_photo.web_image.fetch",
    "looks_like_web_url": "ocp_users_photo.web_image.urls",
    "redact_url": "ocp_users_photo.web_image.urls",
    "system_resolver": "ocp_users_photo.web_image.addresses",
}
__getattr__, __dir__ = lazy_attributes(__name__, _HOMES, __all__)
