"""The `suggest` command line: a thin shell over the engine. Domain errors become a message and exit code 1."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from .errors import SuggestError
from .settings import Settings, load_settings, setting_fields


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _engine(ctx: click.Context, progress: bool = False):
    from .engine.suggester import Suggester

    return Suggester.load(_settings(ctx), progress=progress)


def _plugins() -> dict:
    """Commands other packages add through the `suggest.commands` entry point (the web shell adds `serve`), so
    this CLI never imports them: each is loaded only when it is run or listed."""
    from importlib.metadata import entry_points

    return {point.name: point for point in entry_points(group="suggest.commands")}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        commands = super().list_commands(ctx)
        return commands + sorted(set(_plugins()) - set(commands)) if ctx.parent is None else commands

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None and ctx.parent is None and name in (plugins := _plugins()):
            command = plugins[name].load()
        return command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SuggestError as exc:
            raise click.ClickException(exc.message) from None
        except OSError as exc:  # an unwritable export path, a full disk …
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise click.ClickException("an input file is not UTF-8 text") from None


@click.group(cls=_Group)
@click.option("--home", type=click.Path(file_okay=False), envvar="SUGGEST_HOME",
              help="Directory holding corpus/ and index/ (default: the project's own).")
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does.")
@click.pass_context
def main(ctx: click.Context, home: str | None, verbose: bool) -> None:
    """huashu-suggest: best scripted replies (话术) for a buyer's message."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        ctx.obj = {"settings": load_settings(home)}
    except SuggestError as exc:
        raise click.ClickException(exc.message) from None


# ---- corpus --------------------------------------------------------------------------------------------------

@main.group()
def corpus() -> None:
    """Import, export and check the reply corpus."""


@corpus.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "layout", type=click.Choice(["auto", "corpus", "qianniu"]), default="auto", show_default=True,
              help="corpus: replies with id, situation, text, examples (.jsonl, .csv, .xlsx); qianniu: a 千牛 quick-phrase "
                   "sheet (分组/快捷编码/快捷短语, .xlsx or .csv in UTF-8 or GBK) whose phrases are assigned situations of "
                   "the home; auto: qianniu when the file has those columns.")
@click.option("--replace", is_flag=True, help="Replace the home's replies instead of adding and updating them "
                                              "(with --format qianniu the situations and their banks stay).")
@click.option("--preview", is_flag=True,
              help="Only show what would be added, changed and rejected (with reasons); write nothing.")
@click.pass_context
def corpus_import(ctx: click.Context, file: Path, layout: str, replace: bool, preview: bool) -> None:
    """Import replies from FILE; nothing is written unless every row is valid."""
    from .corpus.files import load_corpus, write_corpus
    from .corpus.interchange import parse_import, preview_import
    from .corpus.spreadsheet import looks_like_quick_phrases

    settings = _settings(ctx)
    if layout == "qianniu" or (layout == "auto" and looks_like_quick_phrases(file)):
        _import_quick_phrases(settings, file, replace, preview)
        return
    base = None
    if preview:
        current = load_corpus(settings.corpus_dir) if (settings.corpus_dir / "situations").is_dir() else None
        report = preview_import(file, current, replace=replace)
        click.echo(report.format())
        ctx.exit(0 if report.ok else 1)
    if not replace and (settings.corpus_dir / "situations").is_dir():
        base = load_corpus(settings.corpus_dir)
    new = parse_import(file, base)
    _refuse_blocked([r for r in new.replies.values() if base is None or base.replies.get(r.id) != r])
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    write_corpus(new, settings.corpus_dir)
    before = len(base.replies) if base else 0
    click.echo(f"imported {file}: {len(new.replies)} replies in {len(new.situations)} situations "
               f"({len(new.replies) - before:+d} replies)")


