// Marks the page as JavaScript-enabled and starts nhsuk-frontend's components.
// A file, not an inline script: the Content-Security-Policy allows scripts from this origin only.
import { initAll } from "/assets/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("nhsuk-frontend-supported");
}
initAll();
