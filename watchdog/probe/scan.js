// Discovery's eyes in one document (and its open shadow roots): what a visitor could click
// to reach a chat, the text boxes a chat could have with their send buttons, the status
// indicators, and a stable selector for each. It only reads: it never types, clicks or
// submits (the driver clicks the one entry it tries, and nothing else). Python decides.
const WORDS = __WORDS__;
const up = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
const shown = (el) => {
  if (!el.getClientRects().length) return false;
  const style = getComputedStyle(el);
  return style.visibility !== "hidden" && style.opacity !== "0";
};
const clean = (s) => (s || "").replace(/\s+/g, " ").trim();
function roots() {
  const found = [document];
  for (let i = 0; i < found.length; i++) {
    for (const el of found[i].querySelectorAll("*")) if (el.shadowRoot) found.push(el.shadowRoot);
  }
  return found;
}
function deepAll(selector) {
  const out = [];
  for (const root of roots()) {
    try { out.push(...root.querySelectorAll(selector)); } catch (e) { return []; }
  }
  return out;
}
const all = (selector) => roots().flatMap((root) => Array.from(root.querySelectorAll(selector)));
// Names a site's build or a session made up (lf-3fa9c1d2, css-1x2y3z, sc-AbCdE): they change.
const generated = (name) => name.length > 40 || /^(css|sc|jsx|svelte|emotion)-/.test(name) ||
  name.split(/[-_]+/).some((part) => part.length >= 5 && (part.match(/\d/g) || []).length >= 2) ||
  /\d{3,}/.test(name);
// Classes that say what state an element is in, not what it is.
const STATE = /^(is-|has-)|^(active|open|opened|show|shown|hide|hidden|visible|on|off|online|offline|focus|focused|hover|selected|disabled|enabled|in|out|fade|collapsed|expanded)$/i;
const stableClasses = (el) => Array.from(el.classList).filter((c) => !generated(c) && !STATE.test(c) &&
  !/(^|[-_])(online|offline)($|[-_])/i.test(c));
