// Small progressive enhancements; every page works without them. No inline script or style:
// the Content-Security-Policy allows only files from this origin, and texts come from the
// templates through data- attributes (so they are translated with the page).
"use strict";

// A step's page that answered the previous step's form (sso/in_place.py) carries its own
// address: shown in the address bar, a reload or a bookmark asks for the page, not the form again.
const shownAt = document.body.dataset.address;
if (shownAt && shownAt !== location.pathname + location.search) {
  history.replaceState(history.state, "", shownAt + location.hash);
}

// A form answered with a page rather than a redirect (a wrong password, code or answer, said
// next to the form; templates/base.html marks every page that answers a POST): the entry
// becomes a GET of the page (replaceState drops the form data), so a reload asks for the page
// and never posts the form again, which for a wrong secret would count as one more failure.
if (document.body.hasAttribute("data-reload-as-get")) {
  history.replaceState(history.state, "", location.href);
}

// Copy the authenticator key (and say so in a status region that keeps its place).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.replace(/\s+/g, "")).then(() => {
    const status = document.getElementById(button.dataset.copyStatus || "");
    if (!status) return;
    status.textContent = button.dataset.copied || "✓";
    setTimeout(() => { status.textContent = ""; }, 4000);
  });
});

// Errors under a field are part of its description, and the first field in error gets the
// focus, so that a screen reader reads the field and then what is wrong with it.
function describeErrors() {
  let first = null;
  document.querySelectorAll(".field-invalid").forEach((field) => {
    const input = field.querySelector("input, select, textarea");
    const errors = field.querySelector(".field-errors");
    if (!input || !errors || !errors.id) return;
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!ids.includes(errors.id)) ids.push(errors.id);
    input.setAttribute("aria-describedby", ids.join(" "));
    first = first || input;
  });
  if (first) first.focus();
}

// A help text outside a field's template (data-describes="<input id>") describes that input.
function linkDescriptions() {
  document.querySelectorAll("[data-describes][id]").forEach((help) => {
    const input = document.getElementById(help.dataset.describes);
    if (!input) return;
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!ids.includes(help.id)) input.setAttribute("aria-describedby", [...ids, help.id].join(" "));
  });
}

// Countdowns: data-countdown = seconds left, data-countdown-text = "… {time} …",
// data-countdown-done = the text once it reaches zero. On a button, the button stays disabled
// until then and gets its own label back (e.g. "Send a new code"); data-countdown-enables =
// the id of a button to enable at zero (a method the picker marked unavailable until then).
function formatTime(seconds) {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

function startCountdown(element) {
  const seconds = Number.parseInt(element.dataset.countdown, 10);
  if (!Number.isFinite(seconds) || seconds <= 0) return;
  const end = Date.now() + seconds * 1000;
  const label = element.textContent;
  const isButton = element.tagName === "BUTTON";
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    if (left > 0) {
      element.textContent = element.dataset.countdownText.replace("{time}", formatTime(left));
      if (isButton) element.disabled = true;
      setTimeout(tick, 250);
      return;
    }
    if (element.dataset.countdownEnables) {
      const target = document.getElementById(element.dataset.countdownEnables);
      if (target) target.disabled = false;
    }
    if (isButton) {
      element.disabled = false;
      element.textContent = label;
    } else if (element.dataset.countdownDone) {
      element.setAttribute("aria-live", "polite");
      element.classList.add("countdown-done");
      element.textContent = element.dataset.countdownDone;
    }
  };
  tick();
}

// A form is sent once: pressed again while its answer is on the way (a double click), it is
// not sent a second time. A step such as Confirm and Continue completes once; a second copy is
// answered as a sign-in that has ended, and the browser, which shows the last answer, would
// show that one. Forms whose submit a script took over (defaultPrevented) are left alone. The
// form may be sent again after a while (an answer that never came, or one that was a download
// and left the page as it was), and when the page comes back from the back-forward cache.
const RESEND_AFTER_MS = 8000;
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  setTimeout(() => { delete form.dataset.sending; }, RESEND_AFTER_MS);
});
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-sending]").forEach((form) => { delete form.dataset.sending; });
});

