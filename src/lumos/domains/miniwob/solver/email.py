"""Solvers for the email-inbox tasks: open the sender's email, then reply, forward, delete or star it."""

from __future__ import annotations

from collections.abc import Iterator

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver.look import Step, click, field, find, grounded, norm, type_into


def _icon(page: MiniWoBPage, name: str, phrasing: str) -> str:
    """The QUERY for an icon of the open email (its class names it: trash, star)."""
    icons = [e for e in page.elements() if e.attributes.get("class") == name]
    return grounded(page, icons[0], phrasing, f"{name} icon") if icons else phrasing


def email_inbox(page: MiniWoBPage) -> Iterator[Step]:
    fields = dict(page.fields)
    sender = field(page, "by")
    task = fields.get("task", "forward")
    name = find(page, sender, tags=("div",))
    threads = [e for e in page.elements() if e.tag == "div" and norm(e.text).startswith(norm(sender) + " ")]
    query = grounded(page, name, f"{sender} email", sender, also=threads) if name else f"{sender} email"
    yield click(f"Open the email from {sender}.", query)
    if task == "reply":
        message = fields.get("message") or fields.get("reply") or ""
        yield _named(page, "Click Reply.", "Reply", "Reply button")
        yield type_into(f'Type "{message}" as the reply.', "reply-text textarea", message)
        yield click("Send the reply.", _icon_by_id(page, "send-reply", "send reply button"))
    elif task == "forward":
        to = fields.get("to") or ""
        yield _named(page, "Click Forward.", "Forward", "Forward button")
        yield type_into(f"Type {to} into the to: field.", "to: text input field", to)
        yield click("Send the email on.", _icon_by_id(page, "send-forward", "send forward button"))
    elif task == "delete":
        yield click("Delete the email with the trash icon.", _icon(page, "trash", "trash icon to delete"))
    else:  # important
        yield click("Mark the email as important with the star icon.", _icon(page, "star", "star icon"))


def _named(page: MiniWoBPage, subgoal: str, text: str, phrasing: str) -> Step:
    element = find(page, text, tags=("div", "span"))
    return click(subgoal, grounded(page, element, phrasing, text) if element else phrasing)


def _icon_by_id(page: MiniWoBPage, ident: str, phrasing: str) -> str:
    icons = [e for e in page.elements() if e.attributes.get("id") == ident]
    return grounded(page, icons[0], phrasing) if icons else phrasing
