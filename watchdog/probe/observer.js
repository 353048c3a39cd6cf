// Injected by kefu-watchdog into every frame of a probe's browser context.
// A MutationObserver reports each new chat message, stamped with the page clock the moment
// it entered the DOM, through the __kefuWatchdog binding. Response times are differences of
// these stamps: no polling.
(() => {
  // Once per document, not per window: a window opened by window.open keeps its Window when
  // its first, blank document gives way to the chat page, and that page must be watched.
  if (document.__kefuWatchdogHandle) return;
  // {input, message, visitor, bot, sender, typing, read}: CSS selectors or null; readMarks: look
  // for the default read markers; timeLabel: text.TIME_LABEL
  const config = __CONFIG__;
  // The clock is taken before any page script runs: a page that later replaces or skews
  // performance.now cannot change the stamps. The driver reads the same clock, which the
  // page cannot redefine either.
  const origin = performance.timeOrigin;
  const elapsed = Performance.prototype.now.bind(performance);
  const now = () => origin + elapsed();
  // Each document gets its own token: events from another document of the chat's frame mean
  // the chat navigated (a reload, a redirect).
  const doc = Math.random().toString(36).slice(2) + now().toString(36);
  // What the driver reads (document.__kefuWatchdogHandle), fixed so the page cannot replace it.
  const handle = {
    origin, now, doc, flush: () => flush(), learn: (text) => learn(text), settle: () => settle(),
    use: (message, visitor) => use(message, visitor),
  };
  Object.defineProperty(document, "__kefuWatchdogHandle", {
    value: Object.freeze(handle), writable: false, configurable: false, enumerable: false,
  });
  const clean = (s) => (s || "").replace(/\s+/g, " ").trim();
  // Relative times ("刚刚", "6秒前") and clock times change when a widget redraws its list:
  // they are left out when telling whether a message is the same one.
  const TIME_LABEL = new RegExp(config.timeLabel, "gi");
  const sameness = (text) => clean(text.replace(TIME_LABEL, " "));
  const keyOf = (message) => message.side + "\u0000" + sameness(message.text); // the same message, redrawn
  // Never where our question shows: scripts and styles, or what is being typed.
  const NOT_SHOWN = "script,style,noscript,textarea,input,select,option,template";

  // The binding may not be installed yet in a frame that is just starting: queue until it is.
  // Events go out in batches, at most one binding call every FLUSH_MS (a flood of messages
  // must not cost a call each); the stamps inside are what time them. The driver calls
  // flush() itself before it decides anything on what the page has shown.
  const FLUSH_MS = 50;
  const setTimer = window.setTimeout.bind(window); // the page may replace its own later
  const pending = [];
  let binding = null; // kept once found: the page cannot swap it for its own
  let timer = null;
  let lastFlush = -Infinity;
  function flush() {
    timer = null;
    if (!binding && typeof window.__kefuWatchdog === "function") binding = window.__kefuWatchdog;
    if (!binding) {
      timer = setTimer(flush, 20);
      return;
    }
    lastFlush = now();
    if (pending.length) binding({ doc, events: pending.splice(0) });
  }
  const report = (event) => {
    pending.push(event);
    if (timer === null) timer = setTimer(flush, Math.max(0, lastFlush + FLUSH_MS - now()));
  };

  report({ type: "document" }); // a new document in the chat's frame: the chat navigated

  const reported = new Set();
  function reportSelectorError(selector, error) {
    if (reported.has(selector)) return;
    reported.add(selector);
    report({ type: "error", message: `selector ${selector} is not valid CSS: ${error.message}` });
  }

  // Selectors as Playwright's CSS engine reads them: combinators cross open shadow roots (an
  // element's parent is its shadow host when it sits at the top of a shadow root), and each
  // compound is matched by the browser itself, so :not(), :has(), :is() and attribute
  // selectors mean what they mean in CSS. Playwright-only syntax (text=, >>, :has-text()) is
  // refused by `watchdog check`.
  const up = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const parsed = new Map();
  function split(selector) {
    // -> [[{compound, before}]]: the list's complex selectors, each a row of compounds with the
    //    combinator that joins a compound to the one before it (" ", ">", "+", "~").
    if (parsed.has(selector)) return parsed.get(selector);
    const complexes = [];
    let parts = [], buffer = "", depth = 0, quote = "", combinator = null;
    const end = () => {
      if (!buffer.trim()) return;
      parts.push({ compound: buffer.trim(), before: parts.length ? combinator || " " : null });
      buffer = "";
      combinator = null;
    };
    for (let i = 0; i < selector.length; i++) {
      const ch = selector[i];
      if (ch === "\\") { buffer += ch + (selector[++i] || ""); continue; }
      if (quote) { buffer += ch; if (ch === quote) quote = ""; continue; }
      if (ch === '"' || ch === "'") { quote = ch; buffer += ch; continue; }
      if (ch === "(" || ch === "[") depth++;
      else if (ch === ")" || ch === "]") depth--;
      if (depth > 0 || ch === ")" || ch === "]") { buffer += ch; continue; }
      if (ch === ",") { end(); complexes.push(parts); parts = []; combinator = null; continue; }
      if (ch === ">" || ch === "+" || ch === "~") { end(); combinator = ch; continue; }
      if (/\s/.test(ch)) { end(); continue; }
      buffer += ch;
    }
    end();
    complexes.push(parts);
    const result = complexes.filter((row) => row.length);
    parsed.set(selector, result);
    return result;
  }
  function matchesCompound(el, compound) {
    try { return el.matches(compound); } catch (e) { reportSelectorError(compound, e); return false; }
  }
  function matchesBefore(el, row, i) { // el matches row[i]: do the compounds before it match around it?
    if (i === 0) return true;
    const { before } = row[i];
    const previous = row[i - 1].compound;
    const fits = (other) => matchesCompound(other, previous) && matchesBefore(other, row, i - 1);
    if (before === ">") { const parent = up(el); return !!parent && fits(parent); }
    if (before === "+") { const sibling = el.previousElementSibling; return !!sibling && fits(sibling); }
    const next = before === "~" ? (other) => other.previousElementSibling : up;
    for (let other = next(el); other; other = next(other)) if (fits(other)) return true;
    return false;
  }
  function matches(el, selector) {
    return !!selector && split(selector).some((row) =>
      matchesCompound(el, row[row.length - 1].compound) && matchesBefore(el, row, row.length - 1));
  }
  const closestOrSelf = (el, selector) => {
    for (let node = el; node && selector; node = up(node)) if (matches(node, selector)) return true;
    return false;
  };
  function query(scope, selector) { // elements under a root or element matching the selector, once each
    if (!selector) return [];
    const found = new Set();
    for (const row of split(selector)) {
      let candidates;
      try { candidates = scope.querySelectorAll(row[row.length - 1].compound); }
      catch (e) { reportSelectorError(selector, e); return []; }
      for (const el of candidates) if (matchesBefore(el, row, row.length - 1)) found.add(el);
    }
    const elements = Array.from(found);
    if (split(selector).length > 1) {
      elements.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    }
    return elements;
  }

  function describe(el) {
    const senderEl = config.sender ? query(el, config.sender)[0] : null;
    const sender = senderEl ? clean(senderEl.textContent) : "";
    let text = clean(el.textContent);
    if (sender) text = clean(text.startsWith(sender) ? text.slice(sender.length) : text.replace(sender, ""));
    const bot = closestOrSelf(el, config.bot) || (config.bot ? query(el, config.bot).length > 0 : false);
    const message = { text, sender, bot, side: closestOrSelf(el, config.visitor) ? "visitor" : "platform" };
    if (sent.some((said) => compact(text).includes(said))) { // ours: how it is marked read
      message.marks = readMarks(el);
      ourBubbles.add(el);
    }
    return message;
  }

  // Read receipts (已读): the words in and around our bubble go to Python with its text; what
  // only markup says is reported as marks, [word, selector] pairs: with chat.read, whether its
  // selector matches in or next to the bubble ("read" or "unread"); without, a class named
  // read, seen or unread (is-read, msg-status--seen) and a title, label or alt saying so (Live
  // Helper Chat's tick: title "Have been sent!", then "Have been seen!"). Python decides, and only
  // a change counts.
  const READ_CLASS = /(?:^|[-_])(un)?(?:read|readed|seen)(?:$|[-_])|^(?:is|has)(un)?read(?:ed)?$/i;
  const READ_LABEL = /已读|未读|\b(?:un)?read\b|\bseen\b/i;
  const MARK_ELEMENTS = 40; // a bubble is small; a hostile one is not read whole
  const ourBubbles = new Set(); // watched for marks added next to them, not only inside
  const marksOf = new Map(); // message id -> its marks as last reported (JSON)
  function markScope(el) { // the bubble and what follows it in its row, up to the next message
    const scope = [el];
    for (let next = el.nextElementSibling; next && scope.length < 4; next = next.nextElementSibling) {
      if (ids.has(next) || matches(next, config.message)) break;
      scope.push(next);
    }
    return scope;
  }
  function readMarks(el) {
    const scope = markScope(el);
    if (config.read) {
      const hit = scope.some((part) => matches(part, config.read) || query(part, config.read).length > 0);
      return [[hit ? "read" : "unread", config.read]];
    }
    if (!config.readMarks) return [];
    const marks = [];
    let looked = 0;
    for (const part of scope) {
      for (const node of [part, ...part.getElementsByTagName("*")]) {
        if (++looked > MARK_ELEMENTS) return marks;
        for (const name of node.classList) {
          const found = READ_CLASS.exec(name);
          if (found) marks.push([found[1] || found[2] ? "unread" : "read", "." + CSS.escape(name)]);
        }
        for (const attribute of ["title", "aria-label", "alt"]) {
          const value = clean(node.getAttribute(attribute));
          if (value.length > 30 || !READ_LABEL.test(value)) continue;
          marks.push([value, `[${attribute}=${JSON.stringify(value)}]`]);
        }
      }
    }
    return marks;
  }
  function markChanged(id, message) { // whether our bubble's marks differ from those last reported
    if (!message.marks) return false; // not ours: nothing kept (a flood of theirs costs no memory)
    const marks = JSON.stringify(message.marks);
    const changed = (marksOf.get(id) ?? "[]") !== marks;
    marksOf.set(id, marks);
    return changed;
  }

  const roots = [document]; // plus every shadow root, open or closed, as it is attached
  // For tests: the elements a selector matches, as the observer sees them.
  window.__kefuWatchdogQuery = (selector) => roots.flatMap((root) => query(root, selector));
  const ids = new WeakMap(); // element -> id of the message it shows (0: no text yet)
  const keys = new Map(); // id -> side and text without time labels, as last reported
  let previous = []; // [{id, key}] in page order
  const entries = new Map(); // id -> its entry in previous
  let nextId = 1;

  // Each callback looks only at what changed: new message elements are messages, a change
  // inside a known one is an update (its cost grows with the change, not with the chat). A
  // widget that removes message elements (it re-renders its list) gets the whole list read
  // again: a new element only counts as a new message beyond the longest overlap between
  // the end of the previous list and the start of the current one (same side and text, in
  // order, time labels aside).
  function scanMessages(mutations, stamp) {
    if (mutations.some(removesMessages)) return rescan(stamp);
    const added = new Set();
    const changed = new Set();
    for (const mutation of mutations) {
      const nodes = mutation.type === "childList" ? Array.from(mutation.addedNodes) : [];
      for (const node of nodes) {
        if (node.nodeType !== Node.ELEMENT_NODE || !node.isConnected) continue;
        if (matches(node, config.message)) added.add(node);
        for (const el of query(node, config.message)) added.add(el);
      }
      const owner = knownAncestor(mutation.target);
      if (owner) changed.add(owner);
    }
    const fresh = Array.from(added).filter((el) => !knownAncestor(up(el)) && !hasAncestorIn(el, added));
    fresh.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    for (const el of changed) if (!fresh.includes(el)) update(el, stamp);
    for (const el of fresh) {
      ids.set(el, 0);
      update(el, stamp);
      adopt(up(el));
    }
    for (const mutation of mutations) {
      if (mutation.type !== "childList" || !lists.has(mutation.target)) continue;
      for (const node of mutation.addedNodes) addLine(node, stamp);
    }
  }

  // The bubbles' lists, and their other lines (a notice, a time, an agent assigned, often
  // another element than the bubbles): reported too, marked `line`, so that nothing the chat
  // shows goes unrecorded; Python decides what each is. A line the widget empties or removes
  // later stays recorded; a list drawn again shows the same line once.
  const lists = new Set();
  const lines = new WeakSet();
  const lineIds = new Map(); // key -> id of a line reported
  function adopt(list) { // a list seen for the first time: the lines it already shows
    if (!list || lists.has(list)) return;
    lists.add(list);
    const was = recovering;
    recovering = true; // they were there before: their own insertion stamps, else page load
    try { for (const child of Array.from(list.children)) addLine(child, now()); } finally { recovering = was; }
  }
  function addLine(node, stamp) {
    if (node.nodeType !== Node.ELEMENT_NODE || !node.isConnected || ids.has(node) || editable(node)) return;
    if (matches(node, config.message) || query(node, config.message).length || closestOrSelf(node, config.typing)) return;
    if (!node.getClientRects().length) return; // a hidden template is nothing shown
    ids.set(node, 0);
    lines.add(node);
    update(node, stamp);
  }
  function update(el, stamp) { // a message element seen new or changed: report what is new
    const message = describe(el);
    const key = keyOf(message);
    let id = ids.get(el);
    if (!message.text) return;
    if (!id && lines.has(el)) {
      id = lineIds.get(key);
      if (!id) {
        id = nextId++;
        lineIds.set(key, id);
        report({ type: "message", id, at: insertionStamp(el, stamp), line: true, ...message });
      }
      ids.set(el, id);
      keys.set(id, key);
      return;
    }
    if (!id) {
      id = nextId++;
      ids.set(el, id);
      markChanged(id, message);
      report({ type: "message", id, at: insertionStamp(el, stamp), ...message });
      const entry = { id, key };
      previous.push(entry);
      entries.set(id, entry);
    } else if (markChanged(id, message) || keys.get(id) !== key) {
      report({ type: "update", id, at: stamp, text: message.text, marks: message.marks });
      if (entries.has(id)) entries.get(id).key = key;
    }
    keys.set(id, key);
  }
  function knownAncestor(node) {
    for (let n = node; n; n = n.parentNode || n.host) if (n.nodeType === Node.ELEMENT_NODE && ids.has(n)) return n;
    return null;
  }
  function hasAncestorIn(el, set) {
    for (let n = up(el); n; n = up(n)) if (set.has(n)) return true;
    return false;
  }
  function removesMessages(mutation) {
    for (const node of mutation.removedNodes) {
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      if (ids.has(node)) return true;
      for (const el of node.getElementsByTagName("*")) if (ids.has(el)) return true;
    }
    return false;
  }
  function rescan(stamp) {
    const elements = roots.flatMap((root) => query(root, config.message));
    const set = new Set(elements);
    const outermost = elements.filter((el) => !hasAncestorIn(el, set));
    const current = [];
    for (const el of outermost) {
      const message = describe(el);
      if (message.text) current.push({ el, message, key: keyOf(message) });
      else ids.set(el, 0);
    }
    const knownKey = (item) => (ids.get(item.el) ? keys.get(ids.get(item.el)) ?? item.key : item.key);
    let overlap = Math.min(previous.length, current.length);
    for (; overlap > 0; overlap--) {
      const start = previous.length - overlap;
      let same = true;
      for (let i = 0; i < overlap && same; i++) same = previous[start + i].key === knownKey(current[i]);
      if (same) break;
    }
    const next = [];
    current.forEach((item, index) => {
      let id = ids.get(item.el);
      if (!id && index < overlap) id = previous[previous.length - overlap + index].id;
      if (!id) {
        id = nextId++;
        markChanged(id, item.message);
        report({ type: "message", id, at: insertionStamp(item.el, stamp), ...item.message });
      } else if (markChanged(id, item.message) || keys.get(id) !== item.key) {
        report({ type: "update", id, at: stamp, text: item.message.text, marks: item.message.marks });
      }
      ids.set(item.el, id);
      keys.set(id, item.key);
      next.push({ id, key: item.key });
    });
    previous = next;
    entries.clear();
    for (const entry of previous) entries.set(entry.id, entry);
    for (const { el } of current) adopt(up(el));
    for (const list of lists) if (list.isConnected) for (const child of Array.from(list.children)) addLine(child, stamp);
  }

  // Without a message selector, the message list is learned from our own question: the
  // driver says what it is about to send (learn); the element the widget then adds showing
  // that text holds our message, and our bubble is it or the nearest ancestor whose siblings
  // share its shape (tag and a class), their parent the list. With no such sibling yet (no
  // greeting), the next element added near it tells: their lowest common ancestor is the
  // list. The list is always above what the widget added for us, so a read receipt added
  // into our bubble later teaches nothing. Until then nothing is a message (a probe that
  // never sees its own question is blind, never an accuser).
  let needle = null; // our text, spaces removed
  const sent = []; // everything we sent, spaces removed: our bubbles teach nothing about theirs
  let ourAdded = null; // what the widget added that shows our message, waiting for a sibling
  let ourElement = null; // within it, the deepest element holding our text (what we report)
  let ourId = 0; // the message id it was reported with
  let stray = false; // text added in the chat box outside any list near ours: no guessing then
  const compact = (text) => (text || "").replace(/\s+/g, "");
  const editable = (el) => !!el && (el.isContentEditable || !!el.closest(NOT_SHOWN) || closestOrSelf(el, config.input));
  const textOf = (el) => compact(el.textContent);
  function learnFrom(mutations, stamp) {
    for (const mutation of mutations) {
      const nodes = mutation.type === "characterData" ? [mutation.target] : Array.from(mutation.addedNodes);
      for (const node of nodes) {
        const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
        if (!el || !el.isConnected || editable(el)) continue;
        if (ourAdded && !ourAdded.isConnected) ourAdded = ourElement = null; // the list was redrawn: find it again
        const wanted = ourId ? sent[0] : needle;
        if (!ourAdded && wanted && textOf(el).includes(wanted)) {
          ourAdded = shapedAsOurs(el, wanted) || el;
          ourShape = ourShape || { tag: ourAdded.tagName, classes: Array.from(ourAdded.classList) };
          ourElement = deepest(el, wanted);
          if (!ourId) { // ours, shown: reported at once (the proof of sight), whatever the list turns out to be
            ourId = nextId++;
            report({ type: "message", id: ourId, at: insertionStamp(ourElement, stamp), text: clean(ourElement.textContent),
                     sender: "", bot: false, side: "visitor", bare: true }); // our text alone: no read mark known
          }
          const found = sameShaped(ourAdded);
          if (found) return learned(found, stamp);
        } else if (ourAdded && !ourAdded.contains(el) && !el.contains(ourAdded) && textOf(el) &&
                   !sent.some((text) => textOf(el).includes(text))) {
          const found = commonList(ourAdded, el);
          if (found && found.line) continue; // a notice among the bubbles: it teaches nothing of their shape
          if (found) return learned(found, stamp);
          if (holds(chatBox(), el)) stray = true;
        }
      }
    }
  }
  // A widget that redraws the whole chat after we sent (Live Helper Chat replaces its body)
  // adds one big element holding our message: within it, ours is what is shaped like the
  // element that first showed it (its tag and a class), not the whole chat.
  let ourShape = null;
  function shapedAsOurs(el, text) {
    if (!ourShape) return null;
    const like = (x) => x.tagName === ourShape.tag && textOf(x).includes(text) &&
      (!ourShape.classes.length || ourShape.classes.some((c) => x.classList.contains(c)));
    if (like(el)) return el;
    return Array.from(el.getElementsByTagName(ourShape.tag)).filter(like).pop() || null;
  }
  function deepest(el, text) {
    for (;;) {
      const child = Array.from(el.children).find((c) => textOf(c).includes(text));
      if (!child) return el;
      el = child;
    }
  }
  const inputOf = () => roots.flatMap((root) => query(root, config.input))[0] || null;
  const holds = (el, other) => !!el && !!other && (el === other || el.contains(other));
  function chatBox() { // the nearest ancestor of our message that holds the input too
    const input = inputOf();
    let box = ourAdded;
    while (box && !holds(box, input)) box = up(box);
    return box;
  }
  function sameShaped(el) {
    const input = inputOf();
    for (let bubble = el; up(bubble); bubble = up(bubble)) {
      const list = up(bubble);
      if (holds(list, input)) return null; // past the list: the chat box holds the input too
      const shared = (other) => other !== bubble && other.tagName === bubble.tagName && textOf(other) &&
        (bubble.classList.length === 0 ? other.classList.length === 0 : Array.from(bubble.classList).some((c) => other.classList.contains(c)));
      const siblings = Array.from(list.children).filter(shared);
      if (siblings.length) return { list, bubble, siblings };
    }
    return null;
  }
  function commonList(ours, other) {
    const input = inputOf();
    const above = new Set();
    for (let n = ours; n; n = up(n)) above.add(n);
    let list = other;
    while (list && !above.has(list)) list = up(list);
    if (!list || list === ours || holds(list, input)) return null;
    let bubble = ours;
    while (up(bubble) !== list) bubble = up(bubble);
    let theirs = other;
    while (up(theirs) !== list) theirs = up(theirs);
    if (theirs.tagName !== bubble.tagName) return { line: true }; // a div among li bubbles: a line
    return { list, bubble, siblings: [theirs] };
  }
  const STABLE_CLASS = /^[A-Za-z][\w-]*$/;
  const stable = (c) => STABLE_CLASS.test(c) && !/\d{3,}|\d$/.test(c); // not a generated hash, nor a row number
  function selectorOf(el) {
    if (el.id && stable(el.id)) return "#" + CSS.escape(el.id);
    const classes = Array.from(el.classList).filter(stable).map((c) => "." + CSS.escape(c)).join("");
    return el.tagName.toLowerCase() + classes;
  }
  function uniqueSelector(el) { // the list's selector: more ancestors until it names only the list
    let selector = selectorOf(el);
    for (let a = up(el), depth = 0; a && depth < 5; a = up(a), depth++) {
      if (roots.flatMap((root) => query(root, selector)).length <= 1) break;
      selector = selectorOf(a) + " " + selector;
    }
    return selector;
  }
  function learned({ list, bubble, siblings }, stamp) {
    const tag = bubble.tagName.toLowerCase();
    // With no other bubble to compare (settle), the tag alone: our own classes may mark ours.
    const common = Array.from(bubble.classList).filter((c) => stable(c) && siblings.length && siblings.every((s) => s.classList.contains(c)));
    const shape = tag + common.map((c) => "." + CSS.escape(c)).join("");
    const message = uniqueSelector(list) + " > " + shape;
    // Ours by a class of its own, only where the bubbles share a class (a shape of their own): a
    // sibling of another shape is no bubble, and its classes tell nothing of the sides.
    const mine = common.length ? Array.from(bubble.classList).find((c) => stable(c) && !siblings.some((s) => s.classList.contains(c))) : undefined;
    config.message = message;
    if (!config.visitor && mine) config.visitor = message + "." + CSS.escape(mine);
    needle = null;
    ids.set(bubble, ourId); // already reported
    const ours = describe(bubble);
    keys.set(ourId, keyOf(ours));
    markChanged(ourId, ours);
    report({ type: "learned", message, visitor: config.visitor });
    // Our bubble as it is now: a read mark it shows was not seen turning up
    report({ type: "update", id: ourId, at: stamp, text: ours.text, marks: ours.marks, baseline: true });
    recovering = true; // what the list already showed (greetings, our question) is reported now
    try { rescan(stamp); } finally { recovering = false; }
  }
  // A chat restored after its page reloaded: the list learned in the document before.
  function use(message, visitor) {
    if (config.message) return;
    config.message = message;
    if (visitor && !config.visitor) config.visitor = visitor;
    needle = null;
    recovering = true; // what the list already shows was drawn before: stamps as then
    try { rescan(now()); } finally { recovering = false; }
  }
  function learn(text) {
    sent.push(compact(text));
    if (!config.message) needle = compact(text);
  }
  // The probe ends with nothing added near our question since: the list is guessed from what
  // was there (below). Replies added near ours would have taught the list; text added anywhere
  // else in the chat box forbids the guess (the end-of-probe check then cannot run, and no
  // accusation can stand).
  function settle() {
    if (config.message || !ourAdded || !ourAdded.isConnected || stray) return;
    const input = inputOf();
    let top = ourAdded; // the child of the chat box that holds our message
    while (up(top) && !holds(up(top), input)) top = up(top);
    // Our bubble: the nearest of what the widget added for us and its ancestors below the chat
    // box that has text beside it (a greeting, a notice); its parent is the list.
    let bubble = null;
    for (let at = ourAdded; at !== top && !bubble; at = up(at)) {
      if (Array.from(up(at).children).some((other) => other !== at && textOf(other))) bubble = at;
    }
    if (!bubble) { // nothing beside it: the chat box's child that holds it is the list
      if (top === ourAdded) return;
      bubble = ourAdded;
      while (up(bubble) !== top) bubble = up(bubble);
    }
    learned({ list: up(bubble), bubble, siblings: [] }, now());
  }


  // Whether the typing indicator shows needs a layout, which costs as much as the page is big:
  // looked at no more than every TYPING_CHECK_MS, not at every change (a flood of messages).
  const TYPING_CHECK_MS = 100;
  let typingShown = false;
  let typingCheck = null;
  function scanTyping() {
    typingCheck = null;
    const shown = roots.some((root) => query(root, config.typing).some((el) => el.getClientRects().length > 0));
    if (shown && !typingShown) report({ type: "typing", at: now() });
    typingShown = shown;
  }

  // The MutationObserver runs after the task that changed the DOM; on a busy machine the
  // renderer can be descheduled in between. So DOM insertion methods are wrapped to note the
  // page clock in the very call that inserts a node, and a message takes the stamp of its
  // own insertion (or its nearest inserted ancestor's) when that happened since the last scan.
  const insertedAt = new WeakMap();
  function wrapInsertion(proto, name) {
    const original = proto && proto[name];
    if (typeof original !== "function") return;
    proto[name] = function (...args) {
      const result = original.apply(this, args);
      const stamp = now();
      insertedAt.set(this, stamp);
      for (const arg of args) if (arg && typeof arg === "object") insertedAt.set(arg, stamp);
      return result;
    };
  }
  for (const name of ["appendChild", "insertBefore", "replaceChild"]) wrapInsertion(Node.prototype, name);
  for (const name of ["append", "prepend", "before", "after", "replaceWith", "replaceChildren",
                      "insertAdjacentElement", "insertAdjacentHTML", "insertAdjacentText"]) {
    wrapInsertion(Element.prototype, name);
  }
  const innerHTML = Object.getOwnPropertyDescriptor(Element.prototype, "innerHTML");
  Object.defineProperty(Element.prototype, "innerHTML", { ...innerHTML, set(value) {
    innerHTML.set.call(this, value);
    insertedAt.set(this, now());
  } });
  let lastScan = 0;
  let recovering = false; // learning the list: stamps of earlier insertions count, else page load
  function insertionStamp(node, fallback) {
    for (let n = node; n; n = n.parentNode || n.host) {
      const stamp = insertedAt.get(n);
      if (stamp !== undefined) return stamp >= lastScan || recovering ? stamp : fallback;
    }
    return recovering ? origin : fallback;
  }

  function scanOurRows(mutations, stamp) { // a read mark added or changed beside our bubble
    for (const bubble of ourBubbles) {
      const row = bubble.isConnected ? up(bubble) : null;
      if (!row || !ids.get(bubble)) { if (!row) ourBubbles.delete(bubble); continue; }
      if (mutations.some((m) => row.contains(m.target) && !bubble.contains(m.target))) update(bubble, stamp);
    }
  }

  const observer = new MutationObserver((mutations) => {
    const stamp = now();
    if (config.message) {
      scanMessages(mutations, stamp);
      scanOurRows(mutations, stamp);
    } else learnFrom(mutations, stamp);
    if (config.typing && typingCheck === null) typingCheck = setTimer(scanTyping, TYPING_CHECK_MS);
    lastScan = stamp;
  });
  // Attributes: a typing indicator shown by a style or class; a read mark by a class or title.
  const options = { childList: true, subtree: true, characterData: true, attributes: true };
  if (!config.typing) options.attributeFilter = ["class", "title", "aria-label", "alt"];
  observer.observe(document, options);
  const attachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attachShadow.call(this, init);
    roots.push(root);
    observer.observe(root, options);
    return root;
  };
})();
