"""Browser test of the web UI against the real demo region.

Starts `pccc demo` (four real `pccc serve` processes on 127.0.0.1), drives Debian's chromium
headless through selenium at 1280x800, and checks what a border-centre officer does:
sign in, see a certificate renewed for 20 days warned of on the dashboard, create a person with a Cyrillic name at mk-tabanovce (a validation error first),
find the person by the ASCII spelling in rs-presevo's UI and see where each field was written,
watch a change made at mk-tabanovce arrive live, and read the request inbox, the topology and
the audit log. Screenshots go to the artifacts folder. Ctrl-C (SIGINT) must stop the demo and
every node cleanly.

Usage: python3 Tests/Browser/ui_test.py --pccc .build/debug/pccc --artifacts DIR
"""

import argparse
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

from demo_region import Demo, Failure, check, wait_for


class Browser:
    def __init__(self, artifacts):
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800", "--lang=en-GB"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver_path = "/usr/bin/chromedriver"
        self.driver = webdriver.Chrome(service=Service(driver_path), options=options)
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

    def sign_in(self, url, token):
        self.driver.get(url)
        wait_for("the sign-in form", lambda: self.find("#token"))
        self.find("#token").clear()
        self.find("#token").send_keys(token)
        self.find("#signin").click()
        wait_for("the dashboard", lambda: "Node " in self.find("main h1").text)

    def go(self, view):
        self.find(f"#nav a[data-view={view}]").click()


def run(arguments):
    os.makedirs(arguments.artifacts, exist_ok=True)
    for name in os.listdir(arguments.artifacts):
        if name.endswith(".png"):
            os.remove(os.path.join(arguments.artifacts, name))
    state = tempfile.mkdtemp(prefix="pccc-ui-")
    demo = Demo(arguments.pccc, os.path.join(state, "demo"), arguments.port_base)
    browser = Browser(arguments.artifacts)
    a_url, a_token = demo.nodes["mk-tabanovce"]
    b_url, b_token = demo.nodes["rs-presevo"]
    try:
        print("node A (mk-tabanovce): a wrong token is refused, the right one signs in")
        browser.driver.get(a_url)
        wait_for("the sign-in form", lambda: browser.find("#token"))
        browser.find("#token").send_keys("pccc_not-a-token")
        browser.find("#signin").click()
        wait_for("the refusal", lambda: "not valid on this node" in browser.text())
        browser.shot("sign-in-refused")
        browser.sign_in(a_url, a_token)
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
        browser.find("#field-birth_date").send_keys("1990-13-01")
        browser.find("#create").click()
        wait_for("the validation message", lambda: "birth_date" in browser.find("#feedback").text)
        check("invalid" in browser.find("#field-birth_date").get_attribute("class"), "the bad field is not marked")
        check(not browser.find("#field-family_name").get_attribute("class"), "a good field is marked invalid")
        browser.shot("validation-error")
        browser.find("#field-birth_date").clear()
        browser.find("#field-birth_date").send_keys("1990-01-13")
        browser.find("#create").click()
        wait_for("the new record's page", lambda: "#/record/" in browser.driver.current_url and browser.finds("#provenance"))
        record_id = browser.driver.current_url.split("#/record/")[1]
        check("Петровић" in browser.text(), "the record page does not show the Cyrillic name")
        browser.shot("record-at-a")

        print("node B (rs-presevo): find the person by the ASCII spelling and see the provenance")
        browser.sign_in(b_url, b_token)
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
