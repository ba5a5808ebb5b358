// The create form follows the chosen model's limits (carried by its <option> as data-*): the help
// texts next to size and steps, the inputs' bounds, and the size presets it accepts. The server
// checks the same limits (apps/jobs/limits.py); this only says them before submitting.
(function () {
  "use strict";

  function applyLimits(form) {
    var model = form.querySelector("#id_model");
    var option = model && model.selectedOptions[0];
    if (!option || !option.dataset.maxSide) return;
    var data = option.dataset;
    ["#id_width", "#id_height"].forEach(function (selector) {
      var input = form.querySelector(selector);
      if (!input) return;
      input.min = data.minSide;
      input.max = data.maxSide;
      if (input.value && Number(input.value) > Number(data.maxSide)) input.value = data.maxSide;
    });
    var steps = form.querySelector("#id_steps");
    if (steps) { steps.min = data.minSteps; steps.max = data.maxSteps; }
    var sizeHelp = form.querySelector("#id_size_helptext");
    if (sizeHelp) sizeHelp.textContent = data.sizeHelp;
    var stepsHelp = form.querySelector("#id_steps_helptext");
    if (stepsHelp) stepsHelp.textContent = data.stepsHelp;
    var size = form.querySelector("#id_size");
    if (!size) return;
    var maxSide = Number(data.maxSide);
    Array.prototype.forEach.call(size.options, function (preset) {
      var sides = /^(\d+)x(\d+)$/.exec(preset.value);
      preset.disabled = Boolean(sides) && (Number(sides[1]) > maxSide || Number(sides[2]) > maxSide);
    });
    if (size.selectedOptions[0] && size.selectedOptions[0].disabled) size.value = "custom";
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_model" && event.target.form) applyLimits(event.target.form);
  });
  // On load, and whenever htmx swaps the form back in (with its errors) after a submit.
  function applyAll() {
    var form = document.getElementById("create-form");
    if (form) applyLimits(form);
  }
  document.addEventListener("DOMContentLoaded", applyAll);
  document.addEventListener("htmx:afterSettle", applyAll);

  // After Generate the answer replaces the form: its confirmation or first error is brought into
  // view just below the sticky header (which would hide it), and the first bad field gets focus.
  var submitted = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "create-form") submitted = true;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var form = document.getElementById("create-form");
    if (!submitted || !form) return;
    submitted = false;
    var answer = form.querySelector(".form-success, .form-error, .has-error");
    if (!answer) return;
    var topbar = document.querySelector(".topbar");
    var below = topbar ? topbar.getBoundingClientRect().bottom : 0;
    var box = answer.getBoundingClientRect();
    if (box.top < below + 8 || box.bottom > window.innerHeight) {
      window.scrollBy({ top: box.top - below - 12, behavior: "instant" });
    }
    var field = answer.querySelector("input, select, textarea");
    if (field) field.focus({ preventScroll: true });
  });

  // Ctrl+Enter (Cmd+Enter on a Mac) submits the form from any of its fields, as in most editors.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest ? event.target.closest("#create-form") : null;
    if (!form) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button && !button.disabled) form.requestSubmit(button);  // disabled: a submit is in flight
  });
})();

