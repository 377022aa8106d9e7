"""Drive the app in a real headless Chromium (Debian's chromium + chromedriver, via Selenium):
used by the end-to-end tests and by ``netfloox screenshots``."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The machine's network is closed: no background traffic, no sandbox as root, no GPU.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1400,1000",
]


AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists() and not shutil.which(Path(path).name):
            return f"{path} is missing (Debian packages chromium and chromium-driver)"
    return None


@contextmanager
def chromium(language: str | None = None):
    """A headless Chromium; ``language`` (e.g. "fr") is the one its user reads (the browser's
    Accept-Language), else Chromium's default, English."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    if language:
        options.add_argument(f"--lang={language}")
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app, port: int, production: bool = False):
    """Serve a Dash app on 127.0.0.1:port in a thread for the duration: werkzeug's threaded
    server, or with ``production`` waitress with 8 threads, as ``netfloox serve`` does."""
    if production:
        from waitress.server import create_server

        server = create_server(app.server, host="127.0.0.1", port=port, threads=8)
        run, stop = server.run, server.close
    else:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", port, app.server, threaded=True)
        run, stop = server.serve_forever, server.shutdown
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop()


class Page:
    def __init__(self, driver, base: str, timeout: float = 20):
        self.driver = driver
        self.base = base
        self.wait = WebDriverWait(
            driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
        )

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#_pages_content")))

    def find(self, css: str):
        return self.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def texts(self, css: str, count: int) -> list[str]:
        """The texts of the elements matching ``css`` once at least ``count`` are there, read
        again when the page re-renders meanwhile (an address change renders the page anew)."""
        for _ in range(20):
            try:
                return [e.text for e in self.all(css, count)]
            except StaleElementReferenceException:
                time.sleep(0.25)
        raise TimeoutError(f"{css}: the page kept changing")

    def click(self, css: str) -> str:
        """Click the first element matching ``css`` (again if the page re-rendered it);
        returns its text."""
        for _ in range(20):
            try:
                element = self.find(css)
                text = element.text
                element.click()
                return text
            except StaleElementReferenceException:
                time.sleep(0.25)
        raise TimeoutError(f"{css}: the page kept changing")

    def all(self, css: str, count: int) -> list:
        self.wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count)
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _search(self, dropdown_css: str, text: str, delay: float = 0.0) -> None:
        """Open a Dash 4 dcc.Dropdown (a button + popover) and type in its search box, key by
        key ``delay`` seconds apart (a person's pace) when delay > 0."""
        self.wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, dropdown_css))).click()
        box = self.wait.until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, "input.dash-dropdown-search"))
        )
        if not delay:
            box.send_keys(text)
            return
        for key in text:
            box.send_keys(key)
            time.sleep(delay)

    def shown_options(self) -> list[str]:
        """The suggestions the open dropdown shows, top to bottom."""
        return [
            e.text.strip()
            for e in self.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
        ]

    def suggestions_after_typing(
        self, dropdown_css: str, text: str, delay: float = 0.08, settle: float = 0.8
    ) -> list[str]:
        """Type ``text`` key by key into a dropdown, wait until what it shows stops changing
        (``settle`` seconds, at most 8), read it, close the dropdown."""
        self._search(dropdown_css, text, delay)
        shown, since, start = None, time.monotonic(), time.monotonic()
        while time.monotonic() - start < 8:
            now = self.shown_options()
            if now != shown:
                shown, since = now, time.monotonic()
            elif now and time.monotonic() - since >= settle:
                break
            time.sleep(0.1)
        self.close_popover()
        return shown or []

    def axe_violations(self, script: Path) -> list[str]:
        """Run axe-core (``script``: axe.min.js) in the page; the critical and serious
        violations, as 'rule: target' strings."""
        self.driver.execute_script(script.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document).then(r => done(r.violations)).catch(e => done([{id: String(e),"
            " impact: 'critical', nodes: []}]));"
        )
        return [
            f"{v['id']}: {', '.join(str(n['target']) for n in v['nodes'][:3])}"
            for v in result
            if v["impact"] in ("critical", "serious")
        ]

    def pick(self, dropdown_css: str, text: str, option_text: str) -> None:
        """Type into a dropdown and click the first suggestion that starts with option_text."""
        self._search(dropdown_css, text)
        option = self.wait.until(
            ec.element_to_be_clickable(
                (
                    By.XPATH,
                    "//label[contains(@class, 'dash-dropdown-option')]"
                    f'[starts-with(normalize-space(.), "{option_text}")]',
                )
            )
        )
        option.click()
        self.close_popover()

    def close_popover(self) -> None:
        self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        time.sleep(0.2)

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1400, min(max(height, 900), 2600))
        time.sleep(0.5)
        self.driver.save_screenshot(str(path))


def tour(
    page: Page,
    liked: tuple[str, str] = ("matrix", "The Matrix (1999)"),
    genre: str = "Drama",
    shots: Path | None = None,
    people: dict[str, tuple[str, str]] | None = None,
) -> dict:
    """The things of the mission, as a person does them; returns what was seen.

    ``liked`` is what to type on the Recommend page and the suggestion to pick; ``genre`` the
    genre of the film to estimate; ``people`` the pickers to fill, {role: (typed, suggestion)},
    e.g. {"directors": ("nolan", "Christopher Nolan")}; ``shots`` a folder for screenshots.
    """
    seen = {}
    page.open("/")
    seen["figures"] = [e.text for e in page.all(".figure", 5)]
    page.all(".js-plotly-plot", 6)
    if shots:
        time.sleep(1.5)
        page.screenshot(shots / "explore.png")
    page.open("/recommend")
    page.pick("#liked", *liked)
    cards = page.all("#rec-cards .title-card", 5)
    seen["recommendations"] = [c.find_element(By.CSS_SELECTOR, ".card-title").text for c in cards]
    if shots:
        page.screenshot(shots / "recommend.png")
    page.click("#rec-seed .card-title a")  # the liked film's page
    seen["film_page"] = page.find("#title-name").text
    page.all("#title-recommendations .title-card", 1)
    if shots:
        time.sleep(1.0)
        page.screenshot(shots / "title.png")
    page.click("#title-credits a")  # its director's page
    seen["person_page"] = page.find("#person-name").text
    if shots:
        time.sleep(1.0)
        page.screenshot(shots / "name.png")
    page.open("/predict")
    page.pick("#pred-genres", genre[:3], genre)
    for role, (typed, label) in (people or {}).items():
        page.pick(f"""[id='{{"role":"{role}","type":"people"}}']""", typed, label)
    page.find("#pred-go").click()
    seen["rating"] = page.find("#pred-rating").text
    seen["audience"] = page.find("#pred-audience").text
    page.all("#pred-explain .js-plotly-plot", 1)
    page.all("#pred-whatif .js-plotly-plot", 1)
    if shots:
        time.sleep(1.0)
        page.screenshot(shots / "predict.png")
    page.open("/drivers")
    page.all("#drivers-genres .js-plotly-plot", 1)
    page.find("#drivers-records table")
    seen["track_records"] = len(page.all("#drivers-records tbody tr", 0))
    if shots:
        time.sleep(1.0)
        page.screenshot(shots / "drivers.png")
    seen["console_errors"] = page.console_errors()
    return seen
