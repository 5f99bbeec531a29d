# The two commands of the README. Each does all the set-up it needs on a fresh machine.
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: serve test setup bench eval

serve: ## serve the agents' page and the API on the bundled corpus and model (http://127.0.0.1:8000)
	bash scripts/setup.sh
	.venv/bin/suggest serve

test: ## run the whole test suite (real model, real index, real browser)
	bash scripts/setup.sh --browser
	.venv/bin/python -m pytest -q

setup:
	bash scripts/setup.sh --browser

eval: setup ## accuracy on the bench (imported into a temporary home) and on our own query set
	bash scripts/eval.sh

bench: setup ## latency figures
	.venv/bin/suggest bench
