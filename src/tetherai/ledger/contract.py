"""The contract interface the ledger executes (DESIGN.md §3, "order, then execute").

Contracts are plain Python classes. Their tx functions are marked with :func:`transaction`
and get a :class:`Context` (who, which block, when, and state access) plus the tx's named
arguments; queries are marked with :func:`query` and get a read-only context. A contract
raises :class:`~tetherai.ledger.errors.ContractError` to refuse a call; the ledger then keeps
the tx in its block marked invalid with that error's code and message, and applies none of
its writes.

The ledger knows nothing of the domain. What it needs to know about members comes from a
:class:`ChannelRules` object handed to it (``contracts.membership`` provides one): who a
creator is, which version of a contract is active, the orderer's keys, the allowed clock skew.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tetherai.crypto.jcs import JSONValue
from tetherai.crypto.signature import PublicKey
from tetherai.ledger.errors import ContractError, TxInvalid
from tetherai.ledger.state import BlockState, StateReader
from tetherai.ledger.transaction import Transaction

__all__ = [
    "ChannelRules",
    "Context",
    "Contract",
    "ContractRegistry",
    "Identity",
    "NodeKey",
    "QueryContext",
    "StateReader",
    "function_kind",
    "query",
    "transaction",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated creator: the membership of the tx's time says who they are."""

    org: str
    id: str
    role: str
    cert_sha256: str
    public_key: PublicKey


@dataclass(frozen=True, slots=True)
class NodeKey:
    """An orderer's or peer's Ed25519 key and the name it signs notes with."""

    name: str
    public_key: Ed25519PublicKey


class ChannelRules(Protocol):
    """Membership facts the ledger needs to validate a tx, read from world state."""

    def authenticate(self, tx: Transaction, state: StateReader) -> Identity:
        """Resolve ``tx.creator`` to a current member, or raise :class:`TxInvalid`."""
        ...

    def contract_version(self, contract: str, state: StateReader) -> str | None:
        """The active version of ``contract``, or ``None`` when it is not installed."""
        ...

    def orderers(self, state: StateReader) -> Sequence[NodeKey]:
        """Orderers whose signature on a block header or checkpoint is accepted."""
        ...

    def peers(self, state: StateReader) -> Sequence[NodeKey]:
        """Peers whose cosignatures on checkpoints are known."""
        ...

    def max_skew_ms(self, state: StateReader) -> int:
        """How far a tx's ``ts`` may lie from its block's time."""
        ...

    def ledger_format(self, state: StateReader) -> int:
        """The ledger format the channel's configuration chose (read once, after genesis)."""
        ...


class ContractStateView(BlockState):
    """State as one tx sees it: reads see earlier writes of the block; writes are buffered.

    A contract may write only under the namespaces it declares (by default its own name,
    ``<contract name>/``), so one contract can never overwrite another's records; it may read
    everything.
    """

    def __init__(self, base: StateReader, namespaces: str | tuple[str, ...]) -> None:
        super().__init__(base)
        names = (namespaces,) if isinstance(namespaces, str) else namespaces
        self._prefixes = tuple(name + "/" for name in names)

    def put(self, key: str, value: object) -> None:
        """Write a JSON value (checked when the tx's result is canonicalized: anything else
        makes the tx invalid with ``contract.bad_output``)."""
        self._check_key(key)
        if value is None:
            raise ContractError(
                "a state value cannot be null; use delete()", code="contract.bad_write"
            )
        self.writes[key] = value  # type: ignore[assignment]

    def delete(self, key: str) -> None:
        self._check_key(key)
        self.writes[key] = None

    def _check_key(self, key: str) -> None:
        if not key.startswith(self._prefixes) or len(key) > 512:
            allowed = "', '".join(self._prefixes)
            raise ContractError(
                f"contract may only write keys under '{allowed}', not {key!r:.80}",
                code="contract.bad_write",
            )


