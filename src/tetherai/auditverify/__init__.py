"""A standalone verifier of tetherai audit bundles (docs/audit-bundle.md).

It imports only the standard library and ``cryptography`` and nothing else of tetherai, so
anyone can copy this package and check a bundle without our server, database or code:
``python -m auditverify BUNDLE [--trust ROOTS] [--since CHECKPOINT]`` (or ``tether audit
verify``). Exit status 0: verified; 1: verification failed; 2: usage.
"""

from .scope import FORMAT, FORMATS, history_roots, in_scope
from .trust import Trust
from .verdict import BundleTx, Problem, Transition, Verdict
from .verify import verify_bundle

__all__ = [
    "FORMAT",
    "FORMATS",
    "BundleTx",
    "Problem",
    "Transition",
    "Trust",
    "Verdict",
    "history_roots",
    "in_scope",
    "verify_bundle",
]
