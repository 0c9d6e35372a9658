"""Images from the web, when the host allows it: fetched safely, never with the Slack token.

>>> policy = UrlPolicy(allowed_hosts=["images.example.com", ".cdn.example.net"])
>>> image = await fetch_image("https://images.example.com/me.png", policy)
>>> image.data, image.content_type, image.description   # bytes, "image/png", no query string

Modules, one concern each: ``hosts`` (canonical host names, allow-list entries),
``urls`` (strict URL reading, redaction), ``policy`` (UrlPolicy, the offline URL
check), ``addresses`` (name lookup, internal-address refusal), ``sniff`` (image
signatures), ``body`` (bounded, decoded body), ``fetch`` (the hops over httpx),
``refusals`` (the exception tree, drawn in its docstring).
"""

from __future__ import annotations

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
