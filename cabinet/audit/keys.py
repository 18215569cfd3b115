"""The audit trail's secrets, all from configuration, never from the database: MAC keys and checkpoint signing keys."""

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

#: the key id of the development key derived from SECRET_KEY
DEVELOPMENT_KEY_ID = "dev"
MIN_KEY_LENGTH = 32


class MissingKey(LookupError):
    """An event names a key id that the configuration does not hold."""


def development_key(secret_key: str) -> str:
    """A MAC key for development and tests, derived from SECRET_KEY so that it needs no configuration."""
    return hmac.new(str(secret_key).encode(), b"cabinet audit chain key", hashlib.sha256).hexdigest()


class MacKey:
    """HMAC-SHA256 (RFC 2104) with the key's inner and outer hash states made once; mac() copies them per event."""

    def __init__(self, secret: bytes):
        block = (hashlib.sha256(secret).digest() if len(secret) > 64 else secret).ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def mac(self, message: bytes) -> str:
        inner = self.inner.copy()
        inner.update(message)
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def mac_bases(app=None) -> dict:
    """A MacKey per configured key id, its hash states made once; each event copies them."""

    app = app or current_app._get_current_object()
    keys = app.config["AUDIT_KEYS"]
    cached = app.extensions.get("audit_macs")
    if cached is None or cached[0] is not keys:
        bases = {str(key_id): MacKey(str(secret).encode()) for key_id, secret in keys.items()}
        cached = app.extensions["audit_macs"] = (keys, bases)
    return cached[1]


def mac_base(key_id: str):
    try:
        return mac_bases()[key_id]
    except KeyError:
        raise MissingKey(key_id) from None


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """A short name of a public key, written in each checkpoint so verification knows which key to use."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signing_key(app=None) -> Ed25519PrivateKey:
    """The checkpoint signing key: AUDIT_SIGNING_KEY (a PEM file), or in development one made in the instance folder."""
    app = app or current_app._get_current_object()
    if "audit_signing_key" not in app.extensions:
        configured = app.config.get("AUDIT_SIGNING_KEY")
        path = Path(configured or Path(app.instance_path) / "audit_signing_key.pem")
        app.extensions["audit_signing_key"] = _load_or_create(path, create=not configured)
    return app.extensions["audit_signing_key"]


def _load_or_create(path: Path, *, create: bool) -> Ed25519PrivateKey:
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:  # two workers starting together: the first file wins, the other reads it
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
        except FileExistsError:
            pass
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path} is not an Ed25519 private key (AUDIT_SIGNING_KEY)")
    return key


def verify_keys(app=None) -> dict[str, Ed25519PublicKey]:
    """The public keys checkpoints may be signed with, by fingerprint: AUDIT_VERIFY_KEYS and the signing key's own."""
    app = app or current_app._get_current_object()
    if "audit_verify_keys" not in app.extensions:
        configured = app.config.get("AUDIT_VERIFY_KEYS") or []
        paths = [configured] if isinstance(configured, str | Path) else list(configured)
        keys = []
        for path in paths:
            key = serialization.load_pem_public_key(Path(path).read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise RuntimeError(f"{path} is not an Ed25519 public key (AUDIT_VERIFY_KEYS)")
            keys.append(key)
        keys.append(signing_key(app).public_key())
        app.extensions["audit_verify_keys"] = {fingerprint(key): key for key in keys}
    return app.extensions["audit_verify_keys"]


def public_pem(app=None) -> bytes:
    """The signing key's public half, for the auditor and for AUDIT_VERIFY_KEYS after a rotation."""
    return signing_key(app).public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)


def settle_config(cfg, instance: Path) -> None:
    """The audit MAC keys (a development key from SECRET_KEY when none are set) and the checkpoint file; the app
    factory calls it after cabinet.config has settled the rest."""
    if not cfg.get("AUDIT_KEYS"):
        cfg["AUDIT_KEYS"] = {DEVELOPMENT_KEY_ID: development_key(cfg["SECRET_KEY"])}
        cfg["AUDIT_KEY_ID"] = cfg.get("AUDIT_KEY_ID") or DEVELOPMENT_KEY_ID
    keys = cfg["AUDIT_KEYS"]
    if not isinstance(keys, dict) or not all(isinstance(v, str) and v for v in keys.values()):
        raise RuntimeError('CABINET_AUDIT_KEYS must be a JSON object of key ids and secrets: {"2026a": "…"}')
    if not cfg.get("AUDIT_KEY_ID") and len(keys) == 1:
        cfg["AUDIT_KEY_ID"] = next(iter(keys))
    if cfg.get("AUDIT_KEY_ID") not in keys:
        raise RuntimeError("CABINET_AUDIT_KEY_ID must name one of the keys in CABINET_AUDIT_KEYS")
    if any(len(str(key_id)) > 32 for key_id in keys):
        raise RuntimeError("CABINET_AUDIT_KEYS: key ids are at most 32 characters")
    explicit_file = bool(cfg.get("AUDIT_CHECKPOINT_FILE"))
    cfg["AUDIT_CHECKPOINT_FILE"] = str(cfg.get("AUDIT_CHECKPOINT_FILE") or instance / "audit-checkpoints.jsonl")
    if cfg.get("TESTING") and not explicit_file:
        # a test's throw-away database must not leave checkpoints in the developer's instance folder
        cfg["AUDIT_CHECKPOINT_EVERY_EVENTS"] = cfg["AUDIT_CHECKPOINT_EVERY_SECONDS"] = 0
