"""Browser test of the web UI against the real demo region.

Starts `pccc demo --https` (four real `pccc serve` processes, their web UIs over HTTPS on
127.0.0.2 with a certificate from the demo's region CA, the only certificate the browser is
told to accept), drives Debian's chromium headless through selenium at 1280x800, and checks what a border-centre officer does:
sign in with a password (a wrong one refused first), see a certificate renewed for 20 days warned of on the dashboard, create a person with a Cyrillic name at mk-tabanovce (a validation error first),
see that nothing is due for review yet and keep the person until a day two months ahead (a day
beyond the person's review period refused first),
find the person by the ASCII spelling in rs-presevo's UI, see where each field was written and
that mk-tabanovce's review kept it,
watch a change made at mk-tabanovce arrive live, and read the request inbox, the topology and
the audit log; then follow the seeded information request's thread between the two centres
(a partial refusal on two grounds and a clarification asked at rs-presevo, given at
mk-tabanovce), send a new request from mk-tabanovce (a missing field refused first), and read
rs-presevo's yearly report and download it as CSV; see the urgent request highlighted at
rs-presevo until the shift handover takes it over, and hand it to a colleague; an admin then
ends the session, and the
page's next call sends the officer back to sign-in; an admin shortens the idle limit to a minute,
and the page left alone past it is sent back to sign-in too. Screenshots go to the artifacts folder.
Ctrl-C (SIGINT) must stop the demo and every node cleanly.

Usage: python3 Tests/Browser/ui_test.py --pccc .build/debug/pccc --artifacts DIR
"""

import argparse
import base64
import hashlib
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from demo_region import Demo, Failure, check, wait_for

# What the test gives as its purpose, which the demo's nodes ask with every consultation: in
# Cyrillic, which a browser cannot put in a header as it is (the UI encodes it, RFC 8187).
PURPOSE = "проверка 2026/1"