@dataclass(frozen=True, slots=True)
class QueryContext:
    """What a query sees: the state and the block height it reads at."""

    state: StateReader
    block_number: int
    block_ts: int


@dataclass(frozen=True, slots=True)
class Context:
    """What a tx function sees. ``block_ts`` is the only clock a contract may read.

    ``installed`` is every contract version the code running the tx has and a channel may
    switch to, so a change of the channel can refuse to activate a version its peers do not
    have (or one kept only for older channels).
    """

    tx_id: str
    creator: Identity
    block_number: int
    block_ts: int
    state: ContractStateView
    installed: Mapping[str, frozenset[str]] = field(default_factory=dict)


_KIND = "__tether_kind__"


def transaction(function: F) -> F:
    """Mark a contract method as a tx function: ``def fn(self, ctx: Context, **args)``."""
    setattr(function, _KIND, "transaction")
    return function


def query(function: F) -> F:
    """Mark a contract method as a read-only query: ``def fn(self, ctx: QueryContext, **args)``."""
    setattr(function, _KIND, "query")
    return function


def function_kind(function: object) -> str | None:
    """``"transaction"`` or ``"query"`` for a marked contract function, else ``None``."""
    kind = getattr(function, _KIND, None)
    return kind if isinstance(kind, str) else None


class Contract:
    """Base class of contracts: set ``name`` and ``version``; mark functions.

    ``namespaces`` lists the key prefixes the contract may write; empty means its own name.
    ``legacy`` marks a version kept only for the channels that run it already (and for
    replaying their blocks): no channel may switch to it.
    """

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    namespaces: ClassVar[tuple[str, ...]] = ()
    legacy: ClassVar[bool] = False

    @classmethod
    def writable(cls) -> tuple[str, ...]:
        return cls.namespaces or (cls.name,)


@dataclass(frozen=True, slots=True)
class _Function:
    namespaces: tuple[str, ...]
    kind: str
    method: Callable[..., JSONValue]
    params: Mapping[str, tuple[Any, bool]]  # name -> (annotation, required)
    required: frozenset[str] = frozenset()
    allowed: Mapping[str, frozenset[type] | None] = field(default_factory=dict)
    """Each parameter's accepted value types (``None``: any), what :func:`_conforms` says of
    its annotation, worked out once instead of for every tx."""

    def bind(self, args: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
        if self.required <= args.keys():
            allowed = self.allowed
            for name, value in args.items():
                types = allowed.get(name, _EXTRA)
                if types is _EXTRA or (types is not None and type(value) not in types):
                    break
            else:
                return dict(args)
        # Something is wrong: say what, as precisely as the annotations allow.
        missing = [
            name for name, (_, required) in self.params.items() if required and name not in args
        ]
        extra = [name for name in args if name not in self.params]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(sorted(extra))}")
            raise TxInvalid(f"bad arguments: {'; '.join(parts)}", code="tx.bad_args")
        for name, value in args.items():
            annotation = self.params[name][0]
            if not _conforms(value, annotation):
                raise TxInvalid(
                    f"argument '{name}' must be {_describe(annotation)}, not {type(value).__name__}",
                    code="tx.bad_args",
                )
        return dict(args)


