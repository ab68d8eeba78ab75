/* Progressive enhancement of the ballot: add/remove and point changes are sent to the server, which
   recomputes the total and the rule messages and returns the form fragment; the page does not reload.
   Without JavaScript the same buttons submit the form and the whole page is re-rendered. */
(function () {
  "use strict";
  var root = document.getElementById("ballot");
  if (!root || !window.fetch || !window.FormData) { return; }

  function send(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var focusId = submitter && submitter.getAttribute("aria-describedby");
    var focusedInput = document.activeElement && document.activeElement.id;
    form.setAttribute("aria-busy", "true");
    // getAttribute: the form's "action" property is shadowed by the button named "action".
    return fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin",
                               headers: {"X-Partial": "1"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        root.innerHTML = html;
        // Keep the keyboard where it was: on the same project's button, or the same points input.
        var target = null;
        if (focusId) { target = root.querySelector("button[aria-describedby='" + focusId + "']"); }
        if (!target && focusedInput) { target = document.getElementById(focusedInput); }
        if (target) { target.focus(); }
      })
      .catch(function () {  // fall back to the plain, script-free submission
        form.removeAttribute("aria-busy");
        plain = true;
        if (submitter) { submitter.click(); } else { HTMLFormElement.prototype.submit.call(form); }
      });
  }

  var plain = false;
  root.addEventListener("click", function (event) {
    if (plain) { return; }
    var button = event.target.closest("button[type=submit]");
    if (!button || (button.name !== "add" && button.name !== "remove" &&
                    !(button.name === "action" && button.value === "update"))) { return; }
    event.preventDefault();
    send(button.form, button);
  });

  var timer = null;
  root.addEventListener("input", function (event) {
    if (!event.target.matches("input[type=number]")) { return; }
    clearTimeout(timer);
    var form = event.target.form;
    timer = setTimeout(function () { send(form, null); }, 400);
  });
})();
