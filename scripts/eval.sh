#!/usr/bin/env bash
# Accuracy figures of the README: the bench shop's corpus imported into a temporary home and measured on its
# dev set, then the shipped corpus on our own labelled query set. Each prints the engine and both baselines.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
bench=${BENCH_DIR:-../shared/bench}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
.venv/bin/suggest --home "$home" corpus import "$bench/corpus.jsonl" --replace
echo "== bench: $bench/dev.jsonl"
.venv/bin/suggest --home "$home" eval --queries "$bench/dev.jsonl"
echo "== shipped corpus: tests/queries/shipped.jsonl"
.venv/bin/suggest eval --queries tests/queries/shipped.jsonl
