"""`suggest shop add|list|remove`: shops on disk, seen by a running server without a restart."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from .homes import add_shop, remove_shop, shops


@click.group()
def shop() -> None:
    """Shops served beside the default one (each a home under <home>/shops/)."""


@shop.command("add")
@click.argument("name")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Replies to start from (.jsonl, .csv or .xlsx, as `corpus import` reads them); default: a "
                   "copy of the default shop's corpus, facts and product sheet.")
@click.pass_context
def shop_add(ctx: click.Context, name: str, source: Path | None) -> None:
    """Add shop NAME and build its index, so its first request is answered at once."""
    from ..corpus.files import load_corpus
    from ..corpus.interchange import parse_import
    from ..engine.borrow import lender_for
    from ..engine.build import sync_index
    from ..engine.embed import Embedder

    settings = ctx.obj["settings"]
    if source is not None:
        corpus = parse_import(source, None)
        home = add_shop(settings, name, corpus).home
    else:
        home = add_shop(settings, name, load_corpus(settings.corpus_dir)).home
        for extra in settings.corpus_dir.iterdir():  # facts, product sheet: everything beside the situations
            if extra.is_file() and not extra.name.startswith("."):
                shutil.copy2(extra, home / "corpus" / extra.name)
    shop_settings = settings.replace(home=home)
    embedder = Embedder(settings.model, settings.backend, settings.cache_size)
    built, _ = sync_index(shop_settings.index_dir, load_corpus(shop_settings.corpus_dir), embedder,
                          settings.classifier_c, progress=sys.stderr.isatty(), lender=lender_for(settings))
    click.echo(f"added shop {name} in {home}: {built.manifest.entries} indexed texts; "
               f"served at /api/v1/shops/{name}/suggest")


@shop.command("list")
@click.pass_context
def shop_list(ctx: click.Context) -> None:
    """The shops, with their situations and active replies."""
    found = shops(ctx.obj["settings"])
    if not found:
        click.echo("no shops besides the default one (add one with `suggest shop add NAME`)")
    for info in found:
        click.echo(f"{info.name}\t{info.situations} situations\t{info.replies} replies")


@shop.command("remove")
@click.argument("name")
@click.confirmation_option(prompt="Remove the shop with its corpus, index, history and feedback?")
@click.pass_context
def shop_remove(ctx: click.Context, name: str) -> None:
    """Remove shop NAME and everything in its folder; a running server stops serving it at once."""
    remove_shop(ctx.obj["settings"], name)
    click.echo(f"removed shop {name}")
