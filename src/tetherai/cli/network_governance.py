"""``tether network`` commands that change a channel by proposal, and show proposals.

Every change (an org or peer removed, a contract version, the approval rule, the limits) is
signed by the admins of the orgs named with ``--by``, in turn, until the channel's approval
rule is met (``contracts.governance``); until then it waits as an open proposal, which
``tether network proposals`` lists and ``tether network approve`` approves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tetherai.cli._client import PassphraseFileOption
from tetherai.cli._common import HomeOption, JsonOption, console, print_json, run
from tetherai.cli._network_common import ByOption, ChannelOption, cluster_home, now_ms, passphrase

if TYPE_CHECKING:
    from tetherai.cluster.governance import Outcome

__all__ = ["register"]

ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept on the ledger).")]


def _sign(
    home: Path | None,
    channel: str | None,
    fn: str,
    args: dict[str, Any],
    by: list[str],
    passphrase_file: Path | None,
    json_output: bool,
) -> None:
    from tetherai.cluster.governance import sign_change

    target = cluster_home(home)
    secret = passphrase(passphrase_file)
    outcome = run(
        lambda: sign_change(
            target,
            channel or target.cluster_config().channel,
            fn,
            args,
            by=by,
            passphrase=secret,
            now_ms=now_ms(),
        )
    )
    _show(outcome, json_output)


def _show(outcome: Outcome, json_output: bool) -> None:
    if json_output:
        print_json(outcome.to_json())
    else:
        console.print(outcome.describe())


def register(app: typer.Typer) -> None:
    """Add the governance commands to ``tether network``."""

    @app.command()
    def proposals(
        channel: ChannelOption = None,
        all_: Annotated[
            bool, typer.Option("--all", help="Also applied, withdrawn and expired ones.")
        ] = False,
        as_org: Annotated[
            str | None,
            typer.Option("--org", help="Ask with this org's tools (default: the channel's first)."),
        ] = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """The channel's open proposals: the change, who approved it, what it still needs.

        Example: tether network proposals --home ./net
        """
        from tetherai.cluster.governance import proposals as read

        target = cluster_home(home)
        name = channel or run(target.cluster_config).channel
        secret = passphrase(passphrase_file)
        found = run(
            lambda: read(target, name, as_org=as_org, passphrase=secret, include_closed=all_)
        )
        if json_output:
            print_json(found)
            return
        if not found:
            console.print(f"channel {name}: no open proposal")
        for item in found:
            approvals = ", ".join(
                f"{org} ({stamp['by']})" for org, stamp in sorted(item["approvals"].items())
            )
            line = f"{item['id'][:16]}  {item['status']:9}  {item['summary']}"
            line += f"\n    approved by {approvals or 'no org'}"
            tally = item.get("tally")
            if tally:
                waiting = ", ".join(tally["may_approve"]) or "no one"
                line += f"; needs {tally['needed']} more ({tally['rule']}) from {waiting}"
            console.print(line)

    @app.command()
    def approve(
        proposal: Annotated[str, typer.Argument(help="The proposal (its first 16 characters).")],
        by: ByOption,
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Approve an open proposal: each org --by signs its change, until it applies.

        Example: tether network approve 3f2a9c01d4e5b6a7 --by Org2 --home ./net
        """
        from tetherai.cluster.governance import approve as sign

        target = cluster_home(home)
        secret = passphrase(passphrase_file)
        name = channel or run(target.cluster_config).channel
        outcome = run(
            lambda: sign(target, name, proposal, by=by, passphrase=secret, now_ms=now_ms())
        )
        _show(outcome, json_output)

    @app.command()
    def withdraw(
        proposal: Annotated[str, typer.Argument(help="The proposal (its first 16 characters).")],
        by: Annotated[str, typer.Option("--by", help="The org taking back its approval.")],
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
    ) -> None:
        """Take back an org's approval of an open proposal (with none left, it closes).

        Example: tether network withdraw 3f2a9c01d4e5b6a7 --by Org2 --home ./net
        """
        from tetherai.cluster.governance import withdraw as take_back

        target = cluster_home(home)
        secret = passphrase(passphrase_file)
        name = channel or run(target.cluster_config).channel
        done = run(
            lambda: take_back(target, name, proposal, by=by, passphrase=secret, now_ms=now_ms())
        )
        state = "still open" if done.get("open") else "closed"
        console.print(f"{by} withdrew its approval; the proposal is {state}")

    @app.command(name="remove-org")
    def remove_org(
        org: Annotated[str, typer.Argument(help="The org to remove.")],
        reason: ReasonOption,
        by: ByOption,
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Remove an org from a channel: its people can no longer sign, its peers stop counting.

        Example: tether network remove-org Org3 --reason "left" --by Org1 --by Org2 --home ./net
        """
        args = {"org": org, "reason": reason}
        _sign(home, channel, "remove_org", args, by, passphrase_file, json_output)

    @app.command(name="remove-peer")
    def remove_peer(
        name: Annotated[str, typer.Argument(help="The peer, <node>.<org>.")],
        reason: ReasonOption,
        by: ByOption,
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Remove a peer from a channel: it no longer counts for the majority or compaction.

        Example: tether network remove-peer peer1.Org2 --reason "retired" --by Org2 --home ./net
        """
        args = {"name": name, "reason": reason}
        _sign(home, channel, "remove_peer", args, by, passphrase_file, json_output)

    @app.command()
    def upgrade(
        contract: Annotated[str, typer.Argument(help="The contract, e.g. notary.")],
        version: Annotated[str, typer.Argument(help="A version every peer has installed.")],
        by: ByOption,
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Run another version of a contract from the next tx on (only an installed one).

        Example: tether network upgrade notary 2 --by Org1 --by Org2 --home ./net
        """
        args = {"contract": contract, "version": version}
        _sign(home, channel, "upgrade_contract", args, by, passphrase_file, json_output)

    @app.command()
    def policy(
        approval: Annotated[str, typer.Argument(help="ANY, MAJORITY or ALL of the member orgs.")],
        by: ByOption,
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Change how many member orgs must approve a change of the channel.

        Example: tether network policy ALL --by Org1 --by Org2 --home ./net
        """
        _sign(home, channel, "set_policy", {"approval": approval}, by, passphrase_file, json_output)

    @app.command()
    def limits(
        by: ByOption,
        max_skew_ms: Annotated[
            int | None, typer.Option("--max-skew-ms", help="How far a tx's time may lie.")
        ] = None,
        proposal_ttl_ms: Annotated[
            int | None, typer.Option("--proposal-ttl-ms", help="How long a proposal stays open.")
        ] = None,
        channel: ChannelOption = None,
        home: HomeOption = None,
        passphrase_file: PassphraseFileOption = None,
        json_output: JsonOption = False,
    ) -> None:
        """Change the channel's limits.

        Example: tether network limits --max-skew-ms 60000 --by Org1 --by Org2 --home ./net
        """
        given = {"max_skew_ms": max_skew_ms, "proposal_ttl_ms": proposal_ttl_ms}
        args = {name: value for name, value in given.items() if value is not None}
        _sign(home, channel, "set_limits", args, by, passphrase_file, json_output)
