// Behaviour that pages used to write as inline handlers (forbidden by the Content-Security-Policy):
//   <select data-autosubmit>                submits its form on change
//   <select data-autosubmit data-clear="period">  empties the form's field "period" first
//   <form data-confirm="Câu hỏi?">          asks before submitting
//   <a data-back href="/">                  goes back in history (the href is the fallback)
document.addEventListener('change', (event) => {
  const el = event.target;
  if (!(el instanceof HTMLElement) || !el.hasAttribute('data-autosubmit') || !el.form) return;
  const clear = el.getAttribute('data-clear');
  if (clear && el.form.elements[clear]) el.form.elements[clear].value = '';
  el.form.submit();
});
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute('data-confirm') && !window.confirm(form.getAttribute('data-confirm'))) {
    event.preventDefault();
  }
}, true);
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-back]') : null;
  if (link && window.history.length > 1) { event.preventDefault(); window.history.back(); }
});
