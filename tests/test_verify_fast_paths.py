"""The verifier's faster code paths (issue 6: CPU per document) give the answers of the plain
ones, and the verifier eval's outputs are written by one public function."""

from __future__ import annotations

import json
import random
from pathlib import Path

from toolkit.evaluate.verifier import (
    evaluate_verifier,
    load_verifier_dataset,
    run_verifier_eval,
    write_outputs,
)
from toolkit.lexicon import load_lexicon
from toolkit.verify import detect_language, prepare_source


def letter_count_language(text: str) -> str | None:
    """The rule of `detect_language` written as a plain loop over characters."""
    cjk = latin = other = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
            cjk += 1
        elif ch.isascii():
            latin += 1
        else:
            other += 1
    if other > cjk + latin or cjk + latin == 0:
        return None
    return "zh" if cjk * 4 >= latin else "en"


def test_language_detection_counts_letters_of_every_script_like_a_loop_would() -> None:
    alphabet = "aZ 7,.。，収入亿元ΑΣабвかなカナ한국\u3400\u4dbf\u4e00\u9fff①Ⅷ_é\u3000"
    rng = random.Random(6)
    texts = ["", "123 %", "Выручка выросла на 5%", "かなカナ收入", "收入 revenue Umsatz"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    for text in texts:
        assert detect_language(text) == letter_count_language(text), text


def test_a_match_names_its_concept_and_the_ones_it_also_names() -> None:
    lexicon = load_lexicon()
    for cid in ("revenue", "merchants", "daily"):
        named = lexicon.named(cid)
        assert [name for name, _, _ in named] == [cid, *lexicon.also(cid)]
        for name, metric, segment in named:
            assert (metric, segment) == (lexicon.is_metric(name), lexicon.is_segment(name))
    assert lexicon.named("not-a-concept") == (("not-a-concept", False, False),)


def test_surface_words_before_and_after_a_number_still_tell_metrics_apart() -> None:
    source = prepare_source("日均动销商家数同比增长19%，日均动销商品数同比增长38%。")
    assert source.verify("日均动销商品数同比增长38%").verdict.value == "supported"
    assert source.verify("日均动销商家数同比增长38%").verdict.value != "supported"


def test_the_eval_outputs_are_written_by_one_public_function(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    doc = {"id": "d1", "text": "第一季度线上营销服务收入达到了166.5亿。同比增长27.4%。"}
    row = {"id": "a", "doc_id": "d1", "claim": "Online marketing revenue was RMB16.7 billion"}
    (folder / "docs.jsonl").write_text(json.dumps(doc, ensure_ascii=False) + "\n")
    (folder / "cases.jsonl").write_text(json.dumps({**row, "label": "supported"}) + "\n")
    dataset = load_verifier_dataset(folder)
    predictions, verifications, metrics = evaluate_verifier(dataset)

    write_outputs(tmp_path / "direct", dataset, predictions, verifications, metrics)
    run_verifier_eval(folder, tmp_path / "via-run")

    saved = json.loads((tmp_path / "direct" / "metrics.json").read_text())
    assert saved["kind"] == "verifier"  # `verisum eval compare` refuses to mix kinds
    direct, via_run = tmp_path / "direct", tmp_path / "via-run"
    predictions_file = "predictions.jsonl"
    assert (direct / predictions_file).read_text() == (via_run / predictions_file).read_text()
    assert "## Misses (0)" in (direct / "report.md").read_text()  # (its timings differ)
