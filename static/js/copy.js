// Copy buttons: <button data-copy="#input-id">. The input stays selectable without JavaScript,
// so the button is hidden until this script shows it.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.querySelector(button.dataset.copy);
    if (!field) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        document.execCommand("copy");
      }
      const status = document.getElementById(button.getAttribute("aria-describedby") || "");
      if (status) status.textContent = "Copied to the clipboard.";
    });
  }
});
