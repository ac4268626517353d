/* Follows report jobs: every [data-report-status] box polls its status.json, moves its bar and
   step, and reloads the page once the job has finished (the page then shows the document or
   the error). Without script the page refreshes itself (<noscript> meta refresh). */
(function () {
  "use strict";
  var INTERVAL = 1500;

  function follow(box) {
    var url = box.getAttribute("data-report-status");
    var bar = box.querySelector("progress");
    function field(name) { return box.querySelector('[data-field="' + name + '"]'); }

    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (job) {
          if (job.finished) { window.location.reload(); return; }
          if (bar) { bar.value = job.progress; bar.textContent = job.progress + "%"; }
          var percent = field("percent"), status = field("status"), step = field("step");
          if (percent) { percent.textContent = job.progress + "%"; }
          if (status) {
            status.textContent = job.status_label;
            status.className = "report-status status-" + job.status;
          }
          if (step) { step.textContent = job.step; }
          window.setTimeout(poll, INTERVAL);
        })
        .catch(function () { window.setTimeout(poll, INTERVAL * 2); });
    }
    window.setTimeout(poll, INTERVAL);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-report-status]"), follow);
})();
