// The overview chart: blocked events per UTC day, drawn with uPlot from the data attributes the page carries.
// Without JavaScript the same numbers are in the table below the chart.
(function () {
  "use strict";
  function series(el) {
    var days = (el.dataset.days || "").split(",").filter(Boolean);
    var events = (el.dataset.events || "").split(",").filter(Boolean).map(Number);
    return { days: days, events: events };
  }
  function fillTable(tbody, data) {
    if (!tbody || data.days.length === 0) return;
    tbody.textContent = "";
    data.days.forEach(function (day, i) {
      var tr = document.createElement("tr");
      var d = document.createElement("td"); d.textContent = day;
      var n = document.createElement("td"); n.textContent = String(data.events[i]); n.className = "num";
      tr.appendChild(d); tr.appendChild(n); tbody.appendChild(tr);
    });
  }
  function draw() {
    var el = document.getElementById("blocked-chart");
    if (!el) return;
    var data = series(el);
    fillTable(document.getElementById("blocked-table"), data);
    if (data.days.length === 0) {
      el.textContent = "No blocked events in the last 30 days.";
      return;
    }
    if (typeof uPlot === "undefined") return;
    var xs = data.days.map(function (d) { return Date.parse(d + "T00:00:00Z") / 1000; });
    var width = function () { return Math.max(280, el.clientWidth); };
    var plot = new uPlot({
      width: width(), height: 240, tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      series: [{}, { label: "Blocked events", stroke: "#b42318", fill: "rgba(180,35,24,0.12)", width: 2,
        points: { show: true } }],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } }
    }, [xs, data.events], el);
    window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 240 }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
