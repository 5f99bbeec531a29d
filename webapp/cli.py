"""`suggest serve`: the web shell's command. It joins the `suggest` CLI through the `suggest.commands` entry point
(pyproject.toml), so the engine's CLI never imports the web layer; the arrow runs from here to there."""

from __future__ import annotations

import subprocess
import sys

import click


@click.command()
@click.option("--host", default=None, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 16), default=None, help="gunicorn workers.")
@click.option("--dev", is_flag=True, help="Flask's development server (reloads, one process).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    """Serve the JSON API, the agents' page and the editors' pages."""
    settings = ctx.obj["settings"].replace(**{k: v for k, v in {"host": host, "port": port, "workers": workers}.items()
                                              if v is not None})
    # Build or update the index once, in a child process: workers then only load it, and this process never
    # imports torch, whose thread pools do not survive gunicorn's fork().
    build = subprocess.run([sys.executable, "-m", "suggest.cli", "--home", str(settings.home), "index", "build"])
    if build.returncode:
        ctx.exit(build.returncode)
    from .serve import run

    run(settings, dev=dev)
