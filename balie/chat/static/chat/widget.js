/* Balie chat widget: <script src="https://<balie>/chat/widget.js" data-account="demo" async></script>
   No framework. The UI lives in an open shadow root (styles isolated, reachable by assistive
   tools and tests). Dutch or English by the page's lang. The chat continues by its visitor
   token (localStorage of the page's origin); messages not yet acknowledged are kept and sent
   again with the same id after a reconnect, so nothing is lost or doubled. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[src*="/chat/widget.js"][data-account]');
  if (!script || window.__balieChat) return;
  window.__balieChat = true;
  var BASE = new URL(script.src, location.href).origin;
  var ACCOUNT = script.getAttribute("data-account") || "demo";
  var EN = /^en/i.test(document.documentElement.lang || "");
  var T = EN ? {
    open: "Chat with us", close: "Close chat", title: "Chat", name: "Name", email: "E-mail",
    number: "Customer number (optional)", topic: "Subject", message: "Your message", send: "Send",
    start: "Start the chat", file: "Add a file", end: "End chat", transcript: "E-mail me the transcript",
    queue: "You are number {p} in the queue", wait: "expected wait about {m} min",
    waiting: "Waiting for an agent…", joined: "{n} is helping you", typing: "{n} is typing…",
    read: "Read", ended: "The chat has ended. Answers will reach you by e-mail.",
    rate: "How satisfied are you with this chat?", comment: "Comment (optional)",
    thanks: "Thank you for your rating.", sent: "The transcript is on its way to {e}.",
    offline: "Leave a message", left: "Thank you. Your message has number #{t}.",
    idle: "Are you still there? The chat closes soon if nothing is sent.",
    leave: "Leave the queue? Your place is given up.",
    reconnect: "Connection lost, reconnecting…", you: "You", failed: "Not sent: {r}",
    score: ["very dissatisfied", "dissatisfied", "neutral", "satisfied", "very satisfied"]
  } : {
    open: "Chat met ons", close: "Chat sluiten", title: "Chat", name: "Naam", email: "E-mail",
    number: "Klantnummer (optioneel)", topic: "Onderwerp", message: "Uw bericht", send: "Verstuur",
    start: "Start de chat", file: "Bestand toevoegen", end: "Gesprek beëindigen",
    transcript: "Stuur mij het gesprek per e-mail",
    queue: "U bent nummer {p} in de wachtrij", wait: "verwachte wachttijd ongeveer {m} min",
    waiting: "Wachten op een medewerker…", joined: "{n} helpt u", typing: "{n} typt…",
    read: "Gelezen", ended: "Het gesprek is beëindigd. Antwoorden krijgt u per e-mail.",
    rate: "Hoe tevreden bent u over dit gesprek?", comment: "Toelichting (optioneel)",
    thanks: "Bedankt voor uw beoordeling.", sent: "Het gesprek is onderweg naar {e}.",
    offline: "Laat een bericht achter", left: "Bedankt. Uw bericht heeft nummer #{t}.",
    idle: "Bent u er nog? Het gesprek sluit binnenkort als er niets meer komt.",
    leave: "De wachtrij verlaten? U geeft uw plaats op.",
    reconnect: "Verbinding verbroken, opnieuw verbinden…", you: "U", failed: "Niet verstuurd: {r}",
    score: ["zeer ontevreden", "ontevreden", "neutraal", "tevreden", "zeer tevreden"]
  };
  var LANG = EN ? "en" : "nl";
  var KEY = "balie-chat:" + ACCOUNT;
  var CSS = ":host{all:initial;font:15px/1.4 system-ui,sans-serif;color:#1f2328}" +
    "*{box-sizing:border-box;font:inherit}" +
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;background:#17457f;color:#fff;border:0;border-radius:24px;padding:12px 20px;cursor:pointer}" +
    ".panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(360px,calc(100vw - 40px));max-height:min(600px,calc(100vh - 100px));display:flex;flex-direction:column;background:#fff;border:1px solid #57606a;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.2)}" +
    ".panel[hidden]{display:none}header{display:flex;justify-content:space-between;align-items:center;background:#17457f;color:#fff;padding:8px 12px;border-radius:8px 8px 0 0}" +
    "h2{margin:0;font-weight:600}.x{background:none;color:#fff;border:0;font-size:20px;cursor:pointer}" +
    ".body{padding:12px;overflow:auto;flex:1}label{display:block;margin:8px 0 2px;font-weight:600}" +
    "input,select,textarea{width:100%;padding:6px;border:1px solid #57606a;border-radius:4px;color:#1f2328;background:#fff}" +
    "button.b{margin-top:8px;background:#17457f;color:#fff;border:0;border-radius:4px;padding:8px 14px;cursor:pointer}" +
    "button.s{background:#fff;color:#17457f;border:1px solid #17457f}" +
    ":focus-visible{outline:3px solid #bf4d00;outline-offset:2px}" +
    ".log{list-style:none;margin:0;padding:0}.log li{margin:6px 0;padding:6px 8px;border-radius:6px;background:#eef1f4;max-width:85%}" +
    ".log li.v{margin-left:auto;background:#dbe7f6}.who{display:block;font-size:13px;color:#424a53}" +
    ".note{font-size:13px;color:#424a53;margin:4px 0}.err{color:#a40e26}.row{display:flex;gap:6px;flex-wrap:wrap}" +
    "fieldset{border:0;padding:0;margin:8px 0}legend{font-weight:600}.sr{position:absolute;left:-9999px}";

  var host = document.createElement("div");
  host.id = "balie-chat";
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    var st = document.createElement("style");
    st.textContent = CSS;
    root.appendChild(st);
  }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function fmt(s, v) { return s.replace(/\{(\w)\}/g, function (_, k) { return v[k]; }); }
  var uid = 0;
  function field(label, input) {
    var id = "f" + (++uid);
    input.id = id;
    return el("div", {}, [el("label", { "for": id, text: label }), input]);
  }
  function store() { try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; } }
  function save(s) { try { localStorage.setItem(KEY, JSON.stringify(s)); } catch (e) { /* private mode */ } }
  function api(path, body, token, form) {
    var headers = { "X-Chat-Lang": LANG };
    if (token) headers["X-Chat-Token"] = token;
    if (!form) headers["Content-Type"] = "application/json";
    return fetch(BASE + "/chat/api/" + ACCOUNT + "/" + path + "?lang=" + LANG, {
      method: body === undefined ? "GET" : "POST", headers: headers, credentials: "omit",
      body: body === undefined ? undefined : (form ? body : JSON.stringify(body))
    }).then(function (r) { return r.json().then(function (d) { d._status = r.status; return d; }); });
  }
  function cid() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 10); }

  var launch = el("button", { "class": "launch", type: "button", "aria-expanded": "false", "aria-controls": "bc-panel", text: T.open });
  var body = el("div", { "class": "body" });
  var closeBtn = el("button", { "class": "x", type: "button", "aria-label": T.close, text: "×" });
  var panel = el("section", { "class": "panel", id: "bc-panel", role: "dialog", "aria-label": T.title, hidden: "" },
    [el("header", {}, [el("h2", { text: T.title }), closeBtn]), body]);
  root.appendChild(launch);
  root.appendChild(panel);
  function toggle(open) {
    panel.hidden = !open;
    launch.setAttribute("aria-expanded", String(open));
    if (open) { show(); var f = panel.querySelector("input,textarea,button.b"); if (f) f.focus(); }
    else launch.focus();
  }
  launch.addEventListener("click", function () { toggle(panel.hidden); });
  // A button of the page itself (`data-balie-chat-open`, e.g. the contact page's chat card) opens it.
  document.addEventListener("click", function (e) {
    var opener = e.target && e.target.closest && e.target.closest("[data-balie-chat-open]");
    if (opener) { e.preventDefault(); toggle(true); }
  });
  var inQueue = false; // waiting for an agent: closing the widget may give up the place
  closeBtn.addEventListener("click", function () {
    if (inQueue && window.confirm(T.leave) && frame({ type: "leave" })) inQueue = false;
    toggle(false);
  });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") toggle(false); });

  var shown = false;
  function show() {
    if (shown) return;
    shown = true;
    if (store().token) { chatView(); connect(); return; }
    api("status").then(function (d) { d.open ? formView(d, false) : formView(d, true); })
      .catch(function () { body.textContent = T.reconnect; shown = false; });
  }

  function formView(status, offline) {
    body.textContent = "";
    var name = el("input", { autocomplete: "name", required: "" });
    var email = el("input", { type: "email", autocomplete: "email", required: "" });
    var number = el("input", { inputmode: "numeric" });
    var topic = el("select", {});
    (status.topics || []).forEach(function (t) { topic.appendChild(el("option", { value: t[0], text: t[1] })); });
    var text = el("textarea", { rows: "4", required: "" });
    var err = el("p", { "class": "err", role: "alert" });
    var kids = [];
    if (offline) {
      kids.push(el("h3", { text: T.offline }));
      if (status.reason) kids.push(el("p", { "class": "note", text: status.reason }));
      if (status.promise) kids.push(el("p", { "class": "note promise", text: status.promise }));
    }
    var form = el("form", { novalidate: "" }, kids.concat([field(T.name, name), field(T.email, email),
      field(T.number, number), field(T.topic, topic), field(T.message, text), err,
      el("button", { "class": "b", type: "submit", text: T.send })]));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      err.textContent = "";
      var data = { name: name.value, email: email.value, customer_number: number.value,
        topic: topic.value, text: text.value, cid: cid(), page: location.href, title: document.title };
      api(offline ? "bericht" : "start", data).then(function (d) {
        if (d._status === 409 && d.offline) { formView({ topics: status.topics, reason: d.error, promise: d.promise }, true); return; }
        if (d.error) {
          var f = d.fields || {};
          err.textContent = d.error + " " + Object.keys(f).map(function (k) { return f[k]; }).join(" ");
          return;
        }
        if (offline) {
          body.textContent = "";
          var thanks = el("p", { role: "status", tabindex: "-1", text: fmt(T.left, { t: d.ticket }) });
          body.appendChild(thanks);
          if (d.promise) body.appendChild(el("p", { "class": "promise", text: d.promise }));
          focusFirst(thanks);
          return;
        }
        save({ token: d.token, pending: [] });
        chatView();
        connect();
      }).catch(function () { err.textContent = T.reconnect; });
    });
    body.appendChild(form);
    focusFirst();
  }
  // Keyboard users keep their place: each new view puts the focus on its first field.
  function focusFirst(target) {
    if (panel.hidden) return;
    var f = target || panel.querySelector("input:not([disabled]),textarea:not([disabled]),select,button.b");
    if (f) f.focus();
  }

  var log, statusLine, typingLine, box, sock, retry = 0, seen = {}, agentName = "", readUpto = 0,
    pingTimer, typingSent = 0, typingTimer, ended = false, overflowed = false, lastToken = "", lastSeen = 0;
  function tok() { return store().token || lastToken; }
  function chatView() {
    body.textContent = "";
    log = el("ol", { "class": "log" });
    statusLine = el("p", { "class": "note", role: "status", tabindex: "-1" });
    typingLine = el("p", { "class": "note", "aria-live": "polite" });
    box = el("textarea", { rows: "2" });
    box.addEventListener("input", typing);
    box.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
    var file = el("input", { type: "file" });
    file.addEventListener("change", function () { if (file.files[0]) upload(file.files[0]); file.value = ""; });
    var form = el("form", { "class": "send" }, [field(T.message, box), el("button", { "class": "b", type: "submit", text: T.send })]);
    form.addEventListener("submit", function (e) { e.preventDefault(); send(); });
    body.appendChild(statusLine);
    body.appendChild(el("div", { role: "log", "aria-live": "polite", "aria-label": T.title }, [log]));
    body.appendChild(typingLine);
    body.appendChild(form);
    body.appendChild(field(T.file, file)).className = "send";
    body.appendChild(el("div", { "class": "row" }, [
      el("button", { "class": "b s", type: "button", text: T.transcript, onclick: transcript }),
      el("button", { "class": "b s end", type: "button", text: T.end, onclick: function () { frame({ type: "end" }); } })
    ]));
    (store().pending || []).forEach(function (p) { render({ cid: p.cid, from: "visitor", text: p.text, pending: true }); });
    focusFirst(box);
  }

  function render(m) {
    var item = m.cid ? log.querySelector('[data-cid="' + m.cid + '"]') : null;
    if (m.id && seen[m.id]) return;
    if (m.id) seen[m.id] = true;
    if (!item) {
      item = el("li", {});
      log.appendChild(item);
    }
    item.textContent = "";
    item.className = m.from === "visitor" ? "v" : "a";
    if (m.cid) item.setAttribute("data-cid", m.cid);
    if (m.id) item.setAttribute("data-id", m.id);
    item.appendChild(el("span", { "class": "who", text: m.from === "visitor" ? T.you : m.name }));
    item.appendChild(el("span", { "class": "text", text: m.text }));
    (m.attachments || []).forEach(function (a) {
      item.appendChild(el("a", { href: BASE + a.url, text: a.name, rel: "noopener", target: "_blank" }));
    });
    if (m.from === "agent") markRead(m.id);
    showRead();
    body.scrollTop = body.scrollHeight;
  }
  function showRead() {
    if (!log) return;
    log.querySelectorAll(".readmark").forEach(function (n) { n.remove(); });
    var mine = log.querySelectorAll("li.v[data-id]");
    for (var i = mine.length - 1; i >= 0; i--) {
      if (+mine[i].getAttribute("data-id") <= readUpto) {
        mine[i].appendChild(el("span", { "class": "who readmark", text: T.read }));
        break;
      }
    }
  }
  function markRead(id) {
    if (!panel.hidden && document.visibilityState === "visible") frame({ type: "read", upto: id });
  }

  function frame(obj) { if (sock && sock.readyState === 1) { sock.send(JSON.stringify(obj)); return true; } return false; }
  function connect() {
    var s = store();
    if (!s.token) return;
    lastToken = s.token;
    var url = BASE.replace(/^http/, "ws") + "/ws/chat/" + ACCOUNT + "/";
    sock = new WebSocket(url);
    sock.onopen = function () {
      retry = 0;
      // After a reload the page has nothing yet: the whole history; after a drop: what is new.
      frame({ type: "hello", token: s.token, after: lastSeen });
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { frame({ type: "ping" }); }, 25000);
    };
    sock.onmessage = function (e) { receive(JSON.parse(e.data)); };
    sock.onclose = function (e) {
      clearInterval(pingTimer);
      if (e.code === 4401 || e.code === 4404) { save({}); shown = false; show(); return; }
      if (e.code === 4403 || ended) return;
      statusLine.textContent = T.reconnect;
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retry++)));
    };
  }
  function receive(d) {
    var s = store();
    if (d.type === "welcome") {
      agentName = d.agent;
      readUpto = d.read || 0;
      inQueue = d.state === "waiting";
      statusLine.textContent = d.state === "waiting" ? T.waiting : (d.agent ? fmt(T.joined, { n: d.agent }) : "");
      if (d.state === "ended") endView();
      (s.pending || []).forEach(function (p) { frame({ type: "message", cid: p.cid, text: p.text }); });
    } else if (d.type === "messages") {
      d.messages.forEach(function (m) {
        render(m);
        if (m.id > lastSeen) lastSeen = m.id;
      });
    } else if (d.type === "ack") {
      s.pending = (s.pending || []).filter(function (p) { return p.cid !== d.cid; });
      save(s);
      var item = log.querySelector('[data-cid="' + d.cid + '"]');
      if (item && !seen[d.id]) item.setAttribute("data-id", d.id);
    } else if (d.type === "error" && d.cid) {
      s.pending = (s.pending || []).filter(function (p) { return p.cid !== d.cid; });
      save(s);
      var bad = log.querySelector('[data-cid="' + d.cid + '"]');
      if (bad) bad.appendChild(el("span", { "class": "who err", text: fmt(T.failed, { r: d.message }) }));
    } else if (d.type === "queue") {
      var text = fmt(T.queue, { p: d.position });
      if (d.wait) text += ", " + fmt(T.wait, { m: Math.max(1, Math.round(d.wait / 60)) });
      statusLine.textContent = text;
    } else if (d.type === "agent") {
      inQueue = false;
      agentName = d.name;
      statusLine.textContent = fmt(T.joined, { n: d.name });
    } else if (d.type === "typing") {
      typingLine.textContent = d.on ? fmt(T.typing, { n: agentName || "…" }) : "";
    } else if (d.type === "read") {
      readUpto = Math.max(readUpto, d.upto || 0);
      showRead();
    } else if (d.type === "overflow") {
      // Too busy for live help: the message is kept as a ticket, answered by e-mail.
      overflowed = true;
      inQueue = false;
      box.disabled = true; // the chat is over: nothing more to send here
      statusLine.textContent = d.text + (d.promise ? " " + d.promise : "");
    } else if (d.type === "idle") {
      statusLine.textContent = T.idle;
    } else if (d.type === "ended") {
      inQueue = false;
      endView();
    }
  }
  function send() {
    var text = box.value.trim();
    if (!text || ended) return;
    var m = { cid: cid(), text: text };
    var s = store();
    s.pending = (s.pending || []).concat([m]);
    save(s);
    render({ cid: m.cid, from: "visitor", text: text });
    box.value = "";
    frame({ type: "message", cid: m.cid, text: text });
    frame({ type: "typing", on: false });
    typingSent = 0;
  }
  function typing() {
    var now = Date.now();
    if (now - typingSent > 3000) { frame({ type: "typing", on: true }); typingSent = now; }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { frame({ type: "typing", on: false }); typingSent = 0; }, 4000);
  }
  var refusal = "", beforeRefusal = "";
  function upload(file) {
    var data = new FormData();
    data.append("file", file);
    data.append("cid", cid());
    api("bestand", data, tok(), true).then(function (d) {
      if (d.error) {
        if (!refusal) beforeRefusal = statusLine.textContent;
        refusal = statusLine.textContent = d.error;
      } else if (refusal) {
        // A file that went through takes the last refusal away, unless news replaced it.
        if (statusLine.textContent === refusal) statusLine.textContent = beforeRefusal;
        refusal = "";
      }
    });
  }
  function transcript() {
    api("transcript", {}, tok()).then(function (d) {
      statusLine.textContent = d.error || fmt(T.sent, { e: d.sent_to });
    });
  }
  function endView() {
    if (ended) return;
    ended = true;
    typingLine.textContent = "";
    box.disabled = true;
    // Nothing more to send or end: the message box, the file and the end button go.
    body.querySelectorAll(".send,.end").forEach(function (n) { n.hidden = true; });
    if (overflowed) { forget(); focusFirst(statusLine); return; }
    statusLine.textContent = T.ended;
    var token = tok();
    var radios = T.score.map(function (label, i) {
      var id = "r" + (++uid);
      return el("span", {}, [el("input", { type: "radio", name: "score", value: String(i + 1), id: id, style: "width:auto" }),
        el("label", { "for": id, style: "display:inline;margin:0 8px 0 2px" }, [document.createTextNode(String(i + 1)),
          el("span", { "class": "sr", text: " – " + label })])]);
    });
    var comment = el("textarea", { rows: "2" });
    var form = el("form", { "class": "rating" }, [el("fieldset", {}, [el("legend", { text: T.rate }), el("div", { "class": "row" }, radios)]),
      field(T.comment, comment), el("button", { "class": "b", type: "submit", text: T.send })]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var picked = form.querySelector("input[name=score]:checked");
      if (!picked) return;
      api("beoordeling", { rating: +picked.value, comment: comment.value }, token).then(function (d) {
        var done = el("p", { role: "status", tabindex: "-1", text: d.error || T.thanks });
        form.replaceWith(done);
        focusFirst(done);
      });
    });
    body.appendChild(form);
    focusFirst(radios[0].firstChild);
    forget();
  }
  function forget() {
    var s = store();
    delete s.token;
    save(s);
    if (sock) sock.close();
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && log) {
      var ids = log.querySelectorAll("li.a[data-id]");
      if (ids.length) markRead(+ids[ids.length - 1].getAttribute("data-id"));
    }
  });
  (document.body || document.documentElement).appendChild(host);
})();