const quoted = (value) => `'${value}'`; // values with quotes or backslashes are never used
function ownSelectors(el) { // ways to name the element by itself, most telling first
  const tag = el.localName;
  const tries = [];
  if (el.id && !generated(el.id) && /^[A-Za-z][\w-]*$/.test(el.id)) tries.push("#" + CSS.escape(el.id));
  for (const attr of ["aria-label", "name", "title", "placeholder", "alt", "role"]) {
    if (attr === "placeholder" && (el.readOnly || el.disabled)) continue; // an offline box's words change
    const value = el.getAttribute(attr);
    if (value && value.length <= 40 && !/["'\\\n]/.test(value)) tries.push(`${tag}[${attr}=${quoted(value)}]`);
  }
  const classes = stableClasses(el);
  for (const c of classes) tries.push(`${tag}.${CSS.escape(c)}`);
  if (classes.length > 1) tries.push(tag + classes.slice(0, 3).map((c) => "." + CSS.escape(c)).join(""));
  const image = el.querySelector("img[alt]");
  const alt = image && image.getAttribute("alt");
  if (alt && alt.length <= 40 && !/["'\\\n]/.test(alt)) tries.push(`${tag}:has(img[alt=${quoted(alt)}])`);
  return tries;
}
const unique = (selector) => deepAll(selector).length === 1;
// -> [selector, how]: the element by itself; else under its nearest nameable ancestor; else
// by position under it (a guess: positions change with the page).
function selectorOf(el) {
  const own = ownSelectors(el);
  const alone = own.find(unique);
  if (alone) return [alone, alone.startsWith("#") ? "id" : /\[|:has/.test(alone) ? "label" : "class"];
  let path = el.localName + (el.parentElement ? `:nth-of-type(${nth(el)})` : "");
  for (let a = el.parentElement, depth = 0; a && depth < 6; a = a.parentElement, depth++) {
    const anchor = ownSelectors(a).find(unique);
    if (anchor) {
      const under = [...own, el.localName].map((s) => `${anchor} ${s}`).find(unique);
      if (under) return [under, "ancestor"];
      const placed = `${anchor} > ${path}`;
      if (unique(placed)) return [placed, "position"];
      return null;
    }
    if (a.parentElement) path = `${a.localName}:nth-of-type(${nth(a)}) > ${path}`;
  }
  return null;
}
function nth(el) {
  let n = 1;
  for (let s = el.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === el.localName) n++;
  return n;
}
function floating(el) {
  for (let a = el; a; a = up(a)) {
    if (a.nodeType !== 1) continue;
    const position = getComputedStyle(a).position;
    if (position === "fixed" || position === "sticky") return true;
  }
  return false;
}
const within = (el, tags) => { for (let a = el; a; a = up(a)) if (tags.includes(a.localName)) return true; return false; };
function labelOf(el) {
  const alts = Array.from(el.querySelectorAll("img[alt]")).slice(0, 3).map((i) => i.getAttribute("alt"));
  const text = clean(el.innerText || el.textContent).replace(/[\ue000-\uf8ff]/g, "");
  return {
    text: text.slice(0, 80),
    aria: el.getAttribute("aria-label") || "",
    title: el.getAttribute("title") || "",
    alt: [el.getAttribute("alt") || "", ...alts].filter(Boolean).join(" "),
    value: el.localName === "input" ? el.value || "" : "",
  };
}
const box = (el) => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
const ENTRY = new RegExp(WORDS.entry, "i");
const NAMES = new RegExp(WORDS.names, "i");
const CLICKABLE = "a, button, [role=button], [onclick], input[type=button], input[type=submit], input[type=image], [tabindex]";

function entries() { // what a visitor could click: its label, where it is, how it is named
  const seen = new Set();
  const found = [];
  const candidates = new Set(all(CLICKABLE));
  for (const el of all("div, span, li, img, i, svg")) {
    if (candidates.size > 3000) break;
    if (getComputedStyle(el).cursor === "pointer") candidates.add(el);
  }
  // A fixed or floating element with chat words or a chat vendor's name, whatever its tag and
  // however its click is bound (addEventListener leaves no trace in the markup).
  for (const el of all("body *")) {
    if (candidates.size > 3000) break;
    const position = getComputedStyle(el).position;
    if (position !== "fixed" && position !== "sticky") continue;
    const label = labelOf(el);
    const names = `${el.id} ${typeof el.className === "string" ? el.className : ""}`;
    if (ENTRY.test(`${label.text.slice(0, 20)} ${label.aria} ${label.title} ${label.alt}`) || NAMES.test(names)) candidates.add(el);
  }
  for (let el of candidates) {
    // an icon or image inside a link or button is that link or button
    for (let a = up(el); a; a = up(a)) if (a.nodeType === 1 && a.matches(CLICKABLE)) { el = a; break; }
    if (seen.has(el) || !shown(el)) continue;
    seen.add(el);
    const label = labelOf(el);
    const names = `${el.id} ${typeof el.className === "string" ? el.className : ""}`;
    const words = `${label.text.slice(0, 20)} ${label.aria} ${label.title} ${label.alt} ${label.value}`;
    if (!ENTRY.test(words) && !NAMES.test(names) && !floating(el)) continue;
    const named = selectorOf(el);
    if (!named) continue;
    const href = el.getAttribute("href") || "";
    found.push({
      selector: named[0], how: named[1], tag: el.localName, ...label, names, href, target: el.getAttribute("target") || "", floating: floating(el),
      in_nav: within(el, ["nav", "header", "footer"]), box: box(el),
      viewport: [innerWidth, innerHeight],
    });
  }
  return found;
}

const SEARCH = new RegExp(WORDS.search, "i");
const SEND = new RegExp(WORDS.send, "i");
const CHAT = new RegExp(WORDS.chat, "i");
function searchBox(el) {
  const words = [el.getAttribute("placeholder"), el.getAttribute("aria-label"), el.getAttribute("name"),
                 el.getAttribute("type"), el.form && el.form.getAttribute("role"), el.form && el.form.getAttribute("action")];
  if (words.some((w) => w && SEARCH.test(w))) return true;
  const form = el.closest("form");
  return !!form && Array.from(form.querySelectorAll("button, input[type=submit]"))
    .some((b) => SEARCH.test(clean(b.innerText || b.value)));
}
function chatEvidence(el) { // words around the box that say it is a chat (not a search or a login)
  if (CHAT.test(document.title)) return true;
  let a = el;
  for (let depth = 0; a && depth < 6; depth++, a = up(a)) {
    if (a.nodeType !== 1) continue;
    const own = `${a.id} ${typeof a.className === "string" ? a.className : ""} ${a.getAttribute("aria-label") || ""}`;
    if (CHAT.test(own) || CHAT.test(clean(a.innerText).slice(0, 300))) return true;
  }
  return false;
}
function sendFor(input) { // -> [selector, how sure, how found] or null (then Enter)
  const clickables = (scope) => Array.from(scope.querySelectorAll(CLICKABLE)).filter((b) => b !== input && shown(b));
  let scope = input.parentElement;
  for (let depth = 0; scope && depth < 4; depth++, scope = scope.parentElement) {
    for (const button of clickables(scope)) {
      const label = labelOf(button);
      const words = `${label.text} ${label.aria} ${label.title} ${label.value} ${button.getAttribute("class") || ""}`;
      if (SEND.test(words)) {
        const named = selectorOf(button);
        const says = clean(label.text || label.aria || label.title || label.value).slice(0, 20);
        const how = says ? `a button saying ${says} beside the input` : `a button named ${button.className} beside the input`;
        if (named) return [named[0], "sure", how];
      }
    }
    const following = clickables(scope).filter((b) =>
      input.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING && !labelOf(b).text);
    if (following.length === 1) {
      const named = selectorOf(following[0]);
      if (named) return [named[0], "guess", "the only icon button after the input"];
    }
  }
  return null;
}
function listNear(input) { // the scrolling container nearest the input: a hint, the probe learns the list
  let scope = input.parentElement;
  for (let depth = 0; scope && depth < 5; depth++, scope = scope.parentElement) {
    for (const el of scope.querySelectorAll("*")) {
      if (el.contains(input)) continue;
      const style = getComputedStyle(el);
      const scrolls = /(auto|scroll)/.test(style.overflowY) || el.getAttribute("role") === "log";
      if (scrolls || /(^|[-_\s])(msgs|messages?|log|thread|conversation)([-_\s]|$)/i.test(el.className)) {
        const named = selectorOf(el);
        if (named) return named[0];
      }
    }
  }
  return null;
}
const LEAVE = new RegExp(WORDS.leave, "i");
function leaveForm(el) { // a leave-a-message form (name, e-mail or phone beside it, a 留言 button): no chat
  let scope = el.parentElement;
  for (let depth = 0; scope && depth < 5; depth++, scope = scope.parentElement) {
    const fields = Array.from(scope.querySelectorAll("input, textarea")).filter((f) => f !== el && shown(f) &&
      !["hidden", "submit", "button", "checkbox", "radio"].includes((f.getAttribute("type") || "").toLowerCase()));
    const asks = fields.some((f) => /name|mail|phone|tel|mobile|qq|姓名|邮箱|手机|电话|联系/i.test(
      `${f.getAttribute("name") || ""} ${f.getAttribute("type") || ""} ${f.getAttribute("placeholder") || ""} ${f.id}`));
    const buttons = Array.from(scope.querySelectorAll("button, input[type=submit], a, [role=button]"))
      .map((b) => clean(b.innerText || b.value || ""));
    const says = buttons.some((words) => LEAVE.test(words));
    if (asks && (says || fields.length >= 2)) return true;
    // a box whose only button leaves a message (提交留言), with no 发送 / send beside it
    // no 发送 / send beside it, and a button or the form's words that leave a message (提交留言,
    // 暂无客服在线，请留下联系方式和问题)
    const leaves = buttons.some((words) => /留言|leave (us )?a message/i.test(words)) ||
      /留言|请留下|暂无客服|没有客服|下班|leave (us )?a message/i.test(clean(scope.innerText).slice(0, 200));
    if (leaves && !buttons.some((words) => /发\s*送|\bsend\b/i.test(words))) return true;
  }
  return false;
}
function inputs() { // text boxes a chat could have
  const found = [];
  for (const el of all("textarea, input, [contenteditable]")) {
    if (el.localName === "input" && !["", "text"].includes((el.getAttribute("type") || "").toLowerCase())) continue;
    if (el.hasAttribute("contenteditable") && el.getAttribute("contenteditable") === "false") continue;
    if (!shown(el)) continue; // read-only or disabled: said (a chat made read-only while offline)
    const named = selectorOf(el);
    if (!named) continue;
    found.push({
      selector: named[0], how: named[1], tag: el.localName, editable: el.isContentEditable && el.localName !== "input",
      search: searchBox(el), chat: chatEvidence(el), seen: !!el.__kefuDiscoverSeen, leave: leaveForm(el),
      readonly: !!(el.disabled || el.readOnly),
      send: sendFor(el), list: listNear(el), box: box(el),
    });
  }
  return found;
}
// Text boxes shown before a click: a chat already in the page but hidden is not one of them.
function markSeen() { for (const el of all("textarea, input, [contenteditable]")) if (shown(el)) el.__kefuDiscoverSeen = true; }
// Contacts that are not a web chat: QQ (tencent:// or wpa.qq.com links) and WeChat (a QR code).
function contacts() {
  const found = [];
  for (const a of all("a[href]")) {
    const href = a.getAttribute("href") || "";
    if (/^tencent:|wpa\.qq\.com|qm\.qq\.com|im\.qq\.com/i.test(href)) found.push(["QQ", href.slice(0, 80)]);
  }
  for (const img of all("img")) {
    const words = `${img.getAttribute("alt") || ""} ${img.getAttribute("title") || ""} ${img.getAttribute("src") || ""} ${clean(up(img) && up(img).innerText || "").slice(0, 40)}`;
    if (shown(img) && /微信|weixin|wechat|wx[_-]?(qr|code)/i.test(words) && /二维码|扫码|扫一扫|qr|code|微信/i.test(words)) {
      found.push(["WeChat", (img.getAttribute("alt") || img.getAttribute("src") || "").slice(0, 80)]);
    }
  }
  return found;
}
const STATUS = new RegExp(WORDS.status, "i");
function statuses() { // short texts that say online/offline, and elements whose class says so
  const found = [];
  const STATUS_CLASS = /(^|[-_])(online|offline)($|[-_])/i;
  for (const el of all("*")) {
    if (["script", "style", "html", "body", "head", "textarea", "input"].includes(el.localName) || !shown(el)) continue;
    const own = clean(Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join(" "));
    const whole = clean(el.innerText);
    const token = Array.from(el.classList).find((c) => STATUS_CLASS.test(c));
    if (!token && !(own && whole.length <= 16 && STATUS.test(whole))) continue;
    const named = selectorOf(el);
    if (!named) continue;
    const stable = stableClasses(el);
    found.push({ selector: named[0], text: whole, own, token: token || "",
                 base: el.localName + (stable[0] ? "." + CSS.escape(stable[0]) : ""), box: box(el) });
  }
  return found;
}
function vendor(detect) { // which preset systems' elements or scripts the page has
  const scripts = Array.from(document.scripts).map((s) => s.src).join(" ");
  return Object.entries(detect).filter(([, signs]) =>
    (signs.elements || []).some((s) => deepAll(s).length) || (signs.scripts || []).some((s) => scripts.includes(s)))
    .map(([name]) => name);
}
