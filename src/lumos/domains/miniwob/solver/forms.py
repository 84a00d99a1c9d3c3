"""Solvers whose whole plan follows from the goal's fields: one pass over the form, then submit."""

from __future__ import annotations

from lumos.domains.miniwob.env import MiniWoBPage
from lumos.domains.miniwob.solver.look import Plan, click, field, submit, targets, type_into


def click_button(page: MiniWoBPage) -> Plan:
    name = field(page, "target")
    return [click(f'Click the "{name}" button.', f"{name} button")]


def click_link(page: MiniWoBPage) -> Plan:
    name = field(page, "target")
    return [click(f'Click the link "{name}".', name)]


def enter_text(page: MiniWoBPage) -> Plan:
    text = field(page, "target")
    return [type_into(f'Type "{text}" into the text field.', "text input field", text), submit()]


def enter_text_2(page: MiniWoBPage) -> Plan:
    text, case = field(page, "text"), field(page, "case")
    typed = text.lower() if case == "lower" else text.upper()
    return [
        type_into(
            f'Type "{typed}", the text in {case} case, into the text field.', "text input field", typed
        ),
        submit(),
    ]


def focus_text(page: MiniWoBPage) -> Plan:
    return [click("Click the text field to focus it.", "text input field")]


def click_checkboxes(page: MiniWoBPage) -> Plan:
    return [*(click(f'Check the box "{t}".', f"{t} checkbox") for t in targets(page)), submit()]


def click_option(page: MiniWoBPage) -> Plan:
    name = field(page, "target")
    return [click(f'Choose the option "{name}".', f"{name} radio"), submit()]


def choose_list(page: MiniWoBPage) -> Plan:
    name = field(page, "target")
    return [
        (f'Select "{name}" from the list.', f"SELECT({{page}}, QUERY: select options list, TEXT: {name})"),
        submit(),
    ]


def enter_password(page: MiniWoBPage) -> Plan:
    word = field(page, "target")
    # the value is quoted as in login_user: trained on subgoals without it, the planner wrote login-user's
    # subgoals without their values too, and the grounder typed the username twice (results section 15)
    return [
        type_into(f'Type "{word}" into the password field.', "password field", word),
        type_into(f'Type "{word}" again into the verify field.', "verify password field", word),
        submit(),
    ]


def login_user(page: MiniWoBPage) -> Plan:
    user, word = field(page, "username"), field(page, "password")
    return [
        type_into(f'Type "{user}" into the username field.', "username field", user),
        type_into(f'Type "{word}" into the password field.', "password field", word),
        submit("Login"),
    ]


def click_dialog(page: MiniWoBPage) -> Plan:
    return [click("Close the dialog with its close button.", "Close button")]


def click_dialog_2(page: MiniWoBPage) -> Plan:
    name = field(page, "target")
    return [click(f'Click the "{name}" button of the dialog.', f"{name} button")]


def click_test(page: MiniWoBPage) -> Plan:
    return [click("Click the button.", "button")]


def click_tab(page: MiniWoBPage) -> Plan:
    number = field(page, "target")
    return [click(f"Open Tab #{number}.", f"Tab #{number}")]


def click_collapsible(page: MiniWoBPage) -> Plan:
    return [click("Expand the section.", "Section header"), submit()]


def click_button_sequence(page: MiniWoBPage) -> Plan:
    return [click("Click button ONE.", "ONE button"), click("Click button TWO.", "TWO button")]


def enter_time(page: MiniWoBPage) -> Plan:
    time = field(page, "target")
    return [type_into(f"Type the time {time} into the time field.", "time input field", time), submit()]


def focus_text_2(page: MiniWoBPage) -> Plan:
    n = int(field(page, "target"))
    return [click(f"Click the text box number {n} to focus it.", f"tt{n} text input field")]


def click_scroll_list(page: MiniWoBPage) -> Plan:
    names = [n.strip() for n in field(page, "target").split(",") if n.strip()]
    selects = [
        (f'Select "{n}" in the scroll list.', f"SELECT({{page}}, QUERY: options scroll list, TEXT: {n})")
        for n in names
    ]
    return [*selects, submit()]
