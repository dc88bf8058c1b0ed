"""`salvage`: what can be kept of an answer the model could not finish within max_tokens."""

from toolkit.drafts import ChunkNotes, DraftSummary, salvage

HEAD = '{"headline_zh": "收入下降", "headline_en": "Revenue fell", '
BULLET = '{"part": 1, "zh": "收入2.36亿美元", "en": "Revenue $236 million"}'


def test_the_item_the_cut_fell_in_is_dropped_and_lists_not_yet_begun_are_empty() -> None:
    kept = salvage(DraftSummary, HEAD + f'"bullets": [{BULLET}, {{"part": 2, "zh": "调整后')
    assert kept is not None
    assert [b.en for b in kept.bullets] == ["Revenue $236 million"]
    assert kept.claims == []


def test_a_cut_inside_the_last_claim_keeps_every_bullet() -> None:
    text = HEAD + f'"bullets": [{BULLET}], "claims": [{{"zh": "收入", "en": "Rev", "evidence": "第4'
    kept = salvage(DraftSummary, text)
    assert kept is not None
    assert (len(kept.bullets), kept.claims) == (1, [])


def test_an_invalid_item_before_the_cut_means_the_answer_was_wrong_not_cut() -> None:
    blank = '{"part": 1, "zh": " ", "en": "Revenue"}'
    assert salvage(DraftSummary, HEAD + f'"bullets": [{blank}, {BULLET}, {{"part": 3') is None


def test_nothing_is_kept_when_the_cut_fell_before_a_required_field_or_any_item() -> None:
    assert salvage(DraftSummary, '{"headline_zh": "收入') is None
    assert salvage(DraftSummary, HEAD + '"bullets": [{"part": 1') is None  # min one bullet
    assert salvage(DraftSummary, "not json") is None


def test_map_notes_are_salvaged_the_same_way() -> None:
    notes = salvage(ChunkNotes, '{"claims": [{"zh": "a", "en": "b", "evidence": "c"}, {"zh": "d')
    assert notes is not None
    assert [c.zh for c in notes.claims] == ["a"]
