// Building the screens with the DOM: text is always set as text, never parsed as HTML, so
// nothing a person or the service wrote can become markup or script.

const WORDS = JSON.parse(document.getElementById("words").textContent);

/** The text `key` in the page's language, its `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = key.split(".").reduce((at, part) => (at ? at[part] : undefined), WORDS);
  if (typeof text !== "string") throw new Error(`no words for ${key}`);
  return fill(text, params);
}

export function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : "?"));
}

/** The text for `count` things, by the language's plural form (one or many). */
export function tn(key, count) {
  const [one, many] = WORDS.plurals[key];
  return fill(count === 1 ? one : many, { count });
}

export const words = WORDS;

/** An element: `h("p", {class: "x"}, "text", child)`; attributes starting with `on` are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace what `main` shows with `children`, give it the `title`, and move focus to it. */
export function show(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren(h("h1", { id: "title" }, title), ...children.flat(Infinity).filter((c) => c));
  const brand = document.body.classList.contains("officer") ? "officer_app_name" : "app_name";
  document.title = `${title} · ${t(brand)}`;
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

export function moment(iso, lang) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(when);
}
