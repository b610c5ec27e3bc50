// The Likeness console: talks only to this server, with the key kept in this tab's session
// storage and sent only as the Authorization header.
const $ = (id) => document.getElementById(id);
const keyStore = "likeness.key";
const largestReference = 10 * 1024 * 1024;
let reference = null; // a data URL, once a photo passed the browser's checks
let caller = null; // this key's id and role, as /v1/balance says
let characters = []; // this account's, as GET /v1/characters lists them
let openCharacter = null; // the character whose detail is shown
let thumbnailURLs = []; // object URLs of fetched thumbnails, revoked when redrawn

function key() { return sessionStorage.getItem(keyStore); }

async function call(path, options = {}) {
  const headers = { Authorization: `Bearer ${key()}`, ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  return { response, body };
}

// MiniMax's dialect answers failures with HTTP 200 and base_resp; Likeness adds the field.
function nativeFailure(response, body) {
  const status = body?.base_resp?.status_code;
  if (status === undefined || status === 0) return null;
  return {
    code: status, message: body.base_resp.status_msg,
    field: response.headers.get("X-Likeness-Error-Field"),
    retryAfter: Number(response.headers.get("Retry-After") || 0),
  };
}

const fieldControls = {
  prompt: "prompt", n: "n", seed: "seed", aspect_ratio: "aspect_ratio", width: "width", height: "height",
  "style.style_type": "style_type", "style.style_weight": "style_weight", style: "style_type",
  "subject_reference[0].image_file": "reference", "subject_reference": "reference",
  "subject_reference[0].character_id": "character",
};

function clearErrors() {
  for (const element of document.querySelectorAll(".error")) element.textContent = "";
}

function showFailure(failure) {
  if (failure.code === 1008) {
    $("form-error").textContent = "Your balance is too low for this request. Top up, or ask your operator to.";
  } else if (failure.code === 1002 || failure.code === 1041) {
    let left = Math.max(1, failure.retryAfter || 1);
    const tick = () => {
      $("form-error").textContent = `Too many requests: try again in ${left} s.`;
      if (left-- > 0) setTimeout(tick, 1000); else $("form-error").textContent = "";
    };
    tick();
  } else if (failure.code === 2013 && failure.field && fieldControls[failure.field]) {
    $(`${fieldControls[failure.field]}-error`).textContent = failure.message;
    $(fieldControls[failure.field]).focus();
  } else {
    $("form-error").textContent = failure.message;
  }
}

async function showAccount() {
  const { response, body } = await call("/v1/balance");
  if (!response.ok) return false;
  caller = { id: body.key_id, role: body.key_role };
  $("account").textContent = `Balance $${body.balance_usd} (reserved $${body.reserved_usd})`;
  return true;
}

async function signIn(event) {
  event.preventDefault();
  sessionStorage.setItem(keyStore, $("key").value.trim());
  if (await showAccount()) {
    $("key").value = "";
    enter();
  } else {
    sessionStorage.removeItem(keyStore);
    $("key-error").textContent = "That key was not accepted.";
  }
}

async function enter() {
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("tabs").hidden = false;
  // The operator view only for admin keys.
  $("operator-tab").hidden = caller?.role !== "admin";
  show("playground");
  updateSnippets();
  await loadCharacters();
}

const views = ["playground", "characters", "dashboard", "operator"];
function show(view) {
  for (const name of views) $(name).hidden = name !== view;
  for (const button of document.querySelectorAll("#tabs button")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (view === "dashboard") loadDashboard();
  if (view === "operator") loadOperator();
  if (view === "characters") loadCharacters();
}

// MARK: characters

// A thumbnail needs the key, so it is fetched and shown from an object URL.
async function thumbnail(url, alt) {
  const image = document.createElement("img");
  image.alt = alt;
  const response = await fetch(url, { headers: { Authorization: `Bearer ${key()}` } });
  if (response.ok) {
    const objectURL = URL.createObjectURL(await response.blob());
    thumbnailURLs.push(objectURL);
    image.src = objectURL;
  }
  return image;
}

function forgetThumbnails() {
  for (const url of thumbnailURLs) URL.revokeObjectURL(url);
  thumbnailURLs = [];
}

async function loadCharacters() {
  const { response, body } = await call("/v1/characters?limit=100");
  if (!response.ok) return ($("characters-error").textContent = body?.error?.message || "Characters are unavailable.");
  characters = body.data;
  const chosen = $("character").value;
  const options = characters.map((character) => {
    const option = document.createElement("option");
    option.value = character.id;
    option.textContent = character.name || character.id;
    return option;
  });
  $("character").replaceChildren($("character").options[0], ...options);
  $("character").value = characters.some((character) => character.id === chosen) ? chosen : "";
  if ($("characters").hidden) return;
  forgetThumbnails();
  const cards = await Promise.all(characters.map(async (character) => {
    const item = document.createElement("li");
    const title = character.name || "Unnamed";
    item.append(await thumbnail(character.photos[0].thumbnail_url, `${title}, first photo`));
    const name = document.createElement("strong");
    name.textContent = title;
    const count = document.createElement("span");
    count.textContent = `${character.photos.length} photo(s)`;
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = `Open ${title}`;
    open.addEventListener("click", () => showCharacter(character));
    item.append(name, count, open);
    return item;
  }));
  $("character-list").replaceChildren(...cards);
  if (openCharacter) {
    const still = characters.find((character) => character.id === openCharacter.id);
    if (still) await showCharacter(still); else $("character-detail").hidden = true;
  }
}

async function createCharacter(event) {
  event.preventDefault();
  $("characters-error").textContent = "";
  const files = [...$("character-photos").files];
  if (files.length < 1 || files.length > 5) {
    $("characters-error").textContent = "Choose one to five photos.";
    return;
  }
  const form = new FormData();
  if ($("character-name").value.trim()) form.append("name", $("character-name").value.trim());
  for (const file of files) form.append("image[]", file, file.name);
  const { response, body } = await call("/v1/characters", { method: "POST", body: form });
  if (!response.ok) return ($("characters-error").textContent = body?.error?.message || "Not created.");
  $("character-form").reset();
  openCharacter = body;
  await loadCharacters();
}

async function showCharacter(character) {
  openCharacter = character;
  const title = character.name || "Unnamed";
  $("character-detail").hidden = false;
  $("character-delete-review").hidden = true;
  $("character-detail-title").textContent = title;
  $("character-detail-id").textContent = `Its id, for any request: ${character.id}`;
  const photos = await Promise.all(character.photos.map(async (photo, index) => {
    const figure = document.createElement("figure");
    figure.append(await thumbnail(photo.thumbnail_url, `${title}, photo ${index + 1}`));
    const caption = document.createElement("figcaption");
    caption.textContent = photo.face ? `face ${photo.face.width}×${photo.face.height} px` : (photo.note || "");
    figure.append(caption);
    return figure;
  }));
  $("character-photo-strip").replaceChildren(...photos);
  const { body } = await call(`/v1/characters/${character.id}/generations?limit=50`);
  const images = (body?.data || []).flatMap((generation) => generation.images.map((image) => {
    const figure = document.createElement("figure");
    const picture = document.createElement("img");
    picture.src = image.url;
    picture.alt = generation.prompt || "An image made from this character";
    picture.loading = "lazy";
    const caption = document.createElement("figcaption");
    const score = typeof image.identity_score === "number" ? `likeness ${image.identity_score.toFixed(2)}` : "unscored";
    caption.textContent = `${new Date(generation.created_at * 1000).toLocaleString()}, ${score}`;
    figure.append(picture, caption);
    return figure;
  }));
  $("character-gallery").replaceChildren(...images);
  $("character-gallery-empty").textContent = images.length ? "" : "None yet: use it in the playground.";
}

function useCharacter() {
  $("character").value = openCharacter.id;
  adaptReference();
  show("playground");
}

function reviewCharacterDeletion() {
  const title = openCharacter.name || "Unnamed";
  const count = openCharacter.photos.length;
  $("character-delete-text").textContent =
    `Delete ${title}? Its ${count} photo(s), their thumbnails and the faces found in them are deleted from every ` +
    "store now, and requests naming it are refused from then on. Images already made from it stay until they expire.";
  $("character-delete-review").hidden = false;
  $("character-delete-confirm").focus();
}

async function deleteCharacter() {
  const { response, body } = await call(`/v1/characters/${openCharacter.id}`, { method: "DELETE" });
  if (!response.ok) return ($("characters-error").textContent = body?.error?.message || "Not deleted.");
  openCharacter = null;
  $("character-detail").hidden = true;
  await loadCharacters();
}

// A character replaces the photo: one reference per request.
function adaptReference() {
  $("reference-field").hidden = $("character").value !== "";
  updateSnippets();
}

// MARK: the account dashboard

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
  return td;
}

function day(date) { return date.toISOString().slice(0, 10); }

async function loadDashboard() {
  $("dashboard-error").textContent = "";
  const { body: balance } = await call("/v1/balance");
  if (balance) {
    $("balance-line").textContent =
      `Balance $${balance.balance_usd}, reserved $${balance.reserved_usd} (${balance.billing}).`;
    $("byok-state").textContent = balance.byok.minimax
      ? `Attached (${balance.byok.minimax_region}): your requests run on your own MiniMax key.`
      : "Not attached: requests are paid from the balance.";
  }
  if (!$("usage-from").value) {
    const now = new Date();
    $("usage-to").value = day(now);
    $("usage-from").value = day(new Date(now.getTime() - 29 * 86400000));
  }
  await loadUsage();
  await loadKeys();
}

function usageQuery() {
  return `from=${$("usage-from").value}&to=${$("usage-to").value}`;
}

async function loadUsage(event) {
  event?.preventDefault();
  const { response, body } = await call(`/v1/usage?${usageQuery()}`);
  if (!response.ok) return ($("dashboard-error").textContent = body?.error?.message || "Usage is unavailable.");
  $("usage-totals").textContent =
    `${body.totals.requests} request(s), ${body.totals.images_delivered} image(s), $${body.totals.cost_usd}.`;
  const rows = body.data.map((entry) => {
    const row = document.createElement("tr");
    cell(row, new Date(entry.created_at).toLocaleString());
    cell(row, entry.request_id);
    cell(row, entry.status);
    cell(row, String(entry.images_delivered));
    cell(row, `$${entry.cost_usd}`);
    return row;
  });
  $("usage-table").tBodies[0].replaceChildren(...rows);
  drawChart(body.data);
}

// Images (bars) and dollars (a line) per day, as SVG: no chart library.
function drawChart(entries) {
  const days = new Map();
  for (const entry of entries) {
    const key = entry.created_at.slice(0, 10);
    const total = days.get(key) || { images: 0, dollars: 0 };
    total.images += entry.images_delivered;
    total.dollars += Number(entry.cost_usd);
    days.set(key, total);
  }
  const keys = [...days.keys()].sort();
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 600 200");
  const maxImages = Math.max(1, ...keys.map((key) => days.get(key).images));
  const maxDollars = Math.max(0.0001, ...keys.map((key) => days.get(key).dollars));
  const width = 600 / Math.max(1, keys.length);
  const points = [];
  keys.forEach((key, index) => {
    const total = days.get(key);
    const bar = document.createElementNS(svg.namespaceURI, "rect");
    const height = (total.images / maxImages) * 170;
    bar.setAttribute("x", String(index * width + width * 0.15));
    bar.setAttribute("width", String(width * 0.7));
    bar.setAttribute("y", String(180 - height));
    bar.setAttribute("height", String(height));
    const title = document.createElementNS(svg.namespaceURI, "title");
    title.textContent = `${key}: ${total.images} image(s), $${total.dollars.toFixed(4)}`;
    bar.append(title);
    svg.append(bar);
    points.push(`${index * width + width / 2},${180 - (total.dollars / maxDollars) * 170}`);
    const label = document.createElementNS(svg.namespaceURI, "text");
    label.setAttribute("x", String(index * width + 2));
    label.setAttribute("y", "195");
    label.textContent = key.slice(5);
    svg.append(label);
  });
  const line = document.createElementNS(svg.namespaceURI, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  $("usage-chart").replaceChildren(svg);
}

async function downloadUsageCSV() {
  const response = await fetch(`/v1/usage?${usageQuery()}&format=csv`, {
    headers: { Authorization: `Bearer ${key()}` },
  });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `likeness-usage-${$("usage-from").value}-${$("usage-to").value}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function loadKeys() {
  const { body } = await call("/v1/keys");
  const rows = (body?.data || []).map((entry) => {
    const row = document.createElement("tr");
    cell(row, entry.name);
    cell(row, entry.prefix);
    cell(row, entry.last_used_at ? new Date(entry.last_used_at).toLocaleString() : "never");
    cell(row, entry.revoked_at ? "revoked" : "active");
    const actions = cell(row, "");
    if (!entry.revoked_at && entry.id !== caller?.id) {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.textContent = `Revoke ${entry.name}`;
      revoke.addEventListener("click", async () => {
        const { response, body } = await call(`/v1/keys/${entry.id}`, { method: "DELETE" });
        if (!response.ok) $("dashboard-error").textContent = body?.error?.message || "The key was not revoked.";
        await loadKeys();
      });
      actions.append(revoke);
    } else if (!entry.revoked_at) {
      actions.textContent = "this session";
    }
    return row;
  });
  $("keys-table").tBodies[0].replaceChildren(...rows);
}

async function createKey(event) {
  event.preventDefault();
  const { response, body } = await call("/v1/keys", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("key-name").value }),
  });
  if (!response.ok) return ($("dashboard-error").textContent = body?.error?.message || "The key was not created.");
  $("new-key-secret").textContent = body.secret;
  $("new-key-webhook").textContent = body.webhook_secret;
  $("new-key").hidden = false;
  $("key-name").value = "";
  await loadKeys();
}

async function attachMiniMax(event) {
  event.preventDefault();
  const { response, body } = await call("/v1/account/minimax-key", {
    method: "PUT", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ api_key: $("byok-key").value, region: $("byok-region").value }),
  });
  $("byok-key").value = "";
  if (!response.ok) $("dashboard-error").textContent = body?.error?.message || "The key was not attached.";
  await loadDashboard();
}

async function detachMiniMax() {
  await call("/v1/account/minimax-key", { method: "DELETE" });
  await loadDashboard();
}

// MARK: the operator console

let selected = null; // the account whose detail is open
let pendingTopUp = null;

async function loadOperator() {
  $("operator-error").textContent = "";
  const health = await call("/health");
  $("health").textContent = JSON.stringify(health.body, null, 2);
  const queue = await call("/v1/admin/queue");
  if (queue.body) {
    $("queue-summary").textContent =
      `${queue.body.queued} waiting and ${queue.body.running} running, shared by weight between accounts.`;
    $("queue-table").tBodies[0].replaceChildren(...queue.body.accounts.map((share) => {
      const row = document.createElement("tr");
      cell(row, share.name || share.account_id);
      cell(row, String(share.queue_weight));
      cell(row, String(share.queued));
      cell(row, String(share.running));
      return row;
    }));
  }
  const { body } = await call("/v1/admin/accounts");
  const rows = (body?.data || []).map((account) => {
    const row = document.createElement("tr");
    cell(row, account.deleted_at ? `${account.name} (deleted)` : account.name);
    cell(row, account.billing);
    cell(row, `$${account.balance_usd}`);
    cell(row, account.requests_per_minute == null ? "default" : String(account.requests_per_minute));
    cell(row, String(account.queue_weight ?? 1));
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = `Open ${account.name}`;
    open.addEventListener("click", () => openAccount(account));
    cell(row, "").append(open);
    return row;
  });
  $("accounts-table").tBodies[0].replaceChildren(...rows);
}

async function createAccount(event) {
  event.preventDefault();
  const { response, body } = await call("/v1/admin/accounts", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: $("account-name").value, billing: $("account-billing").value }),
  });
  if (!response.ok) return ($("operator-error").textContent = body?.error?.message || "Not created.");
  $("account-name").value = "";
  await loadOperator();
  await openAccount(body);
}

async function openAccount(account) {
  selected = account;
  pendingTopUp = null;
  $("topup-review").textContent = "";
  $("topup-confirm").hidden = true;
  $("account-delete-review").hidden = true;
  $("account-delete").hidden = Boolean(account.deleted_at);
  $("account-detail").hidden = false;
  $("account-detail-title").textContent = `${account.name}: $${account.balance_usd}`;
  $("limit-rpm").value = account.requests_per_minute ?? "";
  $("limit-jobs").value = account.concurrent_jobs ?? "";
  $("limit-weight").value = account.queue_weight ?? 1;
  const { body } = await call(`/v1/admin/accounts/${account.id}/ledger`);
  const rows = (body?.data || []).map((entry) => {
    const row = document.createElement("tr");
    cell(row, String(entry.seq));
    cell(row, entry.kind);
    cell(row, `$${entry.amount_usd}`);
    cell(row, `$${entry.balance_after_usd}`);
    cell(row, entry.note || "");
    return row;
  });
  $("ledger-table").tBodies[0].replaceChildren(...rows);
  await loadAccountKeys();
}

async function loadAccountKeys() {
  const { body } = await call(`/v1/admin/accounts/${selected.id}/keys`);
  const rows = (body?.data || []).map((entry) => {
    const row = document.createElement("tr");
    cell(row, entry.name);
    cell(row, entry.prefix);
    cell(row, entry.role);
    cell(row, entry.requests_per_minute == null ? "account's" : String(entry.requests_per_minute));
    cell(row, entry.revoked_at ? "revoked" : "active");
    const actions = cell(row, "");
    if (!entry.revoked_at && entry.id !== caller?.id) {
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.textContent = `Revoke key ${entry.name}`;
      revoke.addEventListener("click", async () => {
        await call(`/v1/admin/keys/${entry.id}`, { method: "DELETE" });
        await loadAccountKeys();
      });
      actions.append(revoke);
    }
    return row;
  });
  $("account-keys-table").tBodies[0].replaceChildren(...rows);
}

async function issueAccountKey(event) {
  event.preventDefault();
  const create = { name: $("account-key-name").value };
  if ($("account-key-rpm").value !== "") create.requests_per_minute = Number($("account-key-rpm").value);
  const { response, body } = await call(`/v1/admin/accounts/${selected.id}/keys`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(create),
  });
  if (!response.ok) return ($("operator-error").textContent = body?.error?.message || "No key issued.");
  $("account-key-secret").textContent = `Give this key to its owner now (shown once): ${body.secret}`;
  $("account-key-name").value = "";
  $("account-key-rpm").value = "";
  await loadAccountKeys();
}

// Micro-dollars, rounded as the server rounds (half up), so the review shows what it will write.
function micros(text) {
  const [whole, fraction = ""] = text.split(".");
  return BigInt(whole) * 1000000n + BigInt((fraction + "000000").slice(0, 6));
}

// As the server writes amounts: at least two decimals, at most six.
function dollars(value) {
  let fraction = String(value % 1000000n).padStart(6, "0");
  while (fraction.length > 2 && fraction.endsWith("0")) fraction = fraction.slice(0, -1);
  return `${value / 1000000n}.${fraction}`;
}

function reviewTopUp(event) {
  event.preventDefault();
  $("operator-error").textContent = "";
  const amount = $("topup-amount").value.trim();
  if (!/^\d+(\.\d{1,6})?$/.test(amount) || micros(amount) === 0n) {
    $("operator-error").textContent = "The amount must be dollars, like 10 or 12.50.";
    return;
  }
  const waive = $("topup-waive").checked;
  const basisPoints = micros(selected.top_up_fee_percent || "0") / 10000n;
  const paid = micros(amount);
  const fee = waive ? 0n : (paid * basisPoints + 5000n) / 10000n;
  pendingTopUp = { amount, waive };
  $("topup-review").textContent =
    `Top up ${selected.name} with $${dollars(paid)}: fee $${dollars(fee)} ` +
    `(${waive ? "waived" : `${selected.top_up_fee_percent}%`}), credited $${dollars(paid - fee)}.`;
  $("topup-confirm").hidden = false;
  $("topup-confirm").focus();
}

async function confirmTopUp() {
  const { response, body } = await call(`/v1/admin/accounts/${selected.id}/credits`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ amount_usd: pendingTopUp.amount, waive_fee: pendingTopUp.waive }),
  });
  if (!response.ok) return ($("operator-error").textContent = body?.error?.message || "Not credited.");
  $("topup-amount").value = "";
  const account = await call(`/v1/admin/accounts/${selected.id}`);
  await loadOperator();
  await openAccount(account.body);
}

async function saveLimits(event) {
  event.preventDefault();
  const limits = {};
  if ($("limit-rpm").value !== "") limits.requests_per_minute = Number($("limit-rpm").value);
  if ($("limit-jobs").value !== "") limits.concurrent_jobs = Number($("limit-jobs").value);
  if ($("limit-weight").value !== "") limits.queue_weight = Number($("limit-weight").value);
  const { response, body } = await call(`/v1/admin/accounts/${selected.id}`, {
    method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(limits),
  });
  if (!response.ok) return ($("operator-error").textContent = body?.error?.message || "Not saved.");
  await loadOperator();
  await openAccount(body);
}

function reviewAccountDeletion() {
  $("account-delete-text").textContent =
    `Delete ${selected.name}? Its characters, uploads, requests and images are deleted from every store, ` +
    `its keys are revoked, and its balance of $${selected.balance_usd} is given back by an adjustment. ` +
    "Its ledger stays, as the books. This cannot be undone.";
  $("account-delete-review").hidden = false;
  $("account-delete-confirm").focus();
}

async function deleteAccount() {
  const { response, body } = await call(`/v1/admin/accounts/${selected.id}`, { method: "DELETE" });
  if (!response.ok) return ($("operator-error").textContent = body?.error?.message || "Not deleted.");
  $("account-delete-result").textContent =
    `Deleted: ${body.requests} request(s), ${body.images} image(s), ${body.characters} character(s), ` +
    `${body.uploads} upload(s); ${body.revoked_keys} key(s) revoked; $${body.refunded_usd} given back.`;
  const account = await call(`/v1/admin/accounts/${selected.id}`);
  await loadOperator();
  await openAccount(account.body);
}

function signOut() {
  sessionStorage.removeItem(keyStore);
  location.reload();
}

function request() {
  const body = {
    model: $("model").value, prompt: $("prompt").value, n: Number($("n").value || 1), response_format: "url",
    prompt_optimizer: $("prompt_optimizer").checked, aigc_watermark: $("aigc_watermark").checked,
  };
  if ($("size-mode").value === "custom") {
    body.width = Number($("width").value);
    body.height = Number($("height").value);
  } else {
    body.aspect_ratio = $("aspect_ratio").value;
  }
  if (body.model === "image-01-live") {
    body.style = { style_type: $("style_type").value, style_weight: Number($("style_weight").value) };
  }
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  const image = reference || $("reference-url").value.trim();
  if ($("character").value) body.subject_reference = [{ type: "character", character_id: $("character").value }];
  else if (image) body.subject_reference = [{ type: "character", image_file: image }];
  return body;
}

function updateSnippets() {
  const body = request();
  const shown = { ...body };
  if (reference && !$("character").value) {
    shown.subject_reference = [{ type: "character", image_file: "data:image/jpeg;base64,…" }];
  }
  $("snippet-curl").textContent =
    `curl -s ${location.origin}/v1/image_generation \\\n  -H "Authorization: Bearer $LIKENESS_API_KEY" \\\n` +
    `  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(shown)}'`;
  $("snippet-python").textContent =
    `from openai import OpenAI\nclient = OpenAI(base_url="${location.origin}/v1", api_key=LIKENESS_API_KEY)\n` +
    `result = client.images.generate(model="${body.model}", prompt=${JSON.stringify(body.prompt)}, n=${body.n})`;
  $("snippet-fal").textContent =
    `import fal_client  # FAL_KEY=$LIKENESS_API_KEY, FAL_QUEUE_RUN_HOST / FAL_RUN_HOST pointed here\n` +
    `result = fal_client.subscribe("fal-ai/minimax/image-01", arguments={"prompt": ${JSON.stringify(body.prompt)}, ` +
    `"num_images": ${body.n}${body.aspect_ratio ? `, "aspect_ratio": "${body.aspect_ratio}"` : ""}})`;
  $("snippet-swift").textContent =
    `let client = LikenessClient(baseURL: URL(string: "${location.origin}")!, apiKey: key)\n` +
    `let generation = try await client.generate(${JSON.stringify(body.prompt)}, count: ${body.n})`;
}

// Custom sizes are image-01's; styles are image-01-live's: show what the model takes.
function adaptForm() {
  const live = $("model").value === "image-01-live";
  if (live) $("size-mode").value = "ratio";
  $("size-mode").disabled = live;
  const custom = $("size-mode").value === "custom";
  $("ratio-field").hidden = custom;
  $("width-field").hidden = !custom;
  $("height-field").hidden = !custom;
  $("style-field").hidden = !live;
  $("weight-field").hidden = !live;
  updateSnippets();
}

function countPrompt() {
  const length = [...$("prompt").value].length;
  $("prompt-count").textContent = `${length} / 1500`;
  $("prompt-count").style.color = length > 1500 ? "var(--error)" : "";
  updateSnippets();
}

function acceptPhoto(file) {
  $("reference-error").textContent = "";
  if (!file) return;
  if (!["image/jpeg", "image/png"].includes(file.type)) {
    $("reference-error").textContent = "The photo must be a JPEG or PNG.";
    return;
  }
  if (file.size > largestReference) {
    $("reference-error").textContent = `The photo is ${(file.size / 1048576).toFixed(1)} MB; the limit is 10 MB.`;
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    reference = reader.result;
    $("reference-preview").src = reference;
    $("reference-preview").hidden = false;
    $("reference-clear").hidden = false;
    updateSnippets();
  };
  reader.readAsDataURL(file);
}

function clearPhoto() {
  reference = null;
  $("reference").value = "";
  $("reference-preview").hidden = true;
  $("reference-clear").hidden = true;
  updateSnippets();
}

async function generate(event) {
  event.preventDefault();
  clearErrors();
  $("gallery").replaceChildren();
  $("log-lines").replaceChildren();
  $("progress").textContent = "Submitting…"; // not the last request's "Done"
  $("generate").disabled = true;
  try {
    const submitted = await call("/v1/image_generation", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...request(), async: true }),
    });
    const failure = nativeFailure(submitted.response, submitted.body);
    if (failure) return showFailure(failure);
    await follow(submitted.body.task_id);
  } catch (error) {
    $("form-error").textContent = `The server could not be reached: ${error.message}`;
  } finally {
    $("generate").disabled = false;
  }
}

