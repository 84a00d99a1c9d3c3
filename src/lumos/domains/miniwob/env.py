"""A live MiniWoB++ task in headless Chromium, shown to lumos's web tools as a :class:`WebPage`.

One :class:`~lumos.domains.miniwob.browser.Browser` (a Selenium-driven Chromium found by
:mod:`lumos.browser`) runs one episode at a time; :class:`MiniWoBPage` is one episode of one task on it,
driven through the ``miniwob`` package's ``SeleniumInstance`` (its seeding, episode start and reward
bookkeeping). The page lists the task area's visible, interactive elements with the refs MiniWoB's own
``core.getDOMInfo`` gives them (stable for the episode), takes CLICK / TYPE / SELECT on them and saves a PNG
screenshot after every action.

Episode clock: MiniWoB ends an episode with reward -1 after ``core.EPISODE_MAX_TIME`` (10 s by default),
which a model that thinks for seconds per step cannot meet. Before each episode the page sets
``core.EPISODE_MAX_TIME`` to :attr:`PageOptions.episode_seconds` (600 s by default;
``lumos eval miniwob`` reads ``LUMOS_MINIWOB_EPISODE_SECONDS``); the raw reward, which lumos reports, is
not scaled by time anyway.
An episode the agent leaves unfinished scores -1, what MiniWoB's clock would give it.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lumos.domains.miniwob.browser import Browser
from lumos.domains.miniwob.dom_js import ELEMENTS_JS, SET_VALUE_JS
from lumos.domains.miniwob.input_values import VALUE_INPUTS, field_value
from lumos.domains.miniwob.tasks import check_task
from lumos.domains.web_common.page import Element, Operation
from lumos.errors import ToolError, require

log = logging.getLogger(__name__)

DEFAULT_EPISODE_SECONDS = 600.0
ENDED = "The task has ended ("
"""How the page state after the end of an episode begins."""
TYPEABLE_INPUTS = {"text", "password", "email", "number", "search", "tel", "url", "date", "time", ""}


class ElementGoneError(ToolError):
    """The element was on an earlier view of the page but is not there (or not visible) now."""

    kind = "element_gone"


class NotTypeableError(ToolError):
    """TYPE on an element that takes no text."""

    kind = "not_typeable"


class NoSuchOptionError(ToolError):
    """SELECT with a value that no option of the element matches."""

    kind = "no_such_option"


class EpisodeOverError(ToolError):
    """An action after the task has ended (MiniWoB gave its reward)."""

    kind = "episode_over"


class BrowserCrashedError(ToolError):
    """The browser behind the page died; the episode is recorded as failed and the browser restarted."""

    kind = "browser_crashed"


@dataclass
class PageOptions:
    """How episodes run: the clock, the element list, and where screenshots go."""

    episode_seconds: float = field(
        default=DEFAULT_EPISODE_SECONDS, metadata={"help": "MiniWoB's episode clock for model-paced agents"}
    )
    max_elements: int = field(default=80, metadata={"help": "most elements listed per page view"})
    settle_seconds: float = field(default=0.05, metadata={"help": "pause after an action for page scripts"})
    screenshots: bool = field(default=True, metadata={"help": "save a PNG after each action"})
    observation_chars: int = field(
        default=600, metadata={"help": "clip of the page text shown after an action"}
    )


@dataclass
class EpisodeResult:
    reward: float
    done: bool
    reason: str
    steps: int = 0


class MiniWoBPage:
    """One episode of a MiniWoB++ task (call :meth:`reset` first): the web tools' :class:`WebPage`."""

    def __init__(
        self,
        browser: Browser,
        task: str,
        seed: int,
        *,
        episode_id: str | None = None,
        run_dir: Path | None = None,
        options: PageOptions | None = None,
    ) -> None:
        self.browser = browser
        self.task = check_task(task)
        self.seed = seed
        self.episode_id = episode_id or f"{task}-{seed}"
        self.run_dir = run_dir
        self.options = options or PageOptions()
        self.utterance = ""
        self.fields: list[tuple[str, str]] = []
        self.steps = 0
        self.crashed: str | None = None
        self.screenshots: list[str] = []
        self.details: dict[str, Any] = {}
        """What the last action recorded (screenshot path, reward when the task ended, observation)."""

    # ------------------------------------------------------------------------------------ episode

    @property
    def meta(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "seed": self.seed,
            "utterance": self.utterance,
            "fields": dict(self.fields),
        }

    def reset(self) -> str:
        """Start the episode (seeded) and return the utterance, which is the agent's task."""
        with self._guard():
            instance = self.browser.open(self.task)
            instance.force_stop()
            ms = int(self.options.episode_seconds * 1000)
            self.browser.driver.execute_script(f"core.EPISODE_MAX_TIME = {ms};")
            instance.begin_task(seed=self.seed)
            response = self.browser.driver.execute_script("return core.getUtterance();")
            if isinstance(response, dict):
                self.utterance = response["utterance"]
                self.fields = list(response["fields"].items())
            else:
                self.utterance = str(response)
                self.fields = list(instance.field_extractor(self.utterance))
        self.steps, self.screenshots, self.details = 0, [], {}
        self._screenshot()
        return self.utterance

    def result(self) -> EpisodeResult:
        """The episode's raw reward so far: MiniWoB's when it ended, else -1 (what its clock would give)."""
        if self.crashed:
            return EpisodeResult(-1.0, True, f"browser crashed: {self.crashed}", self.steps)
        meta = self._metadata()
        if meta["done"]:
            return EpisodeResult(float(meta["raw_reward"]), True, str(meta.get("reason") or ""), self.steps)
        return EpisodeResult(-1.0, False, "unfinished: the agent stopped before the task ended", self.steps)

    def ended(self) -> bool:
        """Whether the episode is over (MiniWoB says done, or the browser crashed)."""
        return self.result().done

    def close_episode(self) -> EpisodeResult:
        """End the episode (an unfinished one is stopped) and return its result."""
        result = self.result()
        if not self.crashed and not result.done:
            try:
                self.browser.instance.force_stop()
            except Exception as exc:
                log.debug("stopping %s: %s", self.episode_id, exc)
        return result

    # ------------------------------------------------------------------------------------ WebPage

    def elements(self) -> list[Element]:
        with self._guard():
            rows = self.browser.driver.execute_script(ELEMENTS_JS, self.options.max_elements)
        return [
            Element(
                ref=str(r["ref"]),
                tag=r["tag"],
                text=r.get("text") or "",
                attributes={k: str(v) for k, v in (r.get("attributes") or {}).items()},
                context=r.get("context") or "",
            )
            for r in rows or []
        ]

    def observation(self) -> str:
        result = self.result()
        if result.done:
            outcome = "success" if result.reward > 0 else "failure"
            why = f": {result.reason}" if result.reason else ""
            return f"{ENDED}{outcome}, reward {result.reward:g}{why})."
        lines = [e.describe() for e in self.elements()]
        text = "\n".join(lines) or "The page shows no element to click, type into or select."
        limit = self.options.observation_chars
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def act(self, op: Operation, element: Element, value: str | None = None) -> str:
        """Do ``op`` on ``element`` and return the new page state."""
        if self.result().done:
            raise EpisodeOverError("the task has already ended; no more actions are taken on this page")
        with self._guard():
            target = self._find(element.ref)
            if op == "CLICK":
                self._click(target)
            elif op == "TYPE":
                self._type(target, element, value or "")
            elif op == "SELECT":
                self._select(target, element, value or "")
            else:
                raise ToolError(f"unknown operation {op!r}; use CLICK, TYPE or SELECT")
            time.sleep(self.options.settle_seconds)
        self.steps += 1
        observation = self.observation()
        self.details = {"observation": observation}
        shot = self._screenshot()
        if shot:
            self.details["screenshot"] = shot
        result = self.result()
        if result.done:
            self.details["reward"] = result.reward
        return observation

    # ------------------------------------------------------------------------------------ actions

    def _find(self, ref: str) -> Any:
        el = self.browser.driver.execute_script(
            "var e = document.querySelector('[data-wob_ref=\"' + arguments[0] + '\"]');"
            "if (!e || e.dataset.wob_eps !== 'e' + WOB_EPISODE_ID) return null;"
            "var r = e.getBoundingClientRect(); return (r.width > 0 && r.height > 0) ? e : null;",
            str(ref),
        )
        if el is None:
            raise ElementGoneError(
                f"element [{ref}] is no longer on the page (it was removed or hidden); act on one of the "
                "elements the page shows now"
            )
        return el

    def _click(self, target: Any) -> None:
        exceptions = require("selenium.common.exceptions", package="selenium", extra="web")
        try:
            target.click()
        except (
            exceptions.ElementClickInterceptedException,
            exceptions.ElementNotInteractableException,
            exceptions.WebDriverException,
        ) as exc:
            if not self.browser.alive():
                raise
            log.debug("native click failed (%s); dispatching the events", type(exc).__name__)
            self.browser.driver.execute_script(
                "var e = arguments[0];"
                "['mousedown', 'mouseup', 'click'].forEach(function (n) {"
                "  e.dispatchEvent(new MouseEvent(n, {bubbles: true, cancelable: true, view: window})); });"
                "if (e.focus) e.focus();",
                target,
            )

    def _type(self, target: Any, element: Element, text: str) -> None:
        if target.tag_name.lower() == "label":  # typing "into a label" means into the field it names
            target = self.browser.driver.execute_script(
                "return arguments[0].control || arguments[0];", target
            )
        tag = target.tag_name.lower()
        kind = (target.get_attribute("type") or "").lower()
        editable = target.get_attribute("isContentEditable") == "true"
        if not (tag == "textarea" or (tag == "input" and kind in TYPEABLE_INPUTS) or editable):
            shown = f"<{tag}{' type=' + kind if kind else ''}>"
            raise NotTypeableError(
                f"cannot type into element [{element.ref}] {shown}: TYPE needs a text field (an input or a "
                "textarea); use CLICK for buttons, links and checkboxes, SELECT for lists"
            )
        if not editable and (target.get_property("readOnly") or not target.is_enabled()):
            state = "read-only" if target.get_property("readOnly") else "disabled"
            raise NotTypeableError(
                f"cannot type into element [{element.ref}] <{tag}>: it is {state} on this page; a read-only "
                "field is filled by CLICKing it and then what it opens (a date picker, a list)"
            )
        self._click(target)
        if tag == "input" and kind in VALUE_INPUTS:
            self.browser.driver.execute_script(SET_VALUE_JS, target, field_value(kind, text))
            return
        exceptions = require("selenium.common.exceptions", package="selenium", extra="web")
        try:
            if not editable:
                target.clear()
            target.send_keys(text)
        except (exceptions.InvalidElementStateException, exceptions.ElementNotInteractableException) as exc:
            if not self.browser.alive():
                raise
            raise NotTypeableError(
                f"cannot type into element [{element.ref}] <{tag}> now ({type(exc).__name__}): the page does "
                "not let it take text; act on another element first"
            ) from exc

    def _select(self, target: Any, element: Element, value: str) -> None:
        if target.tag_name.lower() == "select":
            ui = require("selenium.webdriver.support.ui", package="selenium", extra="web")
            choice = ui.Select(target)
            texts = [o.text.strip() for o in choice.options]
            index = best_match(value, texts)
            if index is None:
                raise NoSuchOptionError(
                    f"no option of [{element.ref}] matches {value!r}; its options: {', '.join(texts)}"
                )
            choice.select_by_index(index)
            return
        # A custom widget: an option inside it, or else open it with a click and pick from what appears.
        inside = self._descendants(target)
        index = best_match(value, [e.text for e in inside])
        if index is None:
            before = {e.ref for e in inside}
            self._click(target)
            time.sleep(self.options.settle_seconds)
            shown = [e for e in self.elements() if e.ref != element.ref]
            fresh = [e for e in shown if e.ref not in before]
            index = best_match(value, [e.text for e in shown])
            if index is None:
                seen = ", ".join(sorted({e.text for e in fresh or shown if e.text}))[:300]
                raise NoSuchOptionError(
                    f"no option matching {value!r} in or after opening [{element.ref}]; shown: {seen or 'none'}"
                )
            inside = shown
        self._click(self._find(inside[index].ref))

    def _descendants(self, target: Any) -> list[Element]:
        refs = set(
            self.browser.driver.execute_script(
                "return Array.from(arguments[0].querySelectorAll('[data-wob_ref]'))"
                ".map(function (e) { return e.dataset.wob_ref; });",
                target,
            )
            or []
        )
        return [e for e in self.elements() if e.ref in refs]

    # ------------------------------------------------------------------------------------ plumbing

    def _metadata(self) -> dict[str, Any]:
        with self._guard():
            meta: dict[str, Any] = self.browser.instance.get_metadata()
        return meta

    def _screenshot(self) -> str | None:
        """Save the task area as ``screenshots/<episode>/<step>.png`` under the run directory."""
        if self.run_dir is None or not self.options.screenshots or self.crashed:
            return None
        image_mod = require("PIL.Image", package="pillow", extra="web", purpose="screenshots")
        relative = Path("screenshots") / _safe(self.episode_id) / f"{self.steps:02d}.png"
        path = self.run_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._guard():
            png = self.browser.driver.get_screenshot_as_png()
            box = self.browser.driver.execute_script(
                "var w = document.getElementById('wrap') || document.body, r = w.getBoundingClientRect();"
                "return [r.left, r.top, r.right, r.bottom, window.devicePixelRatio || 1];"
            )
        image = image_mod.open(io.BytesIO(png))
        left, top, right, bottom, ratio = box
        image.crop(tuple(int(v * ratio) for v in (left, top, right, bottom))).save(path)
        self.screenshots.append(str(relative))
        return str(relative)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn a dead browser into a step error (the runner restarts it); anything else propagates."""
        if self.crashed:
            raise BrowserCrashedError(f"the browser of this episode crashed earlier ({self.crashed})")
        try:
            yield
        except ToolError:
            raise
        except Exception as exc:
            if self.browser.alive():
                raise
            self.crashed = f"{type(exc).__name__}: {str(exc).strip()[:200]}"
            raise BrowserCrashedError(
                f"the browser crashed ({self.crashed}); this episode counts as failed"
            ) from exc


def best_match(value: str, texts: list[str]) -> int | None:
    """Index of the text that best matches ``value``: exact (ignoring case and spaces), then containment,
    then fuzzy (rapidfuzz ratio >= 80); None when nothing is close."""
    want = " ".join(value.lower().split())
    if not want:
        return None
    norm = [" ".join(t.lower().split()) for t in texts]
    for i, t in enumerate(norm):
        if t == want:
            return i
    contains = [i for i, t in enumerate(norm) if t and (want in t or t in want)]
    if contains:
        return min(contains, key=lambda i: abs(len(norm[i]) - len(want)))
    fuzz = require("rapidfuzz.fuzz", package="rapidfuzz", extra="web")
    scored = [(fuzz.ratio(want, t), i) for i, t in enumerate(norm) if t]
    if scored:
        score, i = max(scored)
        if score >= 80:
            return i
    return None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
