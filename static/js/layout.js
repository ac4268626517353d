/* The page's layout at any width, no framework and nothing inline (CSP-friendly).
   - Every <details data-fold> (the main menu, the filter panels) is folded at most 600 px wide and
     unfolded on wider screens; the markup has them open, so without script nothing is hidden.
   - A link to a place inside folded sections (the meeting page's contents, #item-12) unfolds them.
   - Before printing every folded <details> of the page is unfolded (a printout is complete), and
     folded again afterwards.
   - A <select data-autosubmit> sends its form when changed; a <button data-print> prints the page
     (the Content-Security-Policy allows no event-handler attributes). */
(function () {
  "use strict";
  var small = window.matchMedia("(max-width: 600px)");

  function fit() {
    var folds = document.querySelectorAll("details[data-fold]");
    for (var i = 0; i < folds.length; i++) { folds[i].open = !small.matches; }
  }

  var unfolded = [];
  function beforePrint() {
    var all = document.querySelectorAll("main details:not([open])");
    for (var i = 0; i < all.length; i++) { all[i].open = true; unfolded.push(all[i]); }
  }
  function afterPrint() {
    while (unfolded.length) { unfolded.pop().open = false; }
  }

  /* a link to a place inside folded sections (a contents list, #item-12) unfolds them */
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.hasAttribute("data-fold")) { node.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }

  function wire() {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function () { this.form.submit(); });
    }
    var printers = document.querySelectorAll("button[data-print]");
    for (var j = 0; j < printers.length; j++) {
      printers[j].addEventListener("click", function () { window.print(); });
    }
  }

  function start() { fit(); wire(); if (window.location.hash) { reveal(); } }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("hashchange", reveal);
  if (small.addEventListener) { small.addEventListener("change", fit); }
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
})();
