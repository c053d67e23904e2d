// Small progressive enhancements; every page works without them.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.replace(/\s+/g, "")).then(() => {
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = button.dataset.copied || "✓";
    setTimeout(() => { button.textContent = button.dataset.label; }, 2000);
  });
});
