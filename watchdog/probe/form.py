"""The browser side of leaving a message (留言 / 工单): find the platform's form, read its
fields, type what leave.py decides, submit, and read what the page says back. It drives only:
every decision (which form, what goes where, whether to submit at all) is leave.py's.

The form is the one the platform file names ([leave_message] form), else the one found: a
visible textarea that is not the chat's input, in its <form> or the smallest box around it
that holds a button; a box that speaks of 留言 / 工单 / 反馈 first. Every frame of the page is
looked at, and open shadow roots. A page without one is left for the site's own link to its
留言 / 工单 page, when it has one ([leave_message] url names the page outright).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from playwright.async_api import ElementHandle, Frame, JSHandle, Page
from playwright.async_api import Error as PlaywrightError

from ..config import LeaveMessage
from ..leave import FieldSeen, Filled, Refused, as_left, page_answer, plan, promised_hours
from ..records import FollowUp, FollowUpState, FormProblem
from ..text import clean_text, page_text
from .page import ELEMENT_TIMEOUT_MS, PAGE_TIMEOUT_MS, page_call

ANSWER_WAIT_S = 8.0  # for the page to say it took the message (or why not)
ANSWER_POLL_S = 0.25

FIND_FORM = """([formSelector, chatInput]) => {
  const deep = (root, selector) => {
    const found = Array.from(root.querySelectorAll(selector));
    for (const host of root.querySelectorAll("*")) if (host.shadowRoot) found.push(...deep(host.shadowRoot, selector));
    return found;
  };
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
  const chat = new Set(chatInput ? deep(document, chatInput) : []);
  const up = (e) => e.parentElement || (e.parentNode && e.parentNode.host) || null;
  const BUTTON = "button, input[type=submit], input[type=button], a[role=button], [role=button]";
  let boxes;
  if (formSelector) boxes = deep(document, formSelector).filter(shown);
  else boxes = deep(document, "textarea").filter((t) => shown(t) && !chat.has(t) && !t.readOnly && !t.disabled)
    .map((t) => {
      const form = t.closest("form");
      if (form) return form;
      let box = up(t);
      while (box && up(box) && !box.querySelector(BUTTON)) box = up(box);
      return box;
    }).filter(Boolean);
  const SAYS = /留言|工单|反馈|联系我们|message|ticket|contact|feedback/i;
  boxes.sort((a, b) => SAYS.test(b.textContent) - SAYS.test(a.textContent));
  const box = boxes[0];
  if (!box) return null;
  const clean = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const SKIP = ["hidden", "submit", "button", "image", "reset", "file", "radio"];
  const fields = Array.from(box.querySelectorAll("input, textarea, select"))
    .filter((e) => shown(e) && !chat.has(e) && !SKIP.includes((e.type || "").toLowerCase()) && !e.disabled);
  const labelOf = (e) => {
    const own = e.labels && e.labels.length ? clean(e.labels[0].textContent) : "";
    if (own) return own;
    for (const attr of ["aria-label", "placeholder", "title"]) {
      if (e.getAttribute(attr)) return clean(e.getAttribute(attr));
    }
    const before = e.previousElementSibling;  // <span>邮箱</span><input>
    const said = before ? clean(before.textContent) : "";
    if (said && said.length <= 20) return said;
    // <div><em>*</em>联系电话<input></div>, <tr><th>*联系邮箱</th><td><input></td></tr>: the
    // words of the field's row, up to three boxes up, that are not the field's own (options).
    for (let row = e.parentElement, depth = 0; row && depth < 3; row = row.parentElement, depth++) {
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      let words = "";
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!e.contains(node)) words += node.textContent;
      }
      if (clean(words)) return clean(words).length <= 20 ? clean(words) : "";
    }
    return e.name || e.id || "";
  };
  const shownLabel = (e) => labelOf(e) || e.name || e.id || "";
  return {
    box,
    elements: fields,
    fields: fields.map((e, index) => {
      const label = shownLabel(e);
      return {
        index,
        tag: e.tagName.toLowerCase(),
        type: (e.getAttribute("type") || "").toLowerCase(),
        label: label.replace(/^\\*\\s*|\\s*\\*$/g, ""),
        name: clean((e.name || "") + " " + (e.id || "") + " " + (e.getAttribute("autocomplete") || "")),
        required: e.required || e.getAttribute("aria-required") === "true" || /\\*|必填/.test(label),
        options: e.tagName === "SELECT" ? Array.from(e.options).map((o) => clean(o.textContent)) : [],
      };
    }),
    text: clean(box.innerText),
  };
}"""
FIND_SUBMIT = """([box, selector]) => {
  if (selector) return box.querySelector(selector) || document.querySelector(selector);
  const shown = (e) => e.getClientRects().length > 0;
  const buttons = Array.from(box.querySelectorAll(
    "button, input[type=submit], input[type=button], a, [role=button]")).filter(shown);
  const SAYS = /提交|发送|留言|确定|确认|submit|send/i;
  return buttons.find((b) => b.type === "submit" && SAYS.test(b.textContent || b.value))
    || buttons.find((b) => SAYS.test(b.textContent || b.value || b.getAttribute("aria-label") || ""))
    || buttons.find((b) => b.type === "submit") || null;
}"""
# A same-site link to the form's page: 留言板, 提交工单, 意见反馈 (not a mailto:, not another site).
FIND_LINK = """() => {
  const SAYS = /留言|工单|意见反馈|提交反馈|leave a message|submit a (?:ticket|request)|contact form/i;
  const link = Array.from(document.querySelectorAll("a[href]"))
    .find((a) => SAYS.test(a.textContent) && new URL(a.href, location.href).origin === location.origin);
  return link ? new URL(link.href, location.href).href : null;
}"""
BODY_TEXT = "() => document.body ? document.body.innerText : ''"


async def leave_message(
    page: Page, leave: LeaveMessage, chat_input: str | None, follow_up: FollowUp, name: str, question: str
) -> None:
    """Leave `question` on the platform's form, recording in `follow_up` what was typed where,
    what the page said, the promise it made; or, not submitted, why not."""
    if leave.url:
        await page.goto(leave.url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    form = await find_form(page, leave, chat_input)
    if form is None and not leave.url and (link := await _form_link(page)):
        await page.goto(link, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
        form = await find_form(page, leave, chat_input)
    follow_up.form_url = page.url
    if form is None:
        follow_up.problem = FormProblem.NO_FORM
        follow_up.detail = f"nothing matches {leave.form}" if leave.form else "no 留言 / 工单 form on the page"
        return
    if form.frame.url.startswith(("http://", "https://")):  # not a frame the widget's script wrote (about:blank)
        follow_up.form_url = form.frame.url
    decided = plan(form.fields, name=name, address=follow_up.address, message=question)
    follow_up.form_fields = as_left(form.fields, [] if isinstance(decided, Refused) else decided)
    if isinstance(decided, Refused):
        follow_up.problem, follow_up.detail = decided.problem, decided.detail
        return
    left = await fill_and_submit(form, leave, decided)
    follow_up.submitted_at = left.at
    follow_up.confirmation = left.answer
    if promise := promised_hours(f"{form.text} {left.answer}"):
        follow_up.promise_h, follow_up.promise = promise
    if left.refused:
        follow_up.problem, follow_up.detail = FormProblem.NOT_SENT, left.answer
    else:
        follow_up.state, follow_up.problem, follow_up.detail = FollowUpState.PENDING, None, ""


@dataclass
class Form:
    frame: Frame
    handle: JSHandle  # {box, elements, fields, text}
    fields: list[FieldSeen]
    text: str  # what the form's box says: its promise, if any


@dataclass
class Left:
    """A form submitted: when, what the page said back, and whether that was a refusal."""

    at: datetime  # the moment the submit was done (the filling before it takes seconds on a busy machine)
    refused: bool
    answer: str


async def find_form(page: Page, leave: LeaveMessage, chat_input: str | None) -> Form | None:
    for frame in page.frames:
        try:
            handle = await page_call(frame.evaluate_handle(FIND_FORM, [leave.form, chat_input]), "finding the form")
            info = await handle.json_value()  # None: no form in this frame
        except PlaywrightError:
            continue  # a frame gone or cross-origin trouble: the next one
        if info:
            fields = [FieldSeen(**{**f, "options": tuple(f["options"])}) for f in info["fields"]]
            return Form(frame, handle, fields, page_text(info["text"]))
    return None


async def _form_link(page: Page) -> str | None:
    """A link of the site's own to its 留言 / 工单 page, in whichever frame shows one."""
    for frame in page.frames:
        try:
            link = await page_call(frame.evaluate(FIND_LINK), "finding a 留言 link")
        except PlaywrightError:
            continue
        if link:
            return str(link)
    return None


