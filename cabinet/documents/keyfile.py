"""The operator's signing key file: found, made for development, and checked at a production start.

Only the `cryptography` package, already loaded by the audit checkpoints: a worker checks the key at start without
loading pyHanko, which `signing` brings in with the first document signed.
"""

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app

DEV_PKCS12 = "signing-dev.p12"
DEV_CERTIFICATE = "signing-dev.pem"


def pkcs12_path(app=None) -> Path:
    """The configured PKCS#12 file; in development and tests a self-signed one made in the instance folder."""
    app = app or current_app
    configured = app.config.get("SIGNING_PKCS12")
    if configured:
        return Path(configured)
    if app.config.get("ENV") == "production":
        raise RuntimeError("CABINET_SIGNING_PKCS12 must name the operator's PKCS#12 file when CABINET_ENV=production")
    path = Path(app.instance_path) / DEV_PKCS12
    if not path.exists():
        make_dev_certificate(path, app.config["OPERATOR_NAME"])
    return path


def read(path: Path, password) -> tuple:
    """The private key, its certificate and the rest of the chain in the file; a clear error for anything else."""
    passphrase = str(password).encode() if password not in (None, "") else None
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase)
    except (OSError, ValueError) as error:
        raise RuntimeError(f"cannot read the signing key and certificate from {path}: {error}") from error
    if key is None or certificate is None:
        raise RuntimeError(f"{path} must hold the operator's private key and its certificate")
    return key, certificate, others


def make_dev_certificate(path: Path, operator: str) -> Path:
    """A self-signed certificate and RSA key for development, as PKCS#12 (no password) with the PEM beside it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{operator} (development)"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
    now = datetime.now(UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    bundle = pkcs12.serialize_key_and_certificates(b"cabinet-development", key, certificate, None,
                                                   serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, bundle)
    made = pkcs12.load_pkcs12(path.read_bytes(), None).cert.certificate  # the file that won a race, if any
    _write_atomically(path.with_name(DEV_CERTIFICATE), made.public_bytes(serialization.Encoding.PEM))
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    """Two processes making the development key at once each leave a whole file, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    os.replace(temporary, path)


def init_app(app) -> None:
    """Production reads the key at start, so a missing file or a wrong password stops it before any request."""
    if app.config.get("ENV") == "production" and app.config.get("SIGNING_ENABLED", True):
        read(pkcs12_path(app), app.config.get("SIGNING_PKCS12_PASSWORD"))
