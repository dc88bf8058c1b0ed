"""`toolkit.summarize`: a transcript in, a bilingual summary out, every number checked and repaired.

The stages, each in its own module:

normalize (`toolkit.normalize`) → segment into turns (`toolkit.segment`) → in grounded mode tag
the source's quantities (`toolkit.grounded`) → one call for a document that fits the context,
else chunk (`toolkit.chunk`), map each chunk to notes and reduce the notes (prompts under
``prompts/``) → check every item: both sides verified against the whole source, sides compared,
evidence located (`toolkit.checks`) → repair what failed, at most ``repair_rounds`` rounds
(`toolkit.repair`) → drop what is still unsupported, or keep it flagged → `SummaryReport`.

The pipeline is written once, as a generator that yields the model requests it needs and
receives their answers; `summarize` answers them with `LLMClient.structured`, `asummarize`
with `LLMClient.astructured` (map requests concurrently). So batch code gets real asyncio
without a second copy of the logic.

Example::

    >>> report = summarize(Path("examples/kuaishou-2024q1-call.txt").read_text())
    >>> report.final.precision, len(report.bullets)
    (1.0, 9)
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from toolkit import translate as translation
from toolkit.checks import ItemChecker, WorkItem, is_blocking
from toolkit.chunk import chunk_turns
from toolkit.drafts import (
    MAX_LIST,
    ChunkNotes,
    DraftClaim,
    DraftSummary,
    RepairedItems,
    TranslatedItems,
    salvage,
    summary_for_parts,
)
from toolkit.errors import (
    InputError,
    LLMOutputInvalid,
    LLMOutputTruncated,
    LLMUnavailable,
    VerisumError,
)
from toolkit.evidence import SourceText
from toolkit.grounded import TaggedSource, placeholders, tag_source
from toolkit.llm import LLMClient, StructuredLLM, schema_of
from toolkit.normalize import normalize
from toolkit.numbers import extract_quantities
from toolkit.prompts import Prompt, load_prompt_set
from toolkit.repair import apply_repairs, entries, excerpts_for, repair_messages
from toolkit.rescale import rescale_round
from toolkit.segment import Speaker, segment
from toolkit.settings import Settings
from toolkit.summary import (
    ClaimItem,
    DroppedItem,
    Item,
    NumbersMode,
    NumericStats,
    RepairRound,
    SummaryReport,
)
from toolkit.verdict import Verdict

DEFAULT_NUMBERS: NumbersMode = "free"
# Every prompt a run may use (their versions, and their partials', are in each report and are
# what the batch resume key compares).
PROMPTS = ("summarize", "summarize_map", "summarize_reduce", "translate", "repair")
DEFAULT_REPAIR_ROUNDS = 2
MAX_BULLETS = 10
MAX_CLAIMS = 5
HOSTED_CONTEXT_WINDOW = 32768
SUMMARY_MAX_TOKENS = 3000
NOTES_MAX_TOKENS = 1500
REPAIR_MAX_TOKENS = 1500
# Chat-template wrapping per message, and slack for the estimate of the tool schema.
TEMPLATE_TOKENS = 64
# One-call prompt: parts of about (answer tokens × slack / max_bullets), never smaller than this.
PART_MIN_TOKENS = 120
PART_SLACK = 1.5

Progress = Callable[[str, str], None]
M = TypeVar("M", bound=BaseModel)


class PartialSummary(BaseModel):
    """What a failed run had produced, so a caller can keep or write it (nothing is lost)."""

    doc_id: str
    stage: str
    error: str
    notes: list[DraftClaim] = []
    failed_chunks: list[int] = []
    draft: DraftSummary | None = None


class PartialOutputInvalid(LLMOutputInvalid):
    """The model never produced valid output; ``partial`` holds what came before."""

    def __init__(self, message: str, partial: PartialSummary) -> None:
        super().__init__(message)
        self.partial = partial


class PartialUnavailable(LLMUnavailable):
    """The model stopped answering mid-document; ``partial`` holds what came before."""

    def __init__(self, message: str, partial: PartialSummary) -> None:
        super().__init__(message)
        self.partial = partial


def partial_of(exc: BaseException) -> PartialSummary | None:
    """The partial results carried by a summarize failure, if any."""
    partial = getattr(exc, "partial", None)
    return partial if isinstance(partial, PartialSummary) else None


@dataclass(frozen=True)
class LLMRequest:
    """One structured call the pipeline needs answered."""

    response_model: type[BaseModel]
    messages: list[dict[str, str]]
    prompt: str
    max_tokens: int


Outcome = BaseModel | VerisumError
Pipeline = Generator[list[LLMRequest], list[Outcome], SummaryReport]


@dataclass
class Options:
    """Everything that shapes one run, resolved from `summarize`'s arguments."""

    doc_id: str | None = None
    doc_date: date | None = None
    numbers: NumbersMode = DEFAULT_NUMBERS
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS
    keep_unsupported: bool = False
    max_bullets: int = MAX_BULLETS
    max_claims: int = MAX_CLAIMS
    context_window: int | None = None
    progress: Progress | None = None


