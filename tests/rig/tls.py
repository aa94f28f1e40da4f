"""A throwaway certificate authority and server certificate for the test servers.

Clients in tests verify the servers for real (hostname and chain), so the CA file is
handed to them exactly as a user would configure a private CA. Made with the openssl
command line tool so the rig needs no extra Python package.
"""

from __future__ import annotations

import os
import secrets
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

_CURVE = "ec_paramgen_curve:prime256v1"

_SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


class TlsSetupError(RuntimeError):
    """The openssl tool is missing or refused to make the certificates."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """PEM files of the rig CA and of the server certificate it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only the rig CA and checks the host name."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def make_tls_files(directory: Path) -> TlsFiles:
    """Create a CA and a server certificate for localhost/127.0.0.1 in `directory`.

    Files already there are reused, so several servers of one test run share one CA.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    if all(path.exists() for path in (files.ca_file, files.cert_file, files.key_file)):
        return files
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsSetupError("openssl is not installed")
    ca_key = directory / "ca.key"
    csr = directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(_SERVER_EXTENSIONS)
    _run(
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", _CURVE, "-nodes",
        "-keyout", ca_key, "-out", files.ca_file, "-days", "3650",
        "-subj", "/CN=shared-inbox test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _run(
        openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", _CURVE, "-nodes",
        "-keyout", files.key_file, "-out", csr, "-subj", "/CN=localhost",
    )  # fmt: skip
    _run(
        openssl, "x509", "-req", "-in", csr, "-CA", files.ca_file, "-CAkey", ca_key,
        "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "825", "-sha256",
        "-extfile", extensions, "-out", files.cert_file,
    )  # fmt: skip
    for key in (ca_key, files.key_file):
        os.chmod(key, 0o600)
    return files


def _run(*args: str | Path) -> None:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise TlsSetupError(f"{args[1]} failed: {done.stderr.strip()}")
