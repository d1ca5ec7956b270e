/* Balie's script for every page: loaded from a file, as the Content-Security-Policy allows no
   inline script and no inline event handlers. */
document.documentElement.classList.replace("no-js", "js");

/* A macro's text goes into the reply box of the ticket page (its textarea named "text"). */
document.addEventListener("balie:macro", function (event) {
  var box = document.querySelector("#reply-form textarea[name=text]");
  if (!box) return;
  box.value = event.detail.text;
  var reply = document.querySelector("#reply-form input[name=mode][value=antwoord]");
  if (reply) reply.checked = true;
  box.focus();
});

/* Enter in a field with data-enter-triggers="<event>" triggers that htmx event instead of
   submitting the form around it (the customer search of "log a contact"). */
document.addEventListener("keydown", function (event) {
  var field = event.target;
  if (event.key !== "Enter" || !field.dataset || !field.dataset.enterTriggers) return;
  event.preventDefault();
  if (window.htmx) htmx.trigger(field, field.dataset.enterTriggers);
});

/* The ticket page tells the others when the agent leaves it (the element with
   data-leave-url, its presence); coming back through the browser's history counts as arriving. */
window.addEventListener("pagehide", function () {
  var el = document.querySelector("[data-leave-url]");
  if (!el || !navigator.sendBeacon) return;
  var data = new FormData();
  try {
    data.append("csrfmiddlewaretoken", JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]);
  } catch (err) { return; }
  navigator.sendBeacon(el.dataset.leaveUrl, data);
});
window.addEventListener("pageshow", function (event) {
  var el = document.querySelector("[data-leave-url]");
  if (event.persisted && el && window.htmx) htmx.trigger(el, "balie:live");
});

/* Live updates: one WebSocket per page. Every event names a ticket; elements with
   data-live="inbox" refresh on any event, data-live="ticket" only on events of this page's
   ticket; data-live-events limits them to event-name prefixes. The element itself knows what
   to re-fetch (hx-get with hx-trigger="balie:live").
   Refreshes are coalesced per element: the first event schedules one data-live-wait ms later,
   events until then join it, and an element refreshes at most once per data-live-every ms.
   A steady stream of changes thus refreshes a list every so often and once after the last
   change, not at every change (and not never, as a debounce would). */
(function () {
  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      document.getElementById("topnav").classList.toggle("open", open);
    });
  }
  if (!document.body.hasAttribute("data-live-updates") || !("WebSocket" in window)) return;
  var ticket = document.body.dataset.ticket || "";
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
    "/ws/agent/" + (ticket ? "?ticket=" + encodeURIComponent(ticket) : "");
  var wait = 1000;
  var pending = {};  /* element id -> {timer, last} */
  function refresh(el, message) {
    var after = parseInt(el.dataset.liveWait || "0", 10) || 0;
    var every = parseInt(el.dataset.liveEvery || "0", 10) || 0;
    if (!el.id || (!after && !every)) { htmx.trigger(el, "balie:live", message); return; }
    var state = pending[el.id] || (pending[el.id] = {timer: null, last: 0});
    if (state.timer) return;
    var delay = Math.max(after, state.last + every - Date.now());
    state.timer = setTimeout(function () {
      state.timer = null;
      state.last = Date.now();
      /* the element may have been swapped for a fresh copy meanwhile */
      var current = document.getElementById(el.id);
      if (current) htmx.trigger(current, "balie:live", message);
    }, delay);
  }
  function relay(message) {
    var event = message.event || "";
    var about = message.data && message.data.ticket != null ? String(message.data.ticket) : "";
    document.querySelectorAll("[data-live]").forEach(function (el) {
      if (el.dataset.live === "ticket" && about !== ticket) return;
      var wanted = (el.dataset.liveEvents || "").split(" ").filter(Boolean);
      if (wanted.length && !wanted.some(function (p) { return event.indexOf(p) === 0; })) return;
      if (window.htmx) refresh(el, message);
    });
  }
  function connect() {
    var socket = new WebSocket(url);
    socket.onopen = function () { wait = 1000; };
    socket.onmessage = function (e) {
      try {
        var events = JSON.parse(e.data);  /* one event, or a list of a burst's events */
        (Array.isArray(events) ? events : [events]).forEach(relay);
      } catch (err) { /* ignore malformed events */ }
    };
    socket.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403) return;
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 30000);
    };
  }
  connect();
})();

