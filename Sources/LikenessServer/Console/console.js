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
  try { body = text ? JSON.parse(text, exactSeeds) : null; } catch { body = null; }
  return { response, body };
}

// A seed may pass 2^53, past what a Number holds exactly: such a one is read as a BigInt from
// the JSON's own digits, and written back the same way (`seedValue`).
function exactSeeds(key, value, context) {
  if (key === "seed" && typeof value === "number" && !Number.isSafeInteger(value) && context?.source) {
    return BigInt(context.source);
  }
  return value;
}

function seedValue(text) {
  if (/^-?\d+$/.test(text) && !Number.isSafeInteger(Number(text)) && JSON.rawJSON) return JSON.rawJSON(text);
  return Number(text);
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

const views = ["playground", "history", "characters", "dashboard", "operator", "detail"];
function show(view) {
  for (const name of views) $(name).hidden = name !== view;
  // A request's detail belongs to the view it was opened from.
  const tab = view === "detail" ? detailFrom : view;
  for (const button of document.querySelectorAll("#tabs button")) {
    if (button.dataset.view === tab) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  if (view !== "operator") stopLive();
  if (view === "dashboard") loadDashboard();
  if (view === "operator") loadOperator();
  if (view === "characters") loadCharacters();
  if (view === "history") loadHistory();
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
  const filtered = $("history-character").value;
  $("history-character").replaceChildren($("history-character").options[0], ...options.map((option) => option.cloneNode(true)));
  $("history-character").value = characters.some((character) => character.id === filtered) ? filtered : "";
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

// MARK: history and a request's detail

let historyLast = null; // the last listed request's id, for "Load more"
let detailFrom = "history"; // the view a detail was opened from, where "Back" returns
let openRequest = null; // the request whose detail is shown

function when(seconds) { return new Date(seconds * 1000).toLocaleString(); }

function milliseconds(value) {
  if (value == null) return "–";
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(value < 10000 ? 2 : 1)} s`;
}

// An image of a request, small (its thumbnail) or large; expired and missing ones say so.
function picture(image, alt, small) {
  if (!image || image.expired || !image.url) {
    const placeholder = document.createElement("span");
    placeholder.className = "placeholder";
    placeholder.textContent = !image ? "No image" : "Expired";
    return placeholder;
  }
  const element = document.createElement("img");
  element.src = small ? image.thumbnail_url || image.url : image.url;
  element.alt = alt;
  element.loading = "lazy";
  if (image.width && image.height) {
    element.width = image.width;
    element.height = image.height;
  }
  return element;
}

function historyQuery() {
  const query = new URLSearchParams({ limit: "24" });
  const filters = [["history-from", "from"], ["history-to", "to"], ["history-model", "model"],
    ["history-dialect", "dialect"], ["history-status", "status"], ["history-character", "character_id"]];
  for (const [id, name] of filters) if ($(id).value) query.set(name, $(id).value);
  return query;
}

async function loadHistory(event, more = false) {
  event?.preventDefault?.();
  $("history-error").textContent = "";
  const query = historyQuery();
  if (more && historyLast) query.set("after", historyLast);
  const { response, body } = await call(`/v1/generations?${query}`);
  if (!response.ok) return ($("history-error").textContent = body?.error?.message || "History is unavailable.");
  const cards = body.data.map(historyCard);
  if (more) $("history-grid").append(...cards); else $("history-grid").replaceChildren(...cards);
  historyLast = body.last_id;
  $("history-more").hidden = !body.has_more;
  $("history-empty").textContent = $("history-grid").children.length ? "" : "No requests match.";
}

function historyCard(generation) {
  const item = document.createElement("li");
  const prompt = generation.parameters?.prompt || "";
  item.append(picture(generation.images[0], prompt || "A request's image", true));
  const line = document.createElement("span");
  const count = generation.images.length;
  line.textContent = `${when(generation.created_at)} · ${generation.status}` +
    (count ? ` · ${count} image${count === 1 ? "" : "s"}` : "") + ` · ${generation.dialect}`;
  const text = document.createElement("span");
  text.className = "prompt";
  text.textContent = prompt || (generation.error ? `${generation.error.code}: ${generation.error.message}` : "");
  const open = document.createElement("button");
  open.type = "button";
  open.textContent = "Details";
  open.setAttribute("aria-label", `Details of ${prompt || generation.id}`);
  open.addEventListener("click", () => showDetail(generation.id, "history"));
  item.append(line, text, open);
  return item;
}

function fact(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function describeReference(reference) {
  if (!reference) return "none";
  if (reference.type === "character") {
    const known = characters.find((character) => character.id === reference.character_id);
    return `character ${known?.name || reference.character_id}`;
  }
  if (reference.type === "url") return reference.url;
  if (reference.type === "upload") return `upload ${reference.upload_id}`;
  return "a photo sent with the request (not kept once it ran)";
}

async function showDetail(id, from) {
  detailFrom = from;
  const path = from === "operator" ? `/v1/admin/jobs/${id}` : `/v1/generations/${id}`;
  const { response, body } = await call(path);
  if (!response.ok) {
    $(from === "operator" ? "operator-error" : "history-error").textContent =
      body?.error?.message || "That request is unavailable.";
    return;
  }
  openRequest = body;
  show("detail");
  const parameters = body.parameters;
  $("detail-title").textContent = `Request ${body.id}`;
  $("detail-prompt").textContent = parameters?.prompt || "";
  $("detail-note").textContent = "";
  $("detail-error").textContent = "";
  const facts = $("detail-facts");
  facts.replaceChildren();
  fact(facts, "Status", body.status);
  fact(facts, "Submitted", when(body.created_at));
  if (from === "operator") fact(facts, "Account", body.account_id || "–");
  fact(facts, "Dialect", body.app ? `${body.dialect} (${body.app})` : body.dialect);
  fact(facts, "Model", body.model || "–");
  fact(facts, "Engine", body.engine || "–");
  if (parameters) {
    fact(facts, "Size", `${parameters.width}×${parameters.height}` +
      (parameters.aspect_ratio ? ` (${parameters.aspect_ratio})` : ""));
    fact(facts, "Seed", parameters.seed == null ? "random, one per image" : String(parameters.seed));
    fact(facts, "Reference", describeReference(parameters.subject_reference));
    if (parameters.style) fact(facts, "Style", `${parameters.style.style_type} at ${parameters.style.style_weight}`);
  }
  fact(facts, "Images", `${body.images.length} of ${parameters?.n ?? body.images.length}` +
    (body.withheld ? `, ${body.withheld} withheld` : ""));
  fact(facts, "Cost", body.byok ? "$0 (your own MiniMax key)" : `$${body.cost_usd}`);
  fact(facts, "Queue", milliseconds(body.timings.queue_ms));
  fact(facts, "Engine time", milliseconds(body.timings.engine_ms));
  fact(facts, "Total", milliseconds(body.timings.total_ms));
  if (body.identity_threshold != null) fact(facts, "Identity threshold", String(body.identity_threshold));
  if (body.identity_note) fact(facts, "Reference note", body.identity_note);
  if (body.error) fact(facts, "Error", `${body.error.code}: ${body.error.message}`);
  $("detail-run-again").disabled = !parameters;
  $("detail-same-seed").disabled = !parameters;
  $("detail-images").replaceChildren(...body.images.map((image) => {
    const figure = document.createElement("figure");
    figure.append(picture(image, `Image ${image.index + 1}: ${parameters?.prompt || ""}`, false));
    const caption = document.createElement("figcaption");
    const score = typeof image.identity_score === "number" ? `, likeness ${image.identity_score.toFixed(2)}` : "";
    caption.textContent = `Image ${image.index + 1}: seed ${image.seed ?? "unknown"}${score}` +
      (image.expired ? " (expired)" : "");
    figure.append(caption);
    if (image.seed != null && parameters) {
      const reuse = document.createElement("button");
      reuse.type = "button";
      reuse.textContent = `Make image ${image.index + 1} again`;
      reuse.addEventListener("click", () => fillPlayground(parameters, { seed: image.seed, n: 1 }));
      figure.append(reuse);
    }
    return figure;
  }));
  $("detail-logs").replaceChildren(...(body.logs || []).map((line) => {
    const item = document.createElement("li");
    const time = new Date(line.at * 1000).toLocaleTimeString();
    item.textContent = `${time} ${line.level} ${line.source}: ${line.message}`;
    return item;
  }));
}

// The request's own seed makes every image again; without one, the first image's seed makes
// the first again, and each image's own button makes that one.
function runAgain(newPrompt) {
  const parameters = openRequest.parameters;
  const seed = parameters.seed ?? openRequest.images[0]?.seed ?? null;
  fillPlayground(parameters, { seed, n: parameters.n, prompt: newPrompt ? "" : parameters.prompt });
  if (parameters.seed == null && parameters.n > 1) {
    $("progress").textContent = "Image 1 comes out the same; the others had seeds of their own (each image's " +
      "\"Make again\" uses its seed).";
  }
  if (newPrompt) $("prompt").focus();
}

function fillPlayground(parameters, { seed, n, prompt = parameters.prompt }) {
  clearErrors();
  $("model").value = parameters.model;
  $("prompt").value = prompt;
  const custom = !parameters.aspect_ratio;
  $("size-mode").value = custom ? "custom" : "ratio";
  if (custom) {
    $("width").value = parameters.width;
    $("height").value = parameters.height;
  } else {
    $("aspect_ratio").value = parameters.aspect_ratio;
  }
  if (parameters.style) {
    $("style_type").value = parameters.style.style_type;
    $("style_weight").value = parameters.style.style_weight;
  }
  $("n").value = n;
  $("seed").value = seed == null ? "" : String(seed);
  $("prompt_optimizer").checked = parameters.prompt_optimizer;
  $("aigc_watermark").checked = parameters.aigc_watermark;
  clearPhoto();
  $("reference-url").value = "";
  $("character").value = "";
  const reference = parameters.subject_reference;
  let note = "";
  if (reference?.type === "character") {
    if (characters.some((character) => character.id === reference.character_id)) {
      $("character").value = reference.character_id;
    } else {
      note = "Its character has been deleted.";
    }
  } else if (reference?.type === "url") {
    $("reference-url").value = reference.url;
  } else if (reference) {
    note = "Its reference photo was not kept: choose it again below.";
  }
  adaptForm();
  adaptReference();
  countPrompt();
  show("playground");
  $("gallery").replaceChildren();
  $("log-lines").replaceChildren();
  $("progress").textContent = `Filled from request ${openRequest?.id ?? ""}. ${note}`.trim();
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

const svgNS = "http://www.w3.org/2000/svg";

function svgElement(name, attributes, text) {
  const element = document.createElementNS(svgNS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// A round step for an axis from 0 to `maximum`: 1, 2 or 5 times a power of ten.
function niceStep(maximum, ticks) {
  const raw = maximum / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= raw);
}

// Images (bars, left axis) and dollars (a line, right axis) for every day of the period, days
// without requests included, as SVG: no chart library. Labels thin out to stay readable.
function drawChart(entries) {
  const totals = new Map();
  for (const entry of entries) {
    const key = entry.created_at.slice(0, 10);
    const total = totals.get(key) || { images: 0, dollars: 0 };
    total.images += entry.images_delivered;
    total.dollars += Number(entry.cost_usd);
    totals.set(key, total);
  }
  const first = new Date(`${$("usage-from").value || day(new Date())}T00:00:00Z`);
  const last = new Date(`${$("usage-to").value || day(new Date())}T00:00:00Z`);
  const days = [];
  for (let at = first; at <= last && days.length < 400; at = new Date(at.getTime() + 86400000)) days.push(day(at));
  if (days.length === 0) days.push(day(new Date()));
  // Drawn at the width it is shown, so its labels stay legible on a phone.
  const width = Math.max(300, Math.min(960, $("usage-chart").clientWidth || 640));
  const [height, left, right, top, bottom] = [220, 40, 52, 10, 28];
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const images = days.map((key) => totals.get(key)?.images || 0);
  const dollars = days.map((key) => totals.get(key)?.dollars || 0);
  const imageStep = niceStep(Math.max(1, ...images), 4);
  const imageTop = imageStep * Math.ceil(Math.max(1, ...images) / imageStep);
  const dollarStep = niceStep(Math.max(0.01, ...dollars), 4);
  const dollarTop = dollarStep * Math.ceil(Math.max(0.01, ...dollars) / dollarStep);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "presentation" });
  const y = (value, topValue) => top + plotHeight - (value / topValue) * plotHeight;
  for (let tick = 0; tick <= imageTop + 1e-9; tick += imageStep) {
    const at = y(tick, imageTop);
    svg.append(svgElement("line", { x1: left, x2: width - right, y1: at, y2: at, class: "grid" }));
    svg.append(svgElement("text", { x: left - 6, y: at + 3, "text-anchor": "end", class: "axis images" },
      String(Math.round(tick))));
    const dollarsAt = (tick / imageTop) * dollarTop;
    svg.append(svgElement("text", { x: width - right + 6, y: at + 3, class: "axis dollars" },
      `$${dollarsAt < 1 ? dollarsAt.toFixed(2) : dollarsAt.toFixed(dollarsAt < 10 ? 1 : 0)}`));
  }
  const slot = plotWidth / days.length;
  const labelEvery = Math.ceil(days.length / Math.max(3, Math.floor(plotWidth / 64)));
  const points = [];
  days.forEach((key, index) => {
    const x = left + index * slot;
    const barWidth = Math.min(48, Math.max(1, slot * 0.7));
    const barTop = y(images[index], imageTop);
    const bar = svgElement("rect", {
      x: x + (slot - barWidth) / 2, width: barWidth, y: barTop, height: top + plotHeight - barTop, class: "bar",
    });
    bar.append(svgElement("title", {}, `${key}: ${images[index]} image(s), $${dollars[index].toFixed(4)}`));
    svg.append(bar);
    points.push([x + slot / 2, y(dollars[index], dollarTop)]);
    if (index % labelEvery === 0) {
      svg.append(svgElement("text", { x: x + slot / 2, y: height - 10, "text-anchor": "middle", class: "axis" },
        key.slice(5)));
    }
  });
  svg.append(svgElement("polyline", { points: points.map((point) => point.join(",")).join(" "), class: "line" }));
  if (days.length <= 31) {
    for (const [x, at] of points) svg.append(svgElement("circle", { cx: x, cy: at, r: 3, class: "dot" }));
  }
  svg.append(svgElement("line", { x1: left, x2: width - right, y1: top + plotHeight, y2: top + plotHeight,
    class: "baseline" }));
  $("usage-chart").replaceChildren(svg);
  $("usage-chart").setAttribute("aria-label",
    `Images and dollars per day, ${days[0]} to ${days[days.length - 1]}: ` +
    `${images.reduce((a, b) => a + b, 0)} images, $${dollars.reduce((a, b) => a + b, 0).toFixed(2)}`);
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
  startLive();
  const health = await call("/health");
  drawEngines(health.body);
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
  const chosen = $("jobs-account").value;
  $("jobs-account").replaceChildren($("jobs-account").options[0], ...(body?.data || []).map((account) => {
    const option = document.createElement("option");
    option.value = account.id;
    option.textContent = account.name;
    return option;
  }));
  $("jobs-account").value = chosen;
  await loadJobs();
}

// MARK: the operator's live view, engines and jobs

let liveTimer = null;
let lastReading = null;
let rates = []; // requests a second, one per reading, the last minute's

function startLive() {
  if (liveTimer) return;
  readLive();
  liveTimer = setInterval(readLive, 2000);
}

function stopLive() {
  clearInterval(liveTimer);
  liveTimer = null;
  lastReading = null;
  rates = [];
}

async function readLive() {
  const { response, body } = await call("/v1/admin/metrics");
  if (!response.ok) {
    $("live-state").textContent = body?.error?.message || "The server's metrics are unavailable.";
    return;
  }
  if (lastReading) {
    const seconds = Math.max(0.001, body.at - lastReading.at);
    const rate = (body.requests - lastReading.requests) / seconds;
    rates.push(rate);
    if (rates.length > 30) rates.shift();
    $("live-rps").textContent = rate.toFixed(1);
    const waits = body.queue_waits - lastReading.queue_waits;
    $("live-wait").textContent = waits > 0
      ? milliseconds(Math.round((1000 * (body.queue_wait_seconds - lastReading.queue_wait_seconds)) / waits))
      : "none started";
    drawRates();
  }
  $("live-queue").textContent = String(body.queue_depth);
  $("live-images").textContent = String(body.images_delivered);
  $("live-errors").textContent = String(body.upstreams.reduce((sum, upstream) => sum + upstream.errors, 0));
  const placed = body.upstreams.filter((upstream) => upstream.in_placement).length;
  $("live-placement").textContent = body.upstreams.length ? `${placed} of ${body.upstreams.length}` : "none";
  $("live-identity").textContent = body.identity_scores
    ? (body.identity_score_sum / body.identity_scores).toFixed(2) : "none yet";
  $("live-state").textContent =
    `Read at ${new Date(body.at * 1000).toLocaleTimeString()}; ${body.requests} requests since the server started ` +
    `(${body.responses["5xx"] || 0} answered 5xx), ${body.jobs_failed} failed jobs.`;
  lastReading = body;
}

function drawRates() {
  const width = Math.max(300, Math.min(960, $("live-chart").clientWidth || 600));
  const height = 90;
  const top = Math.max(1, ...rates);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "presentation" });
  const slot = width / 30;
  rates.forEach((rate, index) => {
    const barHeight = (rate / top) * (height - 16);
    svg.append(svgElement("rect", {
      x: (30 - rates.length + index) * slot + 1, width: slot - 2, y: height - barHeight, height: barHeight,
      class: "bar",
    }));
  });
  svg.append(svgElement("text", { x: 2, y: 11, class: "axis" }, `${top.toFixed(1)} requests a second`));
  $("live-chart").replaceChildren(svg);
}

// Each model's route: its tiers in order, each a pool of upstream accounts with their state.
function drawEngines(health) {
  if (!health) return;
  const replicas = health.replicas ? ` Replica ${health.replica} of ${health.replicas.length} in the fleet.` : "";
  if (!health.routes) {
    $("engines-summary").textContent =
      `The ${health.engine} engine serves every request; no upstream pools are configured.${replicas}`;
    $("engines").replaceChildren();
    return;
  }
  $("engines-summary").textContent = `Service ${health.status}.${replicas}`;
  const cards = Object.entries(health.routes).sort().map(([model, tiers]) => {
    const card = document.createElement("article");
    card.className = "pool";
    const title = document.createElement("h4");
    title.textContent = model;
    card.append(title);
    tiers.forEach((members, index) => {
      const tier = document.createElement("p");
      tier.textContent = `Tier ${index + 1}`;
      const list = document.createElement("ul");
      for (const name of members) {
        const state = health.engines[name];
        const item = document.createElement("li");
        item.className = `member ${state.state}`;
        const limits = `${state.in_flight} of ${state.max_concurrent} in flight` +
          (state.requests_per_minute ? `, ${state.requests_per_minute} a minute` : "") + `, weight ${state.weight}`;
        item.textContent = `${name}: ${state.state}${state.reason ? ` (${state.reason})` : ""}; ${limits}` +
          (state.probe_in_seconds ? `; probed again in ${Math.ceil(state.probe_in_seconds)} s` : "");
        list.append(item);
      }
      card.append(tier, list);
    });
    return card;
  });
  $("engines").replaceChildren(...cards);
}

let jobsLast = null;

async function loadJobs(event, more = false) {
  event?.preventDefault?.();
  const query = new URLSearchParams({ limit: "25" });
  if ($("jobs-status").value) query.set("status", $("jobs-status").value);
  if ($("jobs-account").value) query.set("account", $("jobs-account").value);
  if ($("jobs-engine").value.trim()) query.set("engine", $("jobs-engine").value.trim());
  if ($("jobs-code").value.trim()) query.set("error_code", $("jobs-code").value.trim());
  if (more && jobsLast) query.set("after", jobsLast);
  const { response, body } = await call(`/v1/admin/jobs?${query}`);
  if (!response.ok) return ($("operator-error").textContent = body?.error?.message || "Jobs are unavailable.");
  const names = new Map([...$("jobs-account").options].map((option) => [option.value, option.textContent]));
  const rows = body.data.map((job) => {
    const row = document.createElement("tr");
    cell(row, when(job.created_at));
    cell(row, names.get(job.account_id) || job.account_id || "–");
    cell(row, job.status);
    cell(row, job.model || "–");
    cell(row, job.engine || "–");
    cell(row, job.error ? String(job.error.code) : "");
    cell(row, milliseconds(job.timings.total_ms));
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Open";
    open.setAttribute("aria-label", `Open job ${job.id}`);
    open.addEventListener("click", () => showDetail(job.id, "operator"));
    cell(row, "").append(open);
    return row;
  });
  if (more) $("jobs-table").tBodies[0].append(...rows); else $("jobs-table").tBodies[0].replaceChildren(...rows);
  jobsLast = body.last_id;
  $("jobs-more").hidden = !body.has_more;
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
  if ($("seed").value.trim() !== "") body.seed = seedValue($("seed").value.trim());
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
  $("history-form").addEventListener("submit", (event) => loadHistory(event));
  $("history-more").addEventListener("click", () => loadHistory(null, true));
  $("detail-back").addEventListener("click", () => show(detailFrom));
  $("detail-run-again").addEventListener("click", () => runAgain(false));
  $("detail-same-seed").addEventListener("click", () => runAgain(true));
  $("jobs-form").addEventListener("submit", (event) => loadJobs(event));
  $("jobs-more").addEventListener("click", () => loadJobs(null, true));
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
