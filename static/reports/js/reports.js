// Report pages: draw the chart described by the page's json_script data, and
// copy the summary paragraph. The tables carry every figure; the chart only
// illustrates them, so a page without script still says everything.
(function () {
  "use strict";

  var COLORS = ["#b71c1c", "#e53935", "#fb8c00", "#fdd835", "#7cb342", "#90a4ae"];

  function drawChart() {
    var canvas = document.getElementById("report-chart");
    var source = document.getElementById("chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var type = canvas.dataset.type || "bar";
    var dataset = {
      label: data.title,
      data: data.values,
      backgroundColor: type === "pie" ? COLORS : "#c62828",
      // White between the slices; a single whole slice would show its seam.
      borderColor: type === "pie" ? "#fff" : "#b71c1c",
      borderWidth: type === "pie" && data.values.filter(Boolean).length < 2 ? 0 : 2,
      spanGaps: true,
      tension: 0
    };
    var chart = new window.Chart(canvas, {
      type: type,
      data: { labels: data.labels, datasets: [dataset] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: type === "pie", position: "right" } },
        scales: type === "pie" ? {} : {
          y: {
            beginAtZero: true,
            max: data.max,
            ticks: {
              precision: type === "bar" ? 0 : undefined,
              callback: function (value) { return value + (data.unit || ""); }
            }
          }
        }
      }
    });
    // A canvas keeps the size it was drawn at: redraw it at the paper's width.
    var resize = function () { chart.resize(); };
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
    if (window.matchMedia) {
      window.matchMedia("print").addEventListener("change", resize);
    }
  }

  function wireCopy() {
    var button = document.getElementById("copy-summary");
    var text = document.getElementById("summary-text");
    if (!button || !text) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "已复制"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text.textContent.trim()).then(done);
      } else {
        var range = document.createRange();
        range.selectNodeContents(text);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        document.execCommand("copy");
        done();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawChart();
    wireCopy();
  });
})();
