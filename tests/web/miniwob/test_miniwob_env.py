"""The live MiniWoB++ page: elements with stable refs, actions, clear errors, screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lumos.domains.miniwob.env import (
    ElementGoneError,
    EpisodeOverError,
    MiniWoBPage,
    NoSuchOptionError,
    NotTypeableError,
)
from lumos.domains.miniwob.input_values import UnreadableValueError
from lumos.domains.web_common.page import Element, WebPage

pytestmark = pytest.mark.browser


def _one(page: MiniWoBPage, tag: str, text: str | None = None) -> Element:
    found = [e for e in page.elements() if e.tag == tag and (text is None or e.text.lower() == text.lower())]
    assert found, (tag, text, [e.describe() for e in page.elements()])
    return found[0]


def test_page_lists_elements_with_stable_refs_and_the_utterance(browser: Any, tmp_path: Path) -> None:
    page = MiniWoBPage(browser, "enter-text", 5, run_dir=tmp_path)
    assert isinstance(page, WebPage)
    utterance = page.reset()
    target = dict(page.fields)["target"]
    assert target in utterance and page.meta["utterance"] == utterance
    first = {e.ref: e.tag for e in page.elements()}
    assert set(first.values()) == {"input", "button"}
    field = _one(page, "input")
    observation = page.act("TYPE", field, target)
    assert f'value="{target}"' in observation
    assert {e.ref: e.tag for e in page.elements()} == first  # refs survive an action
    assert page.details["screenshot"] == "screenshots/enter-text-5/01.png"
    assert (tmp_path / page.details["screenshot"]).read_bytes()[:4] == b"\x89PNG"
    page.act("CLICK", _one(page, "button", "submit"))
    result = page.result()
    assert result.done and result.reward > 0 and page.details["reward"] == result.reward
    with pytest.raises(EpisodeOverError):
        page.act("CLICK", field)


def test_typing_into_a_button_is_a_clear_step_error(browser: Any) -> None:
    page = MiniWoBPage(browser, "enter-text", 1)
    page.reset()
    with pytest.raises(NotTypeableError, match=r"cannot type into element \[\d+\] <button.*use CLICK"):
        page.act("TYPE", _one(page, "button", "submit"), "hello")
    assert not page.result().done  # nothing happened to the episode


def test_typing_into_a_read_only_field_is_a_clear_step_error(browser: Any) -> None:
    page = MiniWoBPage(browser, "choose-date", 2)
    page.reset()
    field = next(e for e in page.elements() if e.tag == "input")
    with pytest.raises(NotTypeableError, match=r"\[\d+\] <input>: it is read-only.*CLICKing it"):
        page.act("TYPE", field, "10/12/2016")
    assert not page.result().done


@pytest.mark.parametrize(
    ("task", "shown"),
    [
        ("enter-time", r"\d{1,2}:\d{2} [AP]M"),  # "9:37 PM": the space is lost to the field's keystrokes
        ("enter-date", r"\d{2}/\d{2}/\d{4}"),  # written here without leading zeros: "9/7/2013"
    ],
)
def test_a_date_or_a_time_typed_as_a_person_writes_it_is_rewarded(browser: Any, task: str, shown: str) -> None:
    page = MiniWoBPage(browser, task, 4)
    utterance = page.reset()
    match = re.search(shown, utterance)
    assert match, utterance
    text = re.sub(r"\b0(\d)", r"\1", match.group()) if task == "enter-date" else match.group()
    observation = page.act("TYPE", _one(page, "input"), text)
    assert re.search(r'value="[\d:-]+"', observation), observation
    page.act("CLICK", _one(page, "button", "submit"))
    assert page.result().reward > 0, text


def test_typing_what_is_not_a_time_into_a_time_field_is_a_clear_step_error(browser: Any) -> None:
    page = MiniWoBPage(browser, "enter-time", 1)
    page.reset()
    with pytest.raises(UnreadableValueError, match=r"cannot read 'soon' as a time; write it like 9:37 PM"):
        page.act("TYPE", _one(page, "input"), "soon")
    assert not page.result().done


def test_a_ref_from_an_earlier_episode_is_gone(browser: Any) -> None:
    page = MiniWoBPage(browser, "click-button", 1)
    page.reset()
    stale = page.elements()[0]
    MiniWoBPage(browser, "click-button", 2).reset()
    with pytest.raises(ElementGoneError, match=f"element \\[{stale.ref}\\] is no longer on the page"):
        page.act("CLICK", stale)


def test_select_on_a_select_element_and_its_errors(browser: Any) -> None:
    page = MiniWoBPage(browser, "choose-list", 3)
    page.reset()
    listbox = _one(page, "select")
    target = dict(page.fields)["target"]
    with pytest.raises(NoSuchOptionError, match="its options: .*" + target):
        page.act("SELECT", listbox, "no such thing")
    assert f'selected="{target}"' in page.act("SELECT", listbox, target.upper())
    page.act("CLICK", _one(page, "button", "submit"))
    assert page.result().reward > 0


def test_select_on_a_custom_widget_clicks_the_matching_option(browser: Any) -> None:
    page = MiniWoBPage(browser, "click-option", 4)
    page.reset()
    target = dict(page.fields)["target"]
    group = next(e for e in page.elements() if e.tag == "input")
    container = Element(
        ref=browser.driver.execute_script("return document.getElementById('boxes').dataset.wob_ref;"),
        tag="div",
    )
    page.act("SELECT", container, target)
    checked = [e for e in page.elements() if e.attributes.get("checked") == "true"]
    assert [e.text for e in checked] == [target], group
    page.act("CLICK", _one(page, "button", "submit"))
    assert page.result().reward > 0


def test_an_unfinished_episode_scores_minus_one(browser: Any) -> None:
    page = MiniWoBPage(browser, "click-button", 9)
    page.reset()
    result = page.close_episode()
    assert (result.reward, result.done) == (-1.0, False)
    assert "unfinished" in result.reason


@pytest.mark.slow
def test_every_task_page_resets_and_lists_its_elements(browser: Any) -> None:
    from lumos.domains.miniwob.tasks import all_tasks

    empty = []
    for task in all_tasks():
        page = MiniWoBPage(browser, task, 0)
        assert page.reset(), task
        if not page.elements():
            empty.append(task)
        assert page.observation()
    assert len(all_tasks()) >= 125 and empty in ([], ["drag-items-grid"]), empty
