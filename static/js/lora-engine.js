// The Create form's LoRA list shows only the LoRAs the chosen model's engine can use (data-engine
// on each .lora-row and on the model's <option>); a workflow template takes none (data-loras="0").
// A hidden LoRA's inputs are disabled so they are not posted; the server checks the pairing anyway.
(function () {
  "use strict";

  function showLorasFor(form) {
    var model = form.querySelector("#id_model");
    var option = model && model.selectedOptions[0];
    var block = form.querySelector(".lora-block");
    if (!option || !block) return;
    var engine = option.dataset.engine || "local";
    var takesLoras = option.dataset.loras !== "0";
    var shown = 0;
    block.querySelectorAll(".lora-row").forEach(function (row) {
      var fits = takesLoras && (row.dataset.engine || "local") === engine;
      row.hidden = !fits;
      row.querySelectorAll("input").forEach(function (input) { input.disabled = !fits; });
      if (fits) shown += 1;
    });
    var none = block.querySelector("[data-no-lora-for-model]");
    if (none) none.hidden = shown > 0 || !block.querySelector(".lora-row");
  }

  function showAll() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("#id_model")) showLorasFor(form);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_model" && event.target.form) showLorasFor(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", showAll);
  document.addEventListener("htmx:afterSettle", showAll);
})();
