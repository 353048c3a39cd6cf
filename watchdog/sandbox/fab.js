// Another vendor's embed ("ChatWave"), written the way accessible widgets are: a floating round
// button labelled only by aria-label (an SVG, no text), a dialog with a role="log" thread of
// <article>s, and a <form> whose submit (its button, or Enter in the field) sends. No status
// indicator at all. Like the other widgets it knows nothing of the truth.
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const call = (url, body) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      .then((response) => response.json());
  const SVG = "http://www.w3.org/2000/svg";
  function icon(path) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    const shape = document.createElementNS(SVG, "path");
    shape.setAttribute("d", path);
    shape.setAttribute("fill", "currentColor");
    svg.append(shape);
    return svg;
  }
  function node(tag, className, ...children) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    element.append(...children); // strings become text: nothing the agent sends is markup
    return element;
  }
  const BUBBLE = "M4 4h16v12H7l-3 3z";
  const PLANE = "M2 21l21-9L2 3v7l15 2-15 2z";

  // options: {api, title}
  window.ChatWave = function ChatWave(options) {
    const fab = node("button", "cw-fab", icon(BUBBLE));
    fab.type = "button";
    fab.setAttribute("aria-label", "在线客服");
    fab.style.cssText = "position:fixed;right:24px;bottom:24px;width:56px;height:56px;border-radius:28px;" +
      "border:0;background:#2563eb;color:#fff";
    document.body.append(fab);
    let dialog = null;
    fab.addEventListener("click", () => {
      if (dialog) { dialog.hidden = !dialog.hidden; return; }
      dialog = build(options);
      document.body.append(dialog);
    });
  }

  function build(options) {
    const dialog = node("div", "cw-window", node("div", "cw-header", options.title));
    dialog.setAttribute("role", "dialog");
    dialog.style.cssText = "position:fixed;right:24px;bottom:96px;width:340px;background:#fff;" +
      "border:1px solid #ccd;border-radius:8px";
    const log = node("div", "cw-log");
    log.setAttribute("role", "log");
    log.style.cssText = "height:260px;overflow-y:auto;padding:8px";
    const field = node("input", "cw-input");
    field.type = "text";
    field.placeholder = "输入消息…";
    field.setAttribute("aria-label", "输入消息");
    const submit = node("button", "cw-send", icon(PLANE));
    submit.type = "submit";
    submit.setAttribute("aria-label", "发送");
    const form = node("form", "cw-compose", field, submit);
    dialog.append(log, form);
    const session = call(options.api + "/open", { page: location.search }).then((answer) => answer.session);
    let sent = 0;

    function add(from, author, text) {
      const article = node("article", "cw-m cw-m--" + from);
      if (author) article.append(node("header", "cw-author", author));
      article.append(node("p", "cw-body", text));
      log.append(article);
      log.scrollTop = log.scrollHeight;
      return now();
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = field.value.trim();
      if (!text) return;
      field.value = "";
      const shownAt = add("visitor", "", text);
      const clientId = ++sent;
      session.then((id) => call(options.api + "/send", { session: id, text, shown_at: shownAt, client_id: clientId }));
    });
    session.then((id) => {
      new EventSource(options.api + "/events?session=" + id).onmessage = (event) => {
        const data = JSON.parse(event.data);
        if (data.type !== "message") return;
        const shownAt = add("agent", data.sender, data.text);
        setTimeout(() => call(options.api + "/shown", { session: id, id: data.id, shown_at: shownAt }), 0);
      };
    });
    return dialog;
  }
})();
