"""The console in a real headless Chromium against `idprotect serve`: sign in, filter, act on
users, see their history, a reader who cannot act, an expired token sent back to sign-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.console.conftest import ADMIN, PASSWORD, READER


def wait(browser: Any, condition: Any) -> Any:
    # A page's table is replaced when it reloads: an element read meanwhile is stale, not wrong.
    return WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        condition
    )


def sign_in(browser: Any, server: str, user: str) -> None:
    browser.get(f"{server}/console/#/users")
    wait(browser, seen.presence_of_element_located((By.ID, "password")))
    browser.find_element(By.ID, "username").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "signin").click()
    wait(browser, seen.presence_of_element_located((By.CSS_SELECTOR, "table tbody tr .pick")))


def states(browser: Any) -> set[str]:
    return {cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "tbody td.state")}


def picks(browser: Any) -> set[str]:
    return {box.get_attribute("value") for box in browser.find_elements(By.CSS_SELECTOR, ".pick")}


def test_an_administrator_filters_dismisses_two_users_and_sees_the_history(
    browser: Any, server: str, shots: Path
) -> None:
    sign_in(browser, server, ADMIN)
    browser.save_screenshot(str(shots / "risky-users.png"))
    Select(browser.find_element(By.ID, "f-state")).select_by_value("atRisk")
    browser.find_element(By.ID, "apply").click()
    wait(browser, lambda b: states(b) == {"atRisk"})
    boxes = browser.find_elements(By.CSS_SELECTOR, ".pick")[:2]
    picked = [box.get_attribute("value") for box in boxes]
    for box in boxes:
        box.click()
    browser.find_element(By.ID, "act-dismiss").click()
    wait(browser, seen.element_to_be_clickable((By.ID, "confirm-yes"))).click()
    wait(browser, seen.text_to_be_present_in_element((By.ID, "message"), "Dismissed: 2 user(s)."))
    Select(browser.find_element(By.ID, "f-state")).select_by_value("dismissed")
    browser.find_element(By.ID, "apply").click()
    wait(browser, lambda b: picks(b) >= set(picked))
    browser.get(f"{server}/console/#/users/{picked[0]}")
    wait(browser, seen.text_to_be_present_in_element((By.ID, "risk-state"), "dismissed"))
    items = browser.find_elements(By.CSS_SELECTOR, ".history-item")
    assert any("dismissed" in item.text for item in items)
    browser.save_screenshot(str(shots / "risky-user.png"))
    for page in ("detections", "principals", "dashboard"):
        browser.get(f"{server}/console/#/{page}")
        wait(browser, seen.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
        wait(browser, lambda b: "Loading" not in b.find_element(By.ID, "main").text)
        browser.save_screenshot(str(shots / f"{page}.png"))
    assert browser.find_element(By.ID, "message").text == ""


def test_a_security_reader_sees_no_actions_and_cannot_act(browser: Any, server: str) -> None:
    sign_in(browser, server, READER)
    assert browser.find_elements(By.ID, "act-dismiss") == []
    assert "read only" in browser.find_element(By.ID, "who").text
    status = browser.execute_async_script(
        """const done = arguments[0];
        fetch('/v1.0/identityProtection/riskyUsers/dismiss', {method: 'POST',
          headers: {'Content-Type': 'application/json',
                    Authorization: 'Bearer ' + sessionStorage.getItem('idprotect.console.token')},
          body: JSON.stringify({userIds: ['x']})}).then(r => done(r.status));"""
    )
    assert status == 403


def test_an_expired_token_sends_you_back_to_sign_in(browser: Any, server: str) -> None:
    sign_in(browser, server, ADMIN)
    browser.execute_script(
        "const t = sessionStorage.getItem('idprotect.console.token').split('.');"
        "const c = JSON.parse(atob(t[1].replace(/-/g,'+').replace(/_/g,'/')));"
        "c.exp = 1; t[1] = btoa(JSON.stringify(c)).replace(/=+$/,'');"
        "sessionStorage.setItem('idprotect.console.token', t.join('.'));"
    )
    browser.refresh()
    wait(browser, seen.presence_of_element_located((By.ID, "password")))
    assert "/oauth2/v2.0/authorize" in browser.current_url


def test_the_page_loads_no_inline_script_under_a_strict_policy(browser: Any, server: str) -> None:
    import httpx

    page = httpx.get(f"{server}/console/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in page.text
