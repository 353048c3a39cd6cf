// "LiveDesk": a chat widget as another vendor writes one, for the hostile-page tests. Its
// replies are scripted in the page (no server): each page calls LiveDesk.start(options) and
// adds one twist. Markup: an <ol> thread of <li class="ld-item ld-item--in|out"> rows, the
// author in <b class="ld-author">, the time in <time>, an <input> and a link to send.
(() => {
  const make = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const label = (sentAt) => {
    const seconds = Math.floor((Date.now() - sentAt) / 1000);
    return seconds < 3 ? "刚刚" : `${seconds}秒前`;
  };

  // options: {presence, greeting, answer(text, n) -> [[delay_s, text, typing], ...],
  //           confirm (text), afterSend(n), timeLabels (re-render every second),
  //           receipt (已读 added into our bubble), notice (text added in the header),
  //           restore (the conversation kept in sessionStorage and shown again after a reload)}
  window.LiveDesk = {
    start(options) {
      const launcher = make("div", "", "在线咨询");
      launcher.id = "ld-launcher";
      launcher.setAttribute("role", "button");
      const win = make("section", "ld-window");
      win.hidden = true;
      const head = make("header", "");
      head.append(make("span", "ld-presence", options.presence || "客服在线"));
      const thread = make("ol", "ld-thread");
      const typing = make("div", "ld-typing", "对方正在输入");
      typing.style.display = "none";
      const compose = make("input", "ld-compose");
      compose.placeholder = "请输入您的问题";
      const go = make("a", "ld-go", "发送");
      go.href = "#";
      const foot = make("footer", "");
      foot.append(compose, go);
      win.append(head, thread, typing, foot);
      document.body.append(launcher, win);

      const items = []; // {out, text, author, at}
      const row = (item) => {
        const li = make("li", "ld-item " + (item.out ? "ld-item--out" : "ld-item--in"));
        if (item.author) li.append(make("b", "ld-author", item.author));
        li.append(make("p", "", item.text));
        if (options.timeLabels) li.append(make("time", "", label(item.at)));
        return li;
      };
      const store = options.restore ? window.sessionStorage : null;
      const pending = () => JSON.parse((store && store.getItem("ld-pending")) || "[]");
      const add = (item) => {
        items.push(item);
        if (store) store.setItem("ld-items", JSON.stringify(items));
        if (options.timeLabels) thread.replaceChildren(...items.map(row));
        else thread.append(row(item));
      };
      if (options.timeLabels) setInterval(() => thread.replaceChildren(...items.map(row)), 1000);

      const reply = (due, text, showsTyping) => { // a scheduled answer, kept across a reload
        const wait = Math.max(0, due - Date.now());
        if (showsTyping) setTimeout(() => { typing.style.display = ""; }, Math.max(0, wait - 2000));
        setTimeout(() => {
          typing.style.display = "none";
          add({ out: false, text, author: "售前客服", at: Date.now() });
          if (store) store.setItem("ld-pending", JSON.stringify(pending().filter((p) => p.due !== due)));
        }, wait);
      };
      let asked = 0;
      const send = () => {
        const text = compose.value.trim();
        if (!text) return;
        if (options.confirm && !window.confirm(options.confirm)) return;
        compose.value = "";
        add({ out: true, text, at: Date.now() });
        const n = asked++;
        const mine = thread.lastElementChild;
        if (options.receipt) setTimeout(() => mine.append(make("span", "ld-read", "已读")), 1000);
        if (options.notice) setTimeout(() => head.append(make("p", "ld-notice", options.notice)), 1000);
        for (const [delay, answer, showsTyping] of (options.answer ? options.answer(text, n) : [])) {
          const due = Date.now() + delay * 1000;
          if (store) store.setItem("ld-pending", JSON.stringify([...pending(), { due, text: answer, showsTyping }]));
          reply(due, answer, showsTyping);
        }
        if (options.afterSend) options.afterSend(n);
      };
      go.addEventListener("click", (event) => { event.preventDefault(); send(); });
      compose.addEventListener("keydown", (event) => { if (event.key === "Enter") send(); });
      const kept = store && JSON.parse(store.getItem("ld-items") || "[]");
      if (kept && kept.length) { // restored after a reload: the window open, as it was
        win.hidden = false;
        for (const item of kept) add(item);
        asked = kept.filter((item) => item.out).length;
        for (const p of pending()) reply(p.due, p.text, p.showsTyping);
      }
      launcher.addEventListener("click", () => {
        win.hidden = false;
        if (options.greeting && !items.length) add({ out: false, text: options.greeting, author: "售前客服", at: Date.now() });
      });
    },
    // Replies a person types, each page its own (the same text on many platforms is a template).
    human: (page) => ({
      "honest-human": "您好，话费充值一般十分钟内到账，充值失败会原路退回，请放心。",
      "surrogate-reply": "在的亲\ud83d，点卡付款后自动发卡密，一分钟就能收到\ude00",
      "surrogate-status": "你好，支持支付宝和微信，没到账的话半小时内给您退。",
      "escape-status": "亲，显示已使用的卡可以把卡号发我，我帮你查一下。",
      "busy-loop": "您好，这边看到了，稍等我帮您确认一下库存。",
      "frozen-clock": "在呢，话费一般五分钟左右到，晚上高峰可能慢一点。",
      "hash-change": "你好亲，卡密是自动发货的，付完款页面上就有。",
      "confirm-dialog": "您好，失败的订单系统会自动退款，一般两小时内原路退回。",
      "relative-times": "亲，充值卡显示已使用的话，把订单号给我看看哈。",
      "read-receipt": "您好，点卡是自动发货的，付款后订单页就能看到卡密。",
      "restore-reload": "在的，话费充值一般十分钟内到账，没到的话联系我退款。",
    })[page],
  };
})();