async def fill_and_submit(form: Form, leave: LeaveMessage, filled: list[Filled]) -> Left:
    elements = await form.handle.get_property("elements")
    by_index = await elements.get_properties()
    before = await _body_text(form.frame)
    for fill in filled:
        element = by_index[str(fill.index)].as_element()
        if element is None:
            continue
        await _fill(element, form.fields[fill.index], fill.value)
    box = await form.handle.get_property("box")
    button = (await form.frame.evaluate_handle(FIND_SUBMIT, [box, leave.submit])).as_element()
    if button is not None:
        await button.click(timeout=ELEMENT_TIMEOUT_MS)
    else:
        await box.evaluate("(box) => box.requestSubmit ? box.requestSubmit() : box.submit && box.submit()")
    at = datetime.now(UTC)  # the request is on its way: the click's handlers have run
    refused, answer = await _answer(form.frame, before)
    return Left(at, refused, answer)


async def _fill(element: ElementHandle, seen: FieldSeen, value: str) -> None:
    if seen.tag == "select":
        await element.select_option(label=value, timeout=ELEMENT_TIMEOUT_MS)
    elif seen.type == "checkbox":
        await element.check(timeout=ELEMENT_TIMEOUT_MS)
    else:
        await element.fill(value, timeout=ELEMENT_TIMEOUT_MS)


async def _answer(frame: Frame, before: str) -> tuple[bool, str]:
    """Wait until the page says something new (or ANSWER_WAIT_S pass): a form posted to a new
    page is read there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_WAIT_S
    refused, words = False, ""
    while loop.time() < deadline:
        await asyncio.sleep(ANSWER_POLL_S)
        try:
            refused, words = page_answer(before, await _body_text(frame))
        except PlaywrightError:
            continue  # navigating: read the new page next time
        if words:
            break
    return refused, clean_text(page_text(words))


async def _body_text(frame: Frame) -> str:
    return str(await page_call(frame.evaluate(BODY_TEXT), "reading the page"))
