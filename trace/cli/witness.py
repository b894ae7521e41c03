"""`witness` and `witness-keygen`: run a witness of a log, and make its cosigning key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trace.domain.note import verifier_key_string
from trace.log_client import is_log_url
from trace.translation import both
from trace.witness import (
    EXIT_REFUSED,
    WitnessConfig,
    WitnessStop,
    create_witness_key,
    read_log_key_option,
    run_witness,
)


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser(
        "witness",
        help="nhân chứng: đồng ký checkpoint nhất quán / witness: cosign consistent checkpoints",
    )
    p.add_argument("--log", required=True, metavar="URL", help="địa chỉ nhật ký / the log's URL")
    p.add_argument(
        "--key", required=True, type=Path, metavar="FILE", help="khoá ký / cosigning key file"
    )
    p.add_argument(
        "--state", required=True, type=Path, metavar="DIR", help="thư mục trạng thái / state"
    )
    p.add_argument(
        "--log-key",
        metavar="VKEY",
        help="khoá nhật ký (chuỗi hoặc tệp) / the log's verifier key (string or file)",
    )
    p.add_argument(
        "--interval", type=_seconds, default=5.0, help="giây giữa hai lần / seconds between polls"
    )
    p.add_argument("--once", action="store_true", help="chỉ một lượt / one round only")
    p.set_defaults(run=run_witness_command)
    p = commands.add_parser(
        "witness-keygen", help="tạo khoá nhân chứng / make a witness's cosigning key"
    )
    p.add_argument("--name", required=True, help="tên khoá, vd. witness.example.vn / key name")
    p.add_argument("--out", required=True, type=Path, metavar="FILE")
    p.set_defaults(run=run_witness_keygen)


def run_witness_command(args: argparse.Namespace) -> int:
    """Witness the log; 0 when cosigned or unchanged, 1 unreachable, 2 refused, 3 forked."""
    if not is_log_url(args.log):
        print(
            both(
                "The log's address must start with http:// or https://, found {url!r}.",
                url=args.log,
            ),
            file=sys.stderr,
        )
        return EXIT_REFUSED
    config = WitnessConfig(
        url=args.log,
        key_file=args.key,
        state_dir=args.state,
        log_key=read_log_key_option(args.log_key) if args.log_key else None,
        interval=args.interval,
        once=args.once,
    )
    try:
        return run_witness(config)
    except WitnessStop as exc:
        print(exc.text(), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130


def run_witness_keygen(args: argparse.Namespace) -> int:
    """Write a new cosignature/v1 key; print its verifier key for the log's operator."""
    try:
        signer = create_witness_key(args.name, args.out)
    except WitnessStop as exc:
        print(exc.text(), file=sys.stderr)
        return EXIT_REFUSED
    print(
        both(
            "Wrote the witness's signing key to {path} (readable by its owner only; keep "
            "it secret). The verifier key is printed below: send it to the log's "
            "operator, who runs `python -m trace log-witness add <key>`.",
            path=args.out,
        ),
        file=sys.stderr,
    )
    print(verifier_key_string(signer.public))
    return 0


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 86400, found {text}")
    return value
