"""This install's signing credentials: a local root CA and an EC P-256 signing certificate.

Made with ``cryptography`` on first use, offline, under ``STUDIO_HOME/provenance/install/``
(private keys mode 0600; written to a temporary folder and renamed into place, so two
processes starting at once still agree on one set). A user who has their own certificate (from a CA a
verifier trusts) names it in ``provenance/signer.json``::

    {"certificate": "/path/chain.pem", "private_key": "/path/key.pem",
     "alg": "es256", "tsa_url": "http://timestamp.example"}

No timestamp authority is used unless one is configured there (Studio stays
offline by default).
"""

from __future__ import annotations

import datetime
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from studio import paths
from studio.engine.errors import StudioError
from studio.fsutil import atomic_write_bytes

ROOT_CERT = "root-ca.pem"
ROOT_KEY = "root-ca.key"
SIGNER_CERT = "signer-chain.pem"
SIGNER_KEY = "signer.key"
USER_CONFIG = "signer.json"
ORG = "Studio (this install)"
_VALID_DAYS = 3650
_lock = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    """What the signer needs: the PEM chain (leaf first), the PEM key, algorithm, optional TSA."""

    chain_pem: bytes
    key_pem: bytes
    alg: str = "es256"
    tsa_url: str | None = None
    own: bool = False  # the user's certificate rather than this install's


def folder() -> Path:
    return paths.data_dir() / "provenance"


def install_folder() -> Path:
    return folder() / "install"


def root_pem() -> bytes | None:
    """This install's root certificate (the trust anchor for its own files), once made."""
    path = install_folder() / ROOT_CERT
    return path.read_bytes() if path.is_file() else None


def _write_key(path: Path, data: bytes) -> None:
    atomic_write_bytes(path, data)
    os.chmod(path, 0o600)


def _make(out: Path) -> None:
    """A root CA and a signing leaf with the extensions C2PA validators require, written into ``out``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=_VALID_DAYS)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG)])

    def usage(sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=not sign, crl_sign=not sign, encipher_only=False, decipher_only=False,
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name("Studio local root")
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(name("Studio signer")).issuer_name(root_name)
        .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )

    def pem(cert) -> bytes:
        return cert.public_bytes(serialization.Encoding.PEM)

    def key(k) -> bytes:
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    _write_key(out / ROOT_KEY, key(root_key))
    _write_key(out / SIGNER_KEY, key(leaf_key))
    atomic_write_bytes(out / SIGNER_CERT, pem(leaf) + pem(root))
    atomic_write_bytes(out / ROOT_CERT, pem(root))


def _make_once() -> None:
    import shutil
    import tempfile

    folder().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=folder()))
    try:
        _make(tmp)
        os.chmod(tmp, 0o700)
        try:
            os.rename(tmp, install_folder())  # atomic; fails when another process got there first
        except OSError:
            if not (install_folder() / ROOT_CERT).is_file():
                raise
    except OSError as exc:
        raise StudioError(f"Could not make this install's signing certificate in {folder()}: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _user_credentials(config: Path) -> Credentials:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        chain = Path(data["certificate"]).expanduser().read_bytes()
        key = Path(data["private_key"]).expanduser().read_bytes()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StudioError(f"Cannot use the signing certificate named in {config}: {exc}") from None
    tsa = data.get("tsa_url") or None
    return Credentials(chain, key, str(data.get("alg", "es256")).lower(), tsa if isinstance(tsa, str) else None, own=True)


def load() -> Credentials:
    """The user's configured certificate, or this install's (made on first use)."""
    config = folder() / USER_CONFIG
    if config.is_file():
        return _user_credentials(config)
    base = install_folder()
    with _lock:
        if not (base / ROOT_CERT).is_file():
            _make_once()
    return Credentials((base / SIGNER_CERT).read_bytes(), (base / SIGNER_KEY).read_bytes())
