"""References the CLI and SDK take: ``ORG/PROJECT`` and ``ORG/PROJECT/VERSION``."""

from __future__ import annotations

from tetherai.client.errors import ClientError
from tetherai.names import is_name

__all__ = ["parse_participant", "parse_project", "parse_ref", "parse_version"]


def parse_project(ref: str) -> tuple[str, str]:
    """``"Org1/digits"`` → ``("Org1", "digits")``."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(is_name(p) for p in parts):
        raise ClientError(
            f"{ref!r} is not a project reference", hint="write it as ORG/PROJECT, e.g. Org1/digits"
        )
    return parts[0], parts[1]


def parse_participant(ref: str) -> tuple[str, str]:
    """``"Org1/bob"`` → ``("Org1", "bob")``: a person, by the one name rule."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(is_name(p) for p in parts):
        raise ClientError(f"{ref!r} is not a person", hint="write it as ORG/ID, e.g. Org1/bob")
    return parts[0], parts[1]


def parse_version(ref: str) -> tuple[str, str]:
    """``"Org1/digits/v1"`` → ``("Org1/digits", "v1")``."""
    parts = ref.split("/")
    if len(parts) != 3 or not all(is_name(p) for p in parts):
        raise ClientError(
            f"{ref!r} is not a version reference",
            hint="write it as ORG/PROJECT/VERSION, e.g. Org1/digits/v1",
        )
    return f"{parts[0]}/{parts[1]}", parts[2]


def parse_ref(ref: str) -> tuple[str, str | None]:
    """A project or a version: ``"Org1/digits"`` → ``("Org1/digits", None)``,
    ``"Org1/digits/v1"`` → ``("Org1/digits", "v1")`` (what ``tether audit`` takes)."""
    parts = ref.split("/")
    if len(parts) not in (2, 3) or not all(is_name(p) for p in parts):
        raise ClientError(
            f"{ref!r} is not a project or version reference",
            hint="write it as ORG/PROJECT or ORG/PROJECT/VERSION, e.g. Org1/digits/v1",
        )
    return f"{parts[0]}/{parts[1]}", parts[2] if len(parts) == 3 else None