// Model defaults: choosing another model moves the size and the steps to that model's defaults
// (data-default-* on its <option>), unless the user changed them, which is seen by their still
// holding the previous model's defaults. Listens in the capture phase so it runs before the limits
// above clamp the values and turn a disabled preset into "custom".
(function () {
  "use strict";

  function shownSize(form) {
    var size = form.querySelector("#id_size");
    var preset = size && /^(\d+)x(\d+)$/.exec(size.value);
    if (preset) return [Number(preset[1]), Number(preset[2])];
    var width = form.querySelector("#id_width"), height = form.querySelector("#id_height");
    return [Number(width && width.value), Number(height && height.value)];
  }

  function showSize(form, width, height) {
    form.querySelector("#id_width").value = width;
    form.querySelector("#id_height").value = height;
    var size = form.querySelector("#id_size");
    var preset = size.querySelector('option[value="' + width + "x" + height + '"]');
    size.value = preset ? preset.value : "custom";
  }

  function followModelDefaults(model) {
    var form = model.form;
    var previous = Array.prototype.find.call(model.options, function (option) {
      return option.value === model.dataset.previousModel;
    });
    var next = model.selectedOptions[0];
    model.dataset.previousModel = model.value;
    if (!previous || !next || previous === next || !next.dataset.defaultSteps) return;
    var was = previous.dataset, now = next.dataset;
    var size = shownSize(form);
    if (size[0] === Number(was.defaultWidth) && size[1] === Number(was.defaultHeight)) {
      showSize(form, now.defaultWidth, now.defaultHeight);
    }
    var steps = form.querySelector("#id_steps");
    if (steps && Number(steps.value) === Number(was.defaultSteps)) steps.value = now.defaultSteps;
  }

  function rememberModel() {
    var model = document.getElementById("id_model");
    if (model) model.dataset.previousModel = model.value;
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_model" && event.target.form) followModelDefaults(event.target);
  }, true);
  document.addEventListener("DOMContentLoaded", rememberModel);
  document.addEventListener("htmx:afterSettle", rememberModel);
})();

// Persona: choosing one puts its defaults (data-defaults on its <option>, JSON) into the form's
// fields, where the user sees and can change them, and shows its template and negative prompt; the
// server composes them with the posted fields (apps/personas/composition.py). "None" leaves the
// fields as they are. On a first load with ?persona= (data-prefill) the defaults are put in too.
(function () {
  "use strict";

  function setValue(form, selector, value) {
    var input = form.querySelector(selector);
    if (input && value !== null && value !== undefined && value !== "") input.value = value;
  }

  function showSummary(form) {
    var select = form.querySelector("#id_persona");
    var summary = form.querySelector("#persona-summary");
    if (!select || !summary) return;
    var option = select.selectedOptions[0];
    var chosen = option && option.value;
    summary.hidden = !chosen;
    if (!chosen) return;
    summary.querySelector('[data-persona-part="template"]').textContent = option.dataset.template || "—";
    summary.querySelector('[data-persona-part="negative"]').textContent = option.dataset.negative || "—";
  }

  function fill(form) {
    var select = form.querySelector("#id_persona");
    var option = select && select.selectedOptions[0];
    if (!option || !option.value || !option.dataset.defaults) return;
    var defaults = JSON.parse(option.dataset.defaults);
    var model = form.querySelector("#id_model");
    if (model && defaults.model && model.querySelector('option[value="' + CSS.escape(defaults.model) + '"]')) {
      model.value = defaults.model;
      model.dispatchEvent(new Event("change", { bubbles: true }));  // its limits and defaults follow
    }
    if (defaults.width || defaults.height) {
      var width = defaults.width || form.querySelector("#id_width").value;
      var height = defaults.height || form.querySelector("#id_height").value;
      setValue(form, "#id_width", width);
      setValue(form, "#id_height", height);
      var size = form.querySelector("#id_size");
      var preset = size.querySelector('option[value="' + width + "x" + height + '"]:not([disabled])');
      size.value = preset ? preset.value : "custom";
    }
    setValue(form, "#id_steps", defaults.steps);
    setValue(form, "#id_guidance", defaults.guidance);
    setValue(form, "#id_scheduler", defaults.scheduler);
    setValue(form, "#id_seed", defaults.seed);
    (defaults.loras || []).forEach(function (lora) {
      var box = form.querySelector('input[name="loras"][value="' + CSS.escape(lora.name) + '"]');
      if (!box) return;
      box.checked = true;
      var weight = form.querySelector('input[name="lora_weight:' + CSS.escape(lora.name) + '"]');
      if (!weight) return;
      weight.value = lora.weight;
      var output = weight.dataset.output && document.getElementById(weight.dataset.output);
      if (output) output.textContent = weight.value;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.id !== "id_persona" || !event.target.form) return;
    fill(event.target.form);
    showSummary(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("create-form");
    if (!form) return;
    var select = form.querySelector("#id_persona");
    if (select && select.dataset.prefill) fill(form);
    showSummary(form);
  });
  document.addEventListener("htmx:afterSettle", function () {
    var form = document.getElementById("create-form");
    if (form) showSummary(form);
  });
})();
