// Show each <time datetime="...Z"> in the viewer's own time zone and language.
// The server renders UTC; without this script the UTC text stays, which is still right.
const lang = document.documentElement.lang || undefined;
const fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "long" });
for (const el of document.querySelectorAll("time[datetime]")) {
  const when = new Date(el.getAttribute("datetime"));
  if (!Number.isNaN(when.getTime())) {
    el.title = el.textContent;
    el.textContent = fmt.format(when);
  }
}
document.documentElement.dataset.localized = "true";
