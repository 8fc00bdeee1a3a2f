"""The draw-a-digit page in a real browser: Debian's chromium, driven by Playwright, draws with the mouse and reads the page.

The server is the installed `mnist-digits app` serving the training chapter's classic model. Run as a script, this file
makes the README's picture of the page with the same drawing code:

    python tests/test_app_browser.py nbs/images/app.png
"""
import subprocess, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import ARGS, CHROMIUM, ROOT, SCRIPT, app_env, free_port, mouse_strokes, stop, wait_until_serving

MODEL = ROOT/'nbs'/'models'/'classic.safetensors'
# Strokes on the sketchpad, in pixels from its centre (the canvas shows about 290 pixels a side)
ONE = [[(5, -100), (-5, 100)]]
SEVEN = [[(-70, -90), (70, -90), (-10, 110)]]
SEVENTEEN = [[(-80, -60), (-80, 60)], [(-10, -60), (90, -60), (30, 60)]]

def start_app(cwd) -> tuple[subprocess.Popen, str]:
    "`mnist-digits app` with the classic model on a free loopback port: the process and its address."
    port = free_port()
    proc = subprocess.Popen([SCRIPT, 'app', '--model', str(MODEL), '--port', str(port)], cwd=cwd, env=app_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_serving(proc, port)
    return proc, f'http://127.0.0.1:{port}/'

def draw(page, strokes):
    "Draw `strokes` on the sketchpad with the mouse."
    mouse_strokes(page, page.locator('canvas').first, strokes)
    page.keyboard.press('Escape')  # a tool's popover may open over the page after a stroke

def answer_after(page, action, expected:str, timeout=90_000) -> str:
    "Do `action`, wait until the page's settled verdict starts with `expected`, and return the verdict (on timeout, as it is)."
    verdict = page.locator('#verdict')
    action()
    # An answer on its way shows a timer ('processing | 0.1/0.0s') first; the answers to earlier actions and intermediate
    # states (an example's picture read before its mode switches) come and go, so wait for the expected one to settle,
    # and return the text that was seen settled: read again later, it may be under the timer of a re-read.
    settled = ("([el, expected]) => !/\\d\\.\\ds/.test(el.innerText) && el.innerText.trim().startsWith(expected)"
               " && el.innerText.trim()")
    try: return page.wait_for_function(settled, arg=[verdict.element_handle(), expected], timeout=timeout).json_value()
    except Exception as e:
        if 'Timeout' not in type(e).__name__: raise
    return verdict.inner_text().strip()

def seen_width(page, expected:int, timeout=30_000) -> int:
    "The width of the picture the model saw, once the browser has loaded the one `expected` wide (it follows the verdict)."
    loaded = "w => { const img = document.querySelector('#seen img'); return !!img && img.complete && img.naturalWidth === w; }"
    try: page.wait_for_function(loaded, arg=expected, timeout=timeout)
    except Exception as e:
        if 'Timeout' not in type(e).__name__: raise
    return page.locator('#seen img').evaluate('img => img.naturalWidth')

def clear(page):
    "Clear the sketchpad and pick the brush again (clearing puts the tool down)."
    page.get_by_role('button', name='Clear canvas').click()
    page.get_by_role('button', name='Brush').click()
    page.keyboard.press('Escape')

def open_page(browser, url):
    page = browser.new_page(viewport={'width': 1280, 'height': 900})
    page.goto(url)
    page.wait_for_selector('canvas', timeout=120_000)
    page.wait_for_selector('button[aria-label="Brush"]', timeout=120_000)
    return page

@pytest.fixture(scope='module')
def url(tmp_path_factory):
    proc, address = start_app(tmp_path_factory.mktemp('browser'))
    yield address
    stop(proc)

def test_draw_a_one_and_a_seven(browser, url, tmp_path):
    page = open_page(browser, url)
    assert page.locator('#verdict').inner_text().startswith('Nothing to read: the canvas is blank')
    one = answer_after(page, lambda: draw(page, ONE), '1, ')
    assert one.startswith('1, '), one
    label = page.locator('#answer')
    assert label.get_by_test_id('label-output-value').inner_text() == '1'  # the label's big answer
    assert label.locator('meter').count() == 3  # and the top three as bars
    blank = answer_after(page, lambda: clear(page), 'Nothing to read: the canvas is blank')
    assert blank.startswith('Nothing to read: the canvas is blank'), blank  # a blank canvas says so, and guesses nothing
    assert label.get_by_test_id('label-output-value').count() == 0
    seven = answer_after(page, lambda: draw(page, SEVEN), '7, ')
    assert seven.startswith('7, '), seven
    assert seen_width(page, 112) == 112  # the 28x28 picture the model saw, 4x
    page.screenshot(path=tmp_path/'app.png')
    assert (tmp_path/'app.png').stat().st_size > 10_000

def test_draw_a_number(browser, url):
    page = open_page(browser, url)
    page.get_by_label('a number').check()
    number = answer_after(page, lambda: draw(page, SEVENTEEN), '17 (1 ')
    assert number.startswith('17 (1 '), number
    assert seen_width(page, 2 * 120 - 8) == 2 * 120 - 8  # one 28x28 picture per digit

def test_click_an_example(browser, url):
    page = open_page(browser, url)
    empty = answer_after(page, lambda: page.get_by_role('tab', name='Upload').click(), 'Nothing to read yet')
    assert empty.startswith('Nothing to read yet'), empty
    seven = answer_after(page, lambda: page.get_by_text('seven.png').click(), '7, ')
    assert seven.startswith('7, '), seven
    number = answer_after(page, lambda: page.get_by_text('number.png').click(), '2026 (')  # the example switches to "a number"
    assert number.startswith('2026 ('), number
    letter = answer_after(page, lambda: page.get_by_text('letter.png').click(),
                          'Not a digit: it does not look like a digit')
    assert letter.startswith('Not a digit: it does not look like a digit'), letter

ANSWERS = {('number.png', 'a number'): '2026 (', ('seven.png', 'one digit'): '7, ',  # what each state reads as
           ('number.png', 'one digit'): 'Not a digit', ('seven.png', 'a number'): '7 (7 '}

def shown_state(page) -> tuple:
    "The picture and the mode the page shows."
    return (''.join(page.locator('td.filename').inner_text().split()),
            'a number' if page.get_by_label('a number').is_checked() else 'one digit')

def test_examples_clicked_in_a_row_end_on_what_the_page_shows(browser, url):
    "Each example sets the picture and the mode, each change asks for an answer: the answer left is the shown state's."
    page = open_page(browser, url)
    answer_after(page, lambda: page.get_by_role('tab', name='Upload').click(), 'Nothing to read yet')
    for first, second in [('seven.png', 'number.png'), ('number.png', 'seven.png')] * 3:
        page.get_by_text(first).click(); page.get_by_text(second).click()
        page.wait_for_timeout(1500)  # the answers to both clicks, and to the half-changed states between, come and go
        state = shown_state(page)  # the second click's, or the first's if Gradio ignored a click while busy
        verdict = answer_after(page, lambda: None, ANSWERS[state])
        assert verdict.startswith(ANSWERS[state]), (first, second, state, verdict)
        page.wait_for_timeout(1500)  # and nothing later replaces it
        assert page.locator('#verdict').inner_text().strip().startswith(ANSWERS[shown_state(page)]), (first, second)

def screenshot(path:Path):
    "The README's picture: the page after drawing a 7."
    from playwright.sync_api import sync_playwright
    proc, address = start_app(ROOT)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = open_page(browser, address)
            answer_after(page, lambda: draw(page, SEVEN), '7, ')
            page.wait_for_timeout(1500)  # the outputs fade in
            page.screenshot(path=path, clip={'x': 0, 'y': 0, 'width': 1280, 'height': 650})
            browser.close()
    finally: stop(proc)

if __name__ == '__main__':
    screenshot(Path(sys.argv[1]))
