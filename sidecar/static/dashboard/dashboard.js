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
    if (answer.status === 400) {
      const message = (await answer.json()).message || answer.statusText;
      if (/^bucket: more than \d+ points/.test(message)) throw new TooLong(message);
      throw new Error(`${path}: ${message}`);
    }
    if (!answer.ok) throw new Error(`${path}: ${answer.status} ${answer.statusText}`);
    const body = await answer.json();
    cache.set(path, {etag: answer.headers.get("ETag"), body});
    return body;
  }

  const day = (bucket) => String(bucket).slice(0, 10);
  const DAY_MS = 86400000;
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  const BUCKETS = ["day", "week", "month"];
  let coarsest = 0;  // the index in BUCKETS below which the server refused a series as too long

  class TooLong extends Error {}

  // The span the charts show: from the first signup or posting (none older than 20 years counts) to today,
  // UTC; a posting dated in the future is left out of the series (it is in the balances). Days while the
  // span has at most 1000 of them, then weeks, then months: a series is bounded (QUEACCOUNT_MAX_PAGE_SIZE
  // points), and one that still comes back too long is asked again a bucket coarser.
  async function span() {
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const oldest = isoDay(Date.UTC(now.getUTCFullYear() - 20, now.getUTCMonth(), now.getUTCDate()));
    const [account, posting] = await Promise.all([
      read(`/v1/accounts?select=created_at&order=created_at.asc&limit=1&created_at=gte.${oldest}`),
      read(`/v1/transactions?select=occurred_at&order=occurred_at.asc&limit=1&occurred_at=gte.${oldest}`),
    ]);
    const firsts = [...account.map((r) => r.created_at), ...posting.map((t) => t.occurred_at)]
      .map((t) => Date.parse(t)).filter((t) => t < today + DAY_MS);
    const start = firsts.length ? Math.min(...firsts) : today;
    const days = Math.floor((today - start) / DAY_MS) + 1;
    const fits = days <= 1000 ? 0 : days <= 6900 ? 1 : 2;
    return {from: isoDay(start), to: isoDay(today), first: Math.max(fits, coarsest)};
  }

  // `/v1/metrics/<name>` over the span, in its finest bucket the server answers.
  async function series(name, range) {
    for (let i = range.first; i < BUCKETS.length; i += 1) {
      try {
        const rows = await read(`/v1/metrics/${name}?bucket=${BUCKETS[i]}&from=${range.from}&to=${range.to}`);
        return {bucket: BUCKETS[i], rows};
      } catch (error) {
        if (!(error instanceof TooLong)) throw error;
        coarsest = Math.max(coarsest, i + 1);
      }
    }
    throw new Error(`/v1/metrics/${name}: more points than the server answers, even by month`);
  }

  function drawSignups({bucket, rows}) {
    $("signups-title").textContent = `Signups per ${bucket}`;
    Charts.columns($("signups"), rows.map((r) => ({label: day(r.bucket), value: r.signups})),
                   `signups per ${bucket}`);
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

  // The balance at the end of each bucket: today's total of every account's balance, less what was posted
  // after that bucket (so postings older than the span count too, and the line ends at today's total).
  function drawBalance({bucket, rows}, groups) {
    let after = groups.reduce((sum, g) => sum + Number(g.total_balance), 0);
    const points = [];
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      points.push({label: day(rows[i].bucket), value: after});
      after -= Number(rows[i].total);
    }
    Charts.line($("balance"), points.reverse(), `total balance at the end of each ${bucket}`);
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
      const range = await span();
      const [signups, accounts, flows, latest] = await Promise.all([
        series("signups", range),
        read("/v1/metrics/accounts?group_by=plan,status"),
        series("transactions", range),
        read("/v1/transactions?order=id.desc&limit=10"),  // the latest posted, whatever date they carry
      ]);
      drawSignups(signups);
      drawAccounts(accounts);
      drawBalance(flows, accounts);
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
