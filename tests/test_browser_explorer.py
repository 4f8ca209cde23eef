"""The explorer in a real browser, as a person uses it.

Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by Selenium:

- JupyterLab (token-less, 127.0.0.1, a free port, a temporary root holding a copy of
  ``03_explorer.ipynb``): Run All from the Run menu, then the widgets;
- ``qanalysis explore`` (Voilà): the same page without code.

Each asserts: a chart image after start (the city, its first off-track indicator), the
indicator kept across city → county → city, the table's region and indicator equal to
the widgets', a Chinese fragment typed in the search box finds its indicator, 回归诊断
shows the chosen series' diagnostics chart and detail table and follows a region change, no widget
error, no browser console error, no request to any address but 127.0.0.1/localhost, and
the embedded CJK font loaded. The browser runs with a font configuration holding no CJK
font (DejaVu and Liberation only), like a machine without one, so the screenshots show
whether Chinese reads from the embedded subset alone.

Screenshots go to ``$QANALYSIS_SCREENSHOTS`` (default: the test's temporary folder).
Without chromium/chromedriver the tests fail in CI (``CI`` or ``QANALYSIS_REQUIRE_BROWSER=1``, which
.ci/run sets) and skip locally, the reason printed at the end of the run.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from qanalysis import config

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = (1366, 657)  # a 1366×768 laptop screen less the browser's own bars
COUNTY = ("330302", "鹿城区")
SEARCH = ("数控", "equipment_nc_rate", "装备数控化率")

# without a browser: a failure in CI (or QANALYSIS_REQUIRE_BROWSER=1), else a skip named in the summary
# a real browser against JupyterLab and Voilà: left out of `make check`
pytestmark = [pytest.mark.usefixtures("browser_available"), pytest.mark.slow]


# ---------------------------------------------------------------- servers

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copy(config.NOTEBOOKS_DIR / "03_explorer.ipynb", root / "03_explorer.ipynb")
    state = tmp_path_factory.mktemp("lab-state")
    port = _free_port()
    log = state / "jupyterlab.log"
    env = _env()
    env.update(JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "runtime"))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
           "--IdentityProvider.token=", "--ServerApp.password=",
           f"--LabApp.user_settings_dir={state / 'settings'}", f"--LabApp.workspaces_dir={state / 'ws'}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.extension_manager=readonly"]
    if os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=root)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/status", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def explore_server(tmp_path_factory):
    state = tmp_path_factory.mktemp("explore")
    port = _free_port()
    log = state / "explore.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "qanalysis", "explore", "--port", str(port), "--no-browser"],
                                stdout=fh, stderr=subprocess.STDOUT, env=_env(), cwd=state)
    try:
        # a static file: answers once the server is up, without starting a kernel
        _wait_http(f"http://127.0.0.1:{port}/voila/static/voila.js", proc, log)
        # the address the command prints, its random token included: the page needs it
        printed = re.search(r"http://127\.0\.0\.1:%d/\?token=[\w-]+" % port, log.read_text())
        assert printed, log.read_text()
        yield printed.group(0), log
    finally:
        _stop(proc)


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("QANALYSIS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _no_cjk_fontconfig(d: Path) -> Path:
    """A fontconfig file with Latin fonts only: the browser has no CJK font of its own."""
    dirs = [p for p in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2",
                        "/usr/share/fonts/truetype/liberation") if os.path.isdir(p)]
    conf = d / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
                    + "".join(f"  <dir>{p}</dir>\n" for p in dirs)
                    + f"  <cachedir>{d / 'cache'}</cachedir>\n</fontconfig>\n")
    return conf


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
                "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    env = dict(os.environ, FONTCONFIG_FILE=str(_no_cjk_fontconfig(tmp_path)))
    service = Service(executable_path=CHROMEDRIVER, env=env)
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(90)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, predicate, timeout: float = 90, what: str = "condition"):
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            value = predicate(driver)
            if value:
                return value
        except (StaleElementReferenceException, WebDriverException) as exc:
            last = exc
        time.sleep(0.25)
    _fail_with_page(driver, f"timed out after {timeout:.0f} s waiting for {what}" + (f" ({last})" if last else ""))


def _fail_with_page(driver, message: str):
    text = driver.execute_script("return document.body ? document.body.innerText.slice(0, 3000) : ''")
    pytest.fail(f"{message}\n--- page text ---\n{text}")


# ---------------------------------------------------------------- the explorer in a page

CHART = ".qa-explorer .qa-chart img"
TABLE = ".qa-explorer .qa-table-box [data-region]"


def _chart_state(driver):
    """(region, indicator, view) of the drawn chart once its image has decoded, else None."""
    return driver.execute_script(f"""
        const img = document.querySelector({json.dumps(CHART)});
        if (!img || !img.complete || img.naturalWidth < 400) return null;
        return [img.dataset.region, img.dataset.indicator, img.dataset.view,
                img.naturalWidth, img.getBoundingClientRect().width, img.getBoundingClientRect().height];
    """)


def _select(driver, label: str):
    """The <select> of the explorer's dropdown labelled ``label`` (地区 / 类别 / 指标)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    el = driver.find_element(By.XPATH, f"//div[contains(@class,'qa-explorer')]//div[contains(@class,'widget-dropdown')]"
                                       f"[.//label[normalize-space()='{label}']]//select")
    return Select(el)