class ContractRegistry:
    """The contract code a ledger can run, by name and version.

    Several versions of one contract may be registered so the verifier can replay old blocks
    with the version that ran them; which one is active is a fact of world state.
    """

    def __init__(self, contracts: Sequence[Contract] = ()) -> None:
        self._functions: dict[tuple[str, str], dict[str, _Function]] = {}
        self._legacy: set[tuple[str, str]] = set()
        self._installed: dict[str, frozenset[str]] | None = None
        for contract in contracts:
            self.register(contract)

    def register(self, contract: Contract) -> None:
        key = (contract.name, contract.version)
        if key in self._functions:
            raise ValueError(f"contract {contract.name} v{contract.version} is registered twice")
        functions: dict[str, _Function] = {}
        for attribute in dir(type(contract)):
            member = getattr(contract, attribute)
            kind = getattr(member, _KIND, None)
            if kind is not None:
                params = _parameters(member)
                functions[attribute] = _Function(
                    contract.writable(),
                    kind,
                    member,
                    params,
                    frozenset(name for name, (_, required) in params.items() if required),
                    {name: _allowed_types(annotation) for name, (annotation, _) in params.items()},
                )
        self._functions[key] = functions
        if contract.legacy:
            self._legacy.add(key)
        self._installed = None

    @property
    def installed(self) -> Mapping[str, frozenset[str]]:
        """Each contract's versions a channel may switch to: registered and not legacy (what a
        tx's :class:`Context` is told)."""
        if self._installed is None:
            found: dict[str, set[str]] = {}
            for name, version in self._functions:
                if (name, version) not in self._legacy:
                    found.setdefault(name, set()).add(version)
            self._installed = {name: frozenset(versions) for name, versions in found.items()}
        return self._installed

    def versions(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for name, version in self._functions:
            result.setdefault(name, []).append(version)
        return result

    def function(self, contract: str, version: str | None, fn: str, kind: str) -> _Function:
        """Find a function, or raise :class:`TxInvalid` naming what is unknown."""
        if version is None:
            raise TxInvalid(f"unknown contract '{contract}'", code="tx.unknown_contract")
        functions = self._functions.get((contract, version))
        if functions is None:
            raise TxInvalid(
                f"contract '{contract}' v{version} is active on the channel but not installed here",
                code="tx.contract_not_installed",
                hint="upgrade tetherai on this peer",
            )
        found = functions.get(fn)
        if found is None or found.kind != kind:
            raise TxInvalid(
                f"contract '{contract}' has no {kind} function '{fn}'", code="tx.unknown_function"
            )
        return found


def _parameters(method: Callable[..., Any]) -> dict[str, tuple[Any, bool]]:
    hints = typing.get_type_hints(method)
    params: dict[str, tuple[Any, bool]] = {}
    for index, parameter in enumerate(inspect.signature(method).parameters.values()):
        if index == 0:  # the context
            continue
        required = parameter.default is inspect.Parameter.empty
        params[parameter.name] = (hints.get(parameter.name, Any), required)
    return params


_EXTRA: frozenset[type] = frozenset({type})  # marks a name that is not a parameter


def _allowed_types(annotation: Any) -> frozenset[type] | None:
    """The exact value types :func:`_conforms` accepts for ``annotation`` (``None``: any)."""
    if annotation is Any or annotation is object:
        return None
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        found: set[type] = set()
        for option in typing.get_args(annotation):
            allowed = _allowed_types(option)
            if allowed is None:
                return None
            found |= allowed
        return frozenset(found)
    if annotation is None or annotation is type(None):
        return frozenset({type(None)})
    if origin is not None:
        annotation = origin
    if annotation is int:
        return frozenset({int})
    if annotation is float:
        return frozenset({int, float})
    if annotation in (str, bool, list, dict):
        return frozenset({annotation})
    return None


def _conforms(value: object, annotation: Any) -> bool:
    """Shallow type check of a JSON argument against its annotation."""
    if annotation is Any or annotation is object:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(_conforms(value, option) for option in typing.get_args(annotation))
    if annotation is None or annotation is type(None):
        return value is None
    if origin is not None:
        annotation = origin
    if annotation is int:
        return type(value) is int
    if annotation is float:
        return type(value) in (int, float)
    if annotation in (str, bool, list, dict):
        return type(value) is annotation
    return True


def _describe(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_describe(option) for option in typing.get_args(annotation))
    if annotation is type(None):
        return "null"
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true or false",
        list: "a list",
        dict: "an object",
    }
    return names.get(origin or annotation, str(annotation))
