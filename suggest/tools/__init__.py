"""Developer tools: evaluate (accuracy against labelled messages), benchmark (latency), loadtest (the served app
under concurrent load) and serving (a real server in a child process, for tests and load tests)."""
