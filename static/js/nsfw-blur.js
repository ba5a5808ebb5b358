// Flagged media shown blurred (apps/gallery/display.py, the "blur" preference): the first click on an
// element marked data-nsfw-blur reveals it instead of following its link or opening the gallery's
// lightbox; later clicks act as usual, and a checkbox inside (the gallery's selection) still works.
// In the capture phase, delegated from the document, so outputs that htmx or the websocket bring in
// later work too. The one blur of every page: jobs table, job page, gallery grid and lightbox.
// A revealed item (data-media-id) stays revealed on this page when a live update or an htmx swap
// renders it again, blurred, from the server.
(function () {
  "use strict";
  var revealed = new Set();

  function reveal(element) {
    element.classList.remove("nsfw-blur");
    element.removeAttribute("title");
  }

  function revealAgain() {
    if (!revealed.size) {
      return;
    }
    document.querySelectorAll("[data-nsfw-blur].nsfw-blur[data-media-id]").forEach(function (element) {
      if (revealed.has(element.dataset.mediaId)) {
        reveal(element);
      }
    });
  }
  // After an htmx swap, and after a websocket message's out-of-band swaps (which settle without the
  // afterSettle event).
  document.addEventListener("htmx:afterSettle", revealAgain);
  document.addEventListener("htmx:wsAfterMessage", revealAgain);
  document.addEventListener("click", function (event) {
    var blurred = event.target.closest("[data-nsfw-blur].nsfw-blur");
    if (!blurred || event.target.closest("input, label")) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (blurred.dataset.mediaId) {
      revealed.add(blurred.dataset.mediaId);
    }
    reveal(blurred);
  }, true);
})();
