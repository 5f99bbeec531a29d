#!/usr/bin/env bash
# Accuracy figures of the README. The bench shop's corpus imported into a temporary home, on its dev set (dev
# overstates: it was tuned on), beside the same corpus arriving as a 千牛 sheet (cold start); then the shipped
# corpus on our own held-out set (written blind from the situation names; never tuned on), on our older set
# and on our conversations; then a replay of the held-out stream with learning off and auto.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
bench=${BENCH_DIR:-../shared/bench}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
.venv/bin/suggest --home "$home" corpus import "$bench/corpus.jsonl" --replace
echo "== bench shop: $bench/dev.jsonl"
.venv/bin/suggest --home "$home" eval --queries "$bench/dev.jsonl"
echo "== bench shop, cold start: its replies as a 千牛 sheet imported into a copy of the shipped home"
.venv/bin/suggest eval --queries "$bench/dev.jsonl" --cold-start "$bench/corpus.jsonl"
for set in heldout shipped conversations; do
  echo "== shipped corpus: tests/queries/$set.jsonl"
  .venv/bin/suggest eval --queries "tests/queries/$set.jsonl"
done
echo "== learning: tests/queries/heldout.jsonl replayed in order"
.venv/bin/suggest eval --queries tests/queries/heldout.jsonl --replay
