/* The page's layout at any width, no framework and nothing inline (CSP-friendly).
   - Every <details data-fold> (the main menu, the filter panels) is folded at most 600 px wide and
     unfolded on wider screens; the markup has them open, so without script nothing is hidden.
   - Before printing every folded <details> of the page is unfolded (a printout is complete), and
     folded again afterwards. */
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fit);
  } else {
    fit();
  }
  if (small.addEventListener) { small.addEventListener("change", fit); }
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
})();
