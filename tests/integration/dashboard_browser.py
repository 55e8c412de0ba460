#!/usr/bin/env python3
"""The dashboard in a real browser (headless Chromium), for dashboard_test.cc.

    dashboard_browser.py URL TASK_ID SCREENSHOT

Opens URL (Berth's /_berth/ui/), waits for TASK_ID's row to show RUNNING,
reads its port link and fetches it, opens the task's details (not-honoured
notes and awslogs lines), clicks Stop (and Confirm), waits for the row to
show STOPPED without the page being reloaded, and saves a screenshot.
Prints one JSON object of what it saw; the C++ test checks it. Exits 0 even
when something was not seen (the JSON says what), 2 when the browser failed.
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import chromium_cdp  # noqa: E402


def main():
    url, task, screenshot = sys.argv[1], sys.argv[2], sys.argv[3]
    row = '[data-task-id="%s"]' % task
    status_of_row = "(document.querySelector('%s .task-status .status') || {}).textContent || ''" % row
    seen = {"statuses": []}
    with chromium_cdp.Browser() as browser:
        page = browser.new_page(1280, 860)
        page.navigate(url)
        page.wait_for("document.body && document.body.dataset.painted === '1'", timeout=30)
        # Anything the page set up survives only if it is never reloaded.
        page.eval("window.__berthNoReload = 'still here'")
        page.eval("window.__xss = false")

        # The task's row reaches RUNNING.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = page.eval(status_of_row)
            if status and (not seen["statuses"] or seen["statuses"][-1] != status):
                seen["statuses"].append(status)
            if status == "RUNNING":
                break
            time.sleep(0.1)
        seen["running"] = seen["statuses"][-1:] == ["RUNNING"]

        # Its published port, as a link that answers.
        href = page.wait_for("(document.querySelector('%s a.port') || {}).href || ''" % row, timeout=20)
        seen["portUrl"] = href
        try:
            with urllib.request.urlopen(href, timeout=10) as reply:
                seen["portStatus"] = reply.status
                seen["portBody"] = reply.read(4096).decode("utf-8", "replace")
        except OSError as e:
            seen["portError"] = str(e)

        # Details: what Berth did not honour, and the awslogs lines.
        page.click(row + " button.details")
        seen["logText"] = page.wait_for(
            "(() => { const p = document.querySelector('#detail pre.logs');"
            " return p && p.textContent.includes('dashboard-line') ? p.textContent : ''; })()",
            timeout=30)
        seen["detailText"] = page.eval("document.getElementById('detail-body').textContent")
        seen["logHtml"] = page.eval("document.querySelector('#detail pre.logs').innerHTML")
        page.click("#detail-close")

        # Stop, confirm, and watch the row change in place.
        page.click(row + " button.stop")
        seen["confirmText"] = page.eval("document.querySelector('%s button.stop').textContent" % row)
        page.click(row + " button.stop")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = page.eval(status_of_row)
            if status and seen["statuses"][-1] != status:
                seen["statuses"].append(status)
            if status == "STOPPED":
                break
            time.sleep(0.1)
        seen["stopped"] = seen["statuses"][-1] == "STOPPED"
        seen["noReload"] = page.eval("window.__berthNoReload") == "still here"
        # After the first snapshot the page is sent deltas: what changed.
        seen["deltas"] = page.eval("performance.getEntriesByType('resource').filter((e) => "
                                   "e.name.includes('/api/state') && e.name.includes('delta=1') && "
                                   "e.responseStatus === 200).length")
        seen["xss"] = page.eval("window.__xss")
        seen["rowText"] = page.eval("document.querySelector('%s').textContent" % row)
        seen["servicesText"] = page.eval("document.getElementById('service-rows').textContent")
        seen["imagesShown"] = page.eval("document.querySelectorAll('#repository-rows tr:not(.repo)').length")
        seen["xssElements"] = page.eval("document.querySelectorAll('#task-rows img, #detail img').length")
        page.eval("window.scrollTo(0, 0)")
        time.sleep(0.3)
        page.screenshot(screenshot)
    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except chromium_cdp.CdpError as e:
        print(json.dumps({"error": str(e)}))
        sys.exit(2)
