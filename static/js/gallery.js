// Gallery page: the lightbox dialog and its keys, flagged media revealed on click, the selection
// (shift-click ranges) and copying an item's parameters. The page works without it: links open the
// lightbox as a page, checkboxes submit plainly.
(function () {
  "use strict";

  function dialog() { return document.getElementById("lightbox"); }
  function lightboxBody() { return document.getElementById("lightbox-body"); }

  // --- Lightbox -----------------------------------------------------------------------------------

  // The address bar names the open item (?item=<id> with the filters), so the view can be bookmarked;
  // replaced rather than pushed, so going back leaves the gallery instead of stepping through items.
  function showLightbox() {
    var box = dialog();
    var item = box && box.querySelector("[data-item-url]");
    if (!item) return;
    if (!box.open) box.showModal();
    window.history.replaceState(window.history.state, "", item.dataset.itemUrl);
  }

  function closeLightbox() {
    var box = dialog();
    if (box && box.open) box.close();
  }

  // "close" does not bubble: listened to in the capture phase. Esc closes the dialog natively.
  document.addEventListener("close", function (event) {
    if (event.target !== dialog()) return;
    var url = event.target.dataset.gridUrl;
    if (url) window.history.replaceState(window.history.state, "", url);
    lightboxBody().replaceChildren();
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target === lightboxBody()) {
      if (target.querySelector("[data-lightbox-closed]")) closeLightbox();
      else showLightbox();
    } else if (target === document.body) {
      showLightbox(); // a boosted filter change brings a new page, which may open an item
    }
    updateSelection();
  });

  document.addEventListener("DOMContentLoaded", function () {
    showLightbox(); // the page was opened with ?item=
    updateSelection();
  });

  document.addEventListener("click", function (event) {
    var box = dialog();
    if (!box || !box.open) return;
    if (event.target === box || event.target.closest("[data-lightbox-close]")) {
      event.preventDefault(); // a click on the backdrop, or the close link
      closeLightbox();
      return;
    }
    var zoom = event.target.closest(".lightbox-zoom");
    if (zoom) {
      // The original at full size, loaded only when asked for; a second click fits it again.
      event.preventDefault();
      var figure = zoom.closest(".lightbox-figure");
      var image = zoom.querySelector("img");
      figure.classList.toggle("is-zoomed");
      if (image.src.indexOf(zoom.dataset.original) === -1) image.src = zoom.dataset.original;
    }
  });

  document.addEventListener("keydown", function (event) {
    var box = dialog();
    if (!box || !box.open || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    var link = null;
    if (event.key === "ArrowLeft") link = box.querySelector("[data-lightbox-prev]");
    if (event.key === "ArrowRight") link = box.querySelector("[data-lightbox-next]");
    if (link) {
      event.preventDefault();
      link.click();
    }
  });

  // --- Copy the parameters as AUTOMATIC1111 text ----------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-from]") : null;
    if (!button) return;
    var source = document.getElementById(button.dataset.copyFrom);
    if (!source) return;
    function copied() { button.textContent = button.dataset.copiedLabel; }
    function fallback() {
      source.closest("details").open = true; // the text shown and selected, for Ctrl+C if even this fails
      source.select();
      if (document.execCommand("copy")) copied();
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(source.value).then(copied, fallback);
    else fallback();
  });

  // --- Selection ------------------------------------------------------------------------------------

  var lastClicked = null;

  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("input[data-select]")); }

  function updateSelection() {
    var bar = document.getElementById("gallery-selection");
    if (!bar) return;
    var count = boxes().filter(function (box) { return box.checked; }).length;
    bar.dataset.count = String(count);
    bar.querySelector("[data-selection-count]").textContent = String(count);
  }

  document.addEventListener("click", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select]")) return;
    // Shift-click: every box between the last one clicked and this one takes this one's state.
    if (event.shiftKey && lastClicked && lastClicked !== box && document.contains(lastClicked)) {
      var all = boxes();
      var from = all.indexOf(lastClicked);
      var to = all.indexOf(box);
      all.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (other) { other.checked = box.checked; });
    }
    lastClicked = box;
    updateSelection();
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-selection-clear]")) return;
    boxes().forEach(function (box) { box.checked = false; });
    updateSelection();
  });

  // Enter in the tag field adds the tag (with htmx) rather than submitting the toolbar's first action.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("[data-tag-input]")) return;
    event.preventDefault();
    event.target.form.querySelector("[data-tag-submit]").click();
  });
})();