def _import_quick_phrases(settings: Settings, file: Path, replace: bool, preview: bool) -> None:
    """千牛 quick phrases into the home: each 分组 is assigned a situation (the engine reads the phrases)."""
    from .authoring.quick_phrases import import_quick_phrases
    from .corpus.files import write_corpus
    from .corpus.spreadsheet import read_quick_phrases
    from .engine.suggester import Suggester

    phrases = read_quick_phrases(file)
    engine = Suggester.load(settings, progress=sys.stderr.isatty())
    result = import_quick_phrases(engine, phrases, replace=replace)
    click.echo(result.format())
    _refuse_blocked(result.added, result.rows)
    if preview:
        return
    write_corpus(result.corpus, settings.corpus_dir)
    engine.update_corpus(result.corpus)
    click.echo(f"imported {file}: {len(result.corpus.replies)} replies in {len(result.corpus.situations)} situations")


@corpus.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "layout", type=click.Choice(["corpus", "qianniu"]), default="corpus", show_default=True,
              help="corpus: every field (.jsonl, .csv or .xlsx); qianniu: 千牛 quick phrases 分组/快捷编码/快捷短语 "
                   "(.xlsx or .csv), placeholders filled from shop.yaml, retired replies left out.")
@click.pass_context
def corpus_export(ctx: click.Context, file: Path, layout: str) -> None:
    """Export the corpus to FILE (.jsonl, .csv or .xlsx, by extension)."""
    from .corpus.files import load_corpus
    from .corpus.interchange import export_corpus

    settings = _settings(ctx)
    if layout == "qianniu":
        from .corpus.profile import load_profile
        from .corpus.spreadsheet import write_qianniu

        export = write_qianniu(load_corpus(settings.corpus_dir), load_profile(settings.corpus_dir / "shop.yaml").values(), file)
        click.echo(f"exported {export.count} quick phrases to {file} (千牛 layout; "
                   f"{export.skipped_retired} retired replies left out)")
        for line in export.report():
            click.echo(f"unfilled: {line}")
        return
    count = export_corpus(load_corpus(settings.corpus_dir), file)
    click.echo(f"exported {count} replies to {file}")


@corpus.command("lint")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def corpus_lint(ctx: click.Context, file: Path | None) -> None:
    """Check the home's corpus, or FILE (.jsonl, .csv or .xlsx) before importing it. Exit 1 on errors; warnings
    are printed."""
    from .corpus.files import lint, load_corpus
    from .corpus.interchange import parse_import
    from .corpus.profile import load_profile

    settings = _settings(ctx)
    loaded = parse_import(file, None) if file else load_corpus(settings.corpus_dir)
    warnings = lint(loaded, load_profile(settings.corpus_dir / "shop.yaml"))
    for warning in warnings:
        click.echo(f"warning: {warning}")
    findings = _compliance(loaded.replies.values())
    for reply_id, found in findings:
        for f in found:
            click.echo(f"{f.severity}: reply {reply_id}: '{f.word}' ({f.rule}: {f.message})")
    blocked = sum(f.severity == "block" for _, found in findings for f in found)
    if blocked:
        raise click.ClickException(f"{blocked} finding(s) an agent must not send (block); fix them before importing")
    click.echo(f"ok: {len(loaded.replies)} replies in {len(loaded.situations)} situations, {len(warnings)} warning(s), "
               f"{sum(len(found) for _, found in findings)} compliance warning(s)")


def _compliance(replies) -> list[tuple[str, list]]:
    """(reply id, findings) of the compliance lint, for every reply with any (active or retired)."""
    from .corpus.compliance import check_text

    found = [(r.id, check_text(r.text, requires=r.requires)) for r in sorted(replies, key=lambda r: r.id)]
    return [(rid, f) for rid, f in found if f]


def _refuse_blocked(replies, where: dict[str, str] | None = None) -> None:
    """An import is all or nothing: one reply the lint blocks stops it, naming the row and the words."""
    blocked = [(rid, [f for f in found if f.severity == "block"]) for rid, found in _compliance(replies)]
    blocked = [(rid, found) for rid, found in blocked if found]
    if blocked:
        lines = [f"{(where or {}).get(rid, rid)}: reply {rid}: " + ", ".join(f"'{f.word}' ({f.rule})" for f in found)
                 for rid, found in blocked]
        raise click.ClickException("nothing imported: replies an agent must not send:\n  " + "\n  ".join(lines))


