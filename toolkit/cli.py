"""The `verisum` command: a thin layer that parses arguments, calls the Python API and turns
verisum's own errors into one clean line on stderr (exit 1) instead of a traceback."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from toolkit import __version__
from toolkit.errors import VerisumError
from toolkit.settings import Settings, load_settings


class _Group(click.Group):
    """Click group that reports `VerisumError` as a message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VerisumError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="verisum")
def cli() -> None:
    """verisum: bilingual summaries whose numbers are checked against the source."""


# --- LLM settings and the embedded model (issue 4) -------------------------------------------


def llm_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--backend``, ``--model`` and ``--no-cache``; the command gets ``settings: Settings``.

    Reuse it on any command that calls a model::

        @cli.command()
        @llm_options
        def summarize(path: str, settings: Settings) -> None:
            with LLMClient(settings) as llm: ...
    """

    @click.option(
        "--backend",
        type=click.Choice(["openai", "local"]),
        default=None,
        help="openai-compatible endpoint or the embedded model [env VERISUM_BACKEND]",
    )
    @click.option("--model", default=None, help="model name [env VERISUM_MODEL]")
    @click.option(
        "--no-cache",
        is_flag=True,
        default=False,
        help="ask the model even when a cached answer exists [env VERISUM_NO_CACHE]",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any, backend: str | None, model: str | None, no_cache: bool, **kwargs: Any
    ) -> Any:
        settings = load_settings(backend=backend, model=model, no_cache=True if no_cache else None)
        return func(*args, settings=settings, **kwargs)

    return wrapper


@cli.command("config")
@llm_options
def config_command(settings: Settings) -> None:
    """Print the effective LLM settings, API key masked."""
    click.echo("# explicit options > environment > ./verisum.toml > defaults")
    for name, value in settings.effective().items():
        click.echo(f"{name} = {value}")


@cli.command("serve")
@click.option("--port", type=int, default=None, help="port on 127.0.0.1 [default 8080]")
@click.option("--n-ctx", type=int, default=None, help="context size [env VERISUM_LOCAL_N_CTX]")
def serve_command(port: int | None, n_ctx: int | None) -> None:
    """Run the embedded model's OpenAI-compatible server in the foreground on 127.0.0.1.

    Point other tools (or verisum with OPENAI_BASE_URL) at the printed URL; Ctrl-C stops it.
    """
    from toolkit.local_model import serve_foreground

    settings = load_settings(backend="local", local_n_ctx=n_ctx)
    chosen = port or settings.local_port or 8080
    click.echo(
        f"verisum: serving {settings.resolved_model} on "
        f"http://{settings.local_host}:{chosen}/v1 (n_ctx {settings.local_n_ctx}; Ctrl-C stops)",
        err=True,
    )
    serve_foreground(settings, chosen)


# --- quantity extraction (issue 2) -----------------------------------------------------------


@cli.command("quantities")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="one JSON object a line")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="default language")
@click.option(
    "--doc-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="date of the document, resolves 去年/last year (YYYY-MM-DD)",
)
def quantities_command(
    file: Path, as_json: bool, lang: str | None, doc_date: datetime | None
) -> None:
    """List every number and date in FILE with value, unit, qualifier, role, period and span.

    Example: verisum quantities examples/kuaishou-2024q1-call.txt
    """
    from toolkit.numbers import extract_quantities
    from toolkit.read import read_text

    text = read_text(file)
    found = extract_quantities(text, lang=lang, doc_date=doc_date.date() if doc_date else None)
    if as_json:
        for q in found:
            click.echo(json.dumps(q.model_dump(mode="json"), ensure_ascii=False))
        return
    from toolkit.quantity_table import quantity_table

    quantity_table(found, title=f"{file} — {len(found)} quantities")


# --- the claim verifier and its evals (issue 3) ----------------------------------------------


@cli.command("verify")
@click.argument("source_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("claim_texts", metavar="[CLAIM]...", nargs=-1)
@click.option(
    "--claims",
    "claims_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help='JSONL file of {"id", "claim"} rows to verify',
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object a line")
@click.option(
    "--doc-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="date of the document, resolves 去年/last year (YYYY-MM-DD)",
)
@click.option("--currency", default=None, help="currency of bare amounts (default: inferred)")
def verify_command(
    source_file: Path,
    claim_texts: tuple[str, ...],
    claims_file: Path | None,
    as_json: bool,
    doc_date: datetime | None,
    currency: str | None,
) -> None:
    """Check every number of each CLAIM against SOURCE_FILE: supported, contradicted or
    unverifiable, with the source evidence.

    Example: verisum verify examples/kuaishou-2024q1-call.txt "Q1 online marketing revenue
    was RMB16.65 billion"
    """
    from toolkit.evaluate.jsonl import read_models
    from toolkit.read import read_text
    from toolkit.verify import ClaimRow, prepare_source

    rows: list[ClaimRow] = [
        ClaimRow(id=str(i), claim=text) for i, text in enumerate(claim_texts, start=1)
    ]
    if claims_file is not None:
        parsed, problems = read_models(claims_file, ClaimRow)
        for problem in problems:
            click.echo(f"warning: {problem} (skipped)", err=True)
        rows += [row for _, row in parsed]
    if not rows:
        raise click.UsageError("give at least one CLAIM or --claims FILE")
    source = read_text(source_file)
    prepared = prepare_source(
        source, doc_date=doc_date.date() if doc_date else None, currency=currency
    )
    for row in rows:
        result = prepared.verify(row.claim)
        if as_json:
            payload = {"id": row.id, **result.model_dump(mode="json")}
            click.echo(json.dumps(payload, ensure_ascii=False))
            continue
        click.echo(
            f"[{row.id}] {result.verdict.value.upper()} ({result.reason.value}): {row.claim}"
        )
        for check in result.checks:
            click.echo(f"    {check.verdict.value:<12} {check.reason.value:<17} {check.message}")


@cli.group("eval", cls=_Group)
def eval_group() -> None:
    """Evaluate verisum's stages on labelled data sets."""


