"""What a PDF could do when it is opened: run a script, start a program, carry files, act by itself, play media.

A filter over the bytes, not a parser: a reader that recovers a broken file differently from a parser of ours
could show objects that parser never saw, but every object is in the bytes. Names are searched with their `#xx`
escapes decoded, in the file as it is and in every Flate-compressed object stream, inflated with zlib (no
dependency and no second PDF parser on the upload path). Short names (/JS, /AA, /XFA) count only with a value after
them and only in PDF syntax, so binary image data cannot trigger them by chance. Not undone: LZW or ASCII filters and
PNG predictors on an object stream (modern writers use plain Flate for them).
"""

import re
import zlib

WHITESPACE = b"\0\t\n\f\r "
_WHITE = rb"[\0\t\n\f\r ]"
_SPACE = rb"(?:[\0\t\n\f\r ]|%[^\r\n]*[\r\n])"  # whitespace, comments included, as a PDF tokenizer skips it
_REGULAR = rb"[^\0\t\n\f\r /<>\[\]()%{}]"  # a character that continues a name
#: names that make a reader act, whatever follows them
LONG = re.compile(rb"/(JavaScript|Launch|EmbeddedFiles?|RichMedia|Encrypt)(?!" + _REGULAR + rb")")
#: short names, counted only as a dictionary entry: a string, dictionary, array or reference after them
SHORT = re.compile(rb"/(JS|AA|XFA)" + _SPACE + rb"*(?:[(<\[]|\d+" + _SPACE + rb"+\d+" + _SPACE + rb"+R)")
REASONS = {b"JavaScript": "script", b"JS": "script", b"Launch": "launch", b"EmbeddedFile": "embedded",
           b"EmbeddedFiles": "embedded", b"AA": "actions", b"RichMedia": "media", b"XFA": "xfa",
           b"Encrypt": "encrypted"}
ESCAPED_NAME = re.compile(rb"/" + _REGULAR + rb"*#" + _REGULAR + rb"*")
STREAM = re.compile(rb"stream(?:\r\n|[\r\n])")
STREAM_BODY = re.compile(rb">>" + _WHITE + rb"*stream(?:\r\n|[\r\n]).*?endstream", re.S)  # after its dictionary
#: an object stream begins with the numbers of its first object and that object's offset
OBJECT_STREAM_HEAD = re.compile(_SPACE + rb"*+[+-]?\d+" + _SPACE + rb"+[+-]?\d")
#: only whitespace and comments so far (the group: a comment still open at the end)
STILL_SPACE = re.compile(_SPACE + rb"*+(%[^\r\n]*)?\Z")
#: the start of such a head, cut short
MAYBE_HEAD = re.compile(_SPACE + rb"*+(?:[+-]?\d*|[+-]?\d+" + _SPACE + rb"*(?:%[^\r\n]*)?|[+-]?\d+" + _SPACE
                        + rb"+[+-])\Z")
#: a head still undecided after this many bytes is not one a writer makes
MAX_HEAD = 1 << 16


class TooCompressed(ValueError):
    """More inflated bytes than the limit: a compression bomb, or more than the cabinet will look through."""


def active_content(data: bytes, limit: int) -> str | None:
    """Why the PDF is refused ("script", "launch", "embedded", "actions", "media", "xfa", "encrypted", or
    "unchecked" past `limit` inflated bytes), or None when it only shows pages."""
    try:
        syntax = [STREAM_BODY.sub(b">> ", data), *_object_streams(data, limit)]
    except TooCompressed:
        return "unchecked"
    found = LONG.search(_unescaped(data))
    for text in syntax:
        text = _unescaped(text)
        found = found or SHORT.search(text) or LONG.search(text)
    return REASONS[found.group(1)] if found else None


def _unescaped(text: bytes) -> bytes:
    """/J#61vaScript is /JavaScript to a reader."""
    return ESCAPED_NAME.sub(lambda name: re.sub(rb"#([0-9A-Fa-f]{2})", lambda h: bytes([int(h[1], 16)]), name[0]),
                            text)


def _object_streams(data: bytes, limit: int):
    """The inflated text of every Flate stream that begins as an object stream does; others are left after 1 KB."""
    view = memoryview(data)
    for keyword in STREAM.finditer(data):
        inflater, pending, head, pieces, size = zlib.decompressobj(), view[keyword.end():], b"", None, 1024
        try:
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, size)
                pending, limit = inflater.unconsumed_tail, limit - len(piece)
                if limit < 0:
                    raise TooCompressed
                if not piece:
                    break
                if pieces is not None:
                    pieces.append(piece)
                    continue
                head, size = (head + piece).lstrip(WHITESPACE), 1 << 16
                if head[:1] == b"%" and b"\n" not in head and b"\r" not in head:
                    head = b"%"  # inside a comment that pads the start
                elif OBJECT_STREAM_HEAD.match(head):
                    pieces, size = [head], 1 << 20
                elif space := STILL_SPACE.match(head):  # comments may pad the start: keep only an open one
                    head = b"%" if space[1] else b""
                elif not MAYBE_HEAD.match(head):
                    break  # image data, a font, a page's drawing: nothing a reader takes for objects
                elif len(head) > MAX_HEAD:
                    raise TooCompressed
        except zlib.error:
            pass  # not Flate, or broken: what inflated so far is kept
        if pieces:
            yield b"".join(pieces)
