// The sandbox's chat widget. It knows nothing of the truth: it shows what the server sends
// (text, sender name, and a bot class only where the simulated platform marks its bots),
// and tells the server when it showed each message, by the page clock.
(() => {
  const clock = () => performance.timeOrigin + performance.now();
  const post = (url, body) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then((r) => r.json());

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // always text: agent replies never run
    return node;
  }

  // The offline form without a contact field (nowhere to be answered), as some widgets have.
  function bareLeaveForm() {
    const leave = el("div", "leave");
    leave.append(el("p", "", "客服已下班，请留言，我们会在工作时间联系您。"));
    leave.append(el("textarea", "leave-msg"));
    leave.append(el("button", "leave-send", "提交留言"));
    return leave;
  }

  // A chat that only points to the site's 工单 page.
  function ticketLink(config) {
    const note = el("p", "leave-note", "客服已下班，如需帮助请");
    const link = el("a", "leave-link", "提交工单");
    link.href = config.leave.ticket;
    link.target = "_top";
    note.append(link);
    return note;
  }

  // config.leave: {fields: [[label, type, required]], promise}. Each field in a <label>, a
  // required one starred; the widget checks what is required, posts the rest as JSON and
  // shows what the server says.
  function leaveForm(config) {
    const leave = el("div", "leave");
    leave.append(el("p", "leave-note", config.leave.promise || "客服不在线，请留言。"));
    const inputs = [];
    for (const [label, type, required] of config.leave.fields) {
      const row = el("label", "leave-row", (required ? "*" : "") + label);
      const input = type === "textarea" ? el("textarea", "leave-text") : el("input", "leave-input");
      if (type !== "textarea") input.type = type;
      row.append(input);
      leave.append(row);
      inputs.push([label, required, input]);
    }
    const tip = el("p", "leave-tip");
    const submit = el("button", "leave-send", "提交留言");
    leave.append(submit, tip);
    submit.addEventListener("click", () => {
      const missing = inputs.find(([, required, input]) => required && !input.value.trim());
      if (missing) { tip.textContent = "请填写" + missing[0]; return; }
      const fields = Object.fromEntries(inputs.map(([label, , input]) => [label, input.value]));
      post(config.api + "/leave", { fields }).then((answer) => { tip.textContent = answer.said; });
    });
    return leave;
  }

  // config: {api, send: "button"|"enter", input: "textarea"|"contenteditable", offline, rerender,
  //          receipts: "read" (a status icon whose class turns read), "line" (对方已读 below),
  //          "delivered" (the icon turns 已送达) or null}
  window.mountKefuWidget = function mountKefuWidget(root, config) {
    const box = el("div", "kefu-chat");
    box.append(el("div", "kefu-head", config.title || "在线客服"));
    const list = el("div", "msgs");
    box.append(list);
    const typing = el("div", "typing", "对方正在输入…");
    typing.style.display = "none";
    box.append(typing);
    root.append(box);
    if (config.offline) {
      box.append(!config.leave ? bareLeaveForm() : config.leave.ticket ? ticketLink(config) : leaveForm(config));
      return;
    }
    const compose = el("div", "compose");
    const input = config.input === "contenteditable" ? el("div", "editor") : el("textarea", "chat-input");
    if (config.input === "contenteditable") input.contentEditable = "true";
    const sendButton = el("button", "send", "发送");
    compose.append(input, sendButton);
    box.append(compose);

    const shown = []; // what the list holds, for widgets that re-render it whole
    // Messages typed before the session is open are sent once it is.
    const ready = post(config.api + "/open", { page: location.search }).then((answer) => answer.session);
    let nextClientId = 1;
    function bubble(message) {
      const node = el("div", "msg " + (message.mine ? "me" : "them") + (message.marked ? " robot" : ""));
      if (message.sender) node.append(el("span", "name", message.sender));
      node.append(el("span", "text", message.text));
      if (message.mine && (config.receipts === "read" || config.receipts === "delivered")) {
        node.append(statusIcon(message.receipt || "sent"));
      }
      return node;
    }
    // Another vendor's receipts: an icon (BEM classes, an icon font's empty <i>) whose modifier
    // changes; only "delivered" has a title.
    function statusIcon(state, icon = el("i")) { // a new icon, or the one shown changed in place
      icon.className = "msg-status msg-status--" + (state === "read" ? "seen" : state);
      if (state === "delivered") icon.title = "已送达";
      return icon;
    }
    const ours = new Map(); // client id -> [message, its bubble]
    function receipt(id, state) { // our message marked: the icon changed, or a line added
      const [message, node] = ours.get(id) || [];
      if (!message) return null;
      message.receipt = state;
      if (config.receipts === "line") list.append(el("div", "receipt", "对方已读"));
      else if (config.rerender) list.replaceChildren(...shown.map(bubble));
      else statusIcon(state, node.querySelector(".msg-status"));
      return clock();
    }
    function show(message) {
      shown.push(message);
      const node = bubble(message);
      if (config.rerender) list.replaceChildren(...shown.map(bubble));
      else list.append(node);
      const shownAt = clock();
      list.scrollTop = list.scrollHeight;
      if (message.mine) ours.set("v" + message.clientId, [message, node]);
      return shownAt;
    }
    function send() {
      const text = (config.input === "contenteditable" ? input.textContent : input.value).trim();
      if (!text) return;
      if (config.input === "contenteditable") input.textContent = ""; else input.value = "";
      const clientId = nextClientId++;
      const shownAt = show({ mine: true, text, clientId });
      ready.then((session) => post(config.api + "/send", { session, text, shown_at: shownAt, client_id: clientId }));
    }
    sendButton.addEventListener("click", send);
    if (config.send === "enter") {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
      });
    }
    ready.then((session) => {
      const events = new EventSource(config.api + "/events?session=" + session);
      events.onmessage = (event) => {
        const data = JSON.parse(event.data);
        if (data.type === "typing") { typing.style.display = "block"; return; }
        if (data.type === "receipt") {
          const markedAt = receipt(data.id, data.state);
          if (markedAt) setTimeout(() => post(config.api + "/shown", { session, id: data.id, receipt: data.state, shown_at: markedAt }), 0);
          return;
        }
        typing.style.display = "none";
        const shownAt = show({ mine: false, text: data.text, sender: data.sender, marked: data.marked });
        // Report in a later task: the truth is the moment of the append, not of our bookkeeping.
        setTimeout(() => post(config.api + "/shown", { session, id: data.id, shown_at: shownAt }), 0);
      };
    });
  };
})();