def summarize(
    text: str,
    *,
    doc_id: str | None = None,
    settings: Settings | None = None,
    llm: StructuredLLM | None = None,
    numbers: NumbersMode = DEFAULT_NUMBERS,
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS,
    keep_unsupported: bool = False,
    doc_date: date | None = None,
    max_bullets: int = MAX_BULLETS,
    max_claims: int = MAX_CLAIMS,
    context_window: int | None = None,
    progress: Progress | None = None,
) -> SummaryReport:
    """Summarize ``text`` into a `SummaryReport` (see the module docstring for the stages).

    ``llm`` is reused as given (and left open); without it a client is built from ``settings``
    and closed at the end. ``context_window`` overrides the model's context size (tokens).
    Raises `InputError` for empty or binary text, `PartialOutputInvalid` /
    `PartialUnavailable` (with ``.partial``) when the model fails before a summary exists.
    """
    options = Options(
        doc_id,
        doc_date,
        numbers,
        repair_rounds,
        keep_unsupported,
        max_bullets,
        max_claims,
        context_window,
        progress,
    )
    client, owned = (llm, False) if llm is not None else (LLMClient(settings), True)
    try:
        with client.track() as meter:
            pipeline = _Pipeline(text, client, options)
            report = _drive_sync(pipeline.run(), client)
        return report.model_copy(update={"usage": meter.usage})
    finally:
        if owned:
            client.close()


async def asummarize(
    text: str,
    *,
    doc_id: str | None = None,
    settings: Settings | None = None,
    llm: StructuredLLM | None = None,
    numbers: NumbersMode = DEFAULT_NUMBERS,
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS,
    keep_unsupported: bool = False,
    doc_date: date | None = None,
    max_bullets: int = MAX_BULLETS,
    max_claims: int = MAX_CLAIMS,
    context_window: int | None = None,
    progress: Progress | None = None,
) -> SummaryReport:
    """`summarize` for asyncio: the same pipeline, map requests sent concurrently.

    Token counting and verification are CPU work done inline; a batch runs many documents
    concurrently and bounds model requests with the client's own semaphore.
    """
    options = Options(
        doc_id,
        doc_date,
        numbers,
        repair_rounds,
        keep_unsupported,
        max_bullets,
        max_claims,
        context_window,
        progress,
    )
    client, owned = (llm, False) if llm is not None else (LLMClient(settings), True)
    try:
        with client.track() as meter:
            pipeline = _Pipeline(text, client, options)
            report = await _drive_async(pipeline.run(), client)
        return report.model_copy(update={"usage": meter.usage})
    finally:
        if owned:
            await asyncio.to_thread(client.close)


def _drive_sync(pipeline: Pipeline, llm: StructuredLLM) -> SummaryReport:
    try:
        requests = next(pipeline)
        while True:
            outcomes: list[Outcome] = []
            for request in requests:
                try:
                    outcomes.append(
                        llm.structured(
                            request.response_model,
                            request.messages,
                            prompt=request.prompt,
                            max_tokens=request.max_tokens,
                        )
                    )
                except VerisumError as exc:
                    outcomes.append(exc)
            requests = pipeline.send(outcomes)
    except StopIteration as stop:
        report: SummaryReport = stop.value
        return report


