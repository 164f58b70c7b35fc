"""The dashboard in a real headless Chromium with every request outside the server blocked: the charts
draw from the served plotly bundle, and a number leads to its tickets."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from jiesu.tickets.tests.test_e2e import _login, browser  # noqa: E402,F401 - fixture


def test_dashboard_in_the_browser_without_network(transactional_db, live_server, browser):  # noqa: F811
    from jiesu.kpi.tests.test_rates import make_crafted
    from jiesu.tickets.tests.world import World

    make_crafted(World.build())
    page = _login(browser, live_server, "dispatcher")
    outside = []

    def only_local(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    # The page runs under the Content-Security-Policy (no inline script, no eval): nothing may be refused.
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(f"{live_server.url}/kpi/?period=month&at=2026-10")
    assert "script-src 'self'" in page.request.get(f"{live_server.url}/kpi/").headers["content-security-policy"]
    page.wait_for_selector("#chart-trend .main-svg", timeout=15_000)
    page.wait_for_selector("#chart-category .main-svg", timeout=15_000)
    assert outside == [] and refused == []
    assert page.inner_text("[data-rate=response] .kpi-value") == "66.7%"
    assert "未达标" in page.inner_text("[data-rate=response]")
    assert "甲委员会" in page.inner_text("#ranking")

    page.click("[data-rate=response] .kpi-value a")
    page.wait_for_url("**/kpi/tickets/**")
    assert "按时响应" in page.inner_text("h1") and "共 4 件" in page.inner_text("h1")

    # A custom range through the form.
    page.goto(f"{live_server.url}/kpi/")
    page.fill("#from", "2026-10-12")
    page.fill("#to", "2026-10-12")
    with page.expect_navigation():
        page.click("#kpi-filters button[type=submit]")
    page.wait_for_selector("#chart-trend .main-svg", timeout=15_000)
    assert "2026-10-12 至 2026-10-12" in page.inner_text("h1")
    assert page.inner_text("[data-rate=response] .kpi-value") == "66.7%"
    page.close()
