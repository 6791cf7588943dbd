"""The worker side of :mod:`tetherai.crypto.verify_workers`, in a module of its own.

A worker starts by importing this module alone: the pipe framing and the checking loop need
only ``pickle``, ``struct`` and libsodium, not the parent's threads, queues and ``subprocess``,
nor ``cryptography`` until a P-256 key comes (together about two thirds of a worker's start-up
CPU, which counts on a 20,000-tx ledger).

Frames on both pipes are a 4-byte big-endian length and that many bytes.
"""

from __future__ import annotations

import pickle
import struct
import sys
from typing import IO

from tetherai.crypto._ed25519 import ED25519_KEY_BYTES, ed25519_valid

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

    A request is a pickle of ``(keys, [(key index, signature, data), ...])`` written by the
    parent (the child trusts its parent, and never unpickles anything else). A key of
    ``ED25519_KEY_BYTES`` (32) bytes is a raw Ed25519 key, checked by libsodium alone; any
    other is a DER SubjectPublicKeyInfo (P-256), for which ``cryptography`` is imported when
    the first one comes. A reply is one byte (1 valid, 0 not) per item.
    """
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_frame(reader)) is not None:
        keys, items = pickle.loads(request)  # noqa: S301 - written by the parent process
        reply = bytearray(len(items))
        for number, (index, sig, data) in enumerate(items):
            key = keys[index]
            if len(key) == ED25519_KEY_BYTES:
                reply[number] = ed25519_valid(key, sig, data)
            else:
                reply[number] = _der_valid(key, sig, data)
        write_frame(writer, bytes(reply))


_loaded: dict[bytes, object] = {}


def _der_valid(der: bytes, sig: bytes, data: bytes) -> bool:  # pragma: no cover - child
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from tetherai.crypto.errors import SignatureError
    from tetherai.crypto.signature import verify

    key = _loaded.get(der)
    if key is None:
        key = _loaded[der] = load_der_public_key(der)
    try:
        verify(key, sig, data)  # type: ignore[arg-type]
    except SignatureError:
        return False
    return True
