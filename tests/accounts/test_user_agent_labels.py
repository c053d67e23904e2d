"""A browser's label ('device / system / browser') and kind, as people see them in Security
Settings and the audit log: user-agents' words, from ua-parser 1.0's fast parser
(accounts.audit.parse_user_agent)."""

import pytest
import ua_parser
import ua_parser.regex
from user_agents import parse as user_agents_parse

from accounts.audit import device_label, parse_user_agent

USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "x",
    "",
]


@pytest.mark.parametrize("user_agent", USER_AGENTS)
def test_a_label_and_kind_are_user_agents_own(user_agent):
    """The same words and the same kind (mobile, tablet, PC, bot) as user-agents' own parse,
    a part ua-parser does not find included ("Other")."""
    ours, theirs = parse_user_agent(user_agent), user_agents_parse(user_agent)
    assert str(ours) == str(theirs)
    kinds = ("is_mobile", "is_tablet", "is_pc", "is_bot", "is_touch_capable")
    assert [getattr(ours, kind) for kind in kinds] == [getattr(theirs, kind) for kind in kinds]


def test_a_known_browser_is_labelled_as_people_know_it():
    assert device_label(USER_AGENTS[5]) == "Samsung SM-S918B / Android 14 / Chrome Mobile 131.0.0"
    assert device_label(USER_AGENTS[1]) == "PC / Windows 10 / Firefox 133.0"


def test_the_parser_is_the_compiled_one_requirements_install():
    """ua-parser picks the fastest resolver installed: requirements.txt's ``ua-parser[regex]``
    (ua-parser-rs) must be it, not the pure-Python fallback."""
    assert isinstance(ua_parser.parser.resolver.parser, ua_parser.regex.Resolver)
