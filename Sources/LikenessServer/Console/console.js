// The Likeness console: talks only to this server, with the key kept in this tab's session
// storage and sent only as the Authorization header.
const $ = (id) => document.getElementById(id);
const keyStore = "likeness.key";
const largestReference = 10 * 1024 * 1024;
let reference = null; // a data URL, once a photo passed the browser's checks

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
  prompt: "prompt", n: "n", seed: "seed", aspect_ratio: "aspect_ratio",
  "subject_reference[0].image_file": "reference", "subject_reference": "reference",
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

function enter() {
  $("sign-in").hidden = true;
  $("playground").hidden = false;
  $("sign-out").hidden = false;
  updateSnippets();
}

function signOut() {
  sessionStorage.removeItem(keyStore);
  location.reload();
}

function request() {
  const body = {
    model: $("model").value, prompt: $("prompt").value, aspect_ratio: $("aspect_ratio").value,
    n: Number($("n").value || 1), response_format: "url",
    prompt_optimizer: $("prompt_optimizer").checked, aigc_watermark: $("aigc_watermark").checked,
  };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  const image = reference || $("reference-url").value.trim();
  if (image) body.subject_reference = [{ type: "character", image_file: image }];
  return body;
}

function updateSnippets() {
  const body = request();
  const shown = { ...body };
  if (reference) shown.subject_reference = [{ type: "character", image_file: "data:image/jpeg;base64,…" }];
  $("snippet-curl").textContent =
    `curl -s ${location.origin}/v1/image_generation \\\n  -H "Authorization: Bearer $LIKENESS_API_KEY" \\\n` +
    `  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(shown)}'`;
  $("snippet-python").textContent =
    `from openai import OpenAI\nclient = OpenAI(base_url="${location.origin}/v1", api_key=LIKENESS_API_KEY)\n` +
    `result = client.images.generate(model="${body.model}", prompt=${JSON.stringify(body.prompt)}, n=${body.n})`;
  $("snippet-swift").textContent =
    `let client = LikenessClient(baseURL: URL(string: "${location.origin}")!, apiKey: key)\n` +
    `let generation = try await client.generate(${JSON.stringify(body.prompt)}, count: ${body.n})`;
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
    const { response, body } = await call(`/v1/query/image_generation?task_id=${encodeURIComponent(taskID)}`);
    const failure = nativeFailure(response, body);
    if (failure) {
      $("progress").textContent = "";
      return showFailure(failure);
    }
    if (body.status === "Success") {
      const cost = response.headers.get("X-Likeness-Cost-USD");
      $("progress").textContent = `Done: ${body.data.image_urls.length} image(s)` + (cost ? `, cost $${cost}` : "") + ".";
      showImages(taskID, body.data.image_urls);
      await showAccount();
      return;
    }
    const position = response.headers.get("X-Likeness-Queue-Position");
    $("progress").textContent = body.status === "Queueing"
      ? `Queued${position ? `, ${position} ahead` : ""}…` : "Generating…";
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function showImages(taskID, urls) {
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