# ---- products ------------------------------------------------------------------------------------------------

@main.group()
def products() -> None:
    """The shop's product sheet: questions about a product's attributes are answered from it."""


@products.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def products_import(ctx: click.Context, file: Path) -> None:
    """Replace the home's product sheet with FILE (.xlsx or .csv, UTF-8 or GBK); nothing changes if a row is bad."""
    from .corpus.products import products_path, read_products, write_products

    settings = _settings(ctx)
    sheet = read_products(file)  # CorpusError names file, row and column
    target = products_path(settings.corpus_dir) or settings.corpus_dir / "products.csv"
    count = write_products(sheet, target)
    click.echo(f"imported {count} product(s) into {target}; running servers answer from it at their next request")


@products.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def products_export(ctx: click.Context, file: Path) -> None:
    """Write the home's product sheet to FILE (.xlsx with sheets 商品/尺码表/SKU, or .csv)."""
    from .corpus.products import load_products, write_products

    count = write_products(load_products(_settings(ctx).corpus_dir), file)
    click.echo(f"exported {count} product(s) to {file}")


# ---- index ---------------------------------------------------------------------------------------------------

@main.group()
def index() -> None:
    """Build the search index."""


@index.command("build")
@click.option("--full", is_flag=True, help="Re-embed everything even if the index is current.")
@click.pass_context
def index_build(ctx: click.Context, full: bool) -> None:
    """Bring the index up to date with the corpus (only changed replies are re-embedded)."""
    from .corpus.files import load_corpus
    from .engine.borrow import lender_for
    from .engine.build import sync_index
    from .engine.embed import Embedder

    settings = _settings(ctx)
    corpus_ = load_corpus(settings.corpus_dir)
    started = time.perf_counter()
    embedder = Embedder(settings.model, settings.backend, settings.cache_size)
    built, counts = sync_index(settings.index_dir, corpus_, embedder, settings.classifier_c, full=full,
                               progress=sys.stderr.isatty(), lender=lender_for(settings))
    click.echo(f"index {settings.index_dir}: {built.manifest.entries} vectors, model {built.manifest.model}, "
               f"{counts['added']} added, {counts['updated']} updated, {counts['removed']} removed "
               f"in {time.perf_counter() - started:.1f}s")


# ---- query ---------------------------------------------------------------------------------------------------

