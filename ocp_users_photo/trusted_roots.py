"""The CA certificates TLS connections trust: certifi's, or the operator's.

On a company network that inspects TLS (a proxy or gateway that re-signs every
connection with the company's own CA), nothing verifies against certifi's roots. The
operator names the company's CA certificates as OpenSSL, curl, requests and httpx
read them: ``SSL_CERT_FILE`` (a PEM file), else ``SSL_CERT_DIR`` (folders hashed by
``c_rehash``, separated by ``os.pathsep``), which then replace certifi's roots. They
are read from the tool's environment (``environ=``, like the proxy variables) and serve
every TLS connection the tool makes: Slack's API, the replaced photo's download, image
URLs. They are read when the first connection needs them (in a worker thread); a file
that is missing or holds no certificate is then refused, naming the variable, and
nothing is sent.
"""

from __future__ import annotations

import functools
import os
import ssl
from dataclasses import dataclass
from typing import Final

from ocp_users_photo.environment import Variables
from ocp_users_photo.errors import TransportError
from ocp_users_photo.safe_text import quoted

__all__ = ["CA_DIR_VARIABLE", "CA_FILE_VARIABLE", "CA_VARIABLES", "TrustedRoots"]

CA_FILE_VARIABLE: Final = "SSL_CERT_FILE"
CA_DIR_VARIABLE: Final = "SSL_CERT_DIR"
# What a TransportError's ``to_check`` names when these cannot be read (a setting to mend).
CA_VARIABLES: Final = frozenset({CA_FILE_VARIABLE, CA_DIR_VARIABLE})


@dataclass(frozen=True)
class TrustedRoots:
    """The operator's CA certificates: a PEM file or a hashed folder (the file wins)."""

    file: str | None = None
    folder: str | None = None

    @classmethod
    def from_environment(cls, environ: Variables) -> TrustedRoots | None:
        """What ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` name; None when neither is set. Nothing
        is read now (settings are read on the event loop too): ``context`` checks them."""
        file = environ.get(CA_FILE_VARIABLE) or None
        if file is not None:
            return cls(file=file)
        folder = environ.get(CA_DIR_VARIABLE) or None
        return cls(folder=folder) if folder is not None else None

    @property
    def origin(self) -> str:
        """The variable these came from, for messages."""
        return CA_FILE_VARIABLE if self.file is not None else CA_DIR_VARIABLE

    def context(self) -> ssl.SSLContext:
        """A verifying TLS context trusting these roots alone, read once and shared by every
        connection (Slack's stacks, image fetches); ValueError saying what to give when
        they cannot be read (asked again next time). Blocking: reads the files."""
        return self._loaded

    @functools.cached_property
    def _loaded(self) -> ssl.SSLContext:
        if self.file is not None and not os.path.isfile(self.file):
            raise ValueError(
                f"{CA_FILE_VARIABLE} names {quoted(self.file)}, which is not a file: give the "
                "path of a PEM file of the CA certificates to trust, or unset it"
            )
        # A list of folders, as OpenSSL reads it (':' between them; ';' on Windows).
        folders = [] if self.folder is None else [f for f in self.folder.split(os.pathsep) if f]
        missing = next((folder for folder in folders if not os.path.isdir(folder)), None)
        if missing is not None or (self.folder is not None and not folders):
            raise ValueError(
                f"{CA_DIR_VARIABLE} names {quoted(missing or str(self.folder))}, which is not a "
                "folder: give folders of CA certificates (hashed by c_rehash), or unset it"
            )
        try:
            context = ssl.create_default_context(cafile=self.file, capath=self.folder)
        except (ssl.SSLError, OSError) as error:
            named = self.file if self.file is not None else self.folder
            raise ValueError(
                f"{self.origin} names {quoted(str(named))}, which could not be read as CA "
                f"certificates ({type(error).__name__}): give PEM certificates, or unset it"
            ) from None
        if self.file is not None and not context.get_ca_certs():
            raise ValueError(
                f"{CA_FILE_VARIABLE} names {quoted(self.file)}, which holds no CA "
                "certificate: give a PEM file of the CA certificates to trust, or unset it"
            )
        return context


def unreadable_roots(unreadable: ValueError, roots: TrustedRoots | None) -> TransportError:
    """The error for roots that cannot be read (``TrustedRoots.context``'s ValueError): a
    setting to mend, named, before anything was sent; Slack's calls and an image's fetch
    alike."""
    return TransportError(
        f"{unreadable}. Nothing was sent",
        reached=False,
        method=None,
        to_check=None if roots is None else roots.origin,
        setting_at_fault=True,
    )