def _selected_text(driver, label: str) -> str:
    return _select(driver, label).first_selected_option.text


def _table(driver):
    return driver.execute_script(f"""
        const t = document.querySelector({json.dumps(TABLE)});
        return t ? [t.dataset.region, t.dataset.indicator, t.dataset.view, t.innerText] : null;
    """)


def _wait_drawn(driver, region: str, indicator: str, view: str = "trend", timeout: float = 60):
    def ok(d):
        c = _chart_state(d)
        t = _table(d)
        return c and c[:3] == [region, indicator, view] and t and t[:3] == [region, indicator, view]

    _wait(driver, ok, timeout, f"chart and table of {region}/{indicator}/{view}")
    return _chart_state(driver), _table(driver)


def _check_table_matches_widgets(driver, names: dict, indicators: dict):
    region_code, indicator_id, _, text = _table(driver)
    region_label = _selected_text(driver, "地区")
    indicator_label = _selected_text(driver, "指标")
    assert names[region_code] in region_label, (region_code, region_label)
    assert indicators[indicator_id] in indicator_label, (indicator_id, indicator_label)
    assert names[region_code] in text and indicators[indicator_id] in text, text


def _exercise(driver, shots: Path, prefix: str):
    """The walk a person takes through the explorer once it is on the page."""
    from selenium.webdriver.common.by import By

    from qanalysis.explore import Explorer

    ref = Explorer(font=False)  # what the page must start on, from the same data
    names = ref.region_names
    indicators = {i: str(ref.row(ref.city, i)["name_zh"]) for i in ref.indicators}
    start = ref.indicator

    chart, _ = _wait_drawn(driver, ref.city, start, timeout=300)
    assert chart[3] >= 800, f"chart image only {chart[3]} px wide"
    _check_table_matches_widgets(driver, names, indicators)
    # scrolled to the explorer, controls, chart and the table down to its status line are all in
    # view on a 1366×768 screen (the visible part of the page's scrolling pane, not just the window)
    driver.execute_script("document.querySelector('.qa-explorer').scrollIntoView({block: 'start'})")
    time.sleep(0.3)
    fold = driver.execute_script(f"""
        const box = document.querySelector('.qa-explorer');
        let pane = box.parentElement, bottom = window.innerHeight;
        for (; pane && pane !== document.body; pane = pane.parentElement) {{
            const st = getComputedStyle(pane);
            if (/(auto|scroll)/.test(st.overflowY) && pane.scrollHeight > pane.clientHeight) {{
                bottom = Math.min(bottom, pane.getBoundingClientRect().bottom); break;
            }}
        }}
        const img = document.querySelector({json.dumps(CHART)}).getBoundingClientRect();
        const rows = [...box.querySelectorAll('table.qa-table tr')];
        const status = rows.find(r => r.innerText.startsWith('评估结果'));
        return {{chart: img.bottom, status: status ? status.getBoundingClientRect().bottom : 1e9,
                 visible: bottom, chartHeight: img.height}};
    """)
    assert fold["chart"] <= fold["visible"] and fold["status"] <= fold["visible"], f"below the fold: {fold}"
    assert fold["chartHeight"] >= 240, f"chart squeezed: {fold}"
    driver.save_screenshot(str(shots / f"{prefix}-1-start.png"))

    # city -> county -> city: the indicator stays
    _select(driver, "地区").select_by_visible_text(ref._region_label(COUNTY[0]))
    _wait_drawn(driver, COUNTY[0], start)
    assert indicators[start] in _selected_text(driver, "指标")
    _check_table_matches_widgets(driver, names, indicators)
    driver.save_screenshot(str(shots / f"{prefix}-2-county.png"))
    _select(driver, "地区").select_by_visible_text(ref._region_label(ref.city))
    _wait_drawn(driver, ref.city, start)
    assert indicators[start] in _selected_text(driver, "指标")

    # type a Chinese fragment: the indicator is found and drawn
    search = driver.find_element(By.XPATH, "//div[contains(@class,'qa-explorer')]//div[contains(@class,'widget-text')]"
                                           "[.//label[normalize-space()='查找']]//input")
    search.send_keys(SEARCH[0])
    _wait_drawn(driver, ref.city, SEARCH[1])
    assert SEARCH[2] in _selected_text(driver, "指标")
    _check_table_matches_widgets(driver, names, indicators)

    # the next-region button, then every region on one indicator
    driver.find_element(By.XPATH, "//div[contains(@class,'qa-explorer')]//button[contains(., '下一地区')]").click()
    _wait_drawn(driver, ref.regions[1], SEARCH[1])
    driver.find_element(By.XPATH, "//div[contains(@class,'qa-explorer')]//button[normalize-space()='各地对比']").click()
    _, table = _wait_drawn(driver, ref.regions[1], SEARCH[1], view="compare")
    assert all(names[c] in table[3] for c in ref.regions), table[3]
    driver.save_screenshot(str(shots / f"{prefix}-3-compare.png"))

    # 回归诊断: the statsmodels detail of the chosen series, following a region change while on
    driver.find_element(By.XPATH, "//div[contains(@class,'qa-explorer')]//button[normalize-space()='回归诊断']").click()
    chart, table = _wait_drawn(driver, ref.regions[1], SEARCH[1], view="diagnostics")
    assert chart[4] >= 640, f"diagnostics shown only {chart[4]:.0f} px wide"
    assert "回归明细" in table[3] and "Durbin–Watson" in table[3] and names[ref.regions[1]] in table[3], table[3]
    driver.execute_script(f"document.querySelector({json.dumps(CHART)}).scrollIntoView({{block: 'start'}})")
    time.sleep(0.3)
    driver.save_screenshot(str(shots / f"{prefix}-4-diagnostics.png"))
    driver.find_element(By.XPATH, "//div[contains(@class,'qa-explorer')]//button[contains(., '上一地区')]").click()
    _, table = _wait_drawn(driver, ref.city, SEARCH[1], view="diagnostics")
    assert names[ref.city] in table[3] and SEARCH[2] in table[3], table[3]


