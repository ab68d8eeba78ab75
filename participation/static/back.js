// A "Back" button where there is a page to go back to: the browser keeps what was typed in that form.
// Without JavaScript the button stays hidden and the page says to use the browser's Back button.
(function () {
  if (window.history.length < 2) return;
  document.querySelectorAll("[data-history-back]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.history.back(); });
  });
})();
