"""The web console in a real browser: Debian's Chromium, headless, driven by Playwright."""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.request
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import API_KEY, LIKENESS, free_port, jpeg_size, wait_until_up
from test_openai_sdk import admin

CHROMIUM = os.environ.get("LIKENESS_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SCREENSHOTS = tempfile.mkdtemp(prefix="likeness-console-")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()
    print(f"\nconsole screenshots: {SCREENSHOTS}")


@pytest.fixture
def page(browser, server):
    """A page that records every request it makes and every console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    others = [url for url in page.requests if not (url.startswith(server) or url.startswith("data:") or url.startswith("blob:"))]
    assert others == [], "the page talks only to its own origin"
    context.close()


def sign_in(page, server, key=API_KEY):
    page.goto(server + "/")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Playground")).to_be_visible()


def shoot(page, name):
    """The screen at 1280 and 375 px wide, light; and at 1280 dark."""
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)
        # Nothing wider than the screen: wide tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=f"{SCREENSHOTS}/{name}-1280-dark.png", full_page=True)
    page.emulate_media(color_scheme="light")


def test_sign_in_generate_and_download(page, server):
    page.goto(server + "/")
    shoot(page, "sign-in")
    sign_in(page, server)
    expect(page.locator("#account")).to_contain_text("Balance $")
    page.get_by_role("textbox", name="Prompt").fill("a lighthouse on a cliff at dusk")
    expect(page.locator("#prompt-count")).to_have_text("31 / 1500")
    page.get_by_role("spinbutton", name="Images").fill("2")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("Done: 2 image(s)")
    images = page.locator("#gallery img")
    expect(images).to_have_count(2)
    for index in range(2):
        expect(images.nth(index)).to_have_js_property("naturalWidth", 1024)
    expect(page.locator("#snippet-curl")).to_contain_text("/v1/image_generation")
    shoot(page, "playground")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").first.click()
    path = download.value.path()
    assert jpeg_size(open(path, "rb").read()) == (1024, 1024)
    assert page.errors == []


def test_custom_size_live_style_and_the_job_log(page, server):
    sign_in(page, server)
    page.get_by_role("textbox", name="Prompt").fill("[sleep:800] a harbour")
    page.get_by_label("Size").select_option("custom")
    page.get_by_label("Width (512–2048, a multiple of 8)").fill("1536")
    page.get_by_label("Height (512–2048, a multiple of 8)").fill("640")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#log-lines")).to_contain_text("sleeping 800 ms")
    expect(page.locator("#progress")).to_contain_text("Done: 1 image(s)")
    expect(page.locator("#gallery img")).to_have_js_property("naturalWidth", 1536)

    page.get_by_label("Width (512–2048, a multiple of 8)").fill("1004")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#width-error")).to_contain_text("multiple of 8")

    page.get_by_role("combobox", name="Model", exact=True).select_option("image-01-live")
    expect(page.get_by_label("Aspect ratio")).to_be_visible()
    page.get_by_label("Style (image-01-live)").select_option("水彩")
    page.get_by_role("textbox", name="Prompt").fill("a harbour")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("Done: 1 image(s)")
    expect(page.locator("#snippet-fal")).to_contain_text("fal_client.subscribe")
    assert page.errors == []


def a_photo(page, tmp_path):
    """A picture the preview engine drew, downloaded through the console: a file to upload."""
    page.get_by_role("textbox", name="Prompt").fill("a face")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#gallery img")).to_have_count(1)
    photo = tmp_path / "face.jpg"
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").first.click()
    photo.write_bytes(open(download.value.path(), "rb").read())
    return photo



def test_generate_with_a_reference_uploaded_from_a_file(page, server, tmp_path):
    sign_in(page, server)
    face = a_photo(page, tmp_path)

    page.set_input_files("#reference", str(face))
    expect(page.locator("#reference-preview")).to_be_visible()
    page.get_by_role("textbox", name="Prompt").fill("the same person on a beach")
    page.get_by_label("Aspect ratio").select_option("3:2")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("Done: 1 image(s)")
    expect(page.locator("#gallery img")).to_have_js_property("naturalWidth", 1248)

    page.set_input_files("#reference", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    expect(page.locator("#reference-error")).to_have_text("The photo must be a JPEG or PNG.")
    assert page.errors == []


def test_errors_appear_next_to_their_control(page, server):
    sign_in(page, server)
    page.get_by_role("textbox", name="Prompt").fill("   ")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#prompt-error")).to_contain_text("prompt")
    page.get_by_role("textbox", name="Prompt").fill("a cat")
    page.get_by_role("spinbutton", name="Images").fill("12")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#n-error")).to_contain_text("1...9")
    shoot(page, "field-error")

    account = admin(server, "POST", "/v1/admin/accounts", {"name": "console customer"})
    key = admin(server, "POST", f"/v1/admin/accounts/{account['id']}/keys", {})["secret"]
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, key)
    page.get_by_role("textbox", name="Prompt").fill("a cat")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#form-error")).to_contain_text("balance is too low")
    shoot(page, "balance-error")


def test_a_wrong_key_is_refused_and_the_page_sends_a_strict_policy(page, server):
    response = page.goto(server + "/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    page.get_by_label("API key", exact=True).fill("lk_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#key-error")).to_have_text("That key was not accepted.")


def customer_key(server, name, credit=None):
    account = admin(server, "POST", "/v1/admin/accounts", {"name": name})
    if credit:
        admin(server, "POST", f"/v1/admin/accounts/{account['id']}/credits", {"amount_usd": credit, "waive_fee": True})
    return admin(server, "POST", f"/v1/admin/accounts/{account['id']}/keys", {"name": "first"})["secret"]


def test_account_dashboard_usage_keys_and_csv(page, server):
    sign_in(page, server, customer_key(server, "dashboard customer", credit="1"))
    expect(page.locator("#operator-tab")).to_be_hidden()
    page.get_by_role("textbox", name="Prompt").fill("a lighthouse")
    page.get_by_role("spinbutton", name="Images").fill("2")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("cost $0.02")

    page.get_by_role("button", name="Account").click()
    expect(page.locator("#balance-line")).to_contain_text("Balance $0.98")
    expect(page.locator("#usage-table tbody tr")).to_have_count(1)
    expect(page.locator("#usage-table tbody tr").first).to_contain_text("$0.02")
    # One bar a day for the 30 days shown, today's with the two images; then ninety days, labelled sparsely.
    expect(page.locator("#usage-chart rect")).to_have_count(30)
    expect(page.locator("#usage-chart rect title").last).to_contain_text("2 image(s), $0.0200")
    expect(page.locator("#usage-chart text.axis.dollars").first).to_have_text("$0.00")
    shoot(page, "usage-30-days")
    page.locator("#usage-from").fill((date.today() - timedelta(days=89)).isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#usage-chart rect")).to_have_count(90)
    assert 3 <= page.locator("#usage-chart text.axis[text-anchor=middle]").count() <= 16
    shoot(page, "usage-90-days")
    page.locator("#usage-from").fill(date.today().isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#usage-chart rect")).to_have_count(1)
    shoot(page, "usage-1-day")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = open(download.value.path()).read().strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("request_id")

    page.get_by_label("New key's name").fill("phone app")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-secret")).to_contain_text("lk_")
    expect(page.locator("#keys-table tbody tr")).to_have_count(2)
    shoot(page, "dashboard")
    page.get_by_role("button", name="Revoke phone app").click()
    expect(page.locator("#keys-table tbody tr", has_text="phone app")).to_contain_text("revoked")
    assert page.errors == []


def test_operator_console_accounts_top_up_and_ledger(page, server):
    sign_in(page, server)
    page.get_by_role("button", name="Operator").click()
    expect(page.locator("#engines-summary")).to_contain_text("engine serves every request")
    expect(page.locator("#queue-summary")).to_contain_text("waiting and")
    page.get_by_label("New account").fill("Studio North")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#account-detail-title")).to_have_text("Studio North: $0.00")
    page.get_by_label("Top up (USD)").fill("10")
    page.get_by_role("button", name="Review").click()
    expect(page.locator("#topup-review")).to_have_text(
        "Top up Studio North with $10.00: fee $0.50 (5.00%), credited $9.50.")
    page.get_by_role("button", name="Confirm top-up").click()
    expect(page.locator("#account-detail-title")).to_have_text("Studio North: $9.50")
    expect(page.locator("#ledger-table tbody tr")).to_have_count(2)
    expect(page.locator("#ledger-table")).to_contain_text("top_up")
    expect(page.locator("#ledger-table")).to_contain_text("fee")
    page.get_by_label("New key", exact=True).fill("studio app")
    page.get_by_label("Its requests a minute (optional)").fill("12")
    page.get_by_role("button", name="Issue key").click()
    expect(page.locator("#account-key-secret")).to_contain_text("lk_")
    expect(page.locator("#account-keys-table tbody tr", has_text="studio app")).to_contain_text("12")
    page.get_by_role("button", name="Revoke key studio app").click()
    expect(page.locator("#account-keys-table tbody tr", has_text="studio app")).to_contain_text("revoked")
    page.get_by_label("Requests a minute (0: unlimited)").fill("30")
    page.get_by_label("Queue weight (1–100)").fill("3")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator("#accounts-table tbody tr", has_text="Studio North")).to_contain_text("30")
    expect(page.locator("#accounts-table tbody tr", has_text="Studio North").locator("td").nth(4)).to_have_text("3")
    shoot(page, "operator")
    assert page.errors == []


def test_characters_created_used_in_the_playground_and_deleted(page, server, tmp_path):
    sign_in(page, server, customer_key(server, "character customer", credit="1"))
    photo = a_photo(page, tmp_path)

    page.get_by_role("button", name="Characters").click()
    page.get_by_label("Character name").fill("Ada")
    page.set_input_files("#character-photos", [str(photo), str(photo)])
    page.get_by_role("button", name="Create character").click()
    expect(page.locator("#character-list li")).to_have_count(1)
    expect(page.locator("#character-detail-title")).to_have_text("Ada")
    strip = page.locator("#character-photo-strip img")
    expect(strip).to_have_count(2)
    for index in range(2):
        expect(strip.nth(index)).to_have_js_property("naturalWidth", 256)
    expect(page.locator("#character-gallery-empty")).to_contain_text("None yet")
    shoot(page, "characters")

    page.get_by_role("button", name="Use in the playground").click()
    expect(page.get_by_role("heading", name="Playground")).to_be_visible()
    expect(page.locator("#reference-field")).to_be_hidden()
    page.get_by_role("textbox", name="Prompt").fill("the same person in the rain")
    expect(page.locator("#snippet-curl")).to_contain_text('"character_id":"chr_')
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("Done: 1 image(s)")

    page.get_by_role("button", name="Characters").click()
    page.get_by_role("button", name="Open Ada").click()
    gallery = page.locator("#character-gallery img")
    expect(gallery).to_have_count(1)
    expect(gallery.first).to_have_js_property("naturalWidth", 1024)
    expect(page.locator("#character-gallery figcaption")).to_contain_text("unscored")
    page.get_by_role("button", name="Delete…").click()
    expect(page.locator("#character-delete-text")).to_contain_text("Its 2 photo(s), their thumbnails")
    shoot(page, "character-delete")
    page.get_by_role("button", name="Delete for good").click()
    expect(page.locator("#character-list li")).to_have_count(0)
    expect(page.locator("#character option")).to_have_count(1)
    assert page.errors == []


def test_operator_deletes_an_account_after_saying_what_goes(page, server):
    account = admin(server, "POST", "/v1/admin/accounts", {"name": "Leaving Ltd"})
    admin(server, "POST", f"/v1/admin/accounts/{account['id']}/credits", {"amount_usd": "3", "waive_fee": True})
    customer = admin(server, "POST", f"/v1/admin/accounts/{account['id']}/keys", {"name": "theirs"})["secret"]
    sign_in(page, server)
    page.get_by_role("button", name="Operator").click()
    page.get_by_role("button", name="Open Leaving Ltd").click()
    page.get_by_role("button", name="Delete account…").click()
    expect(page.locator("#account-delete-text")).to_contain_text("its balance of $3.00 is given back")
    page.get_by_role("button", name="Delete for good").click()
    expect(page.locator("#account-delete-result")).to_contain_text("1 key(s) revoked; $3.00 given back")
    expect(page.locator("#accounts-table tbody tr", has_text="Leaving Ltd")).to_contain_text("(deleted)")
    expect(page.get_by_role("button", name="Delete account…")).to_be_hidden()
    expect(page.locator("#ledger-table")).to_contain_text("account deleted: balance given back")
    shoot(page, "operator-account-deleted")
    assert page.errors == []
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("API key", exact=True).fill(customer)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#key-error")).to_have_text("That key was not accepted.")


def native(server, key, fields):
    """A native generation with `key`, answered synchronously."""
    request = urllib.request.Request(
        server + "/v1/image_generation", method="POST", data=json.dumps(fields).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_history_detail_and_run_again_makes_the_same_image(page, server):
    key = customer_key(server, "history customer", credit="1")
    # Another account's request, which this one's history must not show.
    native(server, API_KEY, {"model": "image-01", "prompt": "someone else's request"})
    sign_in(page, server, key)
    page.get_by_role("textbox", name="Prompt").fill("a lantern in the fog")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("Done: 1 image(s)")
    original = page.locator("#gallery img").first.get_attribute("src")

    page.get_by_role("button", name="History").click()
    cards = page.locator("#history-grid li")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("succeeded")
    thumbnail = cards.first.locator("img")
    expect(thumbnail).to_have_js_property("naturalWidth", 256)
    assert "/thumbnail?" in thumbnail.get_attribute("src")
    shoot(page, "history")

    page.get_by_role("button", name="Details of a lantern in the fog").click()
    expect(page.locator("#detail-prompt")).to_have_text("a lantern in the fog")
    facts = page.locator("#detail-facts")
    expect(facts).to_contain_text("random, one per image")
    expect(facts).to_contain_text("$0.01")
    expect(facts).to_contain_text("preview")
    expect(page.locator("#detail-images figcaption")).to_contain_text("seed ")
    expect(page.locator("#detail-logs li").first).to_be_visible()
    expect(page.locator("#detail-images img")).to_have_js_property("naturalWidth", 1024)
    shoot(page, "detail")

    page.get_by_role("button", name="Run again").click()
    expect(page.get_by_role("heading", name="Playground")).to_be_visible()
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("a lantern in the fog")
    assert page.locator("#seed").input_value() != ""
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_contain_text("Done: 1 image(s)")
    again = page.locator("#gallery img").first.get_attribute("src")
    assert again != original
    assert page.request.get(again).body() == page.request.get(original).body()

    page.get_by_role("button", name="History").click()
    expect(cards).to_have_count(2)
    page.get_by_role("button", name="Details of a lantern in the fog").first.click()
    page.get_by_role("button", name="Same seed, new prompt").click()
    expect(page.get_by_role("textbox", name="Prompt")).to_have_value("")
    expect(page.get_by_role("textbox", name="Prompt")).to_be_focused()
    assert page.locator("#seed").input_value() != ""

    page.get_by_role("button", name="History").click()
    page.get_by_role("combobox", name="Status").select_option("failed")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#history-empty")).to_have_text("No requests match.")
    assert page.errors == []


def test_operator_live_view_moves_under_load_and_the_jobs_browser_filters(page, server):
    key = customer_key(server, "busy customer", credit="1")
    long_prompt = "x" * 1501
    native(server, key, {"model": "image-01", "prompt": long_prompt})
    sign_in(page, server)
    page.get_by_role("button", name="Operator").click()
    expect(page.locator("#live-state")).to_contain_text("Read at")
    before = page.locator("#live-images").inner_text()
    expect(page.locator("#engines-summary")).to_contain_text("preview engine serves every request")

    def load():
        for index in range(8):
            native(server, key, {"model": "image-01", "prompt": f"load {index}", "n": 2})
    worker = threading.Thread(target=load)
    worker.start()
    expect(page.locator("#live-images")).not_to_have_text(before, timeout=15000)
    expect(page.locator("#live-rps")).not_to_have_text("–")
    worker.join()
    expect(page.locator("#live-images")).to_have_text(str(int(before) + 16), timeout=10000)
    shoot(page, "operator-live")

    rows = page.locator("#jobs-table tbody tr")
    page.get_by_role("combobox", name="Account").select_option(label="busy customer")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(9)
    page.get_by_role("combobox", name="Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("busy customer")
    expect(rows.first).to_contain_text("2013")
    page.get_by_role("combobox", name="Status").select_option("")
    page.get_by_label("Error code").fill("2013")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Open job").first.click()
    expect(page.locator("#detail-facts")).to_contain_text("Account")
    expect(page.locator("#detail-facts")).to_contain_text("2013")
    shoot(page, "operator-job-detail")
    page.get_by_role("button", name="← Back").click()
    expect(page.get_by_role("heading", name="Operator")).to_be_visible()
    assert page.errors == []


def test_operator_sees_engines_and_pools_with_their_state(browser, tmp_path):
    """A pool of two upstream accounts, one of them with a key its provider refuses: the engines view
    shows each with its state and reason, and the live view counts the failed call."""
    simulator_port, port = free_port(), free_port()
    simulator = subprocess.Popen(
        [str(LIKENESS), "simulate", "minimax", "--port", str(simulator_port), "--api-key", "sk-right"])
    upstream = f"http://127.0.0.1:{simulator_port}"
    environment = dict(
        os.environ, LIKENESS_API_KEY=API_KEY, LIKENESS_LOG_LEVEL="warning", LIKENESS_ENGINES="up,down",
        LIKENESS_ROUTES_IMAGE_01="up|down", LIKENESS_ENGINE_UP_KIND="minimax", LIKENESS_ENGINE_UP_BASE_URL=upstream,
        LIKENESS_ENGINE_UP_API_KEY="sk-right", LIKENESS_ENGINE_UP_REQUESTS_PER_MINUTE="0",
        LIKENESS_ENGINE_DOWN_KIND="minimax", LIKENESS_ENGINE_DOWN_BASE_URL=upstream,
        LIKENESS_ENGINE_DOWN_API_KEY="sk-wrong", LIKENESS_ENGINE_DOWN_REQUESTS_PER_MINUTE="0",
    )
    server = subprocess.Popen(
        [str(LIKENESS), "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")], env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"http://127.0.0.1:{simulator_port}/simulator/requests", simulator)
        wait_until_up(base + "/health", server)
        for index in range(10):
            native(base, API_KEY, {"model": "image-01", "prompt": f"pool {index}"})
            with urllib.request.urlopen(base + "/health", timeout=5) as response:
                if json.loads(response.read())["engines"]["down"]["state"] != "in":
                    break
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, base)
        page.get_by_role("button", name="Operator").click()
        # image-01's route is the pool; image-01-live's, by default, each engine a tier of its own.
        expect(page.locator("#engines article.pool")).to_have_count(2)
        pool = page.locator("#engines article.pool").filter(
            has=page.get_by_role("heading", name="image-01", exact=True))
        expect(pool.locator("p")).to_have_text(["Tier 1"])
        expect(pool.locator("li.member.in")).to_contain_text("up: in")
        expect(pool.locator("li.member.out")).to_contain_text("down: out (the upstream provider down refused")
        expect(page.locator("#live-errors")).not_to_have_text("0")
        expect(page.locator("#live-placement")).to_have_text("1 of 2")
        shoot(page, "operator-pools")
        assert errors == []
        context.close()
    finally:
        for process in (server, simulator):
            process.terminate()
            process.wait(timeout=10)
