// SAML HTTP-POST binding (SAML Bindings §3.5.4): send the form to the application at once.
// Without JavaScript the person presses Continue.
document.querySelectorAll("form[data-auto-submit]").forEach((form) => form.submit());
