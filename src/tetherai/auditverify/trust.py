"""Trust anchors an auditor pins: checkpoint signer keys (vkeys) and CA root certificates."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from . import notes
from .certs import load_pem

__all__ = ["Trust"]

_BEGIN = "-----BEGIN CERTIFICATE-----"
_END = "-----END CERTIFICATE-----"


@dataclass
class Trust:
    """Keys and CA roots the auditor pins (``--trust``): a text of vkey lines and PEM blocks."""

    keys: list[notes.NoteKey] = field(default_factory=list)
    roots: list[x509.Certificate] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str) -> Trust:
        """Raises ValueError naming the line that is neither a vkey nor part of a PEM block."""
        trust = cls()
        block: list[str] | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if block is not None:
                block.append(line)
                if line == _END:
                    trust.roots.append(load_pem("\n".join(block) + "\n", f"line {number}"))
                    block = None
            elif line == _BEGIN:
                block = [line]
            elif line and not line.startswith("#"):
                try:
                    trust.keys.append(notes.NoteKey.from_vkey(line))
                except notes.NoteFailure as error:
                    raise ValueError(f"trust file line {number}: {error}") from error
        if block is not None:
            raise ValueError("trust file: a PEM certificate is not terminated")
        if not trust.keys and not trust.roots:
            raise ValueError("the trust file names no vkey and no CA certificate")
        return trust

    def to_text(self) -> str:
        """The trust file: what :meth:`from_text` reads back."""
        lines = ["# tetherai audit trust anchors: checkpoint signer keys (vkeys), then CA roots"]
        lines += [key.vkey for key in self.keys]
        text = "\n".join(lines) + "\n"
        return text + "".join(root.public_bytes(Encoding.PEM).decode() for root in self.roots)
