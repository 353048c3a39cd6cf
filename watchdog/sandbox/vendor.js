// A third-party chat vendor's embed, as such scripts are written: the site only includes it;
// after the page has loaded it builds a floating launcher whose status is an icon (a dot
// whose class says online or offline, no words), and a panel. Names and bubbles carry
// icon-font glyphs (private-use characters). Like the sandbox's own widget it knows nothing
// of the truth: it shows what the server sends and reports when it showed it.
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const call = (url, body) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then((response) => response.json());
  const make = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    node.append(...children); // strings become text nodes: nothing the agent sends is markup
    return node;
  };
  const ICON = { chat: "\ue60a", agent: "\ue600", send: "\ue61b", read: "\ue62c" };

  // options: {api, online, delay_ms, title}
  window.startVendorChat = function startVendorChat(options) {
    setTimeout(() => build(options), options.delay_ms);
  };

  function build(options) {
    const dot = make("i", { class: "vc-dot " + (options.online ? "vc-dot--online" : "vc-dot--offline") });
    const launcher = make("div", { id: "vc-launcher", class: "vc-launcher", role: "button" }, dot,
                          make("span", { class: "vc-ico" }, ICON.chat));
    const panel = make("section", { class: "vc-panel", hidden: "" },
                       make("header", { class: "vc-title" }, options.title));
    document.body.append(launcher, panel);
    launcher.addEventListener("click", () => {
      panel.removeAttribute("hidden");
      if (!panel.dataset.open) open(panel, options);
      panel.dataset.open = "1";
    });
  }

  // options.leave: {fields: [[label, type, required]], promise}: a form of placeholders only
  // (no labels, "必填" in the placeholder), sent by a link styled as a button; errors and
  // thanks in a toast.
  function leaveForm(options) {
    const fields = options.leave.fields.map(([label, type]) => type === "textarea"
      ? make("textarea", { class: "vc-leave-area", placeholder: label })
      : make("input", { class: "vc-leave-field", type, placeholder: label }));
    const toast = make("div", { class: "vc-toast", role: "status" });
    const send = make("a", { class: "vc-leave-go", href: "javascript:void(0)" }, "提交");
    send.addEventListener("click", () => {
      const data = {};
      options.leave.fields.forEach(([label], i) => { data[label] = fields[i].value; });
      call(options.api + "/leave", { fields: data }).then((answer) => { toast.textContent = answer.said; });
    });
    return make("div", { class: "vc-leave" }, make("p", {}, options.leave.promise || "暂无客服在线，请留下联系方式和问题"),
                ...fields, send, toast);
  }

  function open(panel, options) {
    if (!options.online) {
      panel.append(options.leave ? leaveForm(options) : make("form", { class: "vc-leave" },
        make("p", {}, "暂无客服在线，请留下联系方式和问题"), make("textarea", { name: "content" }),
        make("button", { type: "button" }, "提交")));
      return;
    }
    const thread = make("ul", { class: "vc-thread" });
    const field = make("input", { type: "text", class: "vc-field", placeholder: "请输入您的问题" });
    const submit = make("a", { class: "vc-submit", href: "javascript:void(0)" }, ICON.send);
    panel.append(thread, make("div", { class: "vc-composer" }, field, submit));
    const session = call(options.api + "/open", { page: location.search }).then((answer) => answer.session);
    let sent = 0;

    function item(who, name, text) {
      const bubble = make("div", { class: "vc-bubble" });
      if (name) bubble.append(make("em", { class: "vc-who" }, ICON.agent + " " + name));
      bubble.append(make("p", {}, text, make("i", { class: "vc-read" }, ICON.read)));
      const row = make("li", { class: "vc-item vc-item--" + who }, bubble);
      thread.append(row);
      return now();
    }
    submit.addEventListener("click", () => {
      const text = field.value.trim();
      if (!text) return;
      field.value = "";
      const shownAt = item("guest", "", text);
      const clientId = ++sent;
      session.then((id) => call(options.api + "/send", { session: id, text, shown_at: shownAt, client_id: clientId }));
    });
    session.then((id) => {
      new EventSource(options.api + "/events?session=" + id).onmessage = (event) => {
        const data = JSON.parse(event.data);
        if (data.type !== "message") return;
        const shownAt = item("agent", data.sender, data.text);
        setTimeout(() => call(options.api + "/shown", { session: id, id: data.id, shown_at: shownAt }), 0);
      };
    });
  }
})();