describeErrors();
linkDescriptions();
document.querySelectorAll("[data-countdown]").forEach(startCountdown);

// seeds/002: with the user's consent, a coarse position (about 1 km) for the audit trail.
document.addEventListener("change", (event) => {
  const box = event.target.closest("[data-location-consent]");
  if (!box) return;
  const lat = document.getElementById("id_latitude");
  const lon = document.getElementById("id_longitude");
  lat.value = lon.value = "";
  if (!box.checked || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      lat.value = pos.coords.latitude.toFixed(2);
      lon.value = pos.coords.longitude.toFixed(2);
    },
    () => { box.checked = false; },
    { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 },
  );
});

// The enrolment page lists a passkey first, but only where this browser can make one
// (WebAuthn in a secure context); elsewhere it stays hidden and the other methods remain.
document.querySelectorAll("[data-needs-webauthn]").forEach((item) => {
  if (window.PublicKeyCredential && window.isSecureContext) item.hidden = false;
});

// A step revealed in place (CSS :target) gets the focus on its first field (or first choice),
// as the step's own page does with autofocus.
function focusRevealedStep() {
  const step = document.querySelector(".revealed-step:target");
  const field = step && step.querySelector("input:not([type=hidden]):not([readonly]), .choices a");
  if (field) field.focus();
}

// Step 1's Next shows step 2, how to sign in, on the username page itself (#method-step, a
// copy of the method page): no request until the password or the passkey is chosen, and the
// username goes with the password (accounts.signin.views.password_step) or, for the passkey,
// is posted first as Next posts it. Without script, Next posts the username and is answered
// with the method page.
const usernameForm = document.querySelector("form[data-reveals]");
const methodStep = usernameForm && document.getElementById(usernameForm.dataset.reveals);

if (methodStep) {
  // The name step 2 shows, and goes with the password (its form's username field).
  const shownName = methodStep.querySelector('input[name="username"]');
  const showTypedName = (name) => {
    methodStep.querySelector(".signing-in-as strong").textContent = name;
    shownName.value = name;
  };
  // Whether the address is at step 2 or a part of it (#method-step, #password-step).
  const atStep2 = () => {
    const at = location.hash && document.getElementById(location.hash.slice(1));
    return Boolean(at) && methodStep.contains(at);
  };

  usernameForm.addEventListener("submit", (event) => {
    const name = usernameForm.elements.username.value.trim();
    if (!name || name.length > 150) return; // the server says what is wrong
    event.preventDefault();
    showTypedName(name);
    location.hash = methodStep.id;
    history.replaceState({ typedName: name }, ""); // for a reload of this step
  });
  methodStep.addEventListener("click", (event) => {
    const link = event.target.closest("[data-posts-username]");
    if (!link) return;
    event.preventDefault();
    // The name step 2 shows, not what the field holds now (edited after Back, then Forward).
    usernameForm.elements.username.value = shownName.value;
    const method = document.createElement("input");
    Object.assign(method, { type: "hidden", name: "method", value: "passkey" });
    usernameForm.append(method);
    usernameForm.submit(); // no submit event: the username is posted, not shown again
  });
  // "Sign in with password" is a place in history of its own: it keeps the name for a reload.
  // Back to step 1 puts the cursor in the username again, as the page had it.
  window.addEventListener("hashchange", () => {
    if (shownName.value && !(history.state && history.state.typedName)) {
      history.replaceState({ typedName: shownName.value }, "");
    }
    if (!atStep2()) usernameForm.elements.username.focus();
  });
  // Step 2 at a reload or Back: the name typed then, or step 1 again (a bookmark of step 2).
  if (atStep2()) {
    const name = (history.state && history.state.typedName) || "";
    if (name) {
      usernameForm.elements.username.value = name;
      showTypedName(name);
    } else {
      location.replace("#");
    }
  }
}
window.addEventListener("hashchange", focusRevealedStep);
focusRevealedStep();
