// The verify job's page: ask the API for the job's progress and move the progress bar; when
// the job has finished, load the page again so that the server shows its result. Without this
// script the page refreshes itself (a <noscript> refresh) and shows the same.
const main = document.querySelector("main[data-job]");

async function poll() {
  const bar = main.querySelector("[data-progress]");
  const text = main.querySelector("[data-progress-text]");
  let job;
  try {
    const r = await fetch(`/api/v1/audit/verify/${encodeURIComponent(main.dataset.job)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    job = await r.json();
  } catch (e) {
    // the service did not answer (or the session ended): offer the refresh link, keep trying
    for (const a of main.querySelectorAll("[data-refresh]")) a.hidden = false;
    setTimeout(poll, Number(main.dataset.pollMs) * 4);
    return;
  }
  if (job.total > 0) {
    bar.max = job.total;
    bar.value = job.done;
    bar.textContent = `${job.done} / ${job.total}`;
    text.textContent = main.dataset.textProgress
      .replace("{done}", String(job.done))
      .replace("{total}", String(job.total));
  }
  main.dataset.jobState = job.state;
  if (job.state === "running") {
    setTimeout(poll, Number(main.dataset.pollMs));
  } else {
    location.reload();
  }
}

if (main && main.dataset.jobState === "running") {
  for (const a of main.querySelectorAll("[data-refresh]")) a.hidden = true;
  poll();
}
