// surveylab's KeyListener front end (see surveylab_widgets/keys.py). ipywidgets has no key
// events: while the `active` trait is true, a press of one of the `accepted` keys with the
// focus inside the closest element matching `scope` (else this widget's own element) is sent
// to the kernel as {type: "key", key}. The listener sits on the window in the capture phase, ahead of
// JupyterLab's shortcuts (in command mode "3" would otherwise make the cell a heading).
function render({ model, el }) {
  el.classList.add("surveylab-keys");
  el.tabIndex = 0;
  const hint = () => {
    el.textContent = model.get("hint");
  };
  hint();
  model.on("change:hint", hint);
  const area = () => (model.get("scope") && el.closest(model.get("scope"))) || el;
  const focusable = () => {
    const root = area();
    if (root !== el && !root.hasAttribute("tabindex")) root.tabIndex = 0;
  };
  requestAnimationFrame(focusable); // once the view is in the page
  const onKey = (event) => {
    const root = area();
    const target = event.target;
    if (!model.get("active") || !el.isConnected || !(target instanceof Node)) return;
    if (!root.contains(target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    if (!model.get("accepted").includes(event.key)) return;
    event.preventDefault();
    event.stopPropagation();
    model.send({ type: "key", key: event.key });
    focusable();
    root.focus({ preventScroll: true }); // keep the keys here if the pressed button is redrawn
  };
  window.addEventListener("keydown", onKey, true);
  return () => window.removeEventListener("keydown", onKey, true);
}

export default { render };