// The task's progress, then its images: polled, since the native dialect has no event stream.
async function follow(taskID) {
  for (;;) {
    const { response, body } = await call(
      `/v1/query/image_generation?task_id=${encodeURIComponent(taskID)}&logs=1`);
    const failure = nativeFailure(response, body);
    if (failure) {
      $("progress").textContent = "";
      return showFailure(failure);
    }
    if (body.status === "Success") {
      const cost = response.headers.get("X-Likeness-Cost-USD");
      const note = body.metadata && body.metadata.identity_note;
      $("progress").textContent = `Done: ${body.data.image_urls.length} image(s)` + (cost ? `, cost $${cost}` : "") + "."
        + (note ? ` Reference: ${note}.` : "");
      showImages(taskID, body.data.image_urls, body.metadata || {});
      await showAccount();
      return;
    }
    const position = response.headers.get("X-Likeness-Queue-Position");
    $("log-lines").replaceChildren(...(body.logs || []).map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
    $("progress").textContent = body.status === "Queueing"
      ? `Queued${position ? `, ${position} ahead` : ""}…` : "Generating…";
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// `metadata`: the task's, whose identity scores (subject reference) caption each image.
function showImages(taskID, urls, metadata) {
  const figures = urls.map((url, index) => {
    const figure = document.createElement("figure");
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    const image = document.createElement("img");
    image.src = url;
    image.alt = `Image ${index + 1} of ${urls.length}`;
    link.append(image);
    const download = document.createElement("button");
    download.type = "button";
    download.textContent = "Download";
    download.addEventListener("click", () => save(url, `${taskID}-${index + 1}.jpg`));
    figure.append(link, download);
    const score = (metadata.identity_scores || [])[index];
    if (typeof score === "number") {
      const caption = document.createElement("figcaption");
      caption.className = "identity";
      const passed = (metadata.identity_passed || [])[index];
      caption.textContent = `Likeness to the reference: ${score.toFixed(2)}`
        + (passed === false ? " (under the threshold)" : "");
      figure.append(caption);
    }
    return figure;
  });
  $("gallery").replaceChildren(...figures);
}

async function save(url, name) {
  const blob = await (await fetch(url)).blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function wire() {
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => show(button.dataset.view));
  }
  $("usage-form").addEventListener("submit", loadUsage);
  $("usage-csv").addEventListener("click", downloadUsageCSV);
  $("key-form").addEventListener("submit", createKey);
  $("byok-form").addEventListener("submit", attachMiniMax);
  $("byok-detach").addEventListener("click", detachMiniMax);
  $("account-form").addEventListener("submit", createAccount);
  $("topup-form").addEventListener("submit", reviewTopUp);
  $("topup-confirm").addEventListener("click", confirmTopUp);
  $("limits-form").addEventListener("submit", saveLimits);
  $("account-key-form").addEventListener("submit", issueAccountKey);
  $("account-delete").addEventListener("click", reviewAccountDeletion);
  $("account-delete-confirm").addEventListener("click", deleteAccount);
  $("account-delete-cancel").addEventListener("click", () => ($("account-delete-review").hidden = true));
  $("character-form").addEventListener("submit", createCharacter);
  $("character-use").addEventListener("click", useCharacter);
  $("character-delete").addEventListener("click", reviewCharacterDeletion);
  $("character-delete-confirm").addEventListener("click", deleteCharacter);
  $("character-delete-cancel").addEventListener("click", () => ($("character-delete-review").hidden = true));
  $("character").addEventListener("change", adaptReference);
  $("model").addEventListener("change", adaptForm);
  $("size-mode").addEventListener("change", adaptForm);
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("generate-form").addEventListener("submit", generate);
  $("generate-form").addEventListener("input", updateSnippets);
  $("prompt").addEventListener("input", countPrompt);
  $("reference").addEventListener("change", () => acceptPhoto($("reference").files[0]));
  $("reference-clear").addEventListener("click", clearPhoto);
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    acceptPhoto(event.dataTransfer.files[0]);
  });
  for (const button of document.querySelectorAll(".copy")) {
    button.addEventListener("click", () => navigator.clipboard?.writeText($(button.dataset.target).textContent));
  }
}

wire();
if (key()) showAccount().then((valid) => (valid ? enter() : signOut()));
