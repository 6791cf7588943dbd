"""Signature checks in child interpreters that import only what checking needs.

A ``ProcessPoolExecutor`` (forkserver or spawn) starts every worker by importing the parent's
``__main__`` again: for the command line that is the whole application, about half a second of
CPU per worker, which is more than a verifier of a 20,000-tx ledger spends on anything else
but the checks themselves. The workers here run :mod:`tetherai.crypto._verify_child` alone
(about 0.03 s: libsodium), take chunks of ``(key, signature, data)`` over a pipe and answer
with one byte per item, in order. Keys travel as raw Ed25519 bytes or as DER (P-256):
:func:`worker_key`.

Frames on both pipes are a 4-byte big-endian length and that many bytes. A request is a pickle
of ``(keys, [(key index, signature, data), ...])`` written by the parent (the child trusts its
parent, and never unpickles anything else); a reply is one byte (1 valid, 0 not) per item.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tetherai.crypto._verify_child import read_frame, write_frame
from tetherai.crypto.signature import PublicKey

__all__ = ["VerifyWorkers", "WorkerGone", "run_workers_on", "worker_key"]

_Item = tuple[int, bytes, bytes]
_Job = tuple[bytes, "Future[list[bool]]"]

_worker_cpus: frozenset[int] = frozenset()


def run_workers_on(cpus: Collection[int]) -> None:
    """Run the worker processes started from now on on ``cpus`` (empty: where their parent
    runs). A server whose threads share one core (``tetherai.http.process``) gives its
    workers back the others: they hold no lock in common with it."""
    global _worker_cpus  # one setting of the process, made at its start
    _worker_cpus = frozenset(cpus)


def worker_key(public_key: PublicKey) -> bytes:
    """``public_key`` as :meth:`VerifyWorkers.submit` takes it: an Ed25519 key as its 32 raw
    bytes (a worker checks those with libsodium alone), a P-256 key as DER."""
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


class WorkerGone(RuntimeError):
    """A worker process ended before answering (killed, or out of memory)."""


class VerifyWorkers:
    """``workers`` child processes checking signatures; :meth:`submit` returns a future."""

    def __init__(self, workers: int = 2) -> None:
        root = str(Path(__file__).resolve().parents[2])  # the directory holding tetherai/
        code = (
            f"import sys; sys.path.insert(0, {root!r}); "
            "from tetherai.crypto._verify_child import serve; serve()"
        )
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._processes: list[subprocess.Popen[bytes]] = []
        self._threads: list[threading.Thread] = []
        for number in range(max(1, workers)):
            process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed code
                [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            self._processes.append(process)
            if _worker_cpus:
                with contextlib.suppress(OSError):  # ended already, or the CPUs were taken away
                    os.sched_setaffinity(process.pid, _worker_cpus)
            # A writer and a reader per worker, so the next chunk is already in its pipe when
            # it answers the last (the threads need the GIL, which the parent keeps busy).
            sent: queue.SimpleQueue[Future[list[bool]] | None] = queue.SimpleQueue()
            for target, role in ((self._send, "send"), (self._receive, "receive")):
                thread = threading.Thread(
                    target=target,
                    args=(process, sent),
                    name=f"tether-verify-{number}-{role}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def submit(self, keys: Sequence[bytes], items: Sequence[_Item]) -> Future[list[bool]]:
        """Check ``items`` (key index into ``keys``, each from :func:`worker_key`; signature;
        signed data) on a worker.

        The future's result is one bool per item; it raises :class:`WorkerGone` if the worker
        ended first.
        """
        future: Future[list[bool]] = Future()
        self._jobs.put((pickle.dumps((list(keys), list(items)), protocol=5), future))
        return future

    def shutdown(self) -> None:
        """Let the workers finish what was submitted, then stop them."""
        for _ in self._processes:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        for process in self._processes:
            process.wait()
            if process.stdout is not None:
                process.stdout.close()

    def _send(
        self, process: subprocess.Popen[bytes], sent: queue.SimpleQueue[Future[list[bool]] | None]
    ) -> None:
        """Hand the worker the next chunk, until :meth:`shutdown`; then close its input."""
        writer = process.stdin
        assert writer is not None
        gone: OSError | None = None
        while (job := self._jobs.get()) is not None:
            request, future = job
            if gone is None:
                try:
                    write_frame(writer, request)
                except OSError as error:
                    gone = error
            if gone is not None:
                future.set_exception(WorkerGone(f"a signature worker process has ended: {gone}"))
            else:
                sent.put(future)
        sent.put(None)
        with contextlib.suppress(OSError):  # the worker may have ended already
            writer.close()

    def _receive(
        self, process: subprocess.Popen[bytes], sent: queue.SimpleQueue[Future[list[bool]] | None]
    ) -> None:
        """Resolve each sent chunk's future with the worker's answer, in order."""
        reader = process.stdout
        assert reader is not None
        gone: WorkerGone | None = None
        while (future := sent.get()) is not None:
            if gone is None:
                try:
                    reply = _read_frame(reader)
                except (OSError, WorkerGone) as error:
                    gone = WorkerGone(f"a signature worker process has ended: {error}")
            if gone is not None:
                future.set_exception(gone)
            else:
                future.set_result([byte == 1 for byte in reply])


def _read_frame(stream: IO[bytes]) -> bytes:
    data = read_frame(stream)
    if data is None:
        raise WorkerGone("end of stream")
    return data