async def _drive_async(pipeline: Pipeline, llm: StructuredLLM) -> SummaryReport:
    async def answer(request: LLMRequest) -> Outcome:
        try:
            return await llm.astructured(
                request.response_model,
                request.messages,
                prompt=request.prompt,
                max_tokens=request.max_tokens,
            )
        except VerisumError as exc:
            return exc

    try:
        requests = next(pipeline)
        while True:
            outcomes = await asyncio.gather(*(answer(r) for r in requests))
            requests = pipeline.send(list(outcomes))
    except StopIteration as stop:
        report: SummaryReport = stop.value
        return report


def context_window_of(llm: StructuredLLM) -> int:
    """The model's context size: the client's own figure, the local server's ``n_ctx``, or a
    conservative default for hosted models."""
    value = getattr(llm, "context_window", None)
    if isinstance(value, int) and value > 0:
        return value
    settings = getattr(llm, "settings", None)
    if isinstance(settings, Settings) and settings.resolved_backend == "local":
        return settings.local_n_ctx
    return HOSTED_CONTEXT_WINDOW


@dataclass
class _Timer:
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, started: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - started, 3)


class _Pipeline:
    """One document's run; `run` is the generator the drivers answer."""

    def __init__(self, text: str, llm: StructuredLLM, options: Options) -> None:
        self.text = text
        self.llm = llm
        self.options = options
        self.sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        self.doc_id = options.doc_id or f"doc-{self.sha256[:12]}"
        self.timer = _Timer()
        self.warnings: list[str] = []
        self.prompt_refs: dict[str, None] = {}
        self.prompts = load_prompt_set(PROMPTS)
        self.window = options.context_window or context_window_of(llm)
        # The answer schemas cap lists at MAX_LIST items (a grammar for the local model).
        options.max_bullets = max(1, min(options.max_bullets, MAX_LIST))
        options.max_claims = max(0, min(options.max_claims, MAX_LIST))
        self.tagged: TaggedSource | None = None

    # ------------------------------------------------------------------ driver protocol

    def run(self) -> Pipeline:
        started = time.perf_counter()
        self._check_input()
        grounded = self.options.numbers == "grounded"
        self._say("prepare", "normalizing and tagging quantities" if grounded else "normalizing")
        t0 = time.perf_counter()
        normalized = normalize(self.text)
        view = normalized.text
        if grounded:
            self.tagged = tag_source(view, extract_quantities(view))
            view = self.tagged.text
        self.timer.add("prepare", t0)

        draft, chunks = yield from self._draft(view)

        # The source is prepared for checking after the draft's request, not before: nothing
        # before that request needs it, and under a batch's concurrency every millisecond of CPU
        # before a request delays it (the first requests of a batch went out ~4 ms per document
        # later). The same checker, the same verdicts.
        t0 = time.perf_counter()
        checker = ItemChecker(
            self.text,
            doc_date=self.options.doc_date,
            tags=self.tagged.tags if self.tagged else None,
            evidence_source=SourceText(self.text, normalized),
        )
        self.timer.add("prepare", t0)

        self._say("verify", "checking every number against the source")
        t0 = time.perf_counter()
        work = _work_items(draft)
        checked = {w.id: checker.check(w) for w in work.values()}
        first = _stats(checked.values())
        self.timer.add("verify", t0)

        rounds = yield from self._repair(work, checked, checker, view)
        repaired_stats = _stats(checked.values())

        headline = checked.pop("headline")
        kept: list[Item] = []
        dropped: list[DroppedItem] = []
        for item in checked.values():
            kind = "claim" if isinstance(item, ClaimItem) else "bullet"
            if is_blocking(item) and not self.options.keep_unsupported:
                dropped.append(DroppedItem(kind=kind, item=item))
            else:
                kept.append(item)
        bullets = [i for i in kept if not isinstance(i, ClaimItem)]
        claims = [i for i in kept if isinstance(i, ClaimItem)]
        if is_blocking(headline) and not self.options.keep_unsupported:
            # A headline cannot be left out, and one still wrong after repair must not stay:
            # the first kept bullet, which verified, becomes the headline (else the first kept
            # claim: a long call's map -> reduce can keep no bullet at all).
            stand_in = bullets[0] if bullets else _as_bullet(claims[0]) if claims else None
            if stand_in is not None:
                dropped.insert(0, DroppedItem(kind="headline", item=headline))
                headline = stand_in.model_copy(update={"id": "headline"})
            else:
                self.warnings.append(
                    "the headline did not verify and no bullet or claim was kept to replace it; "
                    "it is kept, marked not supported"
                )
        self.timer.timings["total"] = round(time.perf_counter() - started, 3)
        self._say("done", f"{len(bullets)} bullets, {len(claims)} claims, {len(dropped)} dropped")
        return SummaryReport(
            doc_id=self.doc_id,
            sha256=self.sha256,
            chars=len(self.text),
            model=self.llm.model_name,
            endpoint=self.llm.endpoint,
            numbers=self.options.numbers,
            prompts=list(self.prompt_refs),
            headline=headline,
            bullets=bullets,
            claims=claims,
            dropped=dropped,
            repairs=rounds,
            draft=first,
            repaired=repaired_stats,
            final=_stats([headline, *bullets, *claims]),
            chunks=chunks,
            warnings=self.warnings,
            usage=self.llm.usage,
            timings=self.timer.timings,
        )

    # ------------------------------------------------------------------ stages

    def _draft(
        self, view: str
    ) -> Generator[list[LLMRequest], list[Outcome], tuple[DraftSummary, int]]:
        """The model's first summary: one call when the document fits, else map and reduce."""
        prompt = self.prompts["summarize"]
        document, parts = self._parts(view)
        single = self._messages(
            prompt,
            document=document,
            parts=parts,
            quantities=self._listing(view),
            max_bullets=self.options.max_bullets,
        )
        if self._fits(single, DraftSummary, SUMMARY_MAX_TOKENS):
            self._say("summarize", f"one call for the whole document ({parts} parts)")
            t0 = time.perf_counter()
            shape = summary_for_parts(
                _spread(parts, self.options.max_bullets), self.options.max_claims
            )
            answer = yield [self._request(shape, single, prompt, SUMMARY_MAX_TOKENS)]
            self.timer.add("summarize", t0)
            return self._expect(answer[0], DraftSummary, "summarize"), 1

        t0 = time.perf_counter()
        map_prompt = self.prompts["summarize_map"]
        empty = self._messages(
            map_prompt, document="", quantities=self._listing(view), part=1, parts=1
        )
        budget = self._budget(empty, ChunkNotes, NOTES_MAX_TOKENS)
        chunks = chunk_turns(view, segment(view), budget=budget, count_tokens=self.llm.count_tokens)
        for chunk in chunks:
            if chunk.cut:
                self.warnings.append(
                    f"chunk {chunk.index + 1} of {len(chunks)} cuts a sentence that alone "
                    f"exceeds the {budget}-token budget (chars {chunk.span[0]}-{chunk.span[1]})"
                )
        self.timer.add("chunk", t0)
        self._say("map", f"{len(chunks)} chunks of at most {budget} tokens")
        t0 = time.perf_counter()
        requests = [
            self._request(
                ChunkNotes,
                self._messages(
                    map_prompt,
                    document=chunk.text,
                    quantities=self._listing(chunk.text),
                    part=chunk.index + 1,
                    parts=len(chunks),
                ),
                map_prompt,
                NOTES_MAX_TOKENS,
            )
            for chunk in chunks
        ]
        answers = yield requests
        notes: list[DraftClaim] = []
        failed: list[int] = []
        errors: list[VerisumError] = []
        for index, outcome in enumerate(answers):
            usable = (
                outcome
                if isinstance(outcome, ChunkNotes)
                else self._salvaged(outcome, ChunkNotes, f"map (chunk {index + 1})")
            )
            if usable is not None:
                notes.extend(usable.claims)
            else:
                failed.append(index)
                errors.append(
                    outcome if isinstance(outcome, VerisumError) else _wrong_type(outcome)
                )
        self.timer.add("map", t0)
        if errors:
            raise self._partial(errors[0], "map", notes=notes, failed=failed)

        t0 = time.perf_counter()
        draft = yield from self._reduce(notes)
        self.timer.add("reduce", t0)
        return draft, len(chunks)

    def _reduce(
        self, notes: list[DraftClaim]
    ) -> Generator[list[LLMRequest], list[Outcome], DraftSummary]:
        """Reduce notes to one summary; if they exceed the context, reduce groups first."""
        prompt = self.prompts["summarize_reduce"]
        while True:
            messages = self._reduce_messages(prompt, notes)
            if self._fits(messages, DraftSummary, SUMMARY_MAX_TOKENS):
                self._say("reduce", f"{len(notes)} notes into one summary")
                answer = yield [self._request(DraftSummary, messages, prompt, SUMMARY_MAX_TOKENS)]
                try:
                    return self._expect(answer[0], DraftSummary, "reduce")
                except VerisumError as exc:
                    raise self._partial(exc, "reduce", notes=notes) from exc
            groups = self._note_groups(prompt, notes)
            if len(groups) >= len(notes):
                raise InputError(
                    "the notes of this document do not fit the model's context even one by "
                    f"one ({self.window} tokens); use a model with a larger context",
                    path=self.doc_id,
                )
            self._say("reduce", f"{len(notes)} notes in {len(groups)} groups first")
            answers = yield [
                self._request(
                    DraftSummary, self._reduce_messages(prompt, g), prompt, SUMMARY_MAX_TOKENS
                )
                for g in groups
            ]
            merged: list[DraftClaim] = []
            for outcome in answers:
                try:
                    merged.extend(self._expect(outcome, DraftSummary, "reduce").claims)
                except VerisumError as exc:
                    raise self._partial(exc, "reduce", notes=notes) from exc
            if len(merged) >= len(notes):
                raise InputError(
                    f"reducing {len(notes)} notes did not shorten them; the document is too "
                    f"long for a {self.window}-token context",
                    path=self.doc_id,
                )
            notes = merged

    def _repair(
        self,
        work: dict[str, WorkItem],
        checked: dict[str, Item],
        checker: ItemChecker,
        view: str,
    ) -> Generator[list[LLMRequest], list[Outcome], list[RepairRound]]:
        prompt = self.prompts["repair"]
        rounds: list[RepairRound] = []
        if self.options.repair_rounds > 0:
            # Round 0, cheapest first: rescale (no model), translate a failing side from a
            # passing one, rescale what the translation got wrong by 10ⁿ; then the repair prompt.
            rounds += self._rescale(work, checked, checker)
            translated = yield from self._translate(work, checked, checker)
            if translated:
                rounds += translated
                rounds += self._rescale(work, checked, checker)
        for number in range(1, self.options.repair_rounds + 1):
            failing = _failing(work, checked)
            if not failing:
                break
            self._say("repair", f"round {number}: {len(failing)} items sent back")
            t0 = time.perf_counter()
            used = " ".join(f"{w.zh} {w.en} {w.evidence or ''}" for w, _ in failing)
            quantities = self._listing(view, also=used)
            numbers = self.options.numbers
            # The sentences around the numbers in question, not the whole document: on a CPU
            # the prompt's length is most of a round's time, and the weak model finds the right
            # sentence more often in a short excerpt.
            excerpts = excerpts_for(self.text, failing) if numbers == "free" else []
            messages = repair_messages(
                prompt, failing, excerpts=excerpts or [view], quantities=quantities, numbers=numbers
            )
            answer = yield [self._request(RepairedItems, messages, prompt, REPAIR_MAX_TOKENS)]
            stage = f"repair round {number}"
            outcome = self._salvaged(answer[0], RepairedItems, stage) or answer[0]
            if not isinstance(outcome, RepairedItems):
                rounds.append(
                    RepairRound(
                        round=number,
                        prompt=prompt.ref,
                        entries=entries(failing, {}, {}),
                        seconds=round(time.perf_counter() - t0, 3),
                        error=str(outcome),
                    )
                )
                self.warnings.append(f"repair round {number} failed: {outcome}")
                break
            updated = apply_repairs(work, outcome)
            rechecked = {i: checker.check(w) for i, w in updated.items()}
            work.update(updated)
            checked.update(rechecked)
            rounds.append(
                RepairRound(
                    round=number,
                    prompt=prompt.ref,
                    entries=entries(failing, updated, rechecked),
                    seconds=round(time.perf_counter() - t0, 3),
                )
            )
            self.timer.add("repair", t0)
            if not updated:
                # Nothing changed: the next round would send the very same request.
                break
        return rounds

    def _rescale(
        self, work: dict[str, WorkItem], checked: dict[str, Item], checker: ItemChecker
    ) -> list[RepairRound]:
        """`toolkit.rescale` on the failing items (free mode: grounded numbers are verisum's)."""
        if self.options.numbers != "free":
            return []
        failing = _failing(work, checked)
        rescale, updated, rechecked = rescale_round(failing, checker)
        if rescale is None:
            return []
        work.update(updated)
        checked.update(rechecked)
        fixed = sum(entry.fixed for entry in rescale.entries)
        self._say("repair", f"rescaled {len(updated)} items ({fixed} now verify)")
        return [rescale]

    def _translate(
        self, work: dict[str, WorkItem], checked: dict[str, Item], checker: ItemChecker
    ) -> Generator[list[LLMRequest], list[Outcome], list[RepairRound]]:
        """Round 0: a side with problems of its own, translated from the other side, which has
        none (`toolkit.translate`); one call per direction that has such items."""
        prompt = self.prompts["translate"]
        rounds: list[RepairRound] = []
        for target in ("zh", "en"):
            sent = translation.needing(target, work, checked)
            if not sent:
                continue
            self._say("translate", f"{len(sent)} items need their {target} side")
            t0 = time.perf_counter()
            messages = translation.translate_messages(
                prompt, target, [w for w, _ in sent], numbers=self.options.numbers
            )
            answer = yield [self._request(TranslatedItems, messages, prompt, REPAIR_MAX_TOKENS)]
            outcome = self._salvaged(answer[0], TranslatedItems, "translate") or answer[0]
            seconds = round(time.perf_counter() - t0, 3)
            self.timer.add("translate", t0)
            if not isinstance(outcome, TranslatedItems):
                # Not fatal: the items stay as they are, for repair or dropping.
                rounds.append(
                    RepairRound(
                        round=0,
                        prompt=prompt.ref,
                        entries=entries(sent, {}, {}),
                        seconds=seconds,
                        error=str(outcome),
                    )
                )
                self.warnings.append(f"translating {target} sides failed: {outcome}")
                continue
            updated = translation.apply_translations(target, work, outcome)
            rechecked = {i: checker.check(w) for i, w in updated.items()}
            work.update(updated)
            checked.update(rechecked)
            rounds.append(
                RepairRound(
                    round=0,
                    prompt=prompt.ref,
                    entries=entries(sent, updated, rechecked),
                    seconds=seconds,
                )
            )
        return rounds

    # ------------------------------------------------------------------ helpers

    def _check_input(self) -> None:
        if not self.text.strip():
            raise InputError("the document is empty", path=self.doc_id)
        if "\x00" in self.text:
            raise InputError(
                "the document looks binary (it contains NUL characters)", path=self.doc_id
            )

    def _parts(self, view: str) -> tuple[str, int]:
        """The document as the one-call prompt shows it, and how many numbered parts it has.

        A weak model given one block summarizes its beginning only. So the answers are cut into
        about ``max_bullets`` parts of similar size (at sentence ends) numbered [1]..[n], and the
        prompt asks for one bullet per part. Questions are left out: they state no facts, and the
        1.5B model copied them as bullets ("本地生活业务最近的进展…").
        """
        turns = segment(view)
        answers = [t for t in turns if t.speaker is not Speaker.QUESTION]
        sizes = {t.index: self.llm.count_tokens(view[t.span[0] : t.span[1]]) for t in answers}
        wanted = max(1, self.options.max_bullets)
        budget = max(PART_MIN_TOKENS, math.ceil(sum(sizes.values()) * PART_SLACK / wanted))
        lines: list[str] = []
        number = 0
        for turn in turns:
            text = view[turn.span[0] : turn.span[1]].strip()
            if turn.speaker is Speaker.QUESTION:
                continue
            pieces = [text]
            if sizes[turn.index] > budget:
                chunks = chunk_turns(
                    view, [turn], budget=budget, count_tokens=self.llm.count_tokens
                )
                pieces = [chunk.text.strip() for chunk in chunks]
            for piece in pieces:
                number += 1
                lines.append(f"[{number}] {piece}")
        if not number:
            return f"[1] {view.strip()}", 1
        return "\n".join(lines), number

    def _say(self, stage: str, message: str) -> None:
        if self.options.progress is not None:
            self.options.progress(stage, message)

    def _listing(self, text: str, *, also: str = "") -> list[dict[str, str]]:
        """The <quantities> rows for the tags that occur in ``text`` (or are named in ``also``)."""
        if self.tagged is None:
            return []
        named = set(placeholders(also))
        return [
            {"tag": tag.tag, "zh": tag.zh, "en": tag.en}
            for name, tag in self.tagged.tags.items()
            if f"⟦{name}⟧" in text or name in named
        ]

    def _messages(self, prompt: Prompt, **variables: Any) -> list[dict[str, str]]:
        """Render with the run's numbers mode and claim count (bullets: callers that write them)."""
        return prompt.render(
            numbers=self.options.numbers, max_claims=self.options.max_claims, **variables
        )

    def _reduce_messages(self, prompt: Prompt, notes: Sequence[DraftClaim]) -> list[dict[str, str]]:
        text = " ".join(f"{n.zh} {n.en} {n.evidence}" for n in notes)
        return self._messages(
            prompt,
            notes=[n.model_dump() for n in notes],
            quantities=self._listing("", also=text),
            max_bullets=self.options.max_bullets,
        )

    def _note_groups(self, prompt: Prompt, notes: list[DraftClaim]) -> list[list[DraftClaim]]:
        """Split notes into consecutive groups that each fit a reduce call."""
        groups: list[list[DraftClaim]] = []
        for note in notes:
            if groups and self._fits(
                self._reduce_messages(prompt, [*groups[-1], note]), DraftSummary, SUMMARY_MAX_TOKENS
            ):
                groups[-1].append(note)
            else:
                groups.append([note])
        return groups

    def _request(
        self,
        model: type[BaseModel],
        messages: list[dict[str, str]],
        prompt: Prompt,
        max_tokens: int,
    ) -> LLMRequest:
        self.prompt_refs.update(dict.fromkeys(prompt.refs))
        return LLMRequest(model, messages, prompt.ref, max_tokens)

    def _prompt_tokens(self, messages: list[dict[str, str]], schema: type[BaseModel]) -> int:
        text = "\n".join(m["content"] for m in messages)
        schema_text = str(schema_of(schema))
        return self.llm.count_tokens(text) + self.llm.count_tokens(schema_text) + TEMPLATE_TOKENS

    def _fits(
        self, messages: list[dict[str, str]], schema: type[BaseModel], max_tokens: int
    ) -> bool:
        return self._prompt_tokens(messages, schema) + max_tokens <= self.window

    def _budget(self, empty: list[dict[str, str]], schema: type[BaseModel], max_tokens: int) -> int:
        budget = self.window - self._prompt_tokens(empty, schema) - max_tokens
        if budget < 256:
            raise InputError(
                f"the model's context ({self.window} tokens) leaves {budget} tokens for the "
                "document after the prompt and the answer; use a larger context",
                path=self.doc_id,
            )
        return budget

    def _expect(self, outcome: Outcome, model: type[M], stage: str) -> M:
        if isinstance(outcome, model):
            return outcome
        kept = self._salvaged(outcome, model, stage)
        if kept is not None:
            return kept
        error = outcome if isinstance(outcome, VerisumError) else _wrong_type(outcome)
        raise self._partial(error, stage)

    def _salvaged(self, outcome: Outcome, model: type[M], stage: str) -> M | None:
        """What came before the cut of an answer that ran out of tokens (`salvage`), noted in
        the report's warnings; None when the outcome is another error or nothing is usable."""
        if not isinstance(outcome, LLMOutputTruncated) or not outcome.partial:
            return None
        kept = salvage(model, outcome.partial)
        if kept is not None:
            counts = ", ".join(
                f"{len(value)} {name}"
                for name, value in kept
                if isinstance(value, list)  # bullets, claims, items
            )
            self.warnings.append(
                f"{stage}: the model's answer ran out of tokens; kept what it completed before "
                f"the cut ({counts})"
            )
        return kept

    def _partial(
        self,
        error: VerisumError,
        stage: str,
        *,
        notes: list[DraftClaim] | None = None,
        failed: list[int] | None = None,
    ) -> VerisumError:
        if partial_of(error) is not None:
            return error
        partial = PartialSummary(
            doc_id=self.doc_id,
            stage=stage,
            error=str(error),
            notes=notes or [],
            failed_chunks=failed or [],
        )
        kept = f" ({len(partial.notes)} notes kept in .partial)" if partial.notes else ""
        message = f"{self.doc_id}: {stage} failed: {error}{kept}"
        if isinstance(error, LLMUnavailable):
            return PartialUnavailable(message, partial)
        if isinstance(error, LLMOutputInvalid):
            return PartialOutputInvalid(message, partial)
        return error


