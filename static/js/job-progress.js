/* Follows background jobs (a document being generated, a large Excel import). Every
   [data-job-status] box polls that address every data-job-interval milliseconds (default 1500)
   and shows the answer in the box:
     <progress>                    value = percent
     [data-job-field="percent"]    "percent%"
     [data-job-field="status"]     status_label; its status-* class follows badge (or status)
     [data-job-field="step"]       step (what the job is doing)
   and in every status badge elsewhere on the page that names the same address
   ([data-job-badge="<address>"], e.g. beside the title): the badge follows the same answer, so
   it never says 排队中 beside a bar at 60 %. Once the job has finished the page reloads once (it
   then shows the result, the download link or the error). The answer's shape is
   core.models.Job.progress_payload. Without script the page refreshes itself (<noscript> meta
   refresh). */
(function () {
  "use strict";

  function mark(element, state, label) {
    Array.prototype.slice.call(element.classList).forEach(function (name) {
      if (name.indexOf("status-") === 0) { element.classList.remove(name); }
    });
    element.classList.add("status-" + state);
    element.textContent = label;
  }

  function follow(box) {
    var url = box.getAttribute("data-job-status");
    var interval = parseInt(box.getAttribute("data-job-interval"), 10) || 1500;
    var bar = box.querySelector("progress");
    function field(name) { return box.querySelector('[data-job-field="' + name + '"]'); }
    function badges() {
      return Array.prototype.filter.call(document.querySelectorAll("[data-job-badge]"), function (badge) {
        return badge.getAttribute("data-job-badge") === url;
      });
    }

    function show(job) {
      var percent = field("percent"), status = field("status"), step = field("step");
      var state = job.badge || job.status;
      if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
      if (percent) { percent.textContent = job.percent + "%"; }
      if (status) { mark(status, state, job.status_label); }
      badges().forEach(function (badge) { mark(badge, state, job.status_label); });
      if (step) { step.textContent = job.step; }
    }

    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (job) {
          show(job);
          if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, interval); }
        })
        .catch(function () { window.setTimeout(poll, interval * 2); });
    }
    window.setTimeout(poll, interval);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-job-status]"), follow);
})();
