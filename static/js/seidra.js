// Shell behaviour: close open menus on outside click, and keep the notifications area live.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  function refreshNotificationsArea() {
    var area = document.getElementById("notifications-area");
    if (!area || !window.htmx) return;
    var wasOpen = area.hasAttribute("open");
    htmx.ajax("GET", area.dataset.areaUrl, { target: "#notifications-area", swap: "outerHTML" }).then(function () {
      var fresh = document.getElementById("notifications-area");
      if (fresh && wasOpen) fresh.setAttribute("open", "");
    });
  }

  // Websocket events are lossy by design: on every (re)connection the area is re-read from the server.
  function listen(delayMs) {
    var area = document.getElementById("notifications-area");
    if (!area) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + area.dataset.wsPath);
    var opened = false;
    socket.onopen = function () {
      if (delayMs > 1000) refreshNotificationsArea();
      opened = true;
    };
    socket.onmessage = function () { refreshNotificationsArea(); };
    socket.onclose = function (event) {
      if (event.code === 4401) return; // signed out: nothing to listen to
      var next = opened ? 1000 : Math.min(delayMs * 2, 30000);
      window.setTimeout(function () { listen(next); }, next);
    };
  }

  document.addEventListener("DOMContentLoaded", function () { listen(1000); });

  // Forms marked data-submit-on-change submit when a field changes (language switch, job filters);
  // here rather than in an onchange attribute, which the Content-Security-Policy does not run.
  // requestSubmit() fires the submit event, so htmx still boosts the job filters.
  document.addEventListener("change", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-submit-on-change]") : null;
    if (form) form.requestSubmit();
  });

  // A button with data-copy="<id>" copies that input's value (share links); selecting the text first
  // leaves it ready for Ctrl+C where the clipboard API is refused (plain http on another host).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    var field = button ? document.getElementById(button.dataset.copy) : null;
    if (!field) return;
    field.select();
    if (!navigator.clipboard) return;
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.dataset.copied || button.textContent;
    }, function () {});
  });

  // A range input shows its value in the <output> named by its data-output (LoRA weights).
  document.addEventListener("input", function (event) {
    var name = event.target.dataset ? event.target.dataset.output : null;
    var output = name ? document.getElementById(name) : null;
    if (output) output.textContent = event.target.value;
  });

  // Live job fragments (htmx ws extension) for a job this page does not show are skipped,
  // rather than swapped into nothing and logged by htmx as missing targets; unless the message
  // starts by adding the job to this page's list (templates/jobs/_job-insert.html).
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message || "";
    var match = /id="job-([0-9a-f-]{36})-/.exec(message);
    if (!match || document.querySelector('[data-job-id="' + match[1] + '"]')) return;
    if (!/^<[a-z]+ hx-swap-oob="afterbegin:/.test(message)) event.preventDefault();
  });

  // A job reaches a list from several sides (the create form's answer, a retry's answer, the
  // websocket when it is queued), in any order: the copy shown last stays, an earlier one goes.
  // A list with data-max-items keeps its length: the oldest items fall off its end.
  document.addEventListener("htmx:load", function (event) {
    var item = event.target;
    var list = item.parentElement;
    if (!item.dataset || !item.dataset.jobId || !list) return;
    list.querySelectorAll('[data-job-id="' + item.dataset.jobId + '"]').forEach(function (other) {
      if (other !== item) other.remove();
    });
    var max = Number(list.dataset.maxItems);
    if (!max) return;
    var items = list.querySelectorAll(":scope > .job-item");
    for (var i = max; i < items.length; i++) items[i].remove();
  });
})();