def _check_clean(driver, extra_error_selectors: tuple[str, ...] = ()):
    """No widget error on the page, no console error, nothing requested off this machine, font loaded."""
    errors = driver.execute_script("""
        const out = [];
        for (const el of document.querySelectorAll(arguments[0])) {
            if (el.innerText.trim()) out.push(el.innerText.trim().slice(0, 500));
        }
        if (document.body.innerText.includes('Error displaying widget')) out.push('Error displaying widget');
        return out;
    """, ", ".join((".qa-explorer .qa-error pre",) + extra_error_selectors))
    assert not errors, errors

    console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not console, console

    outside = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") not in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            continue
        url = msg["params"].get("request", {}).get("url") or msg["params"].get("url", "")
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in ("127.0.0.1", "localhost"):
            outside.add(url)
    assert not outside, f"requests off this machine: {sorted(outside)}"

    faces = driver.execute_script("""
        return [...document.fonts].filter(f => f.family.replace(/["']/g, '') === 'qanalysis-cjk')
                                  .map(f => f.status);""")
    assert "loaded" in faces, f"embedded CJK font not loaded: {faces}"


# ---------------------------------------------------------------- the tests

def test_explorer_in_jupyterlab(jupyterlab, browser, screenshots):
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(f"{jupyterlab}/lab/tree/03_explorer.ipynb")
    # the kernel is up when the toolbar shows it idle
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"), 300, "the notebook")
    _wait(driver, lambda d: d.execute_script(
        "const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
        "return s && s.getAttribute('data-status') === 'idle';"), 300, "an idle kernel")
    # Run ▸ Run All Cells, as a person does it
    driver.find_element(By.XPATH, "//li[contains(@class,'lm-MenuBar-item')][.//div[normalize-space()='Run']]").click()
    run_all = "//li[contains(@class,'lm-Menu-item')][.//div[normalize-space()='Run All Cells']]"
    _wait(driver, lambda d: d.find_elements(By.XPATH, run_all), 20, "the Run menu")
    driver.find_element(By.XPATH, run_all).click()
    _exercise(driver, screenshots, "jupyterlab")
    _check_clean(driver, (".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                          ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"))


def test_explorer_served_by_qanalysis_explore(explore_server, browser, screenshots):
    url, log = explore_server
    driver = browser
    driver.get(url)
    _exercise(driver, screenshots, "explore")
    source = driver.page_source
    assert "from qanalysis.explore import Explorer" not in source  # code hidden
    _check_clean(driver, (".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                          ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"))