@eval_group.command("verifier")
@click.argument("dataset_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="folder for predictions.jsonl, metrics.json, report.md and report.html",
)
def eval_verifier_command(dataset_dir: Path, out_dir: Path) -> None:
    """Run the verifier on DATASET_DIR (docs.jsonl + cases.jsonl) and score it against the
    labels and the naive digit-string baseline."""
    from toolkit.evaluate.verifier_report import run_verifier_eval_html

    metrics = run_verifier_eval_html(dataset_dir, out_dir)
    for problem in metrics.problems:
        click.echo(f"warning: {problem} (skipped)", err=True)

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    click.echo(
        f"{metrics.dataset}: {metrics.cases} cases, binary accuracy "
        f"{pct(metrics.binary_accuracy)} (naive baseline {pct(metrics.baseline.binary_accuracy)})"
        f", 3-way {pct(metrics.accuracy)} over {metrics.accuracy_cases} cases, "
        f"{metrics.cases_per_second or 0:.0f} cases/s"
    )
    click.echo(f"wrote {out_dir / 'predictions.jsonl'}, metrics.json, report.md, report.html")


# --- summarization evals and run comparison (issue 7) ----------------------------------------


@eval_group.command("summarize")
@click.argument("dataset", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", type=click.IntRange(1), default=None, help="only the first K documents")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="folder for metrics.json, report.md, report.html, reports/ [default out/eval-NAME]",
)
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="score the SummaryReports <id>.json in this folder instead of calling the model",
)
@llm_options
def eval_summarize_command(
    dataset: Path,
    limit: int | None,
    out_dir: Path | None,
    reports_dir: Path | None,
    settings: Settings,
) -> None:
    """Summarize every document of DATASET (JSONL of {id, text, reference?}, or an eval config
    .toml) and score the summaries and the baselines; see evals/README.md for the metrics."""
    from toolkit.evaluate.report_html import fmt
    from toolkit.evaluate.summarize import run_summarize_eval

    out = out_dir or Path("out") / f"eval-{dataset.stem}"
    metrics = run_summarize_eval(
        dataset,
        out,
        limit=limit,
        settings=settings,
        reports_dir=reports_dir,
        progress=lambda message: click.echo(message, err=True),
    )
    for problem in metrics.problems:
        click.echo(f"warning: {problem}", err=True)
    ours, lead = metrics.overall["summarizer"], metrics.overall["lead_n"]
    click.echo(
        f"{metrics.dataset}: {metrics.docs} docs ({metrics.failed} failed); numeric precision "
        f"{fmt(ours.numeric_precision)} (verbatim {fmt(ours.verbatim_precision)}, lead-N "
        f"{fmt(lead.numeric_precision)}), recall {fmt(ours.numeric_recall)}, ROUGE-L "
        f"{fmt(ours.rouge_l)} (lead-N {fmt(lead.rouge_l)}), bilingual "
        f"{fmt(ours.bilingual_consistency)}, dropped {fmt(ours.dropped_rate)}"
    )
    click.echo(f"wrote {out / 'metrics.json'}, report.md, report.html")
    if metrics.docs and metrics.failed == metrics.docs:
        click.echo("Error: no document was summarized", err=True)
        sys.exit(1)


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(exists=True, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(min=0),
    default=0.01,
    show_default=True,
    help="absolute drop of a rate (precision, F1...) that counts as a regression",
)
@click.option(
    "--resource-threshold",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    help="relative rise of tokens/cost/seconds that counts as a regression",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="folder for compare.md and compare.json [default RUN_B]",
)
@click.option("--all", "show_all", is_flag=True, help="print unchanged metrics too")
def eval_compare_command(
    run_a: Path,
    run_b: Path,
    threshold: float,
    resource_threshold: float,
    out_dir: Path | None,
    show_all: bool,
) -> None:
    """Print and write the delta of every metric from RUN_A to RUN_B (eval output folders);
    exit 1 when a metric of RUN_B regressed beyond the threshold."""
    from toolkit.errors import InputError
    from toolkit.evaluate.compare import compare_runs, render_comparison

    result = compare_runs(run_a, run_b, threshold=threshold, resource_threshold=resource_threshold)
    out = out_dir or (run_b if run_b.is_dir() else run_b.parent)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.md").write_text(render_comparison(result), encoding="utf-8")
        (out / "compare.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the comparison ({exc.strerror})", path=str(out)) from exc
    click.echo(render_comparison(result, changed_only=not show_all), nl=False)
    click.echo(f"wrote {out / 'compare.md'} and compare.json", err=True)
    if result.regressions:
        names = ", ".join(d.metric for d in result.regressions)
        click.echo(f"REGRESSION: {names}", err=True)
        sys.exit(1)


