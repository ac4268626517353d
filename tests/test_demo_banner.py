"""What `make run` prints (``seed_demo --url``): where to open the platform and every demo
login, from the one list the demo data is built from (``demo.logins.DEMO_USERS``), each with its
role, its unit and what it is for; the README's table is the same list."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from demo.logins import DEMO_USERS, login_banner

from .conftest import DEMO_DAY

URL = "http://127.0.0.1:8765/"


def test_the_banner_names_every_demo_login_with_what_it_is_for():
    banner = login_banner(URL)
    assert f"{URL}api/v1/" in banner and f"{URL}api/docs/" in banner
    lines = banner.splitlines()
    usernames = {login.username for login in DEMO_USERS}
    listed = [words[0] for words in map(str.split, lines) if words and words[0] in usernames]
    assert listed == [login.username for login in DEMO_USERS]
    assert "jiangyin_liaison" in listed  # the one liaison who handles county issues
    for login in DEMO_USERS:
        at = next(i for i, line in enumerate(lines) if line.split()[:1] == [login.username])
        assert (login.unit or "江苏省") in lines[at]
        assert login.purpose.strip() and login.purpose in lines[at + 1]


@pytest.mark.clock(DEMO_DAY)
@pytest.mark.django_db
def test_seed_demo_prints_the_banner_of_exactly_the_logins_it_loads(demo):
    out = StringIO()
    call_command("seed_demo", force=True, url=URL, stdout=out)
    assert out.getvalue().rstrip("\n").endswith(login_banner(URL))
    assert set(User.objects.values_list("username", flat=True)) == {
        login.username for login in DEMO_USERS
    }
    for login in DEMO_USERS:
        assert User.objects.get(username=login.username).check_password("Demo#2026")


def test_the_readme_lists_the_same_logins():
    """The README's table of demo logins is a copy of DEMO_USERS, kept in step by this test."""
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## 演示账号\n", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    banner = login_banner(URL).splitlines()
    expected = []
    for login in DEMO_USERS:
        at = next(i for i, line in enumerate(banner) if line.split()[:1] == [login.username])
        expected.append([f"`{login.username}`", banner[at].split(None, 1)[1], login.purpose])
    assert rows == expected
