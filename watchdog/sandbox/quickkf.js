// "QuickKF", another vendor's Chinese 客服 widget, written the way real ones are (each trait seen
// on a running system): the entry is a fixed div "咨询客服" whose click is bound by script (no
// href, no role, no onclick attribute, no pointer cursor); the chat window is in the page from
// the start, hidden; its only status is in its own header ("与 客服小美 交流中" / "暂时没有客服"), and
// offline its input is made read-only; notices are divs among the li bubbles (agent assigned,
// queue, time separators); our bubble carries a "我" label, a time and a read mark (未读, then 已读
// when the server says), and is drawn at once with an empty data-id, then replaced by the server's copy. It knows nothing of the truth.
(() => {
  const clock = () => performance.timeOrigin + performance.now();
  const post = (url, body) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then((r) => r.json());
  const hhmm = () => new Date().toTimeString().slice(0, 5);
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // always text: agent replies never run
    return node;
  }

  // options: {api, online, title, agent}
  window.QuickKF = function QuickKF(options) {
    const entry = el("div", "qkf-entry", "咨询客服");
    entry.style.cssText = "position:fixed;right:0;top:45%;width:28px;padding:8px 6px;background:#e4393c;color:#fff";
    const win = el("div", "qkf-window");
    win.style.cssText = "display:none;position:fixed;right:40px;bottom:20px;width:360px;background:#fff;border:1px solid #ddd";
    const head = el("div", "qkf-head");
    head.append(el("span", "qkf-title", options.title), el("span", "qkf-state", ""));
    const list = el("ul", "qkf-list");
    const input = el("textarea", "qkf-text");
    const send = el("a", "qkf-btn", "发送");
    const foot = el("div", "qkf-foot");
    foot.append(input, send);
    win.append(head, list, foot);
    document.body.append(entry, win);
    const state = head.querySelector(".qkf-state");
    let opened = false;
    entry.addEventListener("click", () => {
      win.style.display = "block";
      if (opened) return;
      opened = true;
      if (!options.online) {
        state.textContent = "暂时没有客服";
        input.readOnly = true;
        input.placeholder = "客服不在线，请稍后再来";
        return;
      }
      state.textContent = `与 ${options.agent} 交流中`;
      start();
    });

    function notice(text) {
      list.append(el("div", "qkf-notice", text));
    }
    function bubble(mine, text, who) {
      const li = el("li", "qkf-msg " + (mine ? "qkf-msg--self" : "qkf-msg--agent"));
      li.append(el("span", "qkf-who", who), el("span", "qkf-time", hhmm()), el("p", "qkf-body", text));
      return li;
    }
    function start() {
      const ready = post(options.api + "/open", { page: location.search }).then((answer) => answer.session);
      let nextClientId = 1;
      let stamped = false;
      function sendNow() {
        const text = input.value.trim();
        if (!text) return;
        input.value = "";
        if (!stamped) { notice(hhmm()); stamped = true; } // a time separator before the first message
        const draft = bubble(true, text, "我");
        draft.dataset.id = "";
        list.append(draft);
        const shownAt = clock();
        const clientId = nextClientId++;
        ready.then((session) => post(options.api + "/send", { session, text, shown_at: shownAt, client_id: clientId }))
          .then(() => {
            const copy = bubble(true, text, "我"); // the server's copy replaces the draft
            copy.dataset.id = "m" + clientId;
            copy.append(el("em", "qkf-read", "未读"));
            draft.replaceWith(copy);
            copies.set("v" + clientId, copy);
            if (readEarly.has("v" + clientId)) markRead("v" + clientId); // read before the copy came
          });
      }
      // Our message read (the server says when): its mark turns 已读, on the copy
      const copies = new Map();
      const readEarly = new Set();
      let session = null;
      function markRead(id) {
        const copy = copies.get(id);
        if (!copy) { readEarly.add(id); return; }
        copy.querySelector(".qkf-read").textContent = "已读";
        const markedAt = clock();
        setTimeout(() => post(options.api + "/shown", { session, id, receipt: "read", shown_at: markedAt }), 0);
      }
      send.addEventListener("click", sendNow);
      ready.then((opened) => {
        session = opened;
        const events = new EventSource(options.api + "/events?session=" + session);
        events.onmessage = (event) => {
          const data = JSON.parse(event.data);
          if (data.type === "receipt" && data.state === "read") return markRead(data.id);
          if (data.type !== "message") return;
          let shownAt;
          if (data.notice) {
            notice(data.text);
            shownAt = clock();
          } else {
            list.append(bubble(false, data.text, data.sender || options.agent));
            shownAt = clock();
          }
          setTimeout(() => post(options.api + "/shown", { session, id: data.id, shown_at: shownAt }), 0);
        };
      });
    }
  };
})();