def _print_result(result, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    if result.abstained:
        click.echo("（没有合适的话术 / no reply in the corpus fits this message）")
    for segment in result.segments:
        if len(result.segments) > 1:
            click.echo(f"【{segment.text}】")
        for hit in segment.situations[:3]:
            click.echo(f"  {hit.name} ({hit.id}, {hit.stage}) {hit.score:.2f}")
    click.echo("suggestions:")
    for number, item in enumerate(result.suggestions, start=1):
        flag = f"  [未填: {', '.join(item.unfilled)}]" if item.unfilled else ""
        note = f"  （提示客服：{item.note}）" if item.note else ""
        click.echo(f"{number}. [{item.situation}] {item.text}{flag}{note}")


@main.command()
@click.argument("message", required=False)
@click.option("--k", type=click.IntRange(1, 50), default=None, help="How many suggestions (default 5).")
@click.option("--stage", type=click.Choice(["presale", "order", "aftersale"]), help="Favour this stage's situations.")
@click.option("--context", multiple=True, help="An earlier buyer message (repeat, oldest first); infers the stage.")
@click.option("--product", help="The product the buyer asks about: its id, link or name in the product sheet.")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), help="One message per line ('-' for stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per line with --file).")
@click.pass_context
def query(ctx: click.Context, message: str | None, k: int | None, stage: str | None, context: tuple[str, ...],
          product: str | None, file, as_json: bool) -> None:
    """Suggest replies for MESSAGE, or for every line of --file (the model is loaded once)."""
    if (message is None) == (file is None):
        raise click.UsageError("give either MESSAGE or --file")
    engine = _engine(ctx)
    if file is None:
        _print_result(engine.suggest(message, k=k, stage=stage, context=list(context), product=product), as_json)
        return
    failures = 0
    for number, line in enumerate(file, start=1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        try:
            result = engine.suggest(line, k=k, stage=stage, product=product)
        except SuggestError as exc:
            failures += 1
            if as_json:
                click.echo(json.dumps({"line": number, "error": {"code": exc.code, "message": exc.message,
                                                                  "field": exc.field}}, ensure_ascii=False))
            else:
                click.echo(f"line {number}: {exc.message}", err=True)
            continue
        _print_result(result, as_json)
    if failures:
        ctx.exit(1)


# ---- measurement ---------------------------------------------------------------------------------------------

@main.command("eval")
@click.option("--queries", "queries_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Labelled messages, one JSON object per line: id, message, gold, kind.")
@click.option("--misses", is_flag=True, help="List the engine's single-intent misses.")
@click.option("--cold-start", "cold_start", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also measure this corpus file imported as it is and as a 千牛 sheet (no situations, no examples) "
                   "into a copy of the home; the queries' labels are that corpus's situations.")
@click.option("--replay", is_flag=True, help="Also replay the messages in order, each followed by a 'sent' "
                                             "feedback, with learning auto and off: hit@1 on the second half.")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%d"]),
              help="Answer as at this shop time (China time), e.g. during a campaign; default now.")
@click.pass_context
def eval_(ctx: click.Context, queries_file: Path, misses: bool, cold_start: Path | None, replay: bool,
          at) -> None:
    """Accuracy of the engine and of two baselines (BM25 alone, embeddings alone), in one run."""
    from .corpus.profile import SHOP_TIME
    from .tools.evaluate import compare, format_reports, read_queries

    queries = read_queries(queries_file)
    engine = _engine(ctx)
    if at is not None:
        moment = at.replace(tzinfo=SHOP_TIME)
        engine.set_clock(lambda: moment)
    if replay:
        from .tools.replay import format_replay, replay as run_replay

        click.echo(format_replay([run_replay(engine, queries, "off"), run_replay(engine, queries, "auto")]))
        return
    if cold_start:
        from .tools.cold_start import cold_start_reports

        click.echo(format_reports(cold_start_reports(_settings(ctx), engine, cold_start, queries), show_misses=misses))
        return
    click.echo(format_reports(compare(engine, queries), show_misses=misses))


@main.command()
@click.option("--queries", "queries_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Messages to time (JSONL with 'message', or plain lines); default: the corpus's examples.")
@click.option("--repeat", type=click.IntRange(1, 20), default=3, help="Passes over the messages.")
@click.option("--scale", "scale", default=None, metavar="SIZES",
              help="Grow the bench corpus to these numbers of indexed texts (e.g. 1000,10000,100000) and print, "
                   "per size, build, one reply added, latency beside plain semantic_search, memory and hit@1.")
@click.option("--bench-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("../shared/bench"), show_default=True,
              help="With --scale: the folder holding corpus.jsonl (+ situations.tsv) and dev.jsonl.")
@click.option("--stand-in-vectors", is_flag=True,
              help="With --scale: hash-drawn vectors instead of the model, for sizes too large to embed here; "
                   "measures build, one reply added, the cached path and memory only.")
