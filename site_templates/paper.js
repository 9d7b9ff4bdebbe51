// The 打印 button of the print pages (notices, summary table). Without script the button stays
// hidden and the page prints as well with the browser's own 打印 (Ctrl+P).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
