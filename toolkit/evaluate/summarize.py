"""Evaluate the summarizer on a data set and write ``metrics.json``, ``report.md``, ``report.html``.

A data set is JSONL, one document a line: ``{"id", "text", "reference"?, "doc_date"?}``. The
text may come as ``text``, ``transcript`` (ECTSum) or ``path`` (a file, relative to the JSONL
file); the reference as ``reference`` or ``summary_bullets`` (a list of bullets) or ``summary``
(one string or a list). So ``../shared/data/ectsum/val.jsonl`` and
``../shared/data/finna/dev.jsonl`` work as they are. An eval *config* (TOML, see
`EvalConfig`) names a data set, a model, the prompt versions it expects and the summarizer's
options.

Each document is summarized once (or its `SummaryReport` is read from ``--reports DIR``, e.g.
a batch's output), kept under ``OUT/reports/<id>.json`` as soon as it is done, and scored with
`toolkit.evaluate.metrics`; the lead-N baseline (the first N sentences of the source, N = the
number of reference bullets, else 5) is scored the same way in the same run, and the naive
verifier's judgement stands next to ours (``verbatim_precision``, ``naive_support_rate``).

Example::

    >>> metrics = run_summarize_eval(Path("evals/configs/kuaishou.toml"), Path("out/eval-sum"))
    >>> metrics.overall["summarizer"].numeric_precision
    1.0
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit.errors import InputError, VerisumError
from toolkit.evaluate import metrics as m
from toolkit.evaluate.jsonl import read_models
from toolkit.llm import LLMClient, StructuredLLM
from toolkit.prompts import load_prompt
from toolkit.settings import Settings, load_settings
from toolkit.summary import SummaryReport
from toolkit.verdict import Verdict, Verification
from toolkit.verify import prepare_source

DEFAULT_LEAD = 5
SYSTEMS = ("summarizer", "lead_n")


class _RawDoc(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    text: str | None = None
    transcript: str | None = None
    path: str | None = None
    reference: str | list[str] | None = None
    summary_bullets: list[str] | None = None
    summary: str | list[str] | None = None
    doc_date: date | None = None


class EvalDoc(BaseModel):
    """One document of a summarization data set, its aliases resolved."""

    id: str
    text: str
    reference: list[str] = Field(default_factory=list, description="bullets, or one summary")
    doc_date: date | None = None


class EvalConfig(BaseModel):
    """An eval config (``evals/configs/*.toml``); paths are relative to the config file.

    ``prompts`` lists the ``id@version`` the run expects (checked against ``prompts/`` before
    any model call, so a run never silently uses another prompt); ``backend``/``model`` select
    the model as ``--backend``/``--model`` would.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    dataset: str
    backend: Literal["openai", "local"] | None = None
    model: str | None = None
    prompts: list[str] = Field(default_factory=list)
    numbers: Literal["free", "grounded"] | None = None
    repair_rounds: int = Field(default=2, ge=0, le=10)
    keep_unsupported: bool = False
    lead_n: int | None = Field(default=None, ge=1, description="default: reference bullets, or 5")
    limit: int | None = Field(default=None, ge=1)
    ids: list[str] = Field(
        default_factory=list,
        description="only these documents, in this order (e.g. the shortest of a large set)",
    )


class SystemScores(BaseModel):
    """The metrics of one system on one document (or their macro average over documents).

    See `toolkit.evaluate.metrics` for each definition; None = undefined for this document
    (no numbers, no reference, or not applicable to the system).
    """

    numeric_precision: float | None = None
    quantities: int = 0
    verbatim_precision: float | None = None
    draft_precision: float | None = None
    claim_support_rate: float | None = None
    naive_support_rate: float | None = None
    contradicted_rate: float | None = None
    dropped_rate: float | None = None
    bilingual_consistency: float | None = None
    numeric_recall: float | None = None
    rouge_l: float | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    seconds: float | None = None


class DocResult(BaseModel):
    """Scores of one document for every system, or why it failed."""

    id: str
    chars: int
    reference_quantities: int = 0
    lead_n: int
    summarizer: SystemScores | None = None
    lead: SystemScores
    error: str | None = None


class SummarizeMetrics(BaseModel):
    """What ``metrics.json`` holds for a summarization eval."""

    kind: Literal["summarize"] = "summarize"
    dataset: str
    config: dict[str, Any] | None = None
    model: str | None = None
    prompts: list[str] = Field(default_factory=list)
    docs: int
    failed: int
    overall: dict[str, SystemScores] = Field(description="macro averages over documents")
    totals: dict[str, float] = Field(description="tokens, cost_usd and seconds of the whole run")
    per_doc: list[DocResult]
    problems: list[str] = Field(default_factory=list)


class DocView(BaseModel):
    """Everything the reports show for one document."""

    doc: EvalDoc
    report: SummaryReport | None
    lead: list[Verification]
    result: DocResult


# --- loading -----------------------------------------------------------------------------------


def load_config(path: Path) -> EvalConfig:
    """Read an eval config; a TOML or schema error names the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", path=str(path)) from exc
    try:
        return EvalConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise InputError(f"bad eval config: {problems}", path=str(path)) from exc


def check_prompts(expected: list[str]) -> None:
    """Raise `InputError` when a prompt ``id@version`` the config expects is not the one in
    ``prompts/``: a comparison between runs is only meaningful with known prompts."""
    for ref in expected:
        prompt_id, _, version = ref.partition("@")
        current = load_prompt(prompt_id).ref
        if version and current != ref:
            raise InputError(f"the eval config expects prompt {ref}, prompts/ has {current}")


def load_dataset(path: Path) -> tuple[list[EvalDoc], list[str]]:
    """Documents of a JSONL data set (aliases resolved) and the problems of the bad lines."""
    if not path.is_file():
        raise InputError("no such data set file", path=str(path))
    rows, problems = read_models(path, _RawDoc)
    docs: list[EvalDoc] = []
    seen: set[str] = set()
    for line, raw in rows:
        where = f"{path}:{line}"
        text = raw.text if raw.text is not None else raw.transcript
        if text is None and raw.path is not None:
            file = (path.parent / raw.path).resolve()
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                problems.append(f"{where}: cannot read {raw.path} ({exc.strerror})")
                continue
        if not text or not text.strip():
            problems.append(f"{where}: no text (give text, transcript or path)")
            continue
        if raw.id in seen:
            problems.append(f"{where}: duplicate id {raw.id!r}")
            continue
        seen.add(raw.id)
        ref = next(
            (r for r in (raw.reference, raw.summary_bullets, raw.summary) if r is not None), []
        )
        reference = [ref] if isinstance(ref, str) else list(ref)
        docs.append(
            EvalDoc(
                id=raw.id,
                text=text,
                reference=[r for r in reference if r.strip()],
                doc_date=raw.doc_date,
            )
        )
    return docs, problems


# --- scoring -----------------------------------------------------------------------------------


def source_side(text: str) -> Literal["zh", "en"]:
    """The summary side written in the source's language (verbatim measures compare it)."""
    return "zh" if m.is_chinese(text) else "en"


def score_report(doc: EvalDoc, report: SummaryReport, seconds: float | None) -> SystemScores:
    """All summary metrics of one `SummaryReport` against its document and reference."""
    side = source_side(doc.text)
    ref_side = source_side("\n".join(doc.reference)) if doc.reference else side
    kept_source_side = [getattr(item, side) for item in report.items]
    summary_proper = [report.headline, *report.bullets]
    recall, _ = m.numeric_recall(
        doc.reference, [text for item in report.items for text in (item.zh, item.en)]
    )
    return SystemScores(
        numeric_precision=m.numeric_precision(report),
        quantities=report.final.quantities,
        verbatim_precision=m.verbatim_precision(kept_source_side, doc.text),
        draft_precision=m.draft_precision(report),
        claim_support_rate=m.claim_support_rate(report),
        naive_support_rate=m.naive_support_rate(kept_source_side, doc.text),
        contradicted_rate=m.contradicted_rate(report),
        dropped_rate=m.dropped_rate(report),
        bilingual_consistency=m.bilingual_consistency(report),
        numeric_recall=recall,
        rouge_l=m.rouge_l(
            "\n".join(getattr(i, ref_side) for i in summary_proper), "\n".join(doc.reference)
        )
        if doc.reference
        else None,
        tokens=report.usage.total_tokens,
        cost_usd=float(report.usage.cost_usd),
        seconds=seconds if seconds is not None else report.timings.get("total"),
    )


def score_lead(doc: EvalDoc, n: int) -> tuple[SystemScores, list[Verification]]:
    """The lead-N baseline: the first ``n`` sentences, each verified against the source."""
    started = time.perf_counter()
    sentences = m.lead_sentences(doc.text, n)
    verifications = prepare_source(doc.text, doc_date=doc.doc_date).verify_many(sentences)
    precision, quantities = m.check_precision(verifications)
    with_numbers = [v for v in verifications if v.checks]
    recall, _ = m.numeric_recall(doc.reference, sentences)
    scores = SystemScores(
        numeric_precision=precision,
        quantities=quantities,
        verbatim_precision=m.verbatim_precision(sentences, doc.text),
        claim_support_rate=(
            sum(v.verdict is Verdict.SUPPORTED for v in with_numbers) / len(with_numbers)
            if with_numbers
            else None
        ),
        naive_support_rate=m.naive_support_rate(sentences, doc.text),
        contradicted_rate=(
            sum(v.verdict is Verdict.CONTRADICTED for v in with_numbers) / len(with_numbers)
            if with_numbers
            else None
        ),
        numeric_recall=recall,
        rouge_l=m.rouge_l("\n".join(sentences), "\n".join(doc.reference))
        if doc.reference
        else None,
        tokens=0,
        cost_usd=0.0,
        seconds=round(time.perf_counter() - started, 3),
    )
    return scores, verifications


def average(scores: list[SystemScores]) -> SystemScores:
    """Macro average of every metric (`metrics.mean`); ``quantities`` is summed."""
    fields: dict[str, Any] = {"quantities": sum(s.quantities for s in scores)}
    for name in SystemScores.model_fields:
        if name == "quantities":
            continue
        value = m.mean(getattr(s, name) for s in scores)
        fields[name] = (
            round(value) if name == "tokens" and value is not None else _round(value, name)
        )
    return SystemScores.model_validate(fields)


def _round(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    return round(value, 6 if name == "cost_usd" else 4)


# --- running -----------------------------------------------------------------------------------

Progress = Callable[[str], None]


def run_summarize_eval(
    source: Path,
    out: Path,
    *,
    limit: int | None = None,
    llm: StructuredLLM | None = None,
    settings: Settings | None = None,
    reports_dir: Path | None = None,
    progress: Progress | None = None,
) -> SummarizeMetrics:
    """Summarize (or read) every document of ``source`` (a JSONL data set or a TOML config),
    score it and the baselines, and write ``metrics.json``, ``report.md`` and ``report.html``.

    A document whose summary fails is reported with its error and the run goes on; each
    finished `SummaryReport` is written to ``OUT/reports/<id>.json`` right away.
    """
    config: EvalConfig | None = None
    dataset = source
    if source.suffix == ".toml":
        config = load_config(source)
        dataset = (source.parent / config.dataset).resolve()
        check_prompts(config.prompts)
    docs, problems = load_dataset(dataset)
    if config is not None and config.ids:
        by_id = {doc.id: doc for doc in docs}
        absent = [i for i in config.ids if i not in by_id]
        if absent:
            raise InputError(
                f"ids not in the data set: {', '.join(absent[:5])}"
                + (f" and {len(absent) - 5} more" if len(absent) > 5 else ""),
                path=str(dataset),
            )
        docs = [by_id[i] for i in config.ids]
    cap = limit or (config.limit if config else None)
    if cap is not None:
        docs = docs[:cap]
    reports_out = out / "reports"
    _mkdir(reports_out)
    client: StructuredLLM | None = llm
    owned: LLMClient | None = None
    if client is None and reports_dir is None:
        if config is not None and (config.backend or config.model):
            settings = load_settings(backend=config.backend, model=config.model)
        settings = settings or load_settings()
        owned = LLMClient(settings)
        client = owned
    views: list[DocView] = []
    try:
        for number, doc in enumerate(docs, start=1):
            if progress:
                progress(f"[{number}/{len(docs)}] {doc.id}")
            views.append(_run_doc(doc, config, client, reports_dir, reports_out))
    finally:
        if owned is not None:
            owned.close()
    metrics = _collect(dataset, config, views, problems)
    write_outputs(out, metrics, views)
    return metrics


def _run_doc(
    doc: EvalDoc,
    config: EvalConfig | None,
    llm: StructuredLLM | None,
    reports_dir: Path | None,
    reports_out: Path,
) -> DocView:
    n = (config.lead_n if config and config.lead_n else None) or len(doc.reference) or DEFAULT_LEAD
    lead_scores, lead = score_lead(doc, n)
    result = DocResult(
        id=doc.id,
        chars=len(doc.text),
        reference_quantities=m.numeric_recall(doc.reference, [])[1],
        lead_n=n,
        lead=lead_scores,
    )
    report: SummaryReport | None = None
    seconds: float | None = None
    try:
        if reports_dir is not None:
            report = _read_report(reports_dir / f"{_safe(doc.id)}.json")
        else:
            from toolkit.pipeline import summarize

            assert llm is not None
            started = time.perf_counter()
            report = summarize(
                doc.text,
                doc_id=doc.id,
                llm=llm,
                doc_date=doc.doc_date,
                **_options(config),
            )
            seconds = round(time.perf_counter() - started, 2)
            _write(reports_out / f"{_safe(doc.id)}.json", report.model_dump_json(indent=2) + "\n")
    except VerisumError as exc:
        result.error = str(exc)
    if report is not None:
        result.summarizer = score_report(doc, report, seconds)
    return DocView(doc=doc, report=report, lead=lead, result=result)


def _options(config: EvalConfig | None) -> dict[str, Any]:
    if config is None:
        return {}
    options: dict[str, Any] = {
        "repair_rounds": config.repair_rounds,
        "keep_unsupported": config.keep_unsupported,
    }
    if config.numbers is not None:
        options["numbers"] = config.numbers
    return options


def _read_report(path: Path) -> SummaryReport:
    try:
        return SummaryReport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"no summary report ({exc.strerror})", path=str(path)) from exc
    except ValidationError as exc:
        raise InputError(f"not a SummaryReport ({exc.errors()[0]['msg']})", path=str(path)) from exc


def _safe(doc_id: str) -> str:
    """A file name for a document id ("a/b" → "a_b")."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in doc_id) or "_"


def _collect(
    dataset: Path, config: EvalConfig | None, views: list[DocView], problems: list[str]
) -> SummarizeMetrics:
    results = [v.result for v in views]
    ours = [r.summarizer for r in results if r.summarizer is not None]
    reports = [v.report for v in views if v.report is not None]
    usage_cost = sum((r.usage.cost_usd for r in reports), Decimal(0))
    return SummarizeMetrics(
        dataset=config.name if config and config.name else dataset.stem,
        config=config.model_dump(mode="json") if config else None,
        model=reports[0].model if reports else None,
        prompts=sorted({p for r in reports for p in r.prompts}),
        docs=len(results),
        failed=sum(r.summarizer is None for r in results),
        overall={"summarizer": average(ours), "lead_n": average([r.lead for r in results])},
        totals={
            "tokens": float(sum(r.usage.total_tokens for r in reports)),
            "cost_usd": float(usage_cost),
            "seconds": round(sum(s.seconds or 0.0 for s in ours), 2),
        },
        per_doc=results,
        problems=problems + [f"{r.id}: {r.error}" for r in results if r.error],
    )


def write_outputs(out: Path, metrics: SummarizeMetrics, views: list[DocView]) -> None:
    """``metrics.json``, ``report.md`` and ``report.html`` into ``out``."""
    from toolkit.evaluate.report_html import render_summarize_html
    from toolkit.evaluate.report_md import render_summarize_md

    _mkdir(out)
    _write(out / "metrics.json", metrics.model_dump_json(indent=2) + "\n")
    _write(out / "report.md", render_summarize_md(metrics, views))
    _write(out / "report.html", render_summarize_html(metrics, views))


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output folder ({exc.strerror})", path=str(path)
        ) from exc


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror})", path=str(path)) from exc


def dump_json(data: Any) -> str:
    """JSON for reports (Decimals as strings, Chinese unescaped)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
