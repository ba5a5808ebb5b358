"""The admin as staff see it: named SEIDRA, one Accounts section holding users and addresses."""

import re

import pytest


@pytest.fixture
def staff_client(client, user_factory):
    client.force_login(user_factory("root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_the_admin_is_titled_seidra(staff_client, client):
    index = staff_client.get("/admin/").content.decode()
    assert "Django administration" not in index and "Django site admin" not in index
    assert "<title>Site administration | SEIDRA administration</title>" in index
    assert '<div id="site-name"><a href="/admin/">SEIDRA administration</a></div>' in index
    client.logout()
    login = client.get("/admin/login/").content.decode()
    assert "SEIDRA administration" in login and "Django" not in login


@pytest.mark.django_db
def test_one_accounts_section_lists_users_and_email_addresses(staff_client):
    index = staff_client.get("/admin/").content.decode()
    sections = re.findall(r'class="section" title="[^"]*">([^<]+)</a>', index)
    assert sections.count("Accounts") == 1, sections
    accounts = index[index.index('class="app-accounts module') :]
    accounts = accounts[: accounts.index("</table>")]
    assert "/admin/accounts/user/" in accounts and "/admin/accounts/emailaddress/" in accounts
    assert staff_client.get("/admin/accounts/emailaddress/").status_code == 200
