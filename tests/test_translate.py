"""The translate step picks the sides to translate and applies only real answers."""

from toolkit.checks import ItemChecker, WorkItem
from toolkit.drafts import TranslatedItem, TranslatedItems
from toolkit.translate import apply_translations, needing

SOURCE = "Revenue was $2.1 billion, up 12% year over year."
CHECKER = ItemChecker(SOURCE)


def item(id_: str, zh: str, en: str) -> WorkItem:
    return WorkItem(id=id_, kind="bullet", zh=zh, en=en)


def test_only_a_side_in_the_wrong_language_with_a_good_other_side_is_translated() -> None:
    work = {
        "b1": item("b1", SOURCE, SOURCE),  # zh in English: translate zh from en
        "b2": item("b2", "营收21亿美元。", "营收21亿美元。"),  # en in Chinese: translate en
        "b3": item("b3", "营收21亿美元。", "Revenue was $2.1 billion."),  # fine
        "b4": item("b4", "Revenue 21", "营收"),  # both wrong: nothing to translate from
    }
    checked = {i: CHECKER.check(w) for i, w in work.items()}
    assert [w.id for w, _ in needing("zh", work, checked)] == ["b1"]
    assert [w.id for w, _ in needing("en", work, checked)] == ["b2"]


def test_unknown_repeated_or_unchanged_answers_are_ignored() -> None:
    work = {"b1": item("b1", SOURCE, SOURCE), "b2": item("b2", SOURCE, SOURCE)}
    answer = TranslatedItems(
        items=[
            TranslatedItem(id=" b1 ", text="营收21亿美元。"),
            TranslatedItem(id="b1", text="另一个译文。"),
            TranslatedItem(id="b2", text=SOURCE),
            TranslatedItem(id="b9", text="未发送。"),
        ]
    )
    updated = apply_translations("zh", work, answer)
    assert list(updated) == ["b1"]
    assert updated["b1"].zh == "营收21亿美元。" and updated["b1"].en == SOURCE
    assert updated["b1"].repaired == 1
