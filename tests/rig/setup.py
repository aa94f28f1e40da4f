"""Install the servers the integration tests start: `python3 -m tests.rig.setup`.

Dovecot (and the other system tools the tests drive) come from the distribution's
packages. Cyrus IMAP cannot be installed beside Dovecot as a package (they conflict), so
its binaries are unpacked from the distribution's .deb files into a directory of their
own, next to the shared libraries they need. Run as root it installs whatever is
missing; run as anyone else it only checks, and prints the one command that installs.
Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SYSTEM_PACKAGES = ("dovecot-imapd", "dovecot-lmtpd", "isync", "openssl", "tmux", "python3-venv")
CYRUS_PACKAGES = ("cyrus-common", "cyrus-imapd", "sasl2-bin")
CYRUS_ROOT = Path(os.environ.get("SHARED_INBOX_CYRUS_ROOT", "/opt/shared-inbox-rig/cyrus"))
CYRUS_BIN = CYRUS_ROOT / "usr/lib/cyrus/bin"
CYRUS_LIBS = CYRUS_ROOT / "usr/lib" / f"{os.uname().machine}-linux-gnu"
SASLPASSWD = CYRUS_ROOT / "usr/sbin/saslpasswd2"
_MARKER = CYRUS_ROOT / ".installed"


class SetupError(RuntimeError):
    """Something the tests need is missing and cannot be installed from here."""


def cyrus_installed() -> bool:
    return _MARKER.is_file() and (CYRUS_BIN / "master").is_file() and SASLPASSWD.is_file()


def missing_packages() -> list[str]:
    return [name for name in SYSTEM_PACKAGES if not _package_installed(name)]


def _package_installed(name: str) -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
    )
    return done.returncode == 0 and "install ok installed" in done.stdout


def _apt(*args: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", *args], check=True, env=env)


def install_packages(names: list[str]) -> None:
    """apt-get install, keeping any server from starting on the machine (the tests start their own)."""
    policy = Path("/usr/sbin/policy-rc.d")
    created = not policy.exists()
    if created:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        _apt("install", "-y", "-q", "--no-install-recommends", *names)
    finally:
        if created:
            policy.unlink(missing_ok=True)


def library_dependencies(deb: Path) -> list[str]:
    """The shared-library packages a .deb depends on (the first of each set of alternatives)."""
    field = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    names = (part.split("|")[0].split("(")[0].strip() for part in field.split(","))
    return [name.split(":")[0] for name in names if name.startswith("lib")]


def install_cyrus() -> None:
    """Unpack Cyrus IMAP and saslpasswd2 into CYRUS_ROOT and install the libraries they link."""
    with tempfile.TemporaryDirectory(prefix="cyrus-debs-") as scratch:
        os.chmod(scratch, 0o755)  # apt's download user writes here
        subprocess.run(["apt-get", "download", "-q", *CYRUS_PACKAGES], cwd=scratch, check=True)
        debs = sorted(Path(scratch).glob("*.deb"))
        libraries = sorted({name for deb in debs for name in library_dependencies(deb)})
        libraries = [name for name in libraries if not _package_installed(name)]
        if libraries:
            install_packages(libraries)
        shutil.rmtree(CYRUS_ROOT, ignore_errors=True)
        CYRUS_ROOT.mkdir(parents=True)
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(CYRUS_ROOT)], check=True)
    CYRUS_ROOT.chmod(0o755)
    _MARKER.write_text(" ".join(CYRUS_PACKAGES) + "\n")


def install_command() -> str:
    return f"sudo {shlex.quote(sys.executable)} -m tests.rig.setup"


def ensure_servers() -> list[str]:
    """Install what is missing (as root) and return what was done; raise SetupError otherwise."""
    missing = missing_packages()
    need_cyrus = not cyrus_installed()
    if not missing and not need_cyrus:
        return []
    if os.geteuid() != 0:
        wanted = missing + (["Cyrus IMAP (unpacked into " + str(CYRUS_ROOT) + ")"] if need_cyrus else [])
        raise SetupError(
            f"The integration tests need {', '.join(wanted)}; install them with: {install_command()}"
        )
    done = []
    _apt("update", "-q")
    if missing:
        install_packages(missing)
        done.append("installed " + " ".join(missing))
    if need_cyrus:
        install_cyrus()
        done.append(f"unpacked Cyrus IMAP into {CYRUS_ROOT}")
    return done


def main() -> int:
    try:
        done = ensure_servers()
    except SetupError as error:
        print(error, file=sys.stderr)
        return 1
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"Installing the test servers failed: {error}", file=sys.stderr)
        return 1
    for line in done or ["test servers already installed: Dovecot, Cyrus IMAP"]:
        print(f"==> {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