@click.pass_context
def bench(ctx: click.Context, queries_file: Path | None, repeat: int, scale: str | None, bench_dir: Path,
          stand_in_vectors: bool) -> None:
    """Latency per query (p50, p99) and index build time, beside plain semantic_search in the same run."""
    if scale is not None:
        from .tools.scale_bench import run_scale

        try:
            sizes = [int(part) for part in scale.split(",") if part.strip()]
        except ValueError:
            raise click.BadParameter("sizes are whole numbers separated by commas, e.g. 1000,10000",
                                     param_hint="--scale") from None
        if not sizes or min(sizes) < 1:
            raise click.BadParameter("give at least one size above 0", param_hint="--scale")
        click.echo(run_scale(_settings(ctx), bench_dir / "corpus.jsonl", queries_file or bench_dir / "dev.jsonl",
                             sizes, repeat, stand_in=stand_in_vectors))
        return
    from .tools.benchmark import run_benchmark

    click.echo(run_benchmark(_settings(ctx), queries_file, repeat))


@main.command()
@click.option("--url", help="A running server to test (loopback only); default: start `suggest serve` on a free port.")
@click.option("--seconds", type=click.FloatRange(0.5, 60), default=5.0, help="Time per concurrency level.")
@click.option("--max-requests", type=click.IntRange(1, 100000), default=3000, help="Requests per level at most.")
@click.option("--concurrency", default="1,8,32", help="Comma-separated concurrency levels.")
@click.pass_context
def loadtest(ctx: click.Context, url: str | None, seconds: float, max_requests: int, concurrency: str) -> None:
    """Requests per second and p50/p99 latency of POST /api/v1/suggest at several concurrency levels, beside
    the engine's in-process latency. Bounded in time and count; loopback addresses only."""
    from .tools.benchmark import in_process_latency
    from .tools.loadtest import run_loadtest
    from .tools.serving import running_server, server_processes, workers_of

    settings = _settings(ctx)
    levels = [int(c) for c in concurrency.split(",") if c.strip()]
    engine = _engine(ctx)
    messages = [e for r in engine.corpus.replies.values() for e in r.examples[:1]]
    p50, p99 = in_process_latency(engine, messages)
    click.echo(f"in-process engine latency (cached embeddings, as the server sees repeats): p50 {p50:.2f} ms, "
               f"p99 {p99:.2f} ms")
    def measure(base_url: str) -> None:
        # One unmeasured pass first: every worker's embedding cache sees the messages, as a server that has
        # been answering a shop's buyers for a while would have.
        run_loadtest(base_url, messages, (settings.workers,), seconds, len(messages) * 2)
        click.echo(run_loadtest(base_url, messages, levels, seconds, max_requests))

    if url:
        measure(url)
        return

    def memory(server, when: str) -> None:
        workers = workers_of(server_processes(server.group))
        click.echo(f"worker memory {when}: " + ", ".join(f"pid {w.pid} {w.rss_mb:.0f} MB" for w in workers)
                   + (f" (max {max(w.rss_mb for w in workers):.0f} MB)" if workers else "(none found)"))

    with running_server(settings) as server:
        memory(server, "at start")
        measure(server.url)
        memory(server, "after the load")


# ---- editors ------------------------------------------------------------------------------------------------

