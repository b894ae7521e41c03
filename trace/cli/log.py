"""`checkpoint` and `log-witness`: signing checkpoints now, and which witnesses the log trusts."""

from __future__ import annotations

import argparse
from typing import Any

from trace.cli.admin import with_ledger
from trace.config import load_settings
from trace.domain.note import verifier_key_string
from trace.store.checkpoints import add_witness, latest_checkpoint, sign_checkpoint, witness_keys
from trace.store.ledger import Ledger


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser("checkpoint", help="ký checkpoint ngay / sign a checkpoint now")
    p.set_defaults(run=run_checkpoint)
    witness = commands.add_parser(
        "log-witness", help="nhân chứng của nhật ký / the log's witnesses"
    ).add_subparsers(dest="action", required=True)
    p = witness.add_parser("add", help="nhận chữ ký của nhân chứng / accept a witness")
    p.add_argument("verifier_key", help="name+keyid+base64 (from `witness-keygen`)")
    p.set_defaults(run=run_witness_add)
    p = witness.add_parser("list", help="liệt kê / list")
    p.set_defaults(run=run_witness_list)


def run_checkpoint(args: argparse.Namespace) -> int:
    """Sign a checkpoint of the log as it is now and print the signed note."""
    origin = load_settings().log_origin

    async def work(ledger: Ledger) -> str:
        await sign_checkpoint(ledger, origin)
        latest = await latest_checkpoint(ledger)
        assert latest is not None
        return latest.note

    print(with_ledger(work), end="")
    return 0


def run_witness_add(args: argparse.Namespace) -> int:
    """Register a witness's verifier key."""
    verifier = with_ledger(lambda ledger: add_witness(ledger, args.verifier_key))
    print(verifier_key_string(verifier))
    return 0


def run_witness_list(args: argparse.Namespace) -> int:
    """Print the registered witnesses' keys."""
    for verifier in with_ledger(witness_keys):
        print(verifier_key_string(verifier))
    return 0