# --- quantity extraction eval (issue 2) ------------------------------------------------------


@eval_group.command("quantities")
@click.option(
    "--dataset",
    "dataset_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("evals/datasets/quantities"),
    show_default=True,
    help="folder with spans.jsonl and shared-spans.jsonl",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("../shared/data"),
    show_default=True,
    help="shared data the references of shared-spans.jsonl point into",
)
@click.option("--misses", is_flag=True, help="also list every miss and extra mention")
def eval_quantities_command(dataset_dir: Path, data_dir: Path, misses: bool) -> None:
    """Score quantity extraction per field on the labelled spans: the in-repo snippets, then
    the shared-data references when ../shared/data is present (skipped with a message if not).
    """
    from toolkit.evaluate.quantities import format_score, run_quantities_eval

    scores, problems = run_quantities_eval(dataset_dir, data_dir)
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    for name, result in scores.items():
        click.echo(format_score(name, result, details=misses))


# --- summarization (issue 5) -----------------------------------------------------------------


@cli.command("summarize")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="folder for <name>.json and <name>.md",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "md", "json"]),
    default="table",
    show_default=True,
    help="what to print on stdout",
)
@click.option(
    "--numbers",
    type=click.Choice(["free", "grounded"]),
    default=None,
    help="free: the model writes numbers; grounded: it writes {q12} tags verisum renders "
    "[default: the measured better one, see README]",
)
@click.option("--keep-unsupported", is_flag=True, help="keep unsupported items, flagged ✗")
@click.option(
    "--repair-rounds",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="rounds of sending failed items back to the model",
)
@click.option(
    "--doc-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="date of the call, resolves 去年/last year in the source (YYYY-MM-DD)",
)
@llm_options
def summarize_command(
    file: Path,
    out_dir: Path,
    fmt: str,
    numbers: str | None,
    keep_unsupported: bool,
    repair_rounds: int,
    doc_date: datetime | None,
    settings: Settings,
) -> None:
    """Summarize FILE in Chinese and English, every number checked against FILE.

    Prints the summary with a mark per item (✓ supported, · no numbers, ✗ not supported) and
    writes OUT/<name>.json (the full SummaryReport) and OUT/<name>.md.
    """
    from rich.console import Console

    from toolkit.pipeline import DEFAULT_NUMBERS, partial_of, summarize
    from toolkit.read import read_text
    from toolkit.summary_format import print_report, to_markdown, write_outputs

    text = read_text(file)
    errors = Console(stderr=True, log_path=False)
    mode = numbers or DEFAULT_NUMBERS
    with errors.status(f"summarizing {file.name}") as status:

        def progress(stage: str, message: str) -> None:
            errors.log(f"[bold]{stage}[/bold] {message}", highlight=False)
            status.update(f"{stage}: {message}")

        try:
            report = summarize(
                text,
                doc_id=file.stem,
                settings=settings,
                numbers="grounded" if mode == "grounded" else "free",
                repair_rounds=repair_rounds,
                keep_unsupported=keep_unsupported,
                doc_date=doc_date.date() if doc_date else None,
                progress=progress,
            )
        except VerisumError as exc:
            partial = partial_of(exc)
            if partial is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                kept = out_dir / f"{file.stem}.partial.json"
                kept.write_text(partial.model_dump_json(indent=2), encoding="utf-8")
                errors.print(f"partial results written to {kept}")
            raise
    json_path, md_path = write_outputs(report, out_dir, file.stem)
    if fmt == "json":
        click.echo(report.model_dump_json(indent=2))
    elif fmt == "md":
        click.echo(to_markdown(report), nl=False)
    else:
        print_report(report, Console())
    errors.print(f"wrote {json_path} and {md_path}", highlight=False)


