"""Many shops on one server (客服外包 teams answer for dozens of shops in a shift).

Each shop is a home of its own under `<home>/shops/<name>/`: its corpus (replies, facts, product sheet), index
and run-time data, so everything that works on a home works on a shop (`suggest --home <home>/shops/<name> …`).
The server's own home is the default shop. `homes` adds, lists and removes them on disk; `commands` is their
command line; `registry` serves them, all sharing one loaded encoder, one word segmenter and the bundled
buyer-intent bank.
"""
