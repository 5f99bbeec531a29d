#!/usr/bin/env python3
"""Print the top suggested replies for every buyer turn of a chat transcript, asking a huashu-suggest server.

    python examples/transcript_suggest.py examples/transcript.txt --server http://127.0.0.1:8000 [-k 3]
    python examples/transcript_suggest.py - < transcript.txt         # read standard input

The transcript has one turn per line, `买家: …` / `客服: …` (or `buyer:` / `agent:`; ASCII or full-width
colon). Lines starting with '#' and blank lines are skipped; a line without a speaker continues the turn above.
Each buyer turn is sent with the buyer's previous turns as `context`. The API key, if the server needs one,
comes from --api-key or the SUGGEST_API_KEY environment variable. Only the standard library and
suggest/client.py are used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    from suggest.client import ClientError, SuggestClient
except ImportError:  # run from a checkout without the project installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from suggest.client import ClientError, SuggestClient

BUYER, AGENT = "buyer", "agent"
SPEAKERS = {"买家": BUYER, "顾客": BUYER, "buyer": BUYER, "customer": BUYER,
            "客服": AGENT, "卖家": AGENT, "agent": AGENT, "seller": AGENT}
TURN = re.compile(r"^\s*(" + "|".join(map(re.escape, SPEAKERS)) + r")\s*[:：]\s*(.*)$", re.IGNORECASE)
CONTEXT_TURNS = 5      # earlier buyer turns sent along (the API accepts up to 20)
MAX_CHARS = 2000       # the API's default max_message_chars


@dataclass
class Turn:
    speaker: str
    text: str
    line: int


def parse_transcript(text: str) -> list[Turn]:
    """Turns in order. Raises ValueError naming the line when text appears before any speaker."""
    turns: list[Turn] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = TURN.match(line)
        if match:
            turns.append(Turn(SPEAKERS[match.group(1).lower()], match.group(2).strip(), number))
        elif turns:
            turns[-1].text = f"{turns[-1].text}\n{line}".strip()
        else:
            raise ValueError(f"line {number}: expected '买家: …' or '客服: …' (or buyer: / agent:), got {line[:40]!r}")
    return [t for t in turns if t.text]


def suggest_turns(client: SuggestClient, turns: list[Turn], k: int, stage: str | None = None,
                  context_turns: int = CONTEXT_TURNS) -> list[tuple[Turn, list[str], dict]]:
    """(buyer turn, context sent, API result) for every buyer turn, in order."""
    out = []
    earlier: list[str] = []
    for turn in turns:
        if turn.speaker != BUYER:
            continue
        message = turn.text[:MAX_CHARS]
        context = earlier[-context_turns:] if context_turns else []
        result = client.suggest(message, k=k, stage=stage, context=context or None)
        out.append((turn, context, result))
        earlier.append(message)
    return out


def show(results: list[tuple[Turn, list[str], dict]], turns: list[Turn], stream=None) -> None:
    stream = stream or sys.stdout
    next_agent = {}
    pending: list[Turn] = []
    for turn in turns:  # the agent's actual answer to each buyer turn, for comparison
        if turn.speaker == BUYER:
            pending.append(turn)
        elif pending:
            for buyer in pending:
                next_agent[buyer.line] = turn.text
            pending = []
    for turn, context, result in results:
        print(f"买家（第 {turn.line} 行）：{turn.text}", file=stream)
        if context:
            print(f"  上文：{' / '.join(c.replace(chr(10), ' ') for c in context)}", file=stream)
        if result.get("abstained") or not result.get("suggestions"):
            print("  没有合适的话术", file=stream)
        names = {s["id"]: s["name"] for seg in result.get("segments", []) for s in seg.get("situations", [])}
        for i, reply in enumerate(result.get("suggestions", []), 1):
            situation = names.get(reply["situation"], reply["situation"])
            todo = f"（待填写：{'、'.join(reply['unfilled'])}）" if reply.get("unfilled") else ""
            print(f"  {i}. [{situation} {reply['score']:.0%}] {reply['text']}{todo}", file=stream)
        if turn.line in next_agent:
            print(f"  实际回复：{next_agent[turn.line]}", file=stream)
        print(file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("transcript", help="transcript file, or - for standard input")
    parser.add_argument("--server", default=os.environ.get("SUGGEST_SERVER", "http://127.0.0.1:8000"),
                        help="the huashu-suggest server (default: %(default)s, or SUGGEST_SERVER)")
    parser.add_argument("--api-key", default=os.environ.get("SUGGEST_API_KEY"),
                        help="API key, if the server needs one (default: SUGGEST_API_KEY)")
    parser.add_argument("-k", type=int, default=3, help="suggestions per buyer turn (default: %(default)s)")
    parser.add_argument("--stage", choices=("presale", "order", "aftersale"), help="conversation stage")
    parser.add_argument("--context", type=int, default=CONTEXT_TURNS,
                        help="earlier buyer turns sent as context (default: %(default)s, at most 20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per buyer turn instead of text")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default: %(default)s)")
    args = parser.parse_args(argv)

    try:
        text = sys.stdin.read() if args.transcript == "-" else Path(args.transcript).read_text(encoding="utf-8")
        turns = parse_transcript(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"error: {args.transcript}: {exc}", file=sys.stderr)
        return 2
    client = SuggestClient(args.server, api_key=args.api_key, timeout=args.timeout)
    try:
        results = suggest_turns(client, turns, args.k, args.stage, max(0, min(args.context, 20)))
    except ClientError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        for turn, context, result in results:
            print(json.dumps({"line": turn.line, "message": turn.text, "context": context,
                              "suggestions": result["suggestions"], "abstained": result["abstained"]},
                             ensure_ascii=False))
    else:
        show(results, turns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
