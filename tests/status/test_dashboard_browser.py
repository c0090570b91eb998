"""The dashboard in a real browser: Debian's chromium, headless, against `smgitops status --serve` on loopback
with the emulator behind it. The matrix shows the example fleet; a console change turns a cell to the drift
colour; a failed model-quality run shows in the cell and in the chart. Screenshots go to `test-artifacts/`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fleet_runs import deployment
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from controller.aws import console
from controller.commands.demo_runs import record_run
from controller.service.dashboard import SYNC_COLOURS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,900",
                     f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def dashboard(cli, running_fleet) -> Iterator[str]:
    """`smgitops status --serve` on a free loopback port, re-reading live state every second; yields its URL."""
    command = [sys.executable, "-m", "controller.main", "status", "--serve", "--bind", "127.0.0.1", "--port", "0",
               "--refresh", "1", "--runs", "10", "--revision", "rev1", str(ROOT / "desired_state")]
    server = subprocess.Popen(command, env=cli.environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        assert first.startswith("dashboard on http://127.0.0.1:"), first + server.stderr.read()
        yield first.split()[2].rstrip("/")
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0


def rgb(colour: str) -> str:
    """`#ffd9a8` as the browser reports a computed colour: `rgba(255, 217, 168, 1)`."""
    return "rgba({}, {}, {}, 1)".format(*(int(colour[index : index + 2], 16) for index in (1, 3, 5)))


def cell(browser, environment: str, model: str):
    return browser.find_element(By.ID, f"cell-{environment}-{model}")


def eventually(browser, url: str, check, *, timeout: float = 60) -> None:
    """Reload `url` until `check(browser)` holds; the dashboard re-reads AWS in the background."""
    deadline = time.monotonic() + timeout
    while True:
        browser.get(url)
        if check(browser):
            return
        assert time.monotonic() < deadline, browser.find_element(By.ID, "matrix").text
        time.sleep(0.5)


def test_the_dashboard_shows_the_fleet_drift_and_a_failed_model_quality_run(browser, dashboard, aws, running_fleet):
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(dashboard + "/")
    header = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#matrix tr:first-child th")]
    assert header == ["model", "dev", "staging", "prod"]
    rows = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#matrix tr th:first-child")][1:]
    assert rows == ["churn", "ltv"]
    assert cell(browser, "prod", "churn").text.startswith("7 synced")
    assert cell(browser, "prod", "churn").value_of_css_property("background-color") == rgb(SYNC_COLOURS["synced"])
    assert browser.find_elements(By.TAG_NAME, "script") == []
    linked = browser.execute_script(
        "return [...document.querySelectorAll('[src],[href]')]"
        ".map(element => element.getAttribute('src') || element.getAttribute('href'))"
    )
    assert linked and all(target.startswith("/") for target in linked), linked
    assert browser.find_element(By.CSS_SELECTOR, "meta[http-equiv=refresh]").get_attribute("content") == "5"

    console.edit_schedule(
        aws, running_fleet.environments["staging"].target, group="smgitops-staging", name="churn-batch-inference",
        ScheduleExpression="cron(0 9 * * ? *)",
    )
    eventually(browser, dashboard + "/", lambda page: cell(page, "staging", "churn").get_attribute("data-sync")
               == "drifted")
    drifted = cell(browser, "staging", "churn")
    assert drifted.value_of_css_property("background-color") == rgb(SYNC_COLOURS["drifted"])
    assert cell(browser, "staging", "ltv").get_attribute("data-sync") == "synced"

    started = datetime.now(UTC) - timedelta(minutes=30)
    record_run(aws, running_fleet, deployment(running_fleet, "prod", "churn"), started=started, metric_value=12.5)
    eventually(browser, dashboard + "/", lambda page: "run-failed" in cell(page, "prod", "churn")
               .get_attribute("class"))
    assert "mse 12.5 <=10 FAILED" in cell(browser, "prod", "churn").text
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    cell(browser, "prod", "churn").find_element(By.TAG_NAME, "a").click()
    assert browser.current_url == dashboard + "/deployments/prod/churn"
    failed = browser.find_elements(By.CSS_SELECTOR, "#mq-chart circle.point.failed")
    assert [point.get_attribute("data-value") for point in failed] == ["12.5"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#mq-chart circle.point.passed")) == 3
    assert browser.find_elements(By.CSS_SELECTOR, "#mq-chart line.threshold")
    assert "Step ModelQualityCheck failed: model quality: mse 12.5" in browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(str(ARTIFACTS / "dashboard-deployment.png"))
