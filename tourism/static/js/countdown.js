// Live countdown for a seat hold. Without JavaScript the page already says until when
// the seats are held; this only keeps the minutes left up to date.
(function () {
  "use strict";
  var node = document.querySelector("[data-countdown-seconds]");
  if (!node) { return; }
  var deadline = Date.now() + parseInt(node.getAttribute("data-countdown-seconds"), 10) * 1000;
  var format = new Intl.NumberFormat(document.documentElement.lang, { minimumIntegerDigits: 2 });
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left === 0) {
      node.textContent = node.getAttribute("data-expired-text");
      window.setTimeout(function () { window.location.reload(); }, 1500);
      return;
    }
    node.textContent = Math.floor(left / 60) + ":" + format.format(left % 60);
    window.setTimeout(tick, 1000);
  }
  tick();
})();
