"""What the session's apps compile alike, compiled once: their templates and their routes' URL builders.

Templates: every app a test builds compiles the templates it renders, once per language, with that language's
translations folded in (cabinet.templating). The compiled code depends on the template's source, the language and
the compiled catalog it was folded from, nothing else an app is configured with; so it is keyed by all three (the
catalog by its content), and an app with other catalogs (marked_catalogs, a translator's save) compiles its own.
"""

import hashlib
import os
from pathlib import Path

from flask_babel import get_babel
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.routing import Rule


class SharedTemplates(BytecodeCache):
    def __init__(self):
        self.code: dict[str, bytes] = {}
        self.catalogs: dict[tuple, str] = {}  # a catalog file's stamp → the hash of its content

    def get_bucket(self, environment, name, filename, source):
        catalog = self._catalog(environment)
        key = f"{environment.language}:{catalog}:{self.get_cache_key(name, filename)}"
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        bucket.shared = catalog is not None
        if bucket.shared:
            self.load_bytecode(bucket)
        return bucket

    def set_bucket(self, bucket):
        if bucket.shared:
            self.dump_bytecode(bucket)

    def load_bytecode(self, bucket):
        if (code := self.code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()

    def _catalog(self, environment) -> str | None:
        """The hash of the compiled catalog the overlay's translations come from; None (not shared) outside an
        overlay or where the file cannot be read."""
        if environment.language is None:
            return None
        hashes = []
        for folder in get_babel(environment.app).translation_directories:
            path = Path(folder, environment.language, "LC_MESSAGES", "messages.mo")
            try:
                found = os.stat(path)
                stamp = (str(path), found.st_ino, found.st_mtime_ns, found.st_size)
                if stamp not in self.catalogs:
                    self.catalogs[stamp] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                return None
            hashes.append(self.catalogs[stamp])
        return hashlib.sha256(" ".join(hashes).encode()).hexdigest() if hashes else None


#: the session's (each xdist worker's) one cache
SHARED = SharedTemplates()


def sharing(app):
    """The app with the session's compiled templates (before it compiles any: overlays copy the setting)."""
    app.jinja_env.bytecode_cache = SHARED
    return app


def share_url_builders() -> None:
    """Each route's URL builders compiled once per process, not once per app (a quarter of building an app).

    Werkzeug compiles two small functions for every rule of every app (`Rule._compile_builder`, through Python's
    `ast` and `compile`). Such a function reads nothing of its rule but the rule's text and converters at call time
    (it gets the rule as its first argument), so rules with the same text and parts can share one; a rule with
    defaults folds them into the code, and compiles its own.
    """
    compile_builder = Rule._compile_builder
    if getattr(compile_builder, "shared", False):
        return
    builders = {}

    def shared(rule, append_unknown=True):
        if rule.defaults:
            return compile_builder(rule, append_unknown)
        key = (rule.rule, tuple(rule._trace), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    shared.shared = True
    Rule._compile_builder = shared
