// The card form: Stripe's Payment Element, loaded from js.stripe.com.
//
// The page works without this script: it then shows (in <noscript>) that card payment needs
// JavaScript and offers the other ways to pay. With JavaScript, the form stays hidden until
// Stripe.js has loaded and the Payment Element is ready; if Stripe.js cannot load (offline,
// blocked by an extension or a network filter) or does not answer in time, the page says
// that card payment is unavailable and the other ways to pay stay on offer.
// Paying never confirms the booking here: Stripe tells our server (a signed webhook), and
// the return page waits for that.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  var unavailable = document.getElementById("card-unavailable");
  if (!form || !unavailable) { return; }
  var loading = document.getElementById("card-loading");
  var submit = document.getElementById("card-submit");
  var errorBox = document.getElementById("card-error");
  var settled = false;

  function giveUp() {
    if (settled) { return; }
    settled = true;
    form.hidden = true;
    unavailable.hidden = false;
    unavailable.setAttribute("tabindex", "-1");
    unavailable.focus();
  }

  function ready() {
    if (settled) { return; }
    settled = true;
    if (loading) { loading.hidden = true; }
    submit.disabled = false;
  }

  function showError(message) {
    errorBox.querySelector("p").textContent = message;
    errorBox.hidden = false;
  }

  function start() {
    if (typeof window.Stripe !== "function") { giveUp(); return; }
    var stripe;
    try {
      stripe = window.Stripe(form.getAttribute("data-publishable-key"), { locale: form.getAttribute("data-locale") });
    } catch (e) { giveUp(); return; }
    var elements = stripe.elements({ clientSecret: form.getAttribute("data-client-secret") });
    var payment = elements.create("payment", { layout: "tabs" });
    payment.on("ready", ready);
    payment.on("loaderror", giveUp);
    payment.mount("#payment-element");

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      errorBox.hidden = true;
      stripe.confirmPayment({
        elements: elements,
        confirmParams: { return_url: form.getAttribute("data-return-url") }
      }).then(function (result) {
        // Only reached when the payment could not even start (a declined card, a typo):
        // otherwise Stripe has already sent the guest to the return page.
        if (result.error) { showError(result.error.message); }
        submit.disabled = false;
      }, function () {
        giveUp();
      });
    });
  }

  form.hidden = false;
  var timeout = parseInt(form.getAttribute("data-load-timeout"), 10) || 10000;
  window.setTimeout(function () { if (!settled) { giveUp(); } }, timeout);
  var script = document.createElement("script");
  script.src = form.getAttribute("data-stripe-js");
  script.async = true;
  script.onload = start;
  script.onerror = giveUp;
  document.head.appendChild(script);
})();
