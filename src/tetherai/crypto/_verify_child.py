"""The worker side of :mod:`tetherai.crypto.verify_workers`, in a module of its own.

A worker starts by importing this module alone: the pipe framing and the checking loop need
only ``pickle``, ``struct`` and the signature code, not the parent's threads, queues and
``subprocess`` (which were about a quarter of each worker's start-up CPU).

Frames on both pipes are a 4-byte big-endian length and that many bytes.
"""

from __future__ import annotations

import pickle
import struct
import sys
from typing import IO

__all__ = ["read_frame", "serve", "write_frame"]

_LENGTH = struct.Struct(">I")


def write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or ``None`` when the stream ends before it is whole."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        return None
    return data


def serve() -> None:  # pragma: no cover - runs in the child process (tests drive it there)
    """The worker: answer requests on stdin until it closes.

    A request is a pickle of ``(keys as DER, [(key index, signature, data), ...])`` written by
    the parent (the child trusts its parent, and never unpickles anything else); a reply is one
    byte (1 valid, 0 not) per item.
    """
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from tetherai.crypto.errors import SignatureError
    from tetherai.crypto.signature import PublicKey, verify

    keys: dict[bytes, PublicKey] = {}

    def valid(key: PublicKey, sig: bytes, data: bytes) -> int:
        try:
            verify(key, sig, data)
        except SignatureError:
            return 0
        return 1

    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_frame(reader)) is not None:
        ders, items = pickle.loads(request)  # noqa: S301 - written by the parent process
        loaded: list[PublicKey] = []
        for der in ders:
            if der not in keys:
                keys[der] = load_der_public_key(der)  # type: ignore[assignment]
            loaded.append(keys[der])
        write_frame(writer, bytes(valid(loaded[index], sig, data) for index, sig, data in items))
