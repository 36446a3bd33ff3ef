"""Read a file of JSON statements one at a time: a JSON array, or JSON Lines (any sequence of
JSON values separated by white space). Memory holds one statement, not the file."""

import codecs
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_BYTES = 64 * 1024
#: One statement larger than this is refused rather than read into memory.
MAX_VALUE_CHARS = 16 * 1024 * 1024

_decoder = json.JSONDecoder()
_WHITESPACE = " \t\r\n"


class ReadError(Exception):
    """The file is not JSON where it says (``where``: ``line 4, column 2``)."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Value:
    """One statement and where it is: ``element 3 (line 45)`` in an array, ``line 7`` in JSON
    Lines."""

    where: str
    data: object


class HashingReader:
    """Wrap a binary file, keeping the SHA-256 of what was read, how many bytes, and how many
    records the format's reader took from it (``on_records`` hears the count now and then)."""

    #: How often ``on_records`` hears the count.
    RECORDS_EVERY = 1000

    def __init__(
        self,
        stream: BinaryIO,
        progress: Callable[[int], None] | None = None,
        on_records: Callable[[int], None] | None = None,
    ):
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self.records = 0
        self.progress = progress
        self.on_records = on_records
        self.drained = False

    def count_record(self) -> None:
        self.records += 1
        if self.on_records is not None and self.records % self.RECORDS_EVERY == 0:
            self.on_records(self.records)

    def read(self, size: int) -> bytes:
        if self.drained:
            # The digest is complete (a zip's members are then read from the stream itself).
            return b""
        data = self.stream.read(size)
        self.sha256.update(data)
        self.bytes_read += len(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data

    def drain(self) -> None:
        """Read what is left, so the digest covers the whole file."""
        while self.read(CHUNK_BYTES):
            pass
        self.drained = True


class _Buffer:
    def __init__(self, reader: HashingReader):
        self.reader = reader
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.pos = 0
        self.line = 1  # line number of text[0]
        self.line_start = 0  # offset in text where that line starts (may be negative)
        self.eof = False

    def more(self, size: int = CHUNK_BYTES) -> bool:
        if self.eof:
            return False
        data = self.reader.read(size)
        try:
            chunk = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise ReadError(self.where(), f"the file is not UTF-8 text ({exc.reason}).") from None
        if not data:
            self.eof = True
        if self.pos > CHUNK_BYTES:
            self._trim()
        self.text += chunk
        return bool(data)

    def _trim(self) -> None:
        consumed = self.text[: self.pos]
        newlines = consumed.count("\n")
        if newlines:
            self.line += newlines
            self.line_start = consumed.rfind("\n") + 1
        self.line_start -= self.pos
        self.text = self.text[self.pos :]
        self.pos = 0

    def where(self, offset: int | None = None) -> str:
        offset = self.pos if offset is None else offset
        before = self.text[:offset]
        newlines = before.count("\n")
        line = self.line + newlines
        start = before.rfind("\n") + 1 if newlines else self.line_start
        return f"line {line}, column {offset - start + 1}"

    def line_of(self, offset: int) -> int:
        return self.line + self.text.count("\n", 0, offset)

    def skip_whitespace(self) -> str:
        """The next character that is not white space (``""`` at the end of the file)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def value(self) -> object:
        """Decode the JSON value at ``pos``, reading more of the file until it is complete.

        Each attempt decodes from the value's start, so each read doubles what is held of it:
        a value of n characters is decoded O(log n) times, O(n) work in all (a chunk at a
        time would be O(n²) for one large statement)."""
        size = CHUNK_BYTES
        while True:
            try:
                data, end = _decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if not self.eof and len(self.text) - self.pos < MAX_VALUE_CHARS:
                    self.more(max(size, len(self.text) - self.pos))
                    size *= 2
                    continue
                where = self.where(exc.pos)
                raise ReadError(where, f"invalid JSON at {where}: {exc.msg}.") from None
            except RecursionError:
                raise ReadError(self.where(), "the JSON is nested too deeply.") from None
            # A number at the end of what was read so far may go on in the next chunk.
            if end == len(self.text) and not self.eof:
                self.more(size)
                continue
            self.pos = end
            return data


def json_values(reader: HashingReader) -> Iterator[Value]:
    """The statements of the file in order, each with where it is; ``ReadError`` where the
    file stops being JSON."""
    buffer = _Buffer(reader)
    first = buffer.skip_whitespace()
    if first == "":
        raise ReadError("line 1", "the file is empty.")
    if first not in "[{":
        raise ReadError(buffer.where(), _not_json(buffer))
    if first != "[":
        while buffer.skip_whitespace():
            label = f"line {buffer.line_of(buffer.pos)}"
            value = Value(label, _value_at(buffer, label))
            reader.count_record()
            yield value
        return
    buffer.pos += 1
    index = 0
    while True:
        char = buffer.skip_whitespace()
        if char == "]" and index == 0:
            buffer.pos += 1
            break
        if char == "":
            raise ReadError(buffer.where(), "invalid JSON: the array is not closed.")
        label = f"element {index} (line {buffer.line_of(buffer.pos)})"
        value = Value(label, _value_at(buffer, label))
        reader.count_record()
        yield value
        index += 1
        char = buffer.skip_whitespace()
        if char == ",":
            buffer.pos += 1
            continue
        if char == "]":
            buffer.pos += 1
            break
        raise ReadError(buffer.where(), "invalid JSON: expected “,” or “]” after an element.")
    if buffer.skip_whitespace():
        raise ReadError(buffer.where(), "invalid JSON: more data after the array.")


def _not_json(buffer: _Buffer) -> str:
    """Why a file that starts with neither ``[`` nor ``{`` is refused: it is not JSON
    statements — and what it looks like instead, when that is plain."""
    head = buffer.text[buffer.pos : buffer.pos + 200].split("\n", 1)[0].strip()
    if head.startswith("<"):
        looks = "it is XML"
    elif "," in head or ";" in head or "\t" in head:
        looks = "it looks like CSV"
    else:
        looks = "it does not start with “[” or “{”"
    shown = head[:40] + ("…" if len(head) > 40 else "")
    return (
        f"the file is not JSON statements ({looks}: “{shown}”); BODS is a JSON array or JSON Lines."
    )


def _value_at(buffer: _Buffer, label: str) -> object:
    """The value starting at ``label``; an error names that statement and the exact spot."""
    try:
        return buffer.value()
    except ReadError as exc:
        raise ReadError(label, exc.message) from None