def months_ahead(day, months):
    """`day` plus `months` as YYYY-MM-DD, on the same day of the month (at most the 28th)."""
    month = day.month - 1 + months
    return datetime.date(day.year + month // 12, month % 12 + 1, min(day.day, 28)).isoformat()


def spki_sha256(certificate_path):
    """The base64 SHA-256 of a certificate's public key, as chromium's
    --ignore-certificate-errors-spki-list takes it: the browser then accepts the web UIs'
    certificate (chromium matches the server's own key, not its CA's), and nothing else; the
    address must still match the certificate."""
    key = subprocess.run(["openssl", "x509", "-in", certificate_path, "-pubkey", "-noout"], capture_output=True, check=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=key, capture_output=True, check=True, timeout=30).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class Browser:
    def __init__(self, artifacts, trusted_certificate=None):
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=en-GB"]:
            options.add_argument(argument)
        if trusted_certificate:
            options.add_argument("--ignore-certificate-errors-spki-list=" + spki_sha256(trusted_certificate))
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Downloads (the report's CSV) land in the artifacts folder.
        options.add_experimental_option("prefs", {"download.default_directory": os.path.abspath(artifacts), "download.prompt_for_download": False})
        driver_path = "/usr/bin/chromedriver"
        self.driver = webdriver.Chrome(service=Service(driver_path), options=options)
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": os.path.abspath(artifacts)})
        self.artifacts = artifacts
        self.shots = 0

    def shot(self, name):
        self.shots += 1
        path = os.path.join(self.artifacts, f"{self.shots:02d}-{name}.png")
        self.driver.save_screenshot(path)
        print(f"  screenshot {path}")

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self):
        return self.find("main").text

    def javascript_errors(self):
        return [entry for entry in self.driver.get_log("browser") if entry.get("source") == "javascript"]

    def sign_in(self, url, password):
        self.driver.get(url)
        wait_for("the sign-in form", lambda: self.find("#password"))
        self.fill_sign_in(password)
        self.give_purpose_if_asked()
        wait_for("the dashboard", lambda: "Node " in self.find("main h1").text)

    def give_purpose(self, purpose=PURPOSE):
        """Answers the page that asks for a purpose, as staff do: types it in the bar's box."""
        wait_for("the page asking for a purpose", lambda: self.finds("#purpose-needed"))
        check(self.driver.switch_to.active_element == self.find("#purpose"), "the Purpose box does not have the focus")
        self.find("#purpose").send_keys(purpose + Keys.ENTER)
        wait_for("the page the purpose opens", lambda: not self.finds("#purpose-needed"))

    def give_purpose_if_asked(self):
        """A tab of a node with no purpose yet is asked for one as soon as it opens a page that
        consults."""
        wait_for("the page or the question for a purpose",
                 lambda: self.finds("#purpose-needed") or (self.find("#nav").is_displayed() and self.finds("main h1")))
        if self.finds("#purpose-needed"):
            self.give_purpose()

    def fill_sign_in(self, password, name="admin"):
        self.find("#name").clear()
        self.find("#name").send_keys(name)
        self.find("#password").clear()
        self.find("#password").send_keys(password)
        self.find("#signin").click()

    def go(self, view):
        self.find(f"#nav a[data-view={view}]").click()

    def visit(self, url, password, page):
        """Opens `page` (a hash such as #/requests/ID) of the UI at `url`, signing in first
        unless this tab still holds a session for that node."""
        self.driver.get(url + page)
        wait_for("the sign-in form or the page", lambda: self.finds("#password") or self.find("#nav").is_displayed())
        if self.finds("#password"):
            self.fill_sign_in(password)
        self.give_purpose_if_asked()
        wait_for("the signed-in page", lambda: self.find("#nav").is_displayed() and self.driver.current_url.endswith(page))

    def select(self, css, value):
        Select(self.find(css)).select_by_value(value)

    def keep(self, until, reason):
        """Fills the record page's keep form and submits it. The date control shows its value
        in the browser's locale; its value is set as the page reads it (YYYY-MM-DD)."""
        field = self.find("#keep-form input[name=until]")
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", field, until)
        check(field.get_attribute("value") == until, f"the date control did not take {until}")
        reason_field = self.find("#keep-form input[name=reason]")
        reason_field.clear()
        reason_field.send_keys(reason)
        self.find("#keep-form button[type=submit]").click()

    def status_of_request(self):
        return self.find("#request-status").get_attribute("data-status")

    def thread_entry(self, kind):
        """The text of the thread's last entry of `kind` (its type), and the grounds it lists."""
        row = self.finds(f"#thread tr[data-type={kind}]")[-1]
        return row.text, [item.get_attribute("data-ground") for item in row.find_elements(By.CSS_SELECTOR, "li[data-ground]")]


def run(arguments):
    os.makedirs(arguments.artifacts, exist_ok=True)
    for name in os.listdir(arguments.artifacts):
        if name.endswith(".png") or name.endswith(".csv") or name.endswith(".crdownload"):
            os.remove(os.path.join(arguments.artifacts, name))
    state = tempfile.mkdtemp(prefix="pccc-ui-")
    demo = Demo(arguments.pccc, os.path.join(state, "demo"), arguments.port_base, https=True)
    browser = Browser(arguments.artifacts, trusted_certificate=os.path.join(state, "demo", "certs", "api.pem"))
    a_url, _ = demo.nodes["mk-tabanovce"]
    b_url, _ = demo.nodes["rs-presevo"]
    check(a_url.startswith("https://127.0.0.2:") and b_url.startswith("https://127.0.0.2:"), f"the demo serves {a_url}, not HTTPS on 127.0.0.2")
    a_password = demo.passwords["mk-tabanovce"]
    b_password = demo.passwords["rs-presevo"]
    try:
        print("node A (mk-tabanovce): a wrong password is refused, the right one signs in")
        browser.driver.get(a_url)
        wait_for("the sign-in form", lambda: browser.find("#password"))
        browser.fill_sign_in("not the password")
        wait_for("the refusal", lambda: "the name or password is wrong" in browser.text())
        browser.shot("sign-in-refused")
        browser.fill_sign_in(a_password)
        # The node asks a purpose with every consultation, so the dashboard waits for one.
        wait_for("the question for a purpose", lambda: browser.finds("#purpose-needed"))
        check("requires a purpose" in browser.text(), "the page does not say why it needs a purpose: " + browser.text())
        browser.shot("purpose-needed")
        browser.give_purpose()
        wait_for("the dashboard", lambda: "Node " in browser.find("main h1").text)
        wait_for("rs-presevo shown connected on the dashboard",
                 lambda: "connected" in browser.find("#peers tr[data-peer=rs-presevo]").text)
        check("Node mk-tabanovce" in browser.text(), "the dashboard does not name the node")
        browser.shot("dashboard-a")
        check(not browser.finds("#certificate-warnings"), "the dashboard warns of certificates that have years left")

        print("node A: a certificate renewed for 20 days shows as a warning on the dashboard after SIGHUP")
        demo_folder = os.path.join(state, "demo")
        issued = os.path.join(state, "issued-20-days")
        subprocess.run([arguments.pccc, "certs", "issue", "mk-tabanovce", "--ca", os.path.join(demo_folder, "certs"), "--out", issued, "--days", "20"],
                       check=True, capture_output=True)
        tls = os.path.join(demo_folder, "nodes", "mk-tabanovce", "tls")
        for name in ["pem", "key"]:
            shutil.copyfile(os.path.join(issued, "mk-tabanovce." + name), os.path.join(tls, "node." + name))
        pids = [pid for pid in demo.serve_processes() if "nodes/mk-tabanovce" in open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")]
        check(len(pids) == 1, f"no single serve process of mk-tabanovce: {pids}")
        os.kill(int(pids[0]), signal.SIGHUP)
        warning = wait_for("the certificate warning on the dashboard", lambda: browser.find("#certificate-warnings li[data-certificate=own]").text)
        check("certificate warning" in warning and "expires at" in warning and "in 19 days" in warning, f"the warning reads: {warning}")
        browser.shot("certificate-warning-a")

        print("node A: create a person with a Cyrillic name; a bad date is refused first")
        browser.go("new")
        wait_for("the new-record form", lambda: browser.find("#field-family_name"))
        browser.find("#field-family_name").send_keys("Петровић")
        browser.find("#field-given_name").send_keys("Јован")
        browser.select("#field-category", "suspect")
        browser.find("#field-birth_date").send_keys("1990-13-01")
        browser.find("#create").click()
        wait_for("the validation message", lambda: "birth_date" in browser.find("#feedback").text)
        check("invalid" in browser.find("#field-birth_date").get_attribute("class"), "the bad field is not marked")
        check(not browser.find("#field-family_name").get_attribute("class"), "a good field is marked invalid")
        browser.shot("validation-error")
        browser.find("#field-birth_date").clear()
        browser.find("#field-birth_date").send_keys("1990-01-13")
        browser.find("#field-national_ids").send_keys("RS:0101990710008")
        browser.find("#create").click()
        wait_for("the new record's page", lambda: "#/record/" in browser.driver.current_url and browser.finds("#provenance"))
        record_id = browser.driver.current_url.split("#/record/")[1]
        check("Петровић" in browser.text(), "the record page does not show the Cyrillic name")
        browser.shot("record-at-a")

        print("node A: nothing is due for review yet; a day beyond the person's review period is refused, two months ahead keeps it")
        browser.go("dashboard")
        counter = wait_for("the reviews counter on the dashboard", lambda: browser.find("#reviews-due").text)
        check(counter == "Reviews due: 0", "the dashboard's reviews counter reads: " + counter)
        # The status cards are redrawn whenever a peer's lag changes: click the link as it is now.
        wait_for("a click on the reviews counter", lambda: browser.find("#reviews-due a").click() or True)
        wait_for("the reviews page", lambda: browser.finds("#reviews-empty") or browser.finds("#reviews"))
        check(not browser.finds("#reviews"), "new records are listed as due for review: " + browser.text())
        check(browser.find("#reviews-empty").text == "No record is due for review.", "the empty reviews page reads: " + browser.text())
        check("current" in browser.find("#nav a[data-view=reviews]").get_attribute("class"), "the Reviews entry is not marked current")
        browser.shot("reviews-at-a")
        browser.visit(a_url, a_password, "#/record/" + record_id)
        wait_for("the keep form on A's record page", lambda: browser.find("#keep-form input[name=until]"))
        check(browser.find("#kept").text == "No review has kept it yet.", "a new record reads: " + browser.find("#kept").text)
        today = datetime.date.today()
        browser.keep(months_ahead(today, 13), "the investigation is still open")
        error = wait_for("the message by until", lambda: browser.find("#keep-form .control[data-field=until] .field-error").text)
        check("at most 12 months" in error, "the message by until reads: " + error)
        marked = [element.get_attribute("name") for element in browser.finds("#keep-form .invalid")]
        check(marked == ["until"], f"the fields marked invalid are {marked}")
        check(browser.find("#kept").text == "No review has kept it yet.", "a refused keep shows as kept")
        browser.shot("keep-refused-at-a")
        kept_until, kept_reason = months_ahead(today, 2), "investigation MK-2026-1187 still open"
        browser.keep(kept_until, kept_reason)
        kept = wait_for("the kept line at A", lambda: "kept until" in browser.find("#kept").text and browser.find("#kept").text)
        check(kept.startswith(f"kept until {kept_until}: {kept_reason}"), "A's record page reads: " + kept)
        check(not browser.finds("#keep-form .field-error"), "the refusal's message stays after the record was kept")
        browser.shot("kept-at-a")

        print("node B (rs-presevo): find the person by the ASCII spelling and see the provenance")
        browser.sign_in(b_url, b_password)
        browser.go("search")

        def search_finds_person():
            field = browser.find("#search-text")
            field.clear()
            field.send_keys("petrovic jovan")
            browser.find("#search-button").click()
            time.sleep(0.3)
            return [link for link in browser.finds("#results tr.hit a") if record_id in link.get_attribute("href")]

        links = wait_for("the person in rs-presevo's search", search_finds_person, seconds=30, interval=0.5)
        browser.shot("search-at-b")
        links[0].click()
        wait_for("the record page at B", lambda: browser.finds("#provenance tr[data-field=family_name]"))
        row = browser.find("#provenance tr[data-field=family_name]")
        check("Петровић" in row.text, "B's record page lacks the name")
        check(row.find_element(By.CSS_SELECTOR, "td.by").text == "mk-tabanovce", "the provenance does not name mk-tabanovce: " + row.text)
        kept = wait_for("mk-tabanovce's review on B's record page", lambda: "kept until" in browser.find("#kept").text and browser.find("#kept").text, seconds=30)
        check(kept.startswith(f"kept until {kept_until}: {kept_reason}"), "B's record page reads: " + kept)
        check(not browser.finds("#keep-form"), "rs-presevo is offered to keep a record mk-tabanovce owns")
        browser.shot("record-at-b")

        print("node B: a change made at A appears without reloading the page")
        demo.api("mk-tabanovce", "PATCH", "/api/records/" + record_id, {"set": {"alert": "wanted", "reason": "warrant 17/2026"}, "clear": []})
        wait_for("the live update at B", lambda: "warrant 17/2026" in browser.find("#provenance").text, seconds=30)
        alert_row = browser.find("#provenance tr[data-field=alert]")
        check(alert_row.find_element(By.CSS_SELECTOR, "td.by").text == "mk-tabanovce", "the live change lacks its provenance")
        browser.shot("live-update-at-b")

        print("node B: edit the record (a refusal first), add a hit and a note")
        browser.find("#edit").click()
        wait_for("the edit form", lambda: browser.find("#edit-form #field-nationality"))
        browser.find("#edit-form #field-nationality").send_keys("Serbia")
        browser.find("#save").click()
        wait_for("the refusal of the country", lambda: "nationality" in browser.find("#edit-form").find_element(By.XPATH, "..").text
                 and "invalid" in browser.find("#edit-form #field-nationality").get_attribute("class"))
        browser.shot("edit-refused-at-b")
        browser.find("#edit-form #field-nationality").clear()
        browser.find("#edit-form #field-nationality").send_keys("RS")
        browser.find("#save").click()
        wait_for("the nationality written by rs-presevo",
                 lambda: browser.find("#provenance tr[data-field=nationality] td.by").text == "rs-presevo")
        browser.find("#hit-form input[name=place]").send_keys("Preševo BCP")
        browser.find("#hit-form input[name=outcome]").send_keys("checked, let through")
        browser.find("#hit-form button").click()
        wait_for("the hit on the record page", lambda: "Preševo BCP" in browser.text())
        browser.find("#note-form input[name=text]").send_keys("Travels with a grey Škoda.")
        browser.find("#note-form button").click()
        wait_for("the note on the record page", lambda: "Travels with a grey Škoda." in browser.text())
        browser.shot("hit-and-note-at-b")

        print("node B: saving a person A holds shows the possible match; marked the same subject, the link shows on both records")
        browser.driver.get(b_url + "#/new/person")
        wait_for("the new-record form at B", lambda: browser.find("#field-family_name"))
        browser.find("#field-family_name").send_keys("Petrovic")
        browser.find("#field-given_name").send_keys("Jovan")
        browser.select("#field-category", "suspect")
        browser.find("#field-names").send_keys("alias|Petrović|Jovan\ncurrent|Petrovic|Jovan")
        browser.find("#field-national_ids").send_keys("RS:0101-990710008")
        browser.find("#create").click()
        match = wait_for("the possible-matches panel", lambda: browser.find(f"#possible-matches tr.possible-match[data-id='{record_id}']"))
        check("same identifier" in match.text and "mk-tabanovce" in match.text, "the match reads: " + match.text)
        browser.shot("possible-match-at-b")
        match.find_element(By.CSS_SELECTOR, "button.same-subject").click()
        wait_for("the decision noted", lambda: "marked the same subject" in browser.find(f"#possible-matches tr[data-id='{record_id}']").text)
        browser.find("#open-saved").click()
        wait_for("the saved record's page", lambda: browser.finds("#links li.link"))
        twin_id = browser.driver.current_url.split("#/record/")[1]
        link = browser.find(f"#links li.link[data-id='{record_id}']")
        check("same as" in link.text and "Петровић" in link.text, "B's new record's link reads: " + link.text)
        names = browser.find("#provenance tr[data-field=names]").text
        check("alias|Petrović|Jovan; current|Petrovic|Jovan" in names, "the list of names reads: " + names)
        browser.shot("link-at-b")
        browser.driver.get(b_url + "#/record/" + record_id)
        back = wait_for("the link on the first record", lambda: browser.find(f"#links li.link[data-id='{twin_id}']"))
        check(back.text.startswith("← same as") and "Petrovic" in back.text, "the first record's link reads: " + back.text)
        browser.shot("link-back-at-b")

        print("node B: the request inbox counts down to the deadline")
        browser.go("requests")
        wait_for("the seeded request in B's inbox", lambda: browser.finds("#inbox tr[data-request] td.countdown"))
        cell = browser.find("#inbox tr[data-request] td.countdown")
        wait_for("the acknowledgement deadline", lambda: re.search(r"left|OVERDUE", cell.text), seconds=30)
        first = cell.text
        wait_for("the countdown to move", lambda: browser.find("#inbox tr[data-request] td.countdown").text != first, seconds=5)
        browser.shot("requests-at-b")
        # A deadline cannot pass within a test run (the shortest is 8 hours), so the page's
        # own countdown is given one that passed 90 s ago: the row must turn overdue.
        browser.driver.execute_script(
            "const cell = document.querySelector('#inbox td.countdown');"
            "cell.dataset.due = new Date(Date.now() - 90000).toISOString();")
        wait_for("the overdue highlight", lambda: "overdue" in browser.find("#inbox tr[data-request]").get_attribute("class")
                 and browser.find("#inbox td.countdown").text.startswith("OVERDUE by 0d 00:01:3"), seconds=5)
        browser.shot("overdue-highlight-at-b")

        print("node B: the topology picture shows healthy links")
        browser.go("topology")
        wait_for("the topology picture", lambda: browser.finds("svg.topology line"))
        up = browser.finds("svg.topology line.up")
        check(len(up) == 2, f"rs-presevo has two links up, the picture shows {len(up)}")
        check(len(browser.finds("svg.topology line.remote")) == 2, "the two links between other centres are not drawn as remote")
        browser.shot("topology-at-b")

        print("node B: the audit log shows the consultations, and the chain verifies")
        browser.go("audit")
        wait_for("the audit table", lambda: len(browser.finds("#audit tr")) > 3)
        check(any(record_id[:8] in row.text for row in browser.finds("#audit tr")), "the audit log does not show the record consulted")
        browser.find("#verify").click()
        wait_for("the verification", lambda: "Intact" in browser.find("#verify-result").text)
        browser.shot("audit-at-b")

        print("node B: open the seeded request, refuse it in part on two grounds, ask for a clarification")
        browser.go("requests")
        wait_for("B's inbox", lambda: browser.finds("#inbox tr[data-request] a.open"))
        rows = browser.finds("#inbox tr[data-request]")
        check(len(rows) == 1, f"B's inbox holds {len(rows)} requests, not the seeded one alone")
        request_id = rows[0].get_attribute("data-request")
        check("unclassified" in rows[0].text, "the seeded urgent request is not shown unclassified: " + rows[0].text)
        rows[0].find_element(By.CSS_SELECTOR, "a.open").click()
        wait_for("the request's page at B", lambda: browser.finds("#refuse-form") and browser.finds("#request-form-view"))
        check("migrant smuggling" in browser.find("#request-form-view").text, "the request's page does not show its form")
        check(browser.finds("#classify-direct") and browser.finds("#classify-indirect"), "no classification for an unclassified urgent request")
        check(not browser.finds("#clarify-form") and not browser.finds("#close-form"), "the requested centre is offered the requester's actions")
        browser.select("#refuse-form select[name=extent]", "partial")
        browser.find("#ground-a").click()
        browser.find("#ground-f").click()
        browser.find("#refuse-form textarea[name=reasons]").send_keys("Crossings before 1 November are archived; the rest would harm an investigation.")
        browser.find("#refuse").click()
        text, grounds = wait_for("the refusal in B's thread", lambda: browser.thread_entry("refusal"))
        check(grounds == ["a", "f"], f"the refusal lists grounds {grounds}")
        check("refused in part" in text and "(a) not available" in text and "(f) security, investigation or safety" in text, "the refusal reads: " + text)
        wait_for("the request partially answered", lambda: browser.status_of_request() == "partially_answered", seconds=5)
        browser.shot("refusal-at-b")
        browser.find("#ask-clarification-form textarea[name=text]").send_keys("Which of his two passports did he travel on?")
        browser.find("#ask-clarification").click()
        wait_for("the clarification asked and the clock paused at B",
                 lambda: browser.finds("#thread tr[data-type=clarification_asked]") and browser.status_of_request() == "clarification_requested"
                 and "paused" in browser.find("#request-facts").text)
        check(not browser.finds("#ask-clarification-form"), "a second clarification is offered while one is open")
        browser.shot("clarification-asked-at-b")

        print("node A: the request waits for a clarification; give it")
        browser.visit(a_url, a_password, "#/requests/" + request_id)
        wait_for("clarification_requested at A", lambda: browser.status_of_request() == "clarification_requested" and browser.finds("#clarify-form"), seconds=30)
        check("Which of his two passports" in browser.thread_entry("clarification_asked")[0], "A's thread lacks the question asked")
        check(not browser.finds("#refuse-form"), "the requesting centre is offered the requested centre's actions")
        browser.find("#clarify-form textarea[name=text]").send_keys("The Macedonian one, issued in 2019.")
        browser.find("#clarify").click()
        wait_for("the clarification in A's thread", lambda: "The Macedonian one" in browser.thread_entry("clarification_given")[0])
        browser.shot("clarification-given-at-a")

        print("node A: a new request without the urgent reasons is refused by that field; completed, it is sent")
        browser.go("requests")
        wait_for("the new-request form", lambda: browser.find("#request-form #rq-question"))
        check(not browser.find("#rq-urgent_ground").is_displayed(), "a standard request is offered the urgent fields")
        browser.select("#rq-to", "rs-presevo")
        browser.select("#rq-urgency", "urgent")
        check(browser.find("#rq-urgent_ground").is_displayed() and browser.find("#rq-urgent_reasons").is_displayed(), "an urgent request lacks the urgent fields")
        browser.select("#rq-urgent_ground", "life_or_integrity")
        question = "Is the driver of SK 4711-TA known to you?"
        for name, value in [("question", question), ("purpose", "The vehicle left a hit-and-run near Kumanovo"), ("offence", "hit and run causing injury"),
                            ("availability_reasons", "the vehicle crossed at Preševo an hour later"), ("requesting_authority", "Border police Tabanovce"),
                            ("case_number", "MK-2026-2044")]:
            browser.find("#rq-" + name).send_keys(value)
        browser.select("#rq-spoc_copy", "sent")
        browser.select("#rq-europol_copy", "not_needed")
        browser.find("#rq-europol_reason").send_keys("a single road accident")
        browser.find("#send-request").click()
        error = wait_for("the message by urgent_reasons", lambda: browser.find("#request-form .control[data-field=urgent_reasons] .field-error").text)
        check("urgent_reasons is required" in error, "the message by urgent_reasons reads: " + error)
        marked = [element.get_attribute("name") for element in browser.finds("#request-form .invalid")]
        check(marked == ["urgent_reasons"], f"the fields marked invalid are {marked}")
        browser.shot("new-request-refused-at-a")
        browser.find("#rq-urgent_reasons").send_keys("the injured cyclist may not survive the night")
        browser.find("#send-request").click()
        wait_for("the new request in A's outbox",
                 lambda: [row for row in browser.finds("#outbox tr[data-request]") if question in row.text and "unclassified" in row.text])
        browser.shot("new-request-sent-at-a")

        print("node B: the clarification arrives, the clock runs again")
        browser.visit(b_url, b_password, "#/requests/" + request_id)
        wait_for("the clarification in B's thread", lambda: "The Macedonian one" in browser.thread_entry("clarification_given")[0]
                 and browser.status_of_request() == "partially_answered", seconds=30)
        check("paused" not in browser.find("#request-facts").text, "the clock is still shown paused after the clarification")
        browser.shot("clarification-at-b")

        print("node B: the year's report counts the request from MK and the refusal's grounds; the CSV downloads")
        year = str(time.localtime().tm_year)
        browser.go("reports")
        wait_for("the report at B", lambda: browser.finds("#report-received tr[data-country=MK]"))
        check(browser.find("#report-year").get_attribute("value") == year, "the report is not of the current year")
        refused = {row.get_attribute("data-category"): row.text for row in browser.finds("#report-refused tr[data-country=MK]")}
        check(sorted(refused) == ["a", "f"], f"the refused table has grounds {sorted(refused)}")
        check(all(text.endswith(" 1") for text in refused.values()), f"the refused rows read {list(refused.values())}")
        browser.shot("report-at-b")
        browser.find("#report-csv").click()
        csv_path = os.path.join(arguments.artifacts, f"requests-rs-presevo-{year}.csv")
        csv = wait_for("the report's CSV downloaded", lambda: os.path.exists(csv_path) and open(csv_path, encoding="utf-8").read(), seconds=10)
        check("refused,MK,a,1" in csv and "refused,MK,f,1" in csv and "received,MK," in csv, "the CSV reads:\n" + csv)

        print("node B: the urgent request from A stays highlighted until taken; the handover takes it over, then it is handed to a colleague")
        b_folder = os.path.join(state, "demo", "nodes", "rs-presevo")
        added = subprocess.run([arguments.pccc, "users", "add", "night.officer", "--role", "staff", "--data", b_folder],
                               capture_output=True, text=True, timeout=60)
        check(added.returncode == 0, f"pccc users add said: {added.stdout}{added.stderr}")
        browser.go("dashboard")
        banner = wait_for("the urgent request highlighted on B's dashboard", lambda: browser.find("#unheld-urgent").text, seconds=30)
        check("nobody has taken" in banner, "the dashboard's highlight reads: " + banner)
        browser.shot("unheld-urgent-at-b")
        wait_for("a click on the highlight", lambda: browser.find("#unheld-urgent a").click() or True)
        row = wait_for("the new request in the handover", lambda: [r for r in browser.finds("#handover tr[data-id]") if question in r.text])[0]
        new_request = row.get_attribute("data-id")
        check("not taken" in row.find_element(By.CSS_SELECTOR, "td.holder").text, "the new request is held already: " + row.text)
        browser.find("#accept-all").click()
        wait_for("everything held by admin", lambda: browser.finds("#handover td.holder")
                 and all(cell.text == "admin" for cell in browser.finds("#handover td.holder")))
        browser.shot("handover-at-b")
        browser.visit(b_url, b_password, "#/requests/" + new_request)
        wait_for("the holder on the request page", lambda: browser.find("#request-holder").get_attribute("data-holder") == "admin")
        browser.find("#hand-form input[name=to]").send_keys("night.officer")
        browser.find("#hand-form button[type=submit]").click()
        wait_for("the request handed to night.officer", lambda: browser.find("#request-holder").get_attribute("data-holder") == "night.officer")
        audited = subprocess.run([arguments.pccc, "audit", "list", "--data", b_folder, "--limit", "20", "--purpose", "handover check"],
                                 capture_output=True, text=True, timeout=60)
        check("handover_accept  to admin" in audited.stdout and "request_hand  to night.officer from admin" in audited.stdout,
              "the audit log lacks the handover: " + audited.stdout)
        check(f"purpose: {PURPOSE}" in audited.stdout, "the audit log lacks the purpose typed in the UI: " + audited.stdout)
        browser.go("dashboard")
        wait_for("the highlight gone once taken", lambda: browser.find("#reviews-due") and not browser.finds("#unheld-urgent"))

        print("node B: an admin ends every session of the user; the page's next call sends it back to sign-in")
        ended = subprocess.run(
            [arguments.pccc, "users", "sign-out", "admin", "--data", b_folder],
            capture_output=True, text=True, timeout=60)
        check(ended.returncode == 0 and "ended 1 session of admin" in ended.stdout, f"pccc users sign-out said: {ended.stdout}{ended.stderr}")
        browser.go("requests")
        wait_for("the sign-in form after the session ended", lambda: browser.finds("#password"))
        check("the session ended or is not one of this node's" in browser.text(), "the sign-in page does not say why: " + browser.text())
        browser.shot("session-ended")
        browser.fill_sign_in(b_password)
        browser.give_purpose()
        wait_for("signed in again, on the page it was sent back from", lambda: browser.find("#nav").is_displayed() and browser.find("main h1").text == "Requests")

        print("node B: an admin shortens the idle limit to a minute; the page left alone past it is sent back to sign-in")
        limited = subprocess.run(
            [arguments.pccc, "users", "session-limits", "--idle-minutes", "1", "--data", b_folder],
            capture_output=True, text=True, timeout=60)
        check(limited.returncode == 0 and "after 1 minute unused, or 12 hours after sign-in" in limited.stdout, f"pccc users session-limits said: {limited.stdout}{limited.stderr}")
        # The page's live updates are no person's use: left alone, the session ends a minute
        # after its last use was written (at most 15 s after the last use itself).
        time.sleep(80)
        if not browser.finds("#password"):
            browser.go("dashboard")
        wait_for("the sign-in form after the session expired", lambda: browser.finds("#password"))
        check("the session ended after 1 minute unused" in browser.text(), "the sign-in page does not say why: " + browser.text())
        browser.shot("session-expired")
        browser.fill_sign_in(b_password)
        wait_for("signed in again after the expiry", lambda: browser.find("#nav").is_displayed())

        errors = browser.javascript_errors()
        check(not errors, f"the page raised JavaScript errors: {errors}")
    except Exception:
        browser.shot("failure")
        print("demo output:\n" + "".join(demo.output), file=sys.stderr)
        raise
    finally:
        browser.driver.quit()
        status, rest = demo.interrupt()
    check(status == 0, f"the demo exited {status} after SIGINT:\n{rest}")
    check("Stopped all four nodes" in rest, "the demo did not report a clean stop:\n" + rest)
    left = demo.serve_processes()
    check(not left, f"pccc serve processes still running after Ctrl-C: {left}")
    print(f"browser test passed: {browser.shots} screenshots in {arguments.artifacts}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pccc", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--port-base", type=int, default=28441)
    arguments = parser.parse_args()
    try:
        run(arguments)
    except Failure as failure:
        print(f"browser test failed: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
