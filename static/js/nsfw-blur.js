// Flagged media shown blurred (apps/gallery/display.py, the "blur" preference): the first click on an
// element marked data-nsfw-blur reveals it instead of following its link; later clicks act as usual.
// Delegated from the document, so outputs that htmx or the websocket bring in later work too.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var blurred = event.target.closest("[data-nsfw-blur].nsfw-blur");
    if (!blurred) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    blurred.classList.remove("nsfw-blur");
    blurred.removeAttribute("title");
  }, true);
})();