# --- batch summarization (issue 6) -----------------------------------------------------------


@cli.command("batch")
@click.argument("input_spec", metavar="INPUT")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="folder for <id>.json, summaries.jsonl, errors.jsonl and run.json (resumable)",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=None,
    help="model requests in flight; against an endpoint half as many documents more are "
    "prepared ahead [default: 1 for the embedded model, 16 hosted, or VERISUM_CONCURRENCY]",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="processes sharing the documents in flight [default: 1 for the embedded model; "
    "hosted: one per core up to 4, one per 8 requests in flight]",
)
@click.option("--limit", type=click.IntRange(1), default=None, help="only the first K documents")
@click.option(
    "--numbers",
    type=click.Choice(["free", "grounded"]),
    default=None,
    help="how the model writes numbers (as for summarize)",
)
@click.option("--keep-unsupported", is_flag=True, help="keep unsupported items, flagged")
@click.option(
    "--repair-rounds", type=click.IntRange(0, 10), default=2, show_default=True, help="per doc"
)
@click.option("--rpm", type=click.FloatRange(min=0.1), default=None, help="requests/minute cap")
@click.option("--tpm", type=click.FloatRange(min=1), default=None, help="tokens/minute cap")
@click.option(
    "--engine",
    type=click.Choice(["live", "openai-batch"]),
    default="live",
    show_default=True,
    help="live requests, or the provider's Batch API (half price, hours)",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0.01),
    default=30.0,
    show_default=True,
    help="seconds between Batch API status checks (--engine openai-batch)",
)
@click.option("--no-progress", is_flag=True, help="no progress bar (logs only)")
@llm_options
def batch_command(
    input_spec: str,
    out_dir: Path,
    concurrency: int | None,
    workers: int | None,
    limit: int | None,
    numbers: str | None,
    keep_unsupported: bool,
    repair_rounds: int,
    rpm: float | None,
    tpm: float | None,
    engine: str,
    poll_interval: float,
    no_progress: bool,
    settings: Settings,
) -> None:
    """Summarize every document of INPUT into --out: a folder (*.txt, *.md, recursive), a glob
    or a JSONL file of {id, text, doc_date?} rows. Re-running resumes; exit 0 when every
    document succeeded, 2 when some failed (see OUT/errors.jsonl), 130 when interrupted.

    Example: verisum batch calls/ --out out/season --concurrency 8
    """
    from rich.console import Console

    from toolkit.batch import summarize_many
    from toolkit.batch_progress import BatchProgress
    from toolkit.pipeline import DEFAULT_NUMBERS

    console = Console(stderr=True)
    mode = numbers or DEFAULT_NUMBERS
    bar = None if no_progress else BatchProgress(console)
    with bar if bar is not None else contextlib.nullcontext():
        result = summarize_many(
            input_spec,
            out=out_dir,
            settings=settings,
            numbers="grounded" if mode == "grounded" else "free",
            repair_rounds=repair_rounds,
            keep_unsupported=keep_unsupported,
            concurrency=concurrency,
            workers=workers,
            limit=limit,
            rpm=rpm,
            tpm=tpm,
            engine="openai-batch" if engine == "openai-batch" else "live",
            poll_interval=poll_interval,
            progress=bar,
            log=bar.log if bar is not None else lambda m: console.print(m, highlight=False),
        )
    console.print(result.describe(), highlight=False)
    if result.counts.failed:
        console.print(f"failed documents: {out_dir / 'errors.jsonl'}", highlight=False)
    sys.exit(result.exit_code)


def main() -> None:
    """Console-script entry point."""
    cli()
