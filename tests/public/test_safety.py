"""The safety guide, the quick exit and what every public page's <head> says (issue 11): the
guide in both languages and linked from every public page; "Leave quickly" as a plain link at
the top; a tab title that names only the site; a meta description in the page's language;
hreflang alternates that are absolute and lead to each other; the site's own icon."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

import config as config_module
from config import ConfigurationError
from tests.factories import UpdateFactory

PUBLIC = ["/", "/report", "/contact", "/receipt", "/safety", "/updates", "/subscribe", "/updates/camps"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def head_links(html: str, rel: str) -> dict[str, str]:
    return dict(re.findall(rf'<link rel="{rel}" hreflang="([^"]+)" href="([^"]+)">', html))


def description(html: str) -> str:
    match = re.search(r'<meta name="description" content="([^"]+)">', html)
    assert match, "no meta description"
    return match.group(1)


@pytest.fixture
def update(app_ctx):
    return UpdateFactory(slug="camps")


@pytest.mark.parametrize("lang, words", [
    ("ko", ["토르 브라우저(Tor Browser)", "빌린 휴대전화는 안전하지 않습니다", "사진이나 화면 캡처로 남기지 마세요",
            "IP", "동의하신 곳에만 전달합니다", "깔려 있는 것만으로도 의심을 받습니다", "중국 입력기 앱",
            "브리지는 막는 쪽이 모르는 숨은 입구입니다", "@GetBridgesBot", "최근 앱 목록",
            "방문 기록에는 열어 보신 페이지가 그대로 남고"]),
    ("en", ["Tor Browser is a free program", "A borrowed phone is not safe", "Never take a photo or a screenshot",
            "internet address", "only to the places you agreed to", "is itself a reason for suspicion",
            "Chinese keyboard apps", "a hidden entrance", "bridges@torproject.org", "The list of open apps",
            "the browser's history still lists the pages you opened"]),
])
def test_the_safety_guide_covers_each_topic(client, lang, words):
    html = client.get(f"/{lang}/safety").get_data(as_text=True)
    for section in ("device", "tor", "china", "check", "code", "history", "keeps", "after"):
        assert f'<section id="{section}">' in html and f'href="#{section}"' in html
    present = [word for word in words if word in html]
    # "IP" is the jargon the guide explains away: it must not appear on the Korean page.
    assert present == [word for word in words if word != "IP"]
    assert 'href="https://www.torproject.org/download/"' in html


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_public_page_has_the_quick_exit_and_the_guide(app, client, update, lang):
    leave = app.config["QUICK_EXIT_URLS"][lang]
    for path in PUBLIC:
        html = client.get(f"/{lang}{path}").get_data(as_text=True)
        body = html.split("<body", 1)[1]
        # Right after the skip link: the second thing a keyboard reaches, the first one sees.
        first_links = re.findall(r'<a [^>]*href="([^"]+)"', body)[:3]
        assert first_links == ["#main", leave, f"/{lang}/safety#history"], path
        assert re.search(f'<a class="quick-exit" id="quick-exit" href="{re.escape(leave)}" rel="noreferrer">'
                         + ("빨리 나가기" if lang == "ko" else "Leave quickly") + "</a>", html), path
        assert '<footer class="site-footer">' in html and f'href="/{lang}/safety"' in html.split("<footer", 1)[1]


def test_forms_remind_of_the_guide_first(client):
    for path in ("/ko/report", "/ko/contact", "/ko/receipt"):
        html = client.get(path).get_data(as_text=True)
        reminder = html.index('class="safety-reminder"')
        assert reminder < html.index("<h1") and "먼저 안전하게 쓰는 법을 읽어 주세요" in html
    assert 'class="safety-reminder"' not in client.get("/ko/").get_data(as_text=True)


def test_the_quick_exit_goes_where_the_setting_says_for_each_language(app, client, monkeypatch):
    # Settings are read at start-up; kept pages (app/public/page_cache.py) are a worker's own.
    monkeypatch.setitem(app.config, "KEEP_PUBLIC_PAGES", False)
    monkeypatch.setitem(app.config, "QUICK_EXIT_URLS", {"ko": "https://www.weather.com.cn/",
                                                        "en": "https://www.bbc.com/weather"})
    assert 'id="quick-exit" href="https://www.weather.com.cn/"' in client.get("/ko/").get_data(as_text=True)
    assert 'id="quick-exit" href="https://www.bbc.com/weather"' in client.get("/en/").get_data(as_text=True)


def _quick_exit(monkeypatch, tmp_path, **values):
    monkeypatch.setattr(config_module, "INSTANCE_DIR", tmp_path)
    for name in ("QUICK_EXIT_AUDIENCE", "QUICK_EXIT_URL", "QUICK_EXIT_URL_KO", "QUICK_EXIT_URL_EN"):
        default = "china" if name == "QUICK_EXIT_AUDIENCE" else ""
        monkeypatch.setattr(config_module.DevelopmentConfig, name, values.get(name, default))
    return config_module.DevelopmentConfig.finalize()["QUICK_EXIT_URLS"]


def test_the_quick_exit_defaults_to_a_page_ordinary_in_china(tmp_path, monkeypatch):
    """A South Korean portal in the history of someone in China is itself a sign of contact with
    the South (issue 19): the default audience is China, Korea is a documented choice, and a
    language's own setting (or the older QUICK_EXIT_URL) wins."""
    assert _quick_exit(monkeypatch, tmp_path) == {"ko": "https://www.weather.com.cn/",
                                                  "en": "https://www.weather.com.cn/"}
    assert "naver" not in str(_quick_exit(monkeypatch, tmp_path))
    assert _quick_exit(monkeypatch, tmp_path, QUICK_EXIT_AUDIENCE="korea")["ko"] == "https://weather.naver.com/"
    assert _quick_exit(monkeypatch, tmp_path, QUICK_EXIT_URL="https://www.baidu.com/") == {
        "ko": "https://www.baidu.com/", "en": "https://www.baidu.com/"}
    assert _quick_exit(monkeypatch, tmp_path, QUICK_EXIT_URL="https://www.baidu.com/",
                       QUICK_EXIT_URL_KO="https://tianqi.qq.com/")["ko"] == "https://tianqi.qq.com/"


