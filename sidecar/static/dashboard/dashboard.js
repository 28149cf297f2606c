// The live dashboard: reads the public API with a read key kept in this browser's localStorage (never in
// the URL: a `#key=...` given once is moved there and taken off the address), and polls every `?every=N`
// seconds (default 10), sending If-None-Match with the last ETag of each answer so an unchanged one is a 304.
"use strict";

(() => {
  const STORE = "queaccount.dashboard.key";
  const every = Math.max(2, Number(new URLSearchParams(location.search).get("every")) || 10);
  const cache = new Map();  // path -> {etag, body}
  const counts = {rounds: 0, answers: 0, unchanged: 0};
  const $ = (id) => document.getElementById(id);
  let timer = null;

  function takeKeyFromAddress() {
    const given = new URLSearchParams(location.hash.slice(1)).get("key");
    if (given) {
      localStorage.setItem(STORE, given);
      history.replaceState(null, "", location.pathname + location.search);
    }
  }

  function say(text, problem = false) {
    $("status").textContent = text;
    $("status").classList.toggle("problem", problem);
  }

  class Refused extends Error {}

  async function read(path) {
    const headers = {Authorization: `Bearer ${localStorage.getItem(STORE)}`};
    const known = cache.get(path);
    if (known && known.etag) headers["If-None-Match"] = known.etag;
    const answer = await fetch(path, {headers, cache: "no-store"});
    counts.answers += 1;
    if (answer.status === 304 && known) {
      counts.unchanged += 1;
      return known.body;
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new Refused((await answer.json()).message || answer.statusText);
    }
    if (!answer.ok) throw new Error(`${path}: ${answer.status} ${answer.statusText}`);
    const body = await answer.json();
    cache.set(path, {etag: answer.headers.get("ETag"), body});
    return body;
  }

  const day = (bucket) => String(bucket).slice(0, 10);

  function drawSignups(rows) {
    Charts.columns($("signups"), rows.map((r) => ({label: day(r.bucket), value: r.signups})), "signups per day");
  }

  function drawAccounts(groups) {
    const plans = new Map();
    for (const g of groups) {
      if (!plans.has(g.plan)) plans.set(g.plan, []);
      plans.get(g.plan).push({name: g.status, value: g.count});
    }
    const rows = [...plans].map(([plan, parts]) => ({label: plan, parts}));
    Charts.stacked($("accounts"), rows, "accounts by plan and status");
  }

  function drawBalance(buckets) {
    let running = 0;
    const points = buckets.map((b) => ({label: day(b.bucket), value: (running += Number(b.total))}));
    Charts.line($("balance"), points, "total balance over time");
  }

  function drawLatest(transactions) {
    const body = $("latest").tBodies[0];
    body.replaceChildren(...transactions.map((t) => {
      const row = document.createElement("tr");
      const cells = [String(t.occurred_at).replace("T", " ").slice(0, 16), `#${t.account_id}`, t.kind, t.amount];
      cells.forEach((text, i) => {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (i === 3) cell.className = Number(t.amount) < 0 ? "number negative" : "number";
        row.append(cell);
      });
      return row;
    }));
  }

  async function refresh() {
    try {
      const [signups, accounts, flows, latest] = await Promise.all([
        read("/v1/metrics/signups?bucket=day"),
        read("/v1/metrics/accounts?group_by=plan,status"),
        read("/v1/metrics/transactions?bucket=day"),
        read("/v1/transactions?order=occurred_at.desc&limit=10"),
      ]);
      drawSignups(signups);
      drawAccounts(accounts);
      drawBalance(flows);
      drawLatest(latest);
      counts.rounds += 1;
      $("panels").hidden = false;
      say(`updated ${new Date().toLocaleTimeString()} · every ${every} s · refreshes: ${counts.rounds} · ` +
          `unchanged (304): ${counts.unchanged} of ${counts.answers} answers`);
    } catch (error) {
      if (error instanceof Refused) return askForKey(`the key was refused: ${error.message}`);
      say(`could not refresh: ${error.message}; trying again in ${every} s`, true);
    }
  }

  function askForKey(why) {
    clearInterval(timer);
    localStorage.removeItem(STORE);
    cache.clear();
    $("panels").hidden = true;
    $("forget").hidden = true;
    $("key-form").hidden = false;
    say(why, Boolean(why) && why.startsWith("the key"));
  }

  function start() {
    $("key-form").hidden = true;
    $("forget").hidden = false;
    say("loading…");
    refresh();
    timer = setInterval(refresh, every * 1000);
  }

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(STORE, $("key").value.trim());
    $("key").value = "";
    start();
  });
  $("forget").addEventListener("click", () => askForKey("key forgotten"));

  takeKeyFromAddress();
  if (localStorage.getItem(STORE)) start();
  else askForKey("paste a read key to start");
})();
