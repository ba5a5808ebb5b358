// "Read parameters from a PNG" on the Create page: a PNG dropped on the box (or chosen with its
// button) is sent to POST /api/media/read-parameters, which reads what SEIDRA, AUTOMATIC1111/Forge
// or ComfyUI wrote in it; the answer fills the form, and the fields it could not read are named.
// The texts come from the box's data-* attributes (translated by the server).
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function setValue(form, name, value) {
    var input = form.querySelector("#id_" + name);
    if (!input || value === undefined || value === null) return false;
    if (input.tagName === "SELECT" && !input.querySelector('option[value="' + CSS.escape(String(value)) + '"]')) {
      return false;
    }
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function setSize(form, width, height) {
    if (!width || !height) return false;
    setValue(form, "width", width);
    setValue(form, "height", height);
    var size = form.querySelector("#id_size");
    var preset = size && size.querySelector('option[value="' + width + "x" + height + '"]');
    if (size) size.value = preset && !preset.disabled ? preset.value : "custom";
    if (size) size.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function setLoras(form, loras) {
    var wanted = {};
    (loras || []).forEach(function (lora) { wanted[lora.name] = lora.weight; });
    form.querySelectorAll('input[type=checkbox][name="loras"]').forEach(function (box) {
      box.checked = Object.prototype.hasOwnProperty.call(wanted, box.value);
      var weight = form.querySelector('input[name="lora_weight:' + CSS.escape(box.value) + '"]');
      if (box.checked && weight) {
        weight.value = wanted[box.value];
        var output = document.getElementById(weight.dataset.output);
        if (output) output.textContent = weight.value;
      }
    });
  }

  function labelOf(form, name) {
    if (name === "loras") {
      var legend = form.querySelector(".lora-block legend");
      return legend ? legend.textContent.trim() : name;
    }
    var label = form.querySelector('label[for="id_' + name + '"]');
    return label ? label.textContent.trim() : name;
  }

  function fill(form, parameters) {
    // The model first: choosing it moves size and steps to its defaults, which the file then overrides.
    if (parameters.model) setValue(form, "model", parameters.model);
    ["prompt", "negative_prompt", "steps", "guidance", "scheduler", "seed", "batch_size"].forEach(function (name) {
      if (name in parameters) setValue(form, name, parameters[name]);
    });
    setSize(form, parameters.width, parameters.height);
    setLoras(form, parameters.loras);
  }

  function say(box, text, isError) {
    var status = box.querySelector(".png-drop-status");
    status.textContent = "";
    status.classList.toggle("form-error", Boolean(isError));
    text.split("\n").forEach(function (line, index) {
      if (index) status.appendChild(document.createElement("br"));
      status.appendChild(document.createTextNode(line));
    });
  }

  function read(box, file) {
    var form = document.getElementById("create-form");
    if (!file || !form) return;
    var body = new FormData();
    body.append("file", file);
    say(box, box.dataset.msgReading, false);
    fetch(box.dataset.readUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      })
      .then(function (result) {
        if (!result.ok) {
          say(box, result.answer.message || box.dataset.msgFailed, true);
          return;
        }
        var answer = result.answer;
        fill(form, answer.parameters);
        var lines = [box.dataset["msgFrom_" + answer.source] || answer.source];
        var unread = Object.keys(answer.unread || {});
        if (unread.length) {
          lines.push(box.dataset.msgUnread);
          unread.forEach(function (name) { lines.push("· " + labelOf(form, name) + ": " + answer.unread[name]); });
        }
        say(box, lines.join("\n"), false);
        box.dataset.source = answer.source;
      })
      .catch(function () { say(box, box.dataset.msgFailed, true); });
  }

  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest(".png-drop");
    if (box && event.target.type === "file") read(box, event.target.files[0]);
  });
  document.addEventListener("dragover", function (event) {
    var box = event.target.closest && event.target.closest(".png-drop");
    if (!box) return;
    event.preventDefault();
    box.classList.add("is-over");
  });
  document.addEventListener("dragleave", function (event) {
    var box = event.target.closest && event.target.closest(".png-drop");
    if (box) box.classList.remove("is-over");
  });
  document.addEventListener("drop", function (event) {
    var box = event.target.closest && event.target.closest(".png-drop");
    if (!box) return;
    event.preventDefault();
    box.classList.remove("is-over");
    read(box, event.dataTransfer.files[0]);
  });
})();
