// Flagged media shown blurred (apps/gallery/display.py, the "blur" preference): the first click on an
// element marked data-nsfw-blur reveals it instead of following its link or opening the gallery's
// lightbox; later clicks act as usual, and a checkbox inside (the gallery's selection) still works.
// In the capture phase, delegated from the document, so outputs that htmx or the websocket bring in
// later work too. The one blur of every page: jobs table, job page, gallery grid and lightbox.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var blurred = event.target.closest("[data-nsfw-blur].nsfw-blur");
    if (!blurred || event.target.closest("input, label")) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    blurred.classList.remove("nsfw-blur");
    blurred.removeAttribute("title");
  }, true);
})();
