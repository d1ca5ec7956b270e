/* Heartbeats of the agent's page (docs/routing.md, "Presence"): every 20 s a POST says the page
   is open and whether the agent used it since the last one. Several open tabs each send theirs. */
(function () {
  var box = document.querySelector("[data-heartbeat-url]");
  if (!box || box.dataset.heartbeatStarted) return;
  box.dataset.heartbeatStarted = "1";
  var url = box.dataset.heartbeatUrl;
  var active = true;
  ["keydown", "pointerdown", "mousemove", "scroll", "focus"].forEach(function (name) {
    window.addEventListener(name, function () { active = true; }, {passive: true});
  });
  function csrf() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function beat() {
    var body = new URLSearchParams();
    body.set("active", active ? "1" : "0");
    active = false;
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}
    }).catch(function () { /* offline: the next beat tries again */ });
  }
  beat();
  setInterval(beat, 20000);
})();
