"""The HTML reports: self-contained, document text escaped, every claim linked to its span."""

import json
import re
from pathlib import Path

import pytest

from toolkit.evaluate.report_html import SourceMarks, highlight
from toolkit.evaluate.sample import write_sample
from toolkit.evaluate.verifier_report import run_verifier_eval_html


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_sample(out)
    return out


def test_document_text_with_markup_is_shown_as_text(sample: Path) -> None:
    html = (sample / "report.html").read_text(encoding="utf-8")
    # the sample's second document, its reference and its summary all contain <script>
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html  # source text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the model's headline
    assert "hostile-&lt;b&gt;doc&lt;/b&gt;" in html  # a document id
    assert "<b>doc</b>" not in html
    # the only script element is the report's own
    assert len(re.findall(r"<script", html)) == 1


def test_the_report_fetches_nothing(sample: Path) -> None:
    html = (sample / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html


def test_every_number_links_to_a_highlighted_span_in_the_source(sample: Path) -> None:
    html = (sample / "report.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="#(d\d+-\d+-\d+)"', html))
    anchors = set(re.findall(r'<a class="anchor" id="(d\d+-\d+-\d+)"', html))
    assert links and links == anchors
    # 166.5亿 of the sample (offsets 64-70; "1:65-70" counts from 1) is supported by the headline
    # and contradicted by the dropped bullet: the span shows the worse verdict
    assert re.search(r'<span class="hl v-contradicted" data-s="d0-64-70"[^>]*>166.5亿</span>', html)


def test_claim_evidence_is_linked_and_marked(sample: Path) -> None:
    html = (sample / "report.html").read_text(encoding="utf-8")
    evidence = re.findall(r'class="ev-link" href="#(d0-\d+-\d+)"', html)
    assert len(evidence) == 2  # c1 kept, c2 dropped
    for anchor in evidence:
        assert re.search(rf'class="hl ev[^"]*" data-s="[^"]*{anchor}', html)


def test_overlapping_spans_are_cut_at_every_boundary() -> None:
    marks = SourceMarks(prefix="d0")
    marks.add(0, 9, "ev", "evidence")
    marks.add(3, 6, "v-supported", "check <1>")
    html = str(highlight("ab<script>", marks))
    assert html == (
        '<a class="anchor" id="d0-0-9"></a>'
        '<span class="hl ev" data-s="d0-0-9" title="evidence">ab&lt;</span>'
        '<a class="anchor" id="d0-3-6"></a>'
        '<span class="hl ev v-supported" data-s="d0-0-9 d0-3-6" '
        'title="evidence\ncheck &lt;1&gt;">scr</span>'
        '<span class="hl ev" data-s="d0-0-9" title="evidence">ipt</span>&gt;'
    )


def test_markdown_and_metrics_come_with_the_html(sample: Path) -> None:
    metrics = json.loads((sample / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["kind"] == "summarize"
    assert [d["id"] for d in metrics["per_doc"]] == ["kuaishou-2024q1-call", "hostile-<b>doc</b>"]
    md = (sample / "report.md").read_text(encoding="utf-8")
    assert "| numeric precision (verifier) |" in md
    assert "\\<script>" in md and "<script>" not in md.replace("\\<script>", "")


def _verifier_set(folder: Path) -> Path:
    folder.mkdir()
    docs = [{"id": "d1", "text": "线上营销服务收入达到了166.5亿。同比增长27.4% <script>"}]
    cases = [
        {"id": "c1", "doc_id": "d1", "claim": "营销收入166.5亿", "label": "supported"},
        {"id": "c2", "doc_id": "d1", "claim": "营销收入同比增长28%", "label": "contradicted"},
        {"id": "c3", "doc_id": "d1", "claim": "营销收入同比增长27.4%", "label": "not_supported"},
    ]
    for name, rows in (("docs", docs), ("cases", cases)):
        (folder / f"{name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
    return folder


def test_verifier_eval_writes_an_html_report_with_a_confusion_matrix(tmp_path: Path) -> None:
    metrics = run_verifier_eval_html(_verifier_set(tmp_path / "set"), tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert metrics.cases == 3
    assert "Confusion matrix" in html
    # one cell per (label, verdict): 3 labels × 3 verdicts
    assert len(re.findall(r"<title>label \w+, verdict \w+: \d+</title>", html)) == 9
    # c3 is labelled not_supported but verifies supported: a miss, shown with its evidence
    assert 'id="c3"' in html and "<mark>27.4%</mark>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    for name in ("predictions.jsonl", "metrics.json", "report.md"):
        assert (tmp_path / "out" / name).is_file()