@pytest.mark.parametrize("value", ["weather.naver.com", "javascript:alert(1)", "/ko/", "https://"])
@pytest.mark.parametrize("name", ["QUICK_EXIT_URL", "QUICK_EXIT_URL_KO", "QUICK_EXIT_URL_EN"])
def test_a_quick_exit_that_is_not_a_web_address_is_refused(tmp_path, monkeypatch, name, value):
    with pytest.raises(ConfigurationError, match=name):
        _quick_exit(monkeypatch, tmp_path, **{name: value})


def test_an_unknown_quick_exit_audience_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match="QUICK_EXIT_AUDIENCE"):
        _quick_exit(monkeypatch, tmp_path, QUICK_EXIT_AUDIENCE="north-korea")


def test_staff_pages_have_no_quick_exit_and_keep_descriptive_titles(client):
    html = client.get("/staff/login").get_data(as_text=True)
    assert "quick-exit" not in html and 'rel="alternate"' not in html
    assert re.search(r"<title>[^<]+ · 목소리</title>", html)


@pytest.mark.parametrize("lang, site", [("ko", "목소리"), ("en", "Moksori")])
def test_tabs_name_only_the_site_and_descriptions_are_in_the_pages_language(client, update, lang, site):
    descriptions = {}
    for path in PUBLIC:
        html = client.get(f"/{lang}{path}").get_data(as_text=True)
        assert re.findall(r"<title>([^<]*)</title>", html) == [site], path
        descriptions[path] = description(html)
        assert bool(HANGUL.search(descriptions[path])) == (lang == "ko"), path
    # The pages people search for each say what they are for.
    assert len({descriptions[path] for path in ("/", "/report", "/contact", "/receipt", "/safety")}) == 5


def test_hreflang_alternates_are_absolute_and_lead_to_each_other(client, update):
    for path in PUBLIC:
        ko, en = (client.get(f"/{lang}{path}").get_data(as_text=True) for lang in ("ko", "en"))
        alternates = head_links(ko, "alternate")
        assert set(alternates) == {"ko", "en", "x-default"}, path
        assert head_links(en, "alternate") == alternates, path  # each page names the same set
        assert alternates["ko"] == f"http://localhost/ko{path}" and alternates["en"] == f"http://localhost/en{path}"
        assert alternates["x-default"] == alternates["ko"]  # Korean is the default language
        for url in alternates.values():
            parts = urlsplit(url)
            assert parts.scheme == "http" and parts.netloc == "localhost"
            assert client.get(parts.path).status_code == 200


def test_no_alternates_on_a_page_that_does_not_exist(client):
    assert 'rel="alternate"' not in client.get("/ko/no-such-page").get_data(as_text=True)


def test_the_site_has_its_own_icon(client):
    with client.get("/favicon.ico") as response:  # a file response: closed, or its file stays open
        assert response.status_code == 200 and response.mimetype == "image/x-icon"
        icon_file = response.data
    assert icon_file[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = client.get("/ko/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert icon.startswith("/static/img/favicon.ico?v=")
    with client.get(icon) as response:
        assert response.data == icon_file