def _spread(parts: int, bullets: int) -> tuple[int, ...]:
    """Which parts get a bullet: all of them, or ``bullets`` spread evenly from the first."""
    if parts <= bullets:
        return tuple(range(1, parts + 1))
    return tuple(1 + (i * parts) // bullets for i in range(bullets))


def _wrong_type(outcome: object) -> LLMOutputInvalid:
    return LLMOutputInvalid(f"the model client returned a {type(outcome).__name__}")


def _as_bullet(claim: ClaimItem) -> Item:
    """The claim's sides and verdicts without its evidence, to stand in as the headline."""
    return Item.model_validate(claim.model_dump(exclude={"evidence"}))


def _failing(work: dict[str, WorkItem], checked: dict[str, Item]) -> list[tuple[WorkItem, Item]]:
    """The items that still have problems, each as written and as checked."""
    return [(work[i], checked[i]) for i in work if checked[i].problems]


def _work_items(draft: DraftSummary) -> dict[str, WorkItem]:
    """The draft as numbered work items, exact duplicates removed."""
    items: dict[str, WorkItem] = {
        "headline": WorkItem(
            id="headline", kind="headline", zh=draft.headline_zh, en=draft.headline_en
        )
    }
    seen: set[str] = set()
    for number, bullet in enumerate(draft.bullets, start=1):
        if bullet.en.lower() in seen or bullet.zh in seen:
            continue
        seen.update({bullet.en.lower(), bullet.zh})
        items[f"b{number}"] = WorkItem(id=f"b{number}", kind="bullet", zh=bullet.zh, en=bullet.en)
    seen.clear()
    for number, claim in enumerate(draft.claims, start=1):
        if claim.en.lower() in seen or claim.zh in seen:
            continue
        seen.update({claim.en.lower(), claim.zh})
        items[f"c{number}"] = WorkItem(
            id=f"c{number}", kind="claim", zh=claim.zh, en=claim.en, evidence=claim.evidence
        )
    return items


def _stats(items: Iterable[Item]) -> NumericStats:
    """Numbers stated on both sides of ``items``, by verdict."""
    tally = dict.fromkeys(Verdict, 0)
    count = 0
    for item in items:
        count += 1
        for side in (item.verification.zh, item.verification.en):
            for check in side.checks:
                tally[check.verdict] += 1
    return NumericStats(
        items=count,
        quantities=sum(tally.values()),
        supported=tally[Verdict.SUPPORTED],
        contradicted=tally[Verdict.CONTRADICTED],
        unverifiable=tally[Verdict.UNVERIFIABLE],
    )
