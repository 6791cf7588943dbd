"""ledger layer (DESIGN.md §3): txs, blocks, Merkle log, proofs, checkpoints, state, peer, verifier.

It runs whatever contracts it is given and knows nothing of the domain.
"""

from tetherai.ledger.block import (
    GENESIS_PREV_HASH,
    Block,
    BlockCommit,
    BlockHeader,
    txs_root,
)
from tetherai.ledger.checkpoint import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)
from tetherai.ledger.contract import (
    ChannelRules,
    Context,
    Contract,
    ContractRegistry,
    Identity,
    NodeKey,
    QueryContext,
    StateReader,
    query,
    transaction,
)
from tetherai.ledger.errors import (
    BlockRejected,
    CheckpointError,
    ContractError,
    LedgerError,
    MalformedTx,
    ProofError,
    StoreError,
    TxInvalid,
    TxRejected,
    VerificationFailed,
)
from tetherai.ledger.executor import (
    CRASHED,
    BlockOutcome,
    TxResult,
    crashed_message,
    execute_block,
    validate_envelope,
)
from tetherai.ledger.legacy import (
    same_legacy_value,
    v1_crashed_result,
)
from tetherai.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    NodeReader,
    leaf_hash,
    node_hash,
    root_at,
    subtree_hash,
)
from tetherai.ledger.peer import (
    Head,
    Peer,
    verify_orderer_signature,
)
from tetherai.ledger.proofs import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from tetherai.ledger.results import (
    LEDGER_FORMAT,
    LEDGER_FORMATS,
    chain_state_root,
    result_hashes,
    results_commitment,
    results_proof,
)
from tetherai.ledger.signatures import (
    PendingChecks,
    SignatureChecker,
)
from tetherai.ledger.sqlite_store import (
    SqliteLedgerStore,
    StoredBlock,
    StoredTx,
    encode_value,
)
from tetherai.ledger.state import (
    BlockState,
    MemoryState,
)
from tetherai.ledger.tlog_proof import (
    TlogProof,
    format_tlog_proof,
    parse_tlog_proof,
)
from tetherai.ledger.transaction import (
    TX_VERSION,
    Creator,
    Envelope,
    Transaction,
    new_nonce,
    sign_transaction,
)
from tetherai.ledger.tree_head import (
    LedgerCheckpoint,
    origin_for,
)
from tetherai.ledger.verifier import (
    Problem,
    VerificationReport,
    verify_ledger,
)

__all__ = [
    "CRASHED",
    "EMPTY_ROOT",
    "GENESIS_PREV_HASH",
    "HASH_SIZE",
    "LEDGER_FORMAT",
    "LEDGER_FORMATS",
    "TX_VERSION",
    "Block",
    "BlockCommit",
    "BlockHeader",
    "BlockOutcome",
    "BlockRejected",
    "BlockState",
    "ChannelRules",
    "Checkpoint",
    "CheckpointError",
    "CompactRange",
    "Context",
    "Contract",
    "ContractError",
    "ContractRegistry",
    "CosignatureSigner",
    "CosignatureVerifier",
    "Creator",
    "Envelope",
    "Head",
    "Identity",
    "LedgerCheckpoint",
    "LedgerError",
    "MalformedTx",
    "MemoryState",
    "NodeKey",
    "NodeReader",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "Peer",
    "PendingChecks",
    "Problem",
    "ProofError",
    "QueryContext",
    "SignatureChecker",
    "SqliteLedgerStore",
    "StateReader",
    "StoreError",
    "StoredBlock",
    "StoredTx",
    "TlogProof",
    "Transaction",
    "TxInvalid",
    "TxRejected",
    "TxResult",
    "VerificationFailed",
    "VerificationReport",
    "chain_state_root",
    "consistency_proof",
    "crashed_message",
    "encode_value",
    "execute_block",
    "format_tlog_proof",
    "inclusion_proof",
    "leaf_hash",
    "new_nonce",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "origin_for",
    "parse_tlog_proof",
    "query",
    "result_hashes",
    "results_commitment",
    "results_proof",
    "root_at",
    "same_legacy_value",
    "sign_checkpoint",
    "sign_note",
    "sign_transaction",
    "subtree_hash",
    "transaction",
    "txs_root",
    "v1_crashed_result",
    "validate_envelope",
    "verify_consistency",
    "verify_inclusion",
    "verify_ledger",
    "verify_orderer_signature",
]
