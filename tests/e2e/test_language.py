"""The language follows the browser (Accept-Language); the language menu overrides it."""

from playwright.sync_api import expect

from tests.e2e.person import Person


def test_indonesian_browser_gets_indonesian_and_the_menu_switches(orang: Person, user, password):
    page = orang.page
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    orang.sees_heading("Masuk")
    orang.look(shot="50-username-id", phone=True)
    orang.fill("Nama pengguna", "ani")
    orang.click("Berikutnya")
    expect(page.get_by_role("link", name="Masuk dengan kata sandi")).to_be_visible()
    expect(page.get_by_role("link", name="Masuk dengan passkey")).to_be_visible()
    page.get_by_role("link", name="Masuk dengan kata sandi").click()
    expect(page.get_by_role("link", name="Lupa Password?")).to_be_visible()
    orang.fill("Kata sandi", password)
    orang.click("Masuk")
    orang.sees_heading("Selamat datang, Ani")
    page.get_by_label("Menu pengguna").click()
    page.get_by_role("link", name="Pengaturan Keamanan").click()
    orang.sees_heading("Pengaturan Keamanan")
    orang.look(shot="51-security-settings-id")

    # The menu overrides the browser's language, for the rest of the visit.
    page.get_by_label("Bahasa", exact=True).select_option("English")
    page.get_by_role("button", name="Ganti bahasa").click()
    orang.sees_heading("Security Settings")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/")
    orang.sees_heading("Welcome, Ani")