@main.command()
@click.option("--days", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Look at the last N days of the feedback log (0: everything).")
@click.option("--top", type=click.IntRange(1, 100), default=10, show_default=True, help="Rows in the most/least used lists.")
@click.option("--similarity", type=click.FloatRange(0.5, 1.0), default=None,
              help="Cosine at which unserved messages are grouped together (default 0.85).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def report(ctx: click.Context, days: int, top: int, similarity: float | None, as_json: bool) -> None:
    """For editors: most and least used replies, replies never used, and the buyer messages the corpus does not
    serve (abstentions, every suggestion dismissed), grouped by similarity."""
    from .usage.analytics import GROUP_SIMILARITY, build_report, format_report
    from .storage.database import database_for
    from .usage.feedback import FeedbackStore

    settings = _settings(ctx)
    engine = _engine(ctx)
    store = FeedbackStore(database_for(settings, "feedback"))
    result = build_report(engine.corpus, store, engine.embedder, engine, days=days or None, top=top,
                          similarity=similarity or GROUP_SIMILARITY)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        click.echo(format_report(result))


@main.group()
@click.option("--shop", metavar="NAME", help="The accounts of shop NAME's editors (they edit that shop only); "
              "without it, the server's editors: team leads, who edit the default shop and every shop.")
@click.pass_context
def editor(ctx: click.Context, shop: str | None) -> None:
    """Accounts of the editors who may change the corpus on the editor pages (/editor, /shops/NAME/editor)."""
    from .authoring.accounts import EDITORS_FILE

    settings = _settings(ctx)
    if shop is not None:
        from .shops.homes import shop_settings

        settings = shop_settings(settings, shop)
    ctx.obj["editors_file"] = settings.home / EDITORS_FILE


@editor.command("add")
@click.argument("name")
@click.password_option("--password", prompt="Password", confirmation_prompt=True,
                       help="Read from a hidden prompt when not given.")
@click.pass_context
def editor_add(ctx: click.Context, name: str, password: str) -> None:
    """Add editor NAME, or set a new password (stored as a hash in editors.toml)."""
    from .authoring.accounts import load_editors, set_editor_password

    path = ctx.obj["editors_file"]
    existed = name in load_editors(path)
    set_editor_password(path, name, password)
    click.echo(f"{'updated' if existed else 'added'} editor {name} in {path}")


@editor.command("remove")
@click.argument("name")
@click.pass_context
def editor_remove(ctx: click.Context, name: str) -> None:
    """Remove editor NAME (their open sessions end with their next request)."""
    from .authoring.accounts import remove_editor

    path = ctx.obj["editors_file"]
    if not remove_editor(path, name):
        raise click.ClickException(f"no editor {name} in {path}")
    click.echo(f"removed editor {name} from {path}")


@editor.command("list")
@click.pass_context
def editor_list(ctx: click.Context) -> None:
    """The configured editors."""
    from .authoring.accounts import load_editors

    path = ctx.obj["editors_file"]
    names = sorted(load_editors(path))
    for name in names:
        click.echo(name)
    if not names:
        click.echo(f"no editors yet: add one with `suggest editor add NAME` (writes {path})")


@main.group()
def storage() -> None:
    """The run-time state: feedback, learned examples, the edit history, editors' sessions (setting storage)."""


@storage.command("migrate")
@click.argument("url")
@click.pass_context
def storage_migrate(ctx: click.Context, url: str) -> None:
    """Copy this home's SQLite state (var/*.sqlite3), and every shop's, into the PostgreSQL at URL; then set
    storage = URL for the servers. Refused, copying nothing of a store, where the target already holds rows."""
    from .authoring import history, logins
    from .shops.homes import shop_names, shop_settings
    from .storage.migrate import migrate
    from .usage import feedback, learning

    stores = {"feedback": feedback.METADATA, "learning": learning.METADATA, "history": history.METADATA,
              "logins": logins.METADATA}
    server = _settings(ctx)
    homes = [("default shop", server)] + [(name, shop_settings(server, name)) for name in shop_names(server)]
    for label, settings in homes:
        moved = migrate(settings, url, stores)
        for item in moved:
            rows = ", ".join(f"{table} {count}" for table, count in item.rows.items())
            click.echo(f"{label}: {item.store} -> schema {item.schema}: {rows or 'no tables'}")
        if not moved:
            click.echo(f"{label}: nothing to copy (no SQLite files in {settings.data_dir})")


@main.command("settings")
@click.pass_context
def show_settings(ctx: click.Context) -> None:
    """Every setting, its current value and what it does (set in <home>/suggest.toml or SUGGEST_<NAME>)."""
    settings = _settings(ctx)
    for f in setting_fields():
        click.echo(f"{f.name:22} {str(getattr(settings, f.name)):28} {f.metadata['help']}")


from .shops.commands import shop  # noqa: E402 - the command group lives with the shops

main.add_command(shop)

if __name__ == "__main__":
    main()
