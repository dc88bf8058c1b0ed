from pathlib import Path

import pytest

from toolkit import prompts
from toolkit.prompts import PromptError, load_prompt, load_prompt_set, load_prompts, prompts_dir

GROUNDED_QUANTITY = {"tag": "q1", "zh": "166.5亿元", "en": "RMB16.65 billion"}


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def test_every_shipped_prompt_loads_with_an_id_and_a_version() -> None:
    prompts = load_prompts()
    assert set(prompts) == {
        "summarize",
        "summarize_map",
        "summarize_reduce",
        "translate",
        "repair",
    }
    for prompt_id, prompt in prompts.items():
        assert prompt.id == prompt_id
        assert prompt.ref == f"{prompt_id}@{prompt.version}"
        assert "units@2" in prompt.refs  # the shared few-shot conversions


def test_prompts_are_found_in_the_checkout() -> None:
    assert (prompts_dir() / "summarize.j2").is_file()


def test_summarize_renders_system_and_user_messages_in_tagged_sections() -> None:
    messages = load_prompt("summarize").render(
        document="第一季度收入166.5亿⟦q1⟧。",
        quantities=[GROUNDED_QUANTITY],
        numbers="grounded",
        max_bullets=10,
        max_claims=6,
        parts=1,
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert system.index("<instructions>") < system.index("<examples>")
    assert "divide 亿 by 10" not in system  # free-mode rule absent in grounded mode
    assert "{q3}" in system
    assert user.index("<document>") < user.index("<quantities>")
    assert "q1: zh 166.5亿元 | en RMB16.65 billion" in user


def test_free_mode_has_the_conversion_rule_and_no_quantities_section() -> None:
    messages = load_prompt("summarize").render(
        document="收入166.5亿。",
        quantities=[],
        numbers="free",
        max_bullets=8,
        max_claims=4,
        parts=1,
    )
    assert "divide 亿 by 10" in messages[0]["content"]
    assert "238.4亿元 = RMB23.84 billion" in messages[0]["content"]
    assert "<quantities>" not in messages[1]["content"]


def test_translation_into_chinese_shows_the_reverse_conversion_and_one_example() -> None:
    def render(target: str) -> tuple[str, str]:
        system, user = load_prompt("translate").render(
            target=target,
            items=[{"id": "b1", "text": "Revenue was $2.1 billion."}],
            numbers="free",
        )
        return system["content"], user["content"]

    system, user = render("zh")
    assert "into Simplified Chinese" in system and "billion × 10 = 亿" in system
    assert "12.1%" not in system  # a worked sentence here had its numbers copied
    assert "id: b1\ntext: Revenue was $2.1 billion." in user
    english, _ = render("en")
    assert "亿 ÷ 10 = billion" in english and "billion × 10" not in english
    assert "{q3}" not in system  # the tag rule is for grounded mode only


def test_a_missing_variable_is_refused() -> None:
    with pytest.raises(PromptError, match="missing max_claims"):
        load_prompt("summarize").render(document="x", quantities=[], numbers="free", max_bullets=8)


def test_an_unknown_variable_is_refused() -> None:
    with pytest.raises(PromptError, match="unknown temperature"):
        load_prompt("summarize").render(
            document="x",
            quantities=[],
            numbers="free",
            max_bullets=8,
            max_claims=4,
            temperature=0,
        )


def test_an_undefined_attribute_fails_instead_of_rendering_empty(tmp_path: Path) -> None:
    write(
        tmp_path,
        "p.j2",
        '+++\nid = "p"\nversion = 2\n+++\n{% block system %}x{% endblock %}'
        "{% block user %}{{ item.missing }}{% endblock %}",
    )
    prompt = load_prompt("p", tmp_path)
    assert prompt.ref == "p@2"
    with pytest.raises(PromptError, match="missing"):
        prompt.render(item={"id": 1})


def test_a_file_without_header_or_with_a_wrong_id_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "bare.j2", "{% block system %}{% endblock %}{% block user %}{% endblock %}")
    with pytest.raises(PromptError, match=r"\+\+\+ TOML header"):
        load_prompt("bare", tmp_path)
    write(tmp_path, "named.j2", '+++\nid = "other"\nversion = 1\n+++\n')
    with pytest.raises(PromptError, match="must be 'named'"):
        load_prompt("named", tmp_path)
    write(tmp_path, "v.j2", '+++\nid = "v"\nversion = "1"\n+++\n')
    with pytest.raises(PromptError, match="positive integer"):
        load_prompt("v", tmp_path)


def test_a_prompt_needs_system_and_user_blocks(tmp_path: Path) -> None:
    write(tmp_path, "p.j2", '+++\nid = "p"\nversion = 1\n+++\n{% block system %}x{% endblock %}')
    with pytest.raises(PromptError, match="blocks system, user"):
        load_prompt("p", tmp_path)


def test_partials_add_their_refs_and_variables(tmp_path: Path) -> None:
    write(tmp_path, "_part.j2", '+++\nid = "part"\nversion = 3\n+++\n{{ shared }}')
    write(
        tmp_path,
        "p.j2",
        '+++\nid = "p"\nversion = 1\n+++\n{% block system %}{% include "_part.j2" %}'
        "{% endblock %}{% block user %}{{ own }}{% endblock %}",
    )
    prompt = load_prompt("p", tmp_path)
    assert prompt.refs == ("p@1", "part@3")
    assert prompt.variables == {"shared", "own"}
    assert prompt.render(shared="S", own="O") == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "O"},
    ]


def test_a_partial_two_prompts_include_is_parsed_once_until_it_is_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    parse = prompts._parse
    monkeypatch.setattr(
        prompts, "_parse", lambda path, *rest: parsed.append(path.name) or parse(path, *rest)
    )
    write(tmp_path, "_part.j2", '+++\nid = "part"\nversion = 1\n+++\n{{ shared }}')
    for name in ("a", "b"):
        write(
            tmp_path,
            f"{name}.j2",
            f'+++\nid = "{name}"\nversion = 1\n+++\n{{% block system %}}{{% include "_part.j2" %}}'
            "{% endblock %}{% block user %}{{ own }}{% endblock %}",
        )
    assert load_prompt_set(["a", "b"], tmp_path)["b"].refs == ("b@1", "part@1")
    assert sorted(parsed) == ["_part.j2", "a.j2", "b.j2"]

    write(tmp_path, "_part.j2", '+++\nid = "part"\nversion = 2\n+++\n{{ shared }}!')
    assert load_prompt_set(["a", "b"], tmp_path)["a"].refs == ("a@1", "part@2")


def test_an_unknown_prompt_names_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"nope\.j2 does not exist"):
        load_prompt("nope", tmp_path)
