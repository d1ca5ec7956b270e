/* The agents' chat workspace: speaks /ws/werkplek/ (see balie/chat/workspace_socket.py). */
(function () {
  "use strict";
  var setup = JSON.parse(document.getElementById("chat-setup").textContent);
  var EN = /^en/.test(document.documentElement.lang);
  var T = EN ? { accept: "Accept", decline: "Decline", waiting: "waiting since", you: "Visitor",
    note: "Note", ended: "Chat ended", offer: "New chat", typing: "is typing…", read: "Read",
    live: "Connected", lost: "Connection lost, reconnecting…" } :
    { accept: "Aannemen", decline: "Weigeren", waiting: "wacht sinds", you: "Bezoeker",
      note: "Notitie", ended: "Chat beëindigd", offer: "Nieuwe chat", typing: "typt…", read: "Gelezen",
      live: "Verbonden", lost: "Verbinding verbroken, opnieuw verbinden…" };
  var columns = document.getElementById("chat-columns");
  var tpl = document.getElementById("chat-column");
  var offersList = document.getElementById("chat-offers");
  var waitingList = document.getElementById("chat-waiting");
  var none = document.getElementById("chat-none");
  var conn = document.getElementById("chat-conn");
  var chats = {};
  var sock, retry = 0;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function send(obj) { if (sock && sock.readyState === 1) sock.send(JSON.stringify(obj)); }
  function time(iso) { return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.2);
    } catch (e) { /* no sound available */ }
  }
  function notify(title, body) {
    beep();
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification(title, { body: body, tag: "balie-chat" }); } catch (e) { /* ignore */ }
    }
  }
  document.getElementById("chat-notify").addEventListener("click", function () {
    if (window.Notification) Notification.requestPermission();
  });

  function connect() {
    sock = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/werkplek/");
    sock.onopen = function () { retry = 0; conn.textContent = T.live; };
    sock.onmessage = function (e) { receive(JSON.parse(e.data)); };
    sock.onclose = function (e) {
      conn.textContent = T.lost;
      if (e.code === 4401) { location.reload(); return; }
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retry++)));
    };
  }

  function offerItem(chat, offer) {
    var li = el("li");
    li.dataset.ticket = chat.ticket;
    var label = chat.topic_label || chat.topic;
    li.appendChild(el("span", chat.name + (label ? " · " + label : "") + " · " + T.waiting + " " + time(chat.started)));
    var accept = el("button", T.accept, "button");
    accept.type = "button";
    accept.addEventListener("click", function () { send({ type: "accept", ticket: chat.ticket, offer: offer || null }); });
    li.appendChild(accept);
    return li;
  }
  var known = {};
  function receive(d) {
    if (d.type === "waiting") {
      waitingList.textContent = "";
      var fresh = false;
      d.chats.forEach(function (c) {
        waitingList.appendChild(offerItem(c));
        if (!known[c.ticket]) { known[c.ticket] = true; fresh = true; }
      });
      if (fresh) notify(T.offer, d.chats[d.chats.length - 1].name);
      none.hidden = d.chats.length > 0 || offersList.children.length > 0;
    } else if (d.type === "offer") {
      offersList.appendChild(offerItem(d, d.offer)).dataset.offer = d.offer;
      none.hidden = true;
      notify(T.offer, d.name || "");
    } else if (d.type === "offer_closed") {
      var gone = offersList.querySelector('[data-offer="' + d.offer + '"]');
      if (gone) gone.remove();
    } else if (d.type === "chat") {
      column(d.chat);
    } else if (d.type === "messages") {
      var c = chats[d.ticket];
      if (c) d.messages.forEach(function (m) { message(c, m); });
    } else if (d.type === "typing") {
      var t = chats[d.ticket];
      if (t) t.typing.textContent = d.on ? t.name + " " + T.typing : "";
    } else if (d.type === "read") {
      var r = chats[d.ticket];
      if (r) { r.read = Math.max(r.read, d.upto); showRead(r); }
    } else if (d.type === "ended") {
      var x = chats[d.ticket];
      if (x) { x.node.classList.add("ended"); x.typing.textContent = T.ended; x.box.disabled = true; }
    } else if (d.type === "error") {
      var target = chats[d.ticket];
      (target ? target.typing : conn).textContent = d.message;
    }
  }

  function column(info) {
    if (chats[info.ticket]) return;
    var node = tpl.content.firstElementChild.cloneNode(true);
    node.setAttribute("aria-label", info.name);
    node.dataset.ticket = info.ticket;
    node.querySelector(".chat-name").textContent = info.name + " · #" + info.ticket;
    var page = node.querySelector(".chat-page");
    if (info.page) {
      var a = el("a", info.page_title || info.page);
      a.href = info.page;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      page.appendChild(a);
    }
    node.querySelector(".chat-lang").textContent = info.language;
    node.querySelector(".chat-topic").textContent = info.topic_label || info.topic;
    node.querySelector(".chat-number").textContent = info.customer_number || "—";
    var earlier = node.querySelector(".chat-earlier");
    info.earlier.forEach(function (t) {
      var li = el("li");
      var link = el("a", "#" + t.id + " " + t.subject);
      link.href = t.url;
      li.appendChild(link);
      earlier.appendChild(li);
    });
    var c = { ticket: info.ticket, name: info.name, node: node, log: node.querySelector(".chat-log"),
      typing: node.querySelector(".chat-typing"), box: node.querySelector(".chat-box"),
      read: info.read || 0, seen: {} };
    chats[info.ticket] = c;
    wire(c);
    columns.appendChild(node);
    var w = waitingList.querySelector('[data-ticket="' + info.ticket + '"]');
    if (w) w.remove();
    c.box.focus();
  }

  function message(c, m) {
    if (c.seen[m.id]) return;
    c.seen[m.id] = true;
    var li = el("li", undefined, m.from);
    li.dataset.id = m.id;
    li.appendChild(el("span", (m.from === "note" ? T.note + " · " : "") + (m.from === "visitor" ? c.name : m.name) + " · " + time(m.at), "who"));
    li.appendChild(el("span", m.text));
    (m.attachments || []).forEach(function (a) {
      var link = el("a", a.name);
      link.href = a.url;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(link);
    });
    c.log.appendChild(li);
    c.log.scrollTop = c.log.scrollHeight;
    if (m.from === "visitor" && document.visibilityState === "visible") send({ type: "read", ticket: c.ticket, upto: m.id });
    showRead(c);
  }
  function showRead(c) {
    c.log.querySelectorAll(".readmark").forEach(function (n) { n.remove(); });
    var mine = c.log.querySelectorAll("li.agent");
    for (var i = mine.length - 1; i >= 0; i--) {
      if (+mine[i].dataset.id <= c.read) { mine[i].appendChild(el("span", T.read, "who readmark")); break; }
    }
  }

  function wire(c) {
    var node = c.node, box = c.box, list = node.querySelector(".chat-macros");
    var note = node.querySelector(".chat-note");
    var typingAt = 0, typingTimer, picked = 0, shown = [];
    function macros() {
      var q = box.value.slice(1).toLowerCase();
      shown = setup.macros.filter(function (m) { return m.name.toLowerCase().indexOf(q) !== -1; }).slice(0, 8);
      list.textContent = "";
      shown.forEach(function (m, i) {
        var li = el("li", m.name);
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", String(i === picked));
        li.addEventListener("mousedown", function (e) { e.preventDefault(); use(i); });
        list.appendChild(li);
      });
      list.hidden = !shown.length;
    }
    function use(i) { if (shown[i]) box.value = shown[i].body; list.hidden = true; box.focus(); }
    box.addEventListener("input", function () {
      if (box.value.charAt(0) === "/" && box.value.indexOf("\n") === -1) { picked = 0; macros(); } else list.hidden = true;
      var now = Date.now();
      if (now - typingAt > 3000) { send({ type: "typing", ticket: c.ticket, on: true }); typingAt = now; }
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { send({ type: "typing", ticket: c.ticket, on: false }); typingAt = 0; }, 4000);
    });
    box.addEventListener("keydown", function (e) {
      if (!list.hidden) {
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          picked = (picked + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
          macros();
          return;
        }
        if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); use(picked); return; }
        if (e.key === "Escape") { list.hidden = true; return; }
      }
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); }
    });
    function submit() {
      var text = box.value.trim();
      if (!text) return;
      send({ type: note.checked ? "note" : "reply", ticket: c.ticket, text: text });
      send({ type: "typing", ticket: c.ticket, on: false });
      box.value = "";
      note.checked = false;
    }
    node.querySelector(".chat-reply").addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    node.querySelector(".chat-end").addEventListener("click", function () { send({ type: "end", ticket: c.ticket }); });
    var toAgent = node.querySelector(".chat-to-agent"), toTeam = node.querySelector(".chat-to-team");
    setup.agents.forEach(function (a) { var o = el("option", a.name); o.value = a.id; toAgent.appendChild(o); });
    setup.teams.forEach(function (t) { var o = el("option", t.name); o.value = t.id; toTeam.appendChild(o); });
    node.querySelector(".chat-transfer-go").addEventListener("click", function () {
      send({ type: "transfer", ticket: c.ticket, agent: toAgent.value || null, team: toTeam.value || null,
        note: node.querySelector(".chat-transfer-note").value });
      node.remove();
      delete chats[c.ticket];
    });
  }
  connect();
})();
