"""The load test of `make loadtest`: township clerks and county staff at work.

Runs against `make serve` on 127.0.0.1 with the city-scale demo (accounts and
password from reports/demo). A step is one request, and each simulated person
reads for 1–5 s after every step, as a person does before the next click:
200 people offer about 65 requests a second. Clerks: the worklist, logging a
meeting with attendance, the member list and a search, a member's page.
County staff: one of the four report pages at a time, now and then the xlsx
export. Requests are named by journey step, so the summary gives one line per
step.
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, events, task

# The demo accounts' password (reports/demo/builder.py); Locust runs outside Django.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "dangjian-demo")
# Only ever this machine: the load test must not be pointed at a real site by accident.
HOST = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
LOG_LINK = re.compile(r'href="(/activities/log/\?org=\d+&amp;kind=[a-z_]+)"')
STATUS = re.compile(r'name="(status_\d+)" value="present"')
HELD_ON = re.compile(r'name="held_on" value="([0-9-]+)"')
MEMBER_LINK = re.compile(r'href="(/admin/members/member/\d+/change/)[^"]*"')
REPORT_LINK = re.compile(r'href="/reports/(\d+)/overview/')


class Person(HttpUser):
    abstract = True
    host = HOST
    wait_time = between(1, 5)
    accounts: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.client.headers["Accept-Language"] = "zh-CN"
        page = self.client.get("/accounts/login/", name="登录页")
        self.client.post(
            "/accounts/login/",
            {
                "username": random.choice(self.accounts),
                "password": DEMO_PASSWORD,
                "csrfmiddlewaretoken": _csrf(page.text),
            },
            headers={"Referer": f"{HOST}/accounts/login/"},
            name="登录",
        )


class Clerk(Person):
    weight = 3
    accounts = ("clerk_a", "clerk_b")

    @task(4)
    def worklist(self) -> None:
        self.client.get("/activities/", name="三会一课待办")

    @task(2)
    def log_meeting(self) -> None:
        links = LOG_LINK.findall(self.client.get("/activities/", name="三会一课待办").text)
        if not links:
            return
        url = random.choice(links).replace("&amp;", "&")
        self.wait()
        form = self.client.get(url, name="登记会议表单")
        held_on = HELD_ON.search(form.text)
        data = {
            "csrfmiddlewaretoken": _csrf(form.text),
            "held_on": held_on.group(1) if held_on else "",
            "topic": "学习党的二十届四中全会精神",
            "place": "村党群服务中心",
            "confirm_duplicate": "on",
        }
        data.update(dict.fromkeys(STATUS.findall(form.text), "present"))
        self.wait()  # filling the form in
        self.client.post(url, data, headers={"Referer": HOST + url}, name="登记会议（含出勤）")

    @task(2)
    def member_list_and_search(self) -> None:
        listing = self.client.get("/admin/members/member/", name="党员名单")
        self.wait()
        self.client.get("/admin/members/member/?q=王", name="党员名单搜索")
        links = MEMBER_LINK.findall(listing.text)
        if links:
            self.wait()
            self.client.get(random.choice(links), name="党员信息页")


class CountyStaff(Person):
    weight = 1
    accounts = ("county",)
    county = None

    def on_start(self) -> None:
        super().on_start()
        found = REPORT_LINK.search(self.client.get("/reports/", name="统计报表首页").text)
        self.county = found.group(1) if found else None

    @task(16)
    def report(self) -> None:
        if self.county:
            page, name = random.choice(REPORTS)
            self.client.get(f"/reports/{self.county}/{page}/", name=name)

    @task(1)
    def export(self) -> None:
        if self.county:
            self.client.get(
                f"/reports/{self.county}/compliance/?format=xlsx", name="三会一课统计 xlsx"
            )


REPORTS = (
    ("overview", "组织概况"),
    ("compliance", "三会一课统计"),
    ("stars", "积分与评星"),
    ("summary", "数据摘要"),
)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


@events.quitting.add_listener
def summary(environment, **_kwargs) -> None:
    """One line per journey step, then the line `make loadtest` promises."""
    stats = environment.stats
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        print(
            f"{entry.name}: {entry.num_requests} req, p50 {entry.get_response_time_percentile(0.5):.0f} ms,"
            f" p95 {entry.get_response_time_percentile(0.95):.0f} ms, errors {entry.num_failures}"
        )
    total = stats.total
    users = environment.parsed_options.num_users if environment.parsed_options else 0
    print(
        f"load: {users} users, {total.total_rps:.1f} req/s,"
        f" p50 {total.get_response_time_percentile(0.5):.0f} ms,"
        f" p95 {total.get_response_time_percentile(0.95):.0f} ms, errors {total.num_failures}"
    )
