// The issuer's form_post answer: sends the form to the application at once.
document.getElementById("form-post")?.submit();
