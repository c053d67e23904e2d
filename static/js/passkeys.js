/* Passkeys (WebAuthn) in the browser: registration, sign-in, autofill, second factor.
 *
 * Plain script, no build step, no CDN. The server sends WebAuthn options as JSON
 * (py_webauthn's options_to_json) and takes the credential back as JSON (WebAuthn L3
 * §5.1.8 toJSON). Browsers that have PublicKeyCredential.parse*OptionsFromJSON / toJSON
 * use them; others get the base64url fallback below. Pages say what to run with data-
 * attributes; the strict Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var messages = {};

  function message(key) {
    return messages[key] || messages.failed || "Error";
  }

  // --- base64url (RFC 4648 §5), for browsers without the JSON helpers ---
  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function creationOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") {
      try {
        return credential.toJSON();
      } catch (e) {
        /* some password managers return objects whose toJSON throws: fall back */
      }
    }
    var r = credential.response;
    var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
    };
  }

  // --- talking to the portal ---
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    }).then(
      function (response) {
        return response
          .json()
          .catch(function () {
            return { error: "bad_response" };
          })
          .then(function (data) {
            if (response.ok) return data;
            if (data.redirect) window.location.assign(data.redirect);
            var err = new Error(data.message || message("failed"));
            err.portal = true;
            throw err;
          });
      },
      function () {
        var err = new Error(message("network"));
        err.portal = true;
        throw err;
      }
    );
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && window.isSecureContext);
  }

  // WebAuthn needs a domain name (an IP address is never a valid RP ID, §5.1.3) in a secure
  // context (https, or http://localhost): the address where passkeys do work.
  function workingAddress() {
    var rpId = messages.rpId || "localhost";
    if (rpId === "localhost") {
      var port = window.location.port ? ":" + window.location.port : "";
      return window.location.protocol + "//localhost" + port + window.location.pathname;
    }
    return "https://" + rpId + window.location.pathname;
  }

  function atWrongAddress() {
    var host = window.location.hostname;
    var ipAddress = /^[0-9.]+$/.test(host) || host.indexOf(":") >= 0 || host.charAt(0) === "[";
    return ipAddress || !window.isSecureContext;
  }

  // The error when the browser refuses passkeys here: the real cause and a way out.
  function unavailable() {
    if (window.PublicKeyCredential && atWrongAddress()) {
      return { text: message("wrongAddress"), link: workingAddress() };
    }
    return message("unsupported");
  }

  // What to tell a person when the browser's dialog ends without a credential. ``notAllowed``
  // names the message for NotAllowedError (default "cancelled").
  function explain(error, startedAt, timeoutMs, notAllowed) {
    if (error && error.portal) return error.message;
    var name = error && error.name;
    if (name === "InvalidStateError") return message("excluded");
    if (name === "NotAllowedError") {
      // The browser gives the same error for cancel and timeout (§5.1.3): tell them apart
      // by the time the dialog was open.
      var elapsed = Date.now() - startedAt;
      if (timeoutMs && elapsed >= timeoutMs - 1000) return message("timeout");
      return message(notAllowed || "cancelled");
    }
    if (name === "SecurityError") {
      // The page's address is not within the RP ID (§5.1.3 step 7, §5.1.4.1 step 7).
      return { text: message("wrongAddress"), link: workingAddress() };
    }
    if (name === "NotSupportedError") return unavailable();
    return message("failed");
  }

  // ``text`` is a string, or {text, link}: "{address}" in the text becomes that link.
  function showError(container, text) {
    var box = container.querySelector("[data-passkey-error]");
    if (!box) return;
    box.textContent = "";
    if (text && typeof text === "object") {
      var parts = text.text.split("{address}");
      parts.forEach(function (part, i) {
        if (i > 0) {
          var a = document.createElement("a");
          a.href = text.link;
          a.textContent = text.link;
          box.appendChild(a);
        }
        box.appendChild(document.createTextNode(part));
      });
    } else {
      box.textContent = text;
    }
    box.hidden = !text;
  }

  // --- Security Settings: Register New Device -> name -> Save New Device ---
  function setUpRegistration(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      showError(form, "");
      if (!supported()) {
        showError(form, unavailable());
        return;
      }
      var name = form.querySelector("input[name=name]").value;
      var button = form.querySelector("button[type=submit]");
      var startedAt = 0;
      var timeout = 0;
      button.disabled = true;
      postJSON(form.dataset.optionsUrl, { name: name })
        .then(function (json) {
          timeout = json.timeout || 0;
          startedAt = Date.now();
          return navigator.credentials.create({ publicKey: creationOptions(json) });
        })
        .then(function (credential) {
          return postJSON(form.dataset.verifyUrl, {
            name: name,
            credential: credentialJSON(credential),
          });
        })
        .then(function (result) {
          window.location.assign(result.redirect);
        })
        .catch(function (error) {
          showError(form, explain(error, startedAt, timeout));
          button.disabled = false;
        });
    });
  }

  // --- Sign in: username first (Continue), usernameless (button) and autofill ---
  function setUpSignin(box) {
    var button = box.querySelector("[data-passkey-start]");
    var autofill = null;
    // Whose sign-in the page was shown for (data-signin, accounts.signin.flows), posted with
    // each step: a page of another sign-in than the browser's current one is refused. The
    // username page's own box names the sign-in under way when it was shown ('' before any):
    // its request, open since then (autofill opens one as the page loads), is not answered
    // for a sign-in begun in another tab meanwhile.
    var signin = box.dataset.signin;
    // Username first, an account without a passkey on this device (or none at all: the server
    // lists stand-in ids then, mfa/passkeys/decoys.py) ends as a cancel does; the page says
    // so, the same for every name (data-not-allowed).
    var notAllowed = box.dataset.notAllowed || "";

    function run(mediation, signal) {
      var startedAt = 0;
      var timeout = 0;
      // An autofill (conditional) request runs before anyone asked for anything: until the
      // person picks a passkey from it, its end (aborted, refused, unreachable) is silent.
      var silent = mediation === "conditional";
      return postJSON(box.dataset.optionsUrl, { mode: box.dataset.mode, signin: signin })
        .then(function (json) {
          timeout = json.timeout || 0;
          startedAt = Date.now();
          var request = { publicKey: requestOptions(json) };
          if (mediation) request.mediation = mediation;
          if (signal) request.signal = signal;
          return navigator.credentials.get(request);
        })
        .then(function (credential) {
          silent = false; // the person chose a passkey: what happens next is theirs to know
          return postJSON(box.dataset.verifyUrl, {
            credential: credentialJSON(credential),
            next: box.dataset.next || "",
            signin: signin,
          });
        })
        .then(function (result) {
          window.location.assign(result.redirect);
        })
        .catch(function (error) {
          if (silent || (error && error.name === "AbortError")) return;
          showError(box, explain(error, startedAt, timeout, notAllowed));
        });
    }

    if (button) {
      button.addEventListener("click", function () {
        showError(box, "");
        if (!supported()) {
          showError(box, unavailable());
          return;
        }
        // Only one WebAuthn request may be open: end the autofill one first.
        if (autofill) autofill.abort();
        autofill = null;
        run(null, null);
      });
    }

    // Conditional mediation: the browser offers passkeys in the username field's autofill.
    var field = box.dataset.autofill && document.getElementById(box.dataset.autofill);
    if (
      field &&
      supported() &&
      typeof PublicKeyCredential.isConditionalMediationAvailable === "function"
    ) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available) return;
        field.setAttribute("autocomplete", "username webauthn");
        autofill = new AbortController();
        run("conditional", autofill.signal);
      });
    }
  }

  // --- A passkey as the second factor after the password ---
  function setUpChallenge(box) {
    var button = box.querySelector("[data-passkey-start]");
    var hidden = box.querySelector("[data-passkey-credential]");
    // The challenge form's mark of whose sign-in it was shown for, posted for the options too.
    var mark = box.querySelector("input[name=signin]");
    button.addEventListener("click", function () {
      showError(box, "");
      if (!supported()) {
        showError(box, unavailable());
        return;
      }
      var startedAt = 0;
      var timeout = 0;
      postJSON(box.dataset.optionsUrl, mark ? { signin: mark.value } : {})
        .then(function (json) {
          timeout = json.timeout || 0;
          startedAt = Date.now();
          return navigator.credentials.get({ publicKey: requestOptions(json) });
        })
        .then(function (credential) {
          hidden.value = JSON.stringify(credentialJSON(credential));
          var form = box.closest("form");
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        })
        .catch(function (error) {
          showError(box, explain(error, startedAt, timeout));
        });
    });
  }

  function start() {
    var holder = document.getElementById("passkey-messages");
    if (holder) messages = Object.assign({}, holder.dataset);
    document.querySelectorAll("form[data-passkey-register]").forEach(setUpRegistration);
    document.querySelectorAll("[data-passkey-signin]").forEach(setUpSignin);
    document.querySelectorAll("[data-passkey-challenge]").forEach(setUpChallenge);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
